//! The step's timeout and run cancellation stop a statement on the server,
//! not only in runbook.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use std::time::Duration;

use common::assert_mentions;
use pg_support::{eventually, Pg};
use tokio_util::sync::CancellationToken;

/// Generous for a loaded machine, and still far below the 60 s sleep, so a
/// statement that was merely abandoned would still be seen running.
const GONE_WITHIN: Duration = Duration::from_secs(30);

fn running(pg: &Pg, query: &str) -> usize {
    pg.column(&format!(
        "SELECT pid::text FROM pg_stat_activity \
         WHERE datname = current_database() AND state = 'active' AND query = '{}'",
        query.replace('\'', "''")
    ))
    .len()
}

#[test]
fn a_statement_past_the_step_timeout_is_cancelled_on_the_server() {
    let mut pg = Pg::new("deadline");
    pg.enter_step(CancellationToken::new(), Some(Duration::from_secs(1)));
    let err = pg.err("db.scalar(\"SELECT pg_sleep(60)\")");
    assert_eq!(err.code, "runbook::run::pg::timeout");
    assert_eq!(
        err.message,
        "the step's timeout elapsed while PostgreSQL ran `SELECT pg_sleep(60)`; a cancel request was sent to the server"
    );
    eventually(GONE_WITHIN, "pg_sleep(60) to stop on the server", || {
        running(&pg, "SELECT pg_sleep(60)") == 0
    });

    // The connection is still usable in the next step.
    pg.enter_step(CancellationToken::new(), None);
    assert_eq!(pg.ok("db.scalar(\"SELECT 41 + 1\")").as_int(), Ok(42));
}

#[test]
fn cancelling_the_run_cancels_the_statement_on_the_server() {
    let mut pg = Pg::new("cancel");
    let token = CancellationToken::new();
    pg.enter_step(token.clone(), None);
    let query = "SELECT pg_sleep(60), 'cancel-me'";
    let db = pg_harness::database("cancel_watch").unwrap();
    let watched = pg.db.name().to_string();
    let canceller = std::thread::spawn(move || {
        let sql = format!(
            "SELECT pid::text FROM pg_stat_activity WHERE datname = '{watched}' AND state = 'active' \
             AND query LIKE '%cancel-me%' AND query NOT LIKE '%pg_stat_activity%'"
        );
        eventually(GONE_WITHIN, "the statement to start", || {
            !db.query_column(&sql).unwrap().is_empty()
        });
        token.cancel();
    });
    let err = pg.err(&format!("db.query(\"{}\")", query.replace('"', "\\\"")));
    canceller.join().unwrap();
    assert_eq!(err.code, "runbook::run::pg::cancelled");
    assert_mentions(&err.message, "a cancel request was sent to the server");
    eventually(GONE_WITHIN, "the statement to stop on the server", || {
        running(&pg, query) == 0
    });
}

#[test]
fn an_interrupted_dry_run_statement_leaves_nothing_behind() {
    let mut pg = Pg::dry_run("deadline_dry");
    pg.setup("CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
    pg.enter_step(CancellationToken::new(), Some(Duration::from_secs(1)));
    let err = pg.err("db.execute(\"UPDATE t SET x = 2 WHERE pg_sleep(60) IS NOT NULL\")");
    assert_eq!(err.code, "runbook::run::pg::timeout");
    eventually(
        GONE_WITHIN,
        "the update to stop and its transaction to end",
        || {
            pg.column(
                "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
             AND (query LIKE 'UPDATE t SET x = 2%' OR state LIKE 'idle in transaction%')",
            )
            .is_empty()
        },
    );
    pg.enter_step(CancellationToken::new(), None);
    assert_eq!(
        pg.ok("db.scalar(\"SELECT sum(x) FROM t\")").to_string(),
        "1"
    );
    assert!(
        pg.sink.dry_run_effects().is_empty(),
        "an interrupted statement is not reported as done"
    );
}
