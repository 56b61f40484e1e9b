//! The PostgreSQL store against a real server (pg-harness): its schema,
//! the resumability contract (commit is the only durability point), leases
//! (refusal naming the holder, takeover recorded, fencing), readers.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod contract;
mod lease;
mod schema;
mod tls;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use runbook_interpreter::record::{RunRecord, RunStatus, StepRecord, StepStatus, FORMAT_VERSION};
use runbook_interpreter::store::{PgStore, RunSummary};

/// Generous: the machines are small and shared.
const DEADLINE: Duration = Duration::from_secs(60);

/// A fresh database and a store connected to it.
fn store(prefix: &str) -> (pg_harness::TestDatabase, PgStore) {
    let db = pg_harness::database(prefix).unwrap();
    let store = PgStore::connect_with_ttl(&db.url(), Duration::from_secs(30)).unwrap();
    (db, store)
}

fn run_record(id: &str, created: &str) -> RunRecord {
    RunRecord {
        format: FORMAT_VERSION,
        id: id.into(),
        runbook_path: "/srv/runbooks/scale.runbook".into(),
        title: "Scale".into(),
        hash: "abc".into(),
        params: BTreeMap::new(),
        status: RunStatus::Running,
        created: created.into(),
        updated: created.into(),
        waiting: None,
        approvals: Vec::new(),
        rollback: None,
        error: None,
        next_seq: 0,
        started_by: Some("alice".into()),
        host: Some("laptop".into()),
    }
}

fn step(id: &str, status: StepStatus) -> StepRecord {
    let mut s = StepRecord::new(id, &format!("Step {id}"), 0, "fp".into(), false);
    s.status = status;
    s
}

fn summary(run: &RunRecord) -> RunSummary {
    RunSummary::of(run, vec![("a".into(), "Step a".into())])
}

/// Wait until `cond` holds, or panic naming `what`.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One text value `sql` returns.
fn scalar(db: &pg_harness::TestDatabase, sql: &str) -> Option<String> {
    db.query_column(sql).unwrap().into_iter().next().flatten()
}
