//! What a session shares with its background tasks (lease heartbeat,
//! journal flusher) on the store thread: its own connection, its lease, the
//! journal events not yet written, and whether the run may have been lost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;
use tokio_postgres::{Client, Statement};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::connect::Target;
use super::lease;
use crate::store::StoreError;

/// Statements every commit uses, prepared once per session.
pub(crate) struct Statements {
    renew: Statement,
    put_run: Statement,
    put_steps: Statement,
    put_events: Statement,
}

impl Statements {
    pub async fn prepare(client: &Client) -> Result<Statements, tokio_postgres::Error> {
        Ok(Statements {
            renew: client.prepare(lease::RENEW_SQL).await?,
            // `current_step`: the step last committed as running; cleared
            // when the run is over.
            put_run: client
                .prepare(
                    "UPDATE runbook_runs
                     SET record = $2, status = $3, title = $4, runbook_path = $5,
                         updated = now(),
                         current_step = CASE WHEN $3 IN ('succeeded', 'rolled-back') THEN NULL
                                             ELSE coalesce($6, current_step) END
                     WHERE id = $1",
                )
                .await?,
            // Several rows in one statement (one round trip per commit).
            put_steps: client
                .prepare(
                    "INSERT INTO runbook_steps (run_id, key, record)
                     SELECT $1, k, r FROM unnest($2::text[], $3::jsonb[]) AS t (k, r)
                     ON CONFLICT (run_id, key) DO UPDATE SET record = excluded.record",
                )
                .await?,
            put_events: client
                .prepare(
                    "INSERT INTO runbook_journal (run_id, seq, event)
                     SELECT $1, s, e FROM unnest($2::bigint[], $3::jsonb[]) AS t (s, e)",
                )
                .await?,
        })
    }
}

/// The run record as staged, with the columns derived from it.
pub(crate) struct StagedRun {
    pub record: Value,
    pub status: String,
    pub title: String,
    pub runbook_path: String,
}

/// Writes made durable together by one transaction.
#[derive(Default)]
pub(crate) struct Batch {
    pub run: Option<StagedRun>,
    /// Step key → record (the last staged version of each).
    pub steps: BTreeMap<String, Value>,
    /// The step last staged as running, if any.
    pub current_step: Option<String>,
    pub events: Vec<(i64, Value)>,
}

/// Journal events appended but not yet written, numbered as appended.
#[derive(Default)]
pub(crate) struct Pending {
    pub next_seq: i64,
    pub events: Vec<(i64, Value)>,
    /// The first failure of an append or a background flush.
    pub error: Option<String>,
}

/// One session's state, shared with its background tasks.
pub(crate) struct Shared {
    pub id: String,
    pub token: Uuid,
    pub ttl: Duration,
    pub target: Arc<Target>,
    pub client: tokio::sync::Mutex<Client>,
    pub statements: Statements,
    pub pending: Mutex<Pending>,
    /// Wakes the journal flusher.
    pub appended: Notify,
    /// Cancelled when the lease may be lost (renewal failed, connection
    /// closed): the executor stops the step in flight.
    pub lost: CancellationToken,
    pub lost_reason: Mutex<Option<String>>,
    /// Cancelled when the session is dropped: background tasks stop.
    pub closing: CancellationToken,
}

impl Shared {
    /// Record why the lease may be lost (the first reason wins) and stop.
    pub fn lose(&self, reason: String) {
        self.lost_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(reason);
        self.lost.cancel();
    }

