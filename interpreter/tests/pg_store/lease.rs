//! Leases: one writer per run, refusal naming the holder, takeover of an
//! expired lease recorded in the journal, fencing of the old holder.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use runbook_interpreter::event::EventKind;
use runbook_interpreter::record::StepStatus;
use runbook_interpreter::store::lock::host_name;
use runbook_interpreter::store::{PgStore, Store, StoreError};

use super::{run_record, scalar, step, store, summary, wait_until};

#[test]
fn a_second_runner_is_refused_with_the_holder_named() {
    let (db, store) = store("lease_refused");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let held = store.create(&run).unwrap();
    // Another runner: its own store (own connections), same database.
    let other = PgStore::connect_with_ttl(&db.url(), Duration::from_secs(30)).unwrap();
    let Err(e) = other.open("r1") else {
        panic!("the run is held");
    };
    assert!(matches!(e, StoreError::Locked { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    assert!(text.contains(&host_name()), "{text}");
    assert!(text.contains("since 20"), "{text}");
    let holder = other.holder("r1").unwrap().unwrap();
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(holder.alive, Some(true));

    // Released on drop: the other runner gets it at once, no takeover.
    drop(held);
    let s = other.open("r1").unwrap();
    assert_eq!(other.holder("r1").unwrap().unwrap().alive, Some(true));
    drop(s);
    assert_eq!(other.holder("r1").unwrap().unwrap().alive, Some(false));
    let journal = other.journal("r1").unwrap();
    assert!(
        !journal
            .iter()
            .any(|e| matches!(e.kind, EventKind::RunTakenOver { .. })),
        "{journal:?}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*)::text FROM runbook_leases").as_deref(),
        Some("1")
    );
}

#[test]
fn an_expired_lease_is_taken_over_recorded_and_the_old_holder_fenced() {
    let (db, store) = store("lease_takeover");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut old = store.create(&run).unwrap();
    old.publish(&summary(&run)).unwrap();
    old.put_step(&step("a", StepStatus::Running)).unwrap();
    old.commit().unwrap();
    let lost = old.lease_lost().unwrap();
    assert!(!lost.is_cancelled());

    // The holder stopped renewing (it hangs, or its host is gone): the
    // lease runs out.
    db.batch_execute("UPDATE runbook_leases SET expires = now() - interval '1 second'")
        .unwrap();
    let other = PgStore::connect_with_ttl(&db.url(), Duration::from_secs(30)).unwrap();
    let mut new = other.open("r1").unwrap();
    let journal = other.journal("r1").unwrap();
    let taken: Vec<_> = journal
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RunTakenOver { pid, host, .. } => Some((*pid, host.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(taken, vec![(std::process::id(), host_name())]);

    // The old holder can record nothing any more, and learns it.
    old.put_step(&step("a", StepStatus::Succeeded)).unwrap();
    let Err(e) = old.commit() else {
        panic!("a fenced runner must not commit");
    };
    assert_eq!(e.code(), "runbook::store::lease_lost");
    assert!(lost.is_cancelled());
    assert!(matches!(
        old.publish(&summary(&run)),
        Err(StoreError::LeaseLost { .. })
    ));
    drop(old); // its release must not free the new holder's lease
    let (_, steps) = new.load().unwrap();
    assert_eq!(steps[0].status, StepStatus::Running);
    new.put_step(&step("a", StepStatus::Succeeded)).unwrap();
    new.commit().unwrap();
    assert_eq!(other.holder("r1").unwrap().unwrap().alive, Some(true));
}

#[test]
fn a_stalled_holder_whose_lease_ran_out_untaken_keeps_its_run() {
    // A loaded machine can stall a runner past its lease. If nobody took the
    // run over meanwhile, nobody else wrote or ran anything: its commits are
    // accepted and the lease is renewed (the token, not the clock, fences).
    let (db, store) = store("lease_stalled");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut held = store.create(&run).unwrap();
    let lost = held.lease_lost().unwrap();
    db.batch_execute("UPDATE runbook_leases SET expires = now() - interval '1 second'")
        .unwrap();
    held.put_step(&step("a", StepStatus::Succeeded)).unwrap();
    held.commit().unwrap();
    held.publish(&summary(&run)).unwrap();
    assert!(!lost.is_cancelled());
    assert_eq!(store.holder("r1").unwrap().unwrap().alive, Some(true));
    let (_, steps) = held.load().unwrap();
    assert_eq!(steps[0].status, StepStatus::Succeeded);
}

#[test]
fn a_dead_holders_lease_expires_by_itself() {
    let db = pg_harness::database("lease_expiry").unwrap();
    let short = PgStore::connect_with_ttl(&db.url(), Duration::from_secs(1)).unwrap();
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let held = short.create(&run).unwrap();
    // The holder's connection is killed: it stops at once and cannot renew.
    let lost = held.lease_lost().unwrap();
    db.batch_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'runbook r1' AND datname = current_database()",
    )
    .unwrap();
    wait_until("the session learns its connection is gone", || {
        lost.is_cancelled()
    });
    // Keep the holder from releasing on exit (as if killed): its lease
    // must run out by itself.
    std::mem::forget(held);
    let other = PgStore::connect_with_ttl(&db.url(), Duration::from_secs(30)).unwrap();
    let mut taken = None;
    wait_until("the lease expires and the run is taken over", || {
        match other.open("r1") {
            Ok(s) => {
                taken = Some(s);
                true
            }
            // Refused while the lease still runs.
            Err(StoreError::Locked { .. }) => false,
            Err(e) => panic!("{e}"),
        }
    });
    assert!(taken.is_some());
    assert!(
        other
            .journal("r1")
            .unwrap()
            .iter()
            .any(|e| matches!(e.kind, EventKind::RunTakenOver { .. })),
        "the takeover is in the journal"
    );
}

#[test]
fn a_session_whose_connection_breaks_cannot_commit_and_releases_on_exit() {
    let (db, store) = store("lease_conn_lost");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut s = store.create(&run).unwrap();
    s.put_step(&step("a", StepStatus::Running)).unwrap();
    s.commit().unwrap();
    let lost = s.lease_lost().unwrap();
    db.batch_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'runbook r1' AND datname = current_database()",
    )
    .unwrap();
    wait_until("the session learns its connection is gone", || {
        lost.is_cancelled()
    });
    s.put_step(&step("a", StepStatus::Succeeded)).unwrap();
    let Err(e) = s.commit() else {
        panic!("nothing can be committed without the connection");
    };
    assert_eq!(e.code(), "runbook::store::lease_lost");
    assert!(e.to_string().contains("connection"), "{e}");
    // Exit releases the lease on a fresh connection: resume works at once.
    drop(s);
    let s = store.open("r1").unwrap();
    let (_, steps) = s.load().unwrap();
    assert_eq!(
        steps[0].status,
        StepStatus::Running,
        "the last commit holds"
    );
}

#[test]
fn eight_runners_racing_for_one_run_exactly_one_wins() {
    let (db, store) = store("lease_race");
    drop(
        store
            .create(&run_record("r1", "2026-11-29T10:00:00.000Z"))
            .unwrap(),
    );
    let url = db.url();
    let start = Arc::new(Barrier::new(8));
    let tried = Arc::new(Barrier::new(8));
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            let (start, tried) = (start.clone(), tried.clone());
            std::thread::spawn(move || {
                let store = PgStore::connect_with_ttl(&url, Duration::from_secs(30)).unwrap();
                start.wait();
                let result = store.open("r1");
                // The winner holds the run until everyone has tried.
                tried.wait();
                result.map(|_session| ())
            })
        })
        .collect();
    let results: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let winners = results.iter().filter(|r| r.is_ok()).count();
    let refused: Vec<String> = results
        .iter()
        .filter_map(|r| match r {
            Err(StoreError::Locked { holder, .. }) => Some(holder.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(winners, 1, "{results:?}");
    assert_eq!(refused.len(), 7, "{results:?}");
    for holder in refused {
        assert!(holder.contains(&host_name()), "{holder}");
    }
}
