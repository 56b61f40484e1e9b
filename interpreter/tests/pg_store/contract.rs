//! The resumability contract and the readers.

use runbook_interpreter::event::{Event, EventKind};
use runbook_interpreter::record::{RunStatus, StepStatus};
use runbook_interpreter::store::{Store, StoreError};

use super::{run_record, scalar, step, store, summary};

#[test]
fn committed_records_round_trip_across_sessions() {
    let (_db, store) = store("contract_round_trip");
    let mut run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut s = store.create(&run).unwrap();
    let mut a = step("a", StepStatus::Succeeded);
    a.bindings = vec![
        ("before".into(), serde_json::json!(3)),
        ("m".into(), serde_json::json!({"z": [1, "x"], "a": 2.5})),
    ];
    let mut rb = step("undo-a", StepStatus::Running);
    rb.rollback = true;
    run.next_seq = 7;
    s.put_run(&run).unwrap();
    s.put_step(&a).unwrap();
    s.put_step(&rb).unwrap();
    s.commit().unwrap();
    drop(s);

    let s = store.open("r1").unwrap();
    let (loaded, mut steps) = s.load().unwrap();
    assert_eq!(loaded, run);
    steps.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(steps, vec![a, rb]);
    assert!(store.exists("r1"));
    assert!(!store.exists("r2"));
}

#[test]
fn staged_writes_are_lost_without_a_commit() {
    let (_db, store) = store("contract_staged");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut s = store.create(&run).unwrap();
    s.put_step(&step("a", StepStatus::Running)).unwrap();
    s.commit().unwrap();
    // Staged, never committed: the process "crashes" (drops the session).
    let mut done = run.clone();
    done.status = RunStatus::Succeeded;
    s.put_run(&done).unwrap();
    s.put_step(&step("a", StepStatus::Succeeded)).unwrap();
    drop(s);

    let s = store.open("r1").unwrap();
    let (loaded, steps) = s.load().unwrap();
    assert_eq!(loaded.status, RunStatus::Running);
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].status, StepStatus::Running);
}

#[test]
fn opening_a_run_that_does_not_exist_is_not_found() {
    let (_db, store) = store("contract_missing");
    let Err(e) = store.open("20261129-0000-abcd") else {
        panic!("no such run");
    };
    assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
    assert!(matches!(
        store.summary("20261129-0000-abcd"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.journal("20261129-0000-abcd"),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn the_journal_keeps_append_order_across_flushes_and_commits() {
    let (_db, store) = store("contract_journal");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut s = store.create(&run).unwrap();
    let journal = s.journal();
    let note = |i: usize| {
        Event::now(EventKind::Note {
            step: "a".into(),
            text: format!("note {i}"),
        })
    };
    for i in 0..150 {
        journal.append(&note(i));
        if i % 40 == 0 {
            s.commit().unwrap();
        }
        if i % 7 == 0 {
            // Give the background flusher a chance to write a batch.
            std::thread::yield_now();
        }
    }
    journal.sync().unwrap();
    assert_eq!(journal.take_error(), None);
    let texts: Vec<String> = store
        .journal("r1")
        .unwrap()
        .into_iter()
        .map(|e| match e.kind {
            EventKind::Note { text, .. } => text,
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    let expected: Vec<String> = (0..150).map(|i| format!("note {i}")).collect();
    assert_eq!(texts, expected);
}

#[test]
fn appended_events_become_visible_while_the_step_runs() {
    let (_db, store) = store("contract_live");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let s = store.create(&run).unwrap();
    s.journal().append(&Event::now(EventKind::StepStarted {
        step: "a".into(),
        index: 1,
        title: "Step a".into(),
        attempt: 1,
    }));
    // No commit, no sync: readers still see it (`status` follows a step).
    super::wait_until("the flusher writes the event", || {
        store.journal("r1").map(|j| j.len() == 1).unwrap_or(false)
    });
    drop(s);
}

#[test]
fn list_is_newest_first_with_who_where_and_current_step() {
    let (db, store) = store("contract_list");
    for (id, created) in [
        ("r-old", "2026-11-28T09:00:00.000Z"),
        ("r-new", "2026-11-29T11:00:00.000Z"),
        ("r-mid", "2026-11-29T08:00:00.000Z"),
    ] {
        let run = run_record(id, created);
        let mut s = store.create(&run).unwrap();
        s.publish(&summary(&run)).unwrap();
        s.put_run(&run).unwrap();
        s.put_step(&step("deploy", StepStatus::Running)).unwrap();
        s.commit().unwrap();
    }
    // A run whose creation was cut short (no summary yet) is not listed.
    let unpublished = store
        .create(&run_record("r-cut", "2026-11-30T00:00:00.000Z"))
        .unwrap();
    drop(unpublished);

    let listed = store.list().unwrap();
    let ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["r-new", "r-mid", "r-old"]);
    for r in &listed {
        assert_eq!(r.started_by.as_deref(), Some("alice"));
        assert_eq!(r.host.as_deref(), Some("laptop"));
        assert_eq!(r.current_step.as_deref(), Some("deploy"));
    }
    assert_eq!(
        scalar(
            &db,
            "SELECT status || ' ' || started_by || ' ' || host FROM runbook_runs WHERE id = 'r-new'"
        )
        .as_deref(),
        Some("running alice laptop"),
        "the listing columns are kept for SQL filters"
    );
}

#[test]
fn a_record_of_a_newer_format_is_refused() {
    let (db, store) = store("contract_format");
    let run = run_record("r1", "2026-11-29T10:00:00.000Z");
    let mut s = store.create(&run).unwrap();
    s.publish(&summary(&run)).unwrap();
    drop(s);
    db.batch_execute(
        "UPDATE runbook_runs SET record = jsonb_set(record, '{format}', '999'),
                                 summary = jsonb_set(summary, '{format}', '999')",
    )
    .unwrap();
    let s = store.open("r1").unwrap();
    let Err(e) = s.load() else {
        panic!("format 999 must be refused");
    };
    assert!(
        matches!(e, StoreError::NewerFormat { found: 999, .. }),
        "{e}"
    );
    assert!(matches!(
        store.summary("r1"),
        Err(StoreError::NewerFormat { found: 999, .. })
    ));
}
