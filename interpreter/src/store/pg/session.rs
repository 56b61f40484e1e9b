//! A run held through a lease: staged writes, one transaction per commit.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::connect::Target;
use super::journal::{journal_error, PgJournal};
use super::lease;
use super::shared::{flusher, heartbeat, Batch, Pending, Shared, StagedRun, Statements};
use super::worker::{Worker, REQUEST_TIMEOUT};
use super::{decode, not_found};
use crate::event::{Event, EventKind};
use crate::record::{RunRecord, StepRecord, StepStatus};
use crate::store::{Journal, RunSession, RunSummary, StoreError};

/// What opening a session needs from the store.
pub(crate) struct Opening {
    pub target: Arc<Target>,
    pub ttl: Duration,
    pub id: String,
    /// `Some` to create the run, `None` to open an existing one.
    pub create: Option<RunRecord>,
}

/// Connect, then (in one transaction) create the run or check it exists,
/// and take its lease. Runs on the store thread.
pub(crate) async fn open(o: Opening) -> Result<Arc<Shared>, StoreError> {
    let lost = CancellationToken::new();
    let mut client = o
        .target
        .connect(&format!("runbook {}", o.id), lost.clone())
        .await?;
    let db = |e: tokio_postgres::Error| o.target.database(&e);
    let token = Uuid::new_v4();
    let tx = client.transaction().await.map_err(db)?;
    let mut takeover = None;
    match &o.create {
        Some(record) => {
            let json = serde_json::to_value(record).map_err(|e| StoreError::Database {
                url: o.target.redacted.clone(),
                detail: format!("cannot encode run `{}`: {e}", o.id),
            })?;
            let inserted = tx
                .execute(
                    "INSERT INTO runbook_runs
                       (id, record, runbook_path, title, status, started_by, host, created)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO NOTHING",
                    &[
                        &o.id,
                        &json,
                        &record.runbook_path,
                        &record.title,
                        &record.status.name(),
                        &record.started_by,
                        &record.host,
                        &record.created,
                    ],
                )
                .await
                .map_err(db)?;
            if inserted == 0 {
                // `api::create` retries with a fresh id on this error.
                return Err(StoreError::Io {
                    path: format!("{} (run {})", o.target.redacted, o.id).into(),
                    source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
                });
            }
            lease::acquire(&tx, &o.target, &o.id, token, o.ttl).await?;
        }
        None => {
            let found = tx
                .query_opt("SELECT 1 FROM runbook_runs WHERE id = $1", &[&o.id])
                .await
                .map_err(db)?;
            if found.is_none() {
                return Err(not_found(&o.target, &o.id));
            }
            takeover = lease::acquire(&tx, &o.target, &o.id, token, o.ttl).await?;
        }
    }
    let last: i64 = tx
        .query_one(
            "SELECT coalesce(max(seq), 0) FROM runbook_journal WHERE run_id = $1",
            &[&o.id],
        )
        .await
        .map_err(db)?
        .get(0);
    let mut next_seq = last + 1;
    if let Some(p) = takeover {
        // Recorded with the takeover itself: the journal shows who had the
        // run and that its lease had run out.
        let event = Event::now(EventKind::RunTakenOver {
            pid: p.pid,
            host: p.host,
            since: p.since,
            expired: p.expired,
        });
        let json = serde_json::to_value(&event).map_err(|e| StoreError::Database {
            url: o.target.redacted.clone(),
            detail: format!("cannot encode the takeover event: {e}"),
        })?;
        tx.execute(
            "INSERT INTO runbook_journal (run_id, seq, event) VALUES ($1, $2, $3)",
            &[&o.id, &next_seq, &json],
        )
        .await
        .map_err(db)?;
        next_seq += 1;
    }
    tx.commit().await.map_err(db)?;
    let statements = Statements::prepare(&client).await.map_err(db)?;
    let shared = Arc::new(Shared {
        id: o.id,
        token,
        ttl: o.ttl,
        target: o.target,
        client: tokio::sync::Mutex::new(client),
        statements,
        pending: Mutex::new(Pending {
            next_seq,
            ..Pending::default()
        }),
        appended: Notify::new(),
        lost,
        lost_reason: Mutex::new(None),
        closing: CancellationToken::new(),
    });
    tokio::spawn(heartbeat(shared.clone()));
    tokio::spawn(flusher(shared.clone()));
    Ok(shared)
}

/// Exclusive access to one run while its lease is held.
pub(crate) struct PgSession {
    pub shared: Arc<Shared>,
    pub worker: Arc<Worker>,
    pub staged: Batch,
}

