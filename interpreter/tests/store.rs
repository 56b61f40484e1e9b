//! The sled store: round trips, the run lock, corruption, file modes.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use runbook_interpreter::event::{Event, EventKind};
use runbook_interpreter::record::{RunRecord, RunStatus, StepRecord, StepStatus, FORMAT_VERSION};
use runbook_interpreter::store::{RunSummary, SledStore, Store, StoreError};

fn run_record(id: &str) -> RunRecord {
    RunRecord {
        format: FORMAT_VERSION,
        id: id.into(),
        runbook_path: "/tmp/x.runbook".into(),
        title: "X".into(),
        hash: "abc".into(),
        params: BTreeMap::new(),
        status: RunStatus::Running,
        created: "2026-11-29T00:00:00.000Z".into(),
        updated: "2026-11-29T00:00:00.000Z".into(),
        waiting: None,
        approvals: Vec::new(),
        rollback: None,
        error: None,
        next_seq: 0,
        started_by: None,
        host: None,
    }
}

#[test]
fn records_round_trip_across_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    let run = run_record("r1");
    let mut step = StepRecord::new("scale", "Scale", 0, "fp1".into(), false);
    step.status = StepStatus::Succeeded;
    step.bindings = vec![
        ("before".into(), serde_json::json!(3)),
        ("m".into(), serde_json::json!({"a": [1, "x"]})),
    ];
    let mut rb_step = StepRecord::new("scale", "Clean", 0, "fp2".into(), false);
    rb_step.rollback = true;
    {
        let mut s = store.create(&run).unwrap();
        s.put_step(&step).unwrap();
        s.put_step(&rb_step).unwrap();
        s.commit().unwrap();
    }
    let s = store.open("r1").unwrap();
    let (loaded, steps) = s.load().unwrap();
    assert_eq!(loaded, run);
    assert_eq!(
        steps.len(),
        2,
        "a main and a rollback step with the same id are kept apart"
    );
    assert!(steps.contains(&step));
    assert!(steps.contains(&rb_step));
}

#[test]
fn a_second_session_is_refused_naming_the_holder_and_freed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    let first = store.create(&run_record("r2")).unwrap();
    let err = store.open("r2").err().expect("the run is locked");
    match &err {
        StoreError::Locked { id, holder } => {
            assert_eq!(id, "r2");
            assert!(
                holder.contains(&format!("pid {}", std::process::id())),
                "{holder}"
            );
            assert!(
                holder.contains(" on ") && holder.contains(" since "),
                "{holder}"
            );
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    assert_eq!(err.code(), "runbook::store::locked");
    // Readers never need the lock.
    let holder = store.holder("r2").unwrap().unwrap();
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(holder.alive, Some(true));
    drop(first);
    store
        .open("r2")
        .expect("lock released when the session ends");
}

#[test]
fn unknown_run_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    assert!(matches!(
        store.open("nope"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.summary("nope"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn an_unreadable_record_is_a_corruption_error_not_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    drop(store.create(&run_record("r3")).unwrap());
    {
        let db = open_sled_when_released(&store.run_dir("r3").join("checkpoint"));
        db.insert("step/broken", &b"{not json"[..]).unwrap();
        db.flush().unwrap();
    }
    let s = store.open("r3").unwrap();
    let err = s.load().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("step/broken"), "{err}");
    assert_eq!(err.code(), "runbook::store::corrupt");
}

#[test]
fn a_missing_run_record_or_checkpoint_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    drop(store.create(&run_record("r4")).unwrap());
    {
        let db = open_sled_when_released(&store.run_dir("r4").join("checkpoint"));
        db.remove("run").unwrap();
        db.flush().unwrap();
    }
    let err = store.open("r4").unwrap().load().unwrap_err();
    assert!(err.to_string().contains("run record is missing"), "{err}");

    // The commit log rebuilds a missing database; without both, nothing can.
    drop(store.create(&run_record("r5")).unwrap());
    std::fs::remove_dir_all(store.run_dir("r5").join("checkpoint")).unwrap();
    let (run, _) = store.open("r5").unwrap().load().unwrap();
    assert_eq!(run.id, "r5");
    std::fs::remove_dir_all(store.run_dir("r5").join("checkpoint")).unwrap();
    std::fs::remove_file(store.run_dir("r5").join("commits.log")).unwrap();
    let err = store.open("r5").err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

#[test]
fn a_newer_format_is_refused_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    let mut run = run_record("r6");
    run.format = FORMAT_VERSION + 1;
    drop(store.create(&run).unwrap());
    let err = store.open("r6").unwrap().load().unwrap_err();
    assert!(
        matches!(err, StoreError::NewerFormat { found, .. } if found == FORMAT_VERSION + 1),
        "{err:?}"
    );
}

#[test]
fn journal_and_summary_are_readable_during_a_session_and_a_torn_last_line_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path());
    let run = run_record("r7");
    let mut s = store.create(&run).unwrap();
    s.publish(&RunSummary::of(&run, vec![("a".into(), "A".into())]))
        .unwrap();
    s.journal().append(&Event::now(EventKind::RunSucceeded));
    // The session is still open (locked): readers work anyway.
    assert_eq!(
        store.summary("r7").unwrap().steps,
        vec![("a".to_string(), "A".to_string())]
    );
    assert_eq!(store.journal("r7").unwrap().len(), 1);
    assert_eq!(store.list().unwrap().len(), 1);

    let path = store.run_dir("r7").join("journal.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"at\":\"x\",\"eve");
    std::fs::write(&path, &text).unwrap();
    assert_eq!(
        store.journal("r7").unwrap().len(),
        1,
        "partial last line ignored"
    );

    text.push_str("\n{\"at\":\"y\"}\n");
    std::fs::write(&path, &text).unwrap();
    let err = store.journal("r7").unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { .. }),
        "a bad complete line is corruption: {err:?}"
    );

    std::fs::write(store.run_dir("r7").join("summary.json"), "garbage").unwrap();
    assert!(matches!(
        store.summary("r7"),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn state_is_private_to_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::new(dir.path().join("state"));
    let run = run_record("r8");
    let mut s = store.create(&run).unwrap();
    s.publish(&RunSummary::of(&run, Vec::new())).unwrap();
    s.journal().append(&Event::now(EventKind::RunSucceeded));
    s.commit().unwrap();
    let run_dir = store.run_dir("r8");
    for p in [run_dir.clone(), run_dir.join("checkpoint")] {
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o700,
            "{}",
            p.display()
        );
    }
    for f in ["lock", "journal.jsonl", "summary.json"] {
        let mode = std::fs::metadata(run_dir.join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
}

/// Open a run's sled database directly, waiting until the session this test
/// just dropped has let go of sled's file lock (sled's threads release it a
/// moment after `drop` returns).
fn open_sled_when_released(path: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.to_string().contains("could not acquire lock"), "{e}");
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("{e}"),
        }
    }
}
