//! Running one statement: prepare, bind, run under the step's deadline
//! (cancelling it on the server when the deadline passes or the run is
//! cancelled), and in dry run inside a transaction that is rolled back.

use std::time::Duration;

use rhai::Dynamic;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::connection::PgConnection;
use super::dry_run;
use super::errors::{self, code};
use super::params;
use crate::ActionError;

/// How long to wait for the server to take a cancel request or a rollback
/// after an interrupted statement.
const CLEAN_UP_TIMEOUT: Duration = Duration::from_secs(10);

/// What the statement is run for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `query`, `query_one`, `scalar`, `setting`: the rows.
    Read(&'static str),
    /// `execute`: the number of rows affected.
    Effect,
}

/// What a statement returned.
pub(crate) enum Outcome {
    Rows(Vec<Row>),
    Affected(u64),
    /// Dry run printed the statement instead of running it.
    NotRun,
}

enum Failure {
    Pg(tokio_postgres::Error),
    Action(ActionError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Pg(e)
    }
}

impl PgConnection {
    /// Runs `sql` with `values` bound to `$1…`; errors are scrubbed of secrets.
    pub(crate) fn run(
        &self,
        sql: &str,
        values: &[Dynamic],
        purpose: Purpose,
    ) -> Result<Outcome, ActionError> {
        self.run_unscrubbed(sql, values, purpose)
            .map_err(|e| errors::scrub(e, &self.inner.secrets))
    }

    fn run_unscrubbed(
        &self,
        sql: &str,
        values: &[Dynamic],
        purpose: Purpose,
    ) -> Result<Outcome, ActionError> {
        let ctx = &self.inner.ctx;
        let dry_run = ctx.dry_run;
        if dry_run {
            if let Some(reason) = dry_run::classify(sql).reason() {
                return self.refuse_in_dry_run(sql, purpose, &reason);
            }
        }
        let client = self.client()?;
        let client = client.as_ref();
        let work = async {
            if dry_run {
                client.batch_execute("BEGIN").await?;
            }
            let outcome = async {
                let statement = client.prepare(sql).await?;
                let bound =
                    params::bind_all(values, statement.params(), sql).map_err(Failure::Action)?;
                let refs: Vec<&(dyn ToSql + Sync)> =
                    bound.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
                Ok::<_, Failure>(match purpose {
                    Purpose::Read(_) => Outcome::Rows(client.query(&statement, &refs).await?),
                    Purpose::Effect => Outcome::Affected(client.execute(&statement, &refs).await?),
                })
            }
            .await;
            if dry_run {
                let rollback = client.batch_execute("ROLLBACK").await;
                if let (Ok(_), Err(e)) = (&outcome, rollback) {
                    return Err(Failure::Pg(e));
                }
            }
            outcome
        };
        let outcome = match ctx.block_on(work) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(Failure::Action(e))) => return Err(e),
            Ok(Err(Failure::Pg(e))) => return Err(errors::statement(&e, sql, &self.inner.target)),
            Err(why) => {
                let cancel_sent = self.cancel_on_server(client);
                if dry_run {
                    self.roll_back_after_interrupt(client);
                }
                return Err(errors::interrupted(&why, sql, cancel_sent));
            }
        };
        if let (Purpose::Effect, Outcome::Affected(n)) = (purpose, &outcome) {
            let statement = format!("{} on {}", dry_run::preview(sql), self.short_target());
            if dry_run {
                ctx.events.dry_run_effect(
                    "pg.execute",
                    &format!("{statement} (would affect {n} rows; rolled back)"),
                );
            } else {
                ctx.events
                    .effect("pg.execute", &format!("{statement} ({n} rows affected)"));
            }
        }
        Ok(outcome)
    }

    /// Dry run met a statement a rollback cannot undo: an effect is printed
    /// and skipped; a read is refused, since its rows would be made up.
    fn refuse_in_dry_run(
        &self,
        sql: &str,
        purpose: Purpose,
        reason: &str,
    ) -> Result<Outcome, ActionError> {
        let preview = dry_run::preview(sql);
        match purpose {
            Purpose::Effect => {
                self.inner.ctx.events.dry_run_effect(
                    "pg.execute",
                    &format!("{preview} on {} ({reason})", self.short_target()),
                );
                Ok(Outcome::NotRun)
            }
            Purpose::Read(method) => Err(ActionError::new(
                code::DRY_RUN,
                format!("dry run did not run `{preview}` for {method}(): {reason}"),
            )
            .with_help(
                "statements that change the server belong in db.execute(...), which dry run prints",
            )
            .locate(sql, 0)),
        }
    }

    /// Asks the server to stop whatever this session runs, so an abandoned
    /// statement does not keep running (and holding locks) on the server.
    fn cancel_on_server(&self, client: &tokio_postgres::Client) -> Result<(), String> {
        let token = client.cancel_token();
        let tls = self.tls();
        let _paused = self.inner.ctx.eval_clock.pause();
        let sent = self
            .inner
            .ctx
            .runtime()
            // The timer must be made inside the runtime, hence the async block.
            .block_on(async {
                tokio::time::timeout(CLEAN_UP_TIMEOUT, token.cancel_query(tls)).await
            });
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(errors::chain(&e)),
            Err(_) => Err(format!("no answer within {}s", CLEAN_UP_TIMEOUT.as_secs())),
        }
    }

    /// Ends the dry run's transaction after an interrupted statement (queued
    /// behind it, so it runs once the cancel took effect).
    fn roll_back_after_interrupt(&self, client: &tokio_postgres::Client) {
        // Best effort: if it fails the connection is gone, and with it the
        // transaction.
        let _paused = self.inner.ctx.eval_clock.pause();
        let _ = self.inner.ctx.runtime().block_on(async {
            tokio::time::timeout(CLEAN_UP_TIMEOUT, client.batch_execute("ROLLBACK")).await
        });
    }

    /// `host:port/dbname`, for effect lines.
    fn short_target(&self) -> String {
        format!("{}/{}", self.inner.target.hosts, self.inner.target.dbname)
    }
}