/// Run a session request on the store thread, bounded by
/// [`REQUEST_TIMEOUT`]. A request that does not finish in time leaves the
/// session unable to prove it holds the lease: it is treated as lost.
pub(crate) fn request<T: Send + 'static>(
    worker: &Worker,
    shared: &Shared,
    fut: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    match // The timer is made inside the future: only the store thread has a
    // runtime with a timer (the caller may have none).
    worker.call(async move { tokio::time::timeout(REQUEST_TIMEOUT, fut).await }) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => {
            shared.lose(format!(
                "the state store did not answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            ));
            Err(shared.lost_error())
        }
        Err(_) => Err(StoreError::Database {
            url: shared.target.redacted.clone(),
            detail: "the state store's thread stopped".into(),
        }),
    }
}

impl PgSession {
    fn encode<T: serde::Serialize>(&self, what: &str, value: &T) -> Result<Value, StoreError> {
        serde_json::to_value(value).map_err(|e| StoreError::Database {
            url: self.shared.target.redacted.clone(),
            detail: format!("cannot encode {what} of run `{}`: {e}", self.shared.id),
        })
    }
}

fn step_key(step: &StepRecord) -> String {
    let prefix = if step.rollback { "rb/" } else { "step/" };
    format!("{prefix}{}", step.id)
}

impl RunSession for PgSession {
    fn id(&self) -> &str {
        &self.shared.id
    }

    fn load_run(&self) -> Result<RunRecord, StoreError> {
        let shared = self.shared.clone();
        request(&self.worker, &self.shared, async move {
            let client = shared.client.lock().await;
            let id = &shared.id;
            let run = client
                .query_opt("SELECT record FROM runbook_runs WHERE id = $1", &[id])
                .await
                .map_err(|e| shared.failed(&e))?
                .ok_or_else(|| not_found(&shared.target, id))?;
            decode(&shared.target, id, "run", run.get(0))
        })
    }

    fn load_steps(&self) -> Result<Vec<StepRecord>, StoreError> {
        let shared = self.shared.clone();
        request(&self.worker, &self.shared, async move {
            let client = shared.client.lock().await;
            let id = &shared.id;
            let rows = client
                .query(
                    "SELECT key, record FROM runbook_steps WHERE run_id = $1 ORDER BY key",
                    &[id],
                )
                .await
                .map_err(|e| shared.failed(&e))?;
            let mut steps = Vec::with_capacity(rows.len());
            for row in rows {
                let key: String = row.get(0);
                steps.push(decode(&shared.target, id, &key, row.get(1))?);
            }
            Ok(steps)
        })
    }

    fn put_run(&mut self, run: &RunRecord) -> Result<(), StoreError> {
        let record = self.encode("the run record", run)?;
        self.staged.run = Some(StagedRun {
            record,
            status: run.status.name().to_string(),
            title: run.title.clone(),
            runbook_path: run.runbook_path.clone(),
        });
        Ok(())
    }

    fn put_step(&mut self, step: &StepRecord) -> Result<(), StoreError> {
        let record = self.encode("a step record", step)?;
        if step.status == StepStatus::Running {
            self.staged.current_step = Some(step.id.clone());
        }
        self.staged.steps.insert(step_key(step), record);
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(e) = self.journal_failure() {
            return Err(e);
        }
        crate::failpoint::checkpoint_write(); // test builds only: crash enumeration
        let mut batch = std::mem::take(&mut self.staged);
        batch.events = self.shared.take_events();
        let shared = self.shared.clone();
        request(&self.worker, &self.shared, async move {
            shared.write(batch).await
        })
    }

    fn publish(&mut self, summary: &RunSummary) -> Result<(), StoreError> {
        let json = self.encode("the summary", summary)?;
        let shared = self.shared.clone();
        request(&self.worker, &self.shared, async move {
            let client = shared.client.lock().await;
            if shared.lost.is_cancelled() {
                return Err(shared.lost_error());
            }
            // Fenced like a commit: only the lease holder changes what
            // readers see.
            let n = client
                .execute(
                    "UPDATE runbook_runs SET summary = $2
                     WHERE id = $1 AND EXISTS (
                       SELECT 1 FROM runbook_leases
                       WHERE run_id = $1 AND token = $3 AND NOT released)",
                    &[&shared.id, &json, &shared.token],
                )
                .await
                .map_err(|e| shared.failed(&e))?;
            if n == 1 {
                Ok(())
            } else {
                shared.lose("the lease expired or another runner took the run over".into());
                Err(shared.lost_error())
            }
        })
    }

    fn journal(&self) -> Arc<dyn Journal> {
        Arc::new(PgJournal {
            shared: self.shared.clone(),
            worker: self.worker.clone(),
        })
    }

    fn lease_lost(&self) -> Option<CancellationToken> {
        Some(self.shared.lost.clone())
    }
}

impl PgSession {
    fn journal_failure(&self) -> Option<StoreError> {
        let e = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .error
            .take()?;
        Some(journal_error(&self.shared, e))
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        self.shared.closing.cancel();
        let shared = self.shared.clone();
        // Bounded: a server that does not answer must not hold the exit;
        // the lease then expires by itself.
        let _ = self.worker.call(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), shared.close()).await;
        });
    }
}