    /// The error every write returns once the lease may be lost.
    pub fn lost_error(&self) -> StoreError {
        let reason = self
            .lost_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| "the connection to the state store was lost".into());
        StoreError::LeaseLost {
            id: self.id.clone(),
            detail: reason,
        }
    }

    /// A failed statement: when the connection is gone the run is lost to
    /// this session (it cannot prove it still holds the lease).
    pub fn failed(&self, e: &tokio_postgres::Error) -> StoreError {
        if e.is_closed() || self.lost.is_cancelled() {
            self.lose(format!(
                "the connection to the state store was lost ({})",
                self.target.describe(e)
            ));
            return self.lost_error();
        }
        self.target.database(e)
    }

    /// Take the journal events appended so far.
    pub fn take_events(&self) -> Vec<(i64, Value)> {
        std::mem::take(
            &mut self
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .events,
        )
    }

    /// Write `batch` in one transaction that first checks and renews the
    /// lease: all of it becomes durable, or none of it.
    ///
    /// The statements are pipelined (sent together, answered in order):
    /// one round trip for `BEGIN`, the lease check and the writes, one for
    /// `COMMIT` or `ROLLBACK`. Fencing holds because `COMMIT` is only sent
    /// once the lease check's answer is known.
    pub async fn write(&self, batch: Batch) -> Result<(), StoreError> {
        let client = self.client.lock().await;
        if self.lost.is_cancelled() {
            return Err(self.lost_error());
        }
        let c = &*client;
        let s = &self.statements;
        let run = async {
            match (&batch.run, &batch.current_step) {
                (Some(run), current) => c
                    .execute(
                        &s.put_run,
                        &[
                            &self.id,
                            &run.record,
                            &run.status,
                            &run.title,
                            &run.runbook_path,
                            current,
                        ],
                    )
                    .await
                    .map(drop),
                (None, Some(step)) => c
                    .execute(
                        "UPDATE runbook_runs SET current_step = $2 WHERE id = $1",
                        &[&self.id, step],
                    )
                    .await
                    .map(drop),
                (None, None) => Ok(()),
            }
        };
        let (keys, records): (Vec<&String>, Vec<&Value>) = batch.steps.iter().unzip();
        let steps = async {
            if keys.is_empty() {
                return Ok(());
            }
            c.execute(&s.put_steps, &[&self.id, &keys, &records])
                .await
                .map(drop)
        };
        let (seqs, events): (Vec<i64>, Vec<&Value>) =
            batch.events.iter().map(|(n, e)| (*n, e)).unzip();
        let journal = async {
            if seqs.is_empty() {
                return Ok(());
            }
            c.execute(&s.put_events, &[&self.id, &seqs, &events])
                .await
                .map(drop)
        };
        // Polled in this order, so sent in this order.
        let (begin, renewed, run, steps, journal) = tokio::join!(
            c.batch_execute("BEGIN"),
            lease::renew(c, &s.renew, &self.id, self.token, self.ttl),
            run,
            steps,
            journal
        );
        // A lost lease is decided by the renewal alone: the writes pipelined
        // after it can fail only because of that (e.g. journal numbers the
        // new holder already used), and must be reported as the lost lease.
        let outcome = match begin.and(renewed) {
            Ok(true) => run.and(steps).and(journal).map(|()| true),
            other => other,
        };
        match outcome {
            Ok(true) => c.batch_execute("COMMIT").await.map_err(|e| self.failed(&e)),
            Ok(false) => {
                // Nothing staged is written.
                let _ = c.batch_execute("ROLLBACK").await;
                self.lose("the lease expired or another runner took the run over".into());
                Err(self.lost_error())
            }
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK").await;
                Err(self.failed(&e))
            }
        }
    }

    /// Write the journal events appended so far (fenced like a commit).
    pub async fn flush_journal(&self) -> Result<(), StoreError> {
        let events = self.take_events();
        if events.is_empty() {
            return Ok(());
        }
        self.write(Batch {
            events,
            ..Batch::default()
        })
        .await
    }

    /// Give the run up on exit: write what the journal still holds, then
    /// release the lease, on a fresh connection if this one broke, so that
    /// `resume` can take the run at once.
    pub async fn close(&self) {
        if !self.lost.is_cancelled() {
            let _ = self.flush_journal().await;
        }
        let client = self.client.lock().await;
        if !client.is_closed() && lease::release(&*client, &self.id, self.token).await.is_ok() {
            return;
        }
        drop(client);
        let name = format!("runbook release {}", self.id);
        if let Ok(fresh) = self.target.connect(&name, CancellationToken::new()).await {
            // Best effort: if this fails too, the lease expires by itself.
            let _ = lease::release(&fresh, &self.id, self.token).await;
        }
    }
}

/// Renew the lease every third of its time to live; when that fails, the
/// session may have lost the run: say so at once.
pub(crate) async fn heartbeat(shared: Arc<Shared>) {
    let period = shared.ttl / 3;
    loop {
        tokio::select! {
            _ = shared.closing.cancelled() => return,
            _ = shared.lost.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        let renewed = {
            let client = shared.client.lock().await;
            tokio::time::timeout(
                period,
                lease::renew(
                    &*client,
                    &shared.statements.renew,
                    &shared.id,
                    shared.token,
                    shared.ttl,
                ),
            )
            .await
        };
        let reason = match renewed {
            Ok(Ok(true)) => continue,
            Ok(Ok(false)) => "the lease expired or another runner took the run over".to_string(),
            Ok(Err(e)) => format!("renewing the lease failed ({})", shared.target.describe(&e)),
            Err(_) => "renewing the lease timed out".to_string(),
        };
        // Closing: the session released the lease on purpose.
        if !shared.closing.is_cancelled() {
            shared.lose(reason);
        }
        return;
    }
}

/// Write appended journal events shortly after they arrive, so `status` and
/// `log` follow a step while it runs (as with the sled store's journal file).
pub(crate) async fn flusher(shared: Arc<Shared>) {
    /// Events arriving within this window share one transaction.
    const BATCH_WINDOW: Duration = Duration::from_millis(50);
    loop {
        tokio::select! {
            _ = shared.closing.cancelled() => return,
            _ = shared.lost.cancelled() => return,
            _ = shared.appended.notified() => {}
        }
        tokio::select! {
            _ = shared.closing.cancelled() => return,
            _ = tokio::time::sleep(BATCH_WINDOW) => {}
        }
        if let Err(e) = shared.flush_journal().await {
            shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .error
                .get_or_insert(e.to_string());
        }
    }
}
