//! Corrupted or foreign state never panics and never silently restarts a run
//! at its first step. The commit log is the durable truth and the sled
//! checkpoint database its indexed copy: an emptied, missing, garbled or
//! byte-flipped database is rebuilt from the log (saying so, keeping the
//! damaged copy) and the run resumes where it stopped, no succeeded step
//! repeated. A damaged commit log that is needed, records or frames of a
//! newer format, and a missing run each end with a clear error (exit 2); the
//! summary and the journal are views, repaired by the next resume.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use std::path::PathBuf;

use common::Output;
use run_support::Workspace;

/// gated.runbook, failed in step `two`; `go` and `release` now exist, so a
/// resume would finish it.
fn failed_run(ws: &Workspace) -> String {
    ws.reliability_fixture("gated.runbook");
    let (out, id) = ws.run("gated.runbook", &[]);
    out.assert_code(1);
    ws.touch("go");
    ws.touch("release");
    id
}

fn run_dir(ws: &Workspace, id: &str) -> PathBuf {
    ws.state.join("runs").join(id)
}

/// What the command said, on one line: miette wraps long messages.
fn flat(out: &Output) -> String {
    out.all()
        .replace(['│', '·'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[track_caller]
fn assert_no_panic(out: &Output) {
    assert!(out.code.is_some(), "killed by a signal:\n{}", out.all());
    assert!(!out.all().contains("panicked"), "{}", out.all());
}

/// The command was refused with exit 2 and a message containing `what`, and
/// no step ran again.
#[track_caller]
fn refused(ws: &Workspace, out: &Output, what: &str) {
    assert_no_panic(out);
    out.assert_code(2);
    assert!(
        flat(out).contains(what),
        "expected {what:?}:\n{}",
        out.all()
    );
    assert_eq!(ws.lines("out.txt"), ["one", "two-start"], "a step ran");
}

/// A resume finished the run from step `two`: `one` never ran again.
#[track_caller]
fn resumed_where_it_stopped(ws: &Workspace, out: &Output) {
    assert_no_panic(out);
    out.assert_code(0);
    assert_eq!(
        ws.lines("out.txt"),
        ["one", "two-start", "two-start", "two", "three"]
    );
}

#[test]
fn a_missing_run_is_named() {
    let ws = Workspace::new();
    failed_run(&ws);
    for args in [
        vec!["resume", "20200101-0000-dead"],
        vec!["status", "20200101-0000-dead"],
        vec!["log", "20200101-0000-dead"],
        vec!["rollback", "20200101-0000-dead"],
    ] {
        let out = ws.cmd(&args).output();
        assert_no_panic(&out);
        out.assert_code(2);
        assert!(
            out.all().contains("20200101-0000-dead"),
            "{args:?}: {}",
            out.all()
        );
    }
    assert!(
        !run_dir(&ws, "20200101-0000-dead").exists(),
        "nothing created"
    );
}

/// The resume said it rebuilt the checkpoint database from the commit log.
#[track_caller]
fn said_rebuilt(out: &Output) {
    assert!(
        flat(out).contains("rebuilt it from the commit log"),
        "the recovery is not silent:\n{}",
        out.all()
    );
}

/// The other `checkpoint.corrupt-*` directories kept next to `checkpoint`.
fn kept_aside(ws: &Workspace, id: &str) -> Vec<String> {
    std::fs::read_dir(run_dir(ws, id))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("checkpoint.corrupt-"))
        .collect()
}

fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn an_emptied_checkpoint_database_is_replayed_from_the_commit_log() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let db = run_dir(&ws, &id).join("checkpoint/db");
    assert!(db.is_file(), "sled keeps its data in {}", db.display());
    std::fs::write(&db, b"").unwrap();
    // sled opens an empty file as an empty database: one that is behind the
    // log from its first commit, as after a crash before sled wrote
    // anything. The whole log is replayed.
    let out = ws.cmd(["resume", &id]).output();
    resumed_where_it_stopped(&ws, &out);
}

#[test]
fn a_missing_checkpoint_database_is_rebuilt_from_the_commit_log() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    std::fs::remove_dir_all(run_dir(&ws, &id).join("checkpoint")).unwrap();
    let out = ws.cmd(["resume", &id]).output();
    resumed_where_it_stopped(&ws, &out);
    said_rebuilt(&out);
}

#[test]
fn a_garbled_checkpoint_database_is_kept_aside_and_rebuilt_from_the_commit_log() {
    // What sled 0.34 once left after a kill -9 in the soak test: files it
    // cannot read back ("Read corrupted data at file offset None").
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let checkpoint = run_dir(&ws, &id).join("checkpoint");
    for file in files_under(&checkpoint) {
        let len = std::fs::metadata(&file).unwrap().len() as usize;
        std::fs::write(&file, vec![0xa5; len.max(64)]).unwrap();
    }
    let out = ws.cmd(["resume", &id]).output();
    resumed_where_it_stopped(&ws, &out);
    said_rebuilt(&out);
    let kept = kept_aside(&ws, &id);
    assert_eq!(kept.len(), 1, "the damaged database is kept: {kept:?}");
    assert!(flat(&out).contains(&kept[0]), "and named:\n{}", out.all());
    // The rebuilt database is a good one: the run is done and stays so.
    let again = ws.cmd(["resume", &id]).output();
    assert_no_panic(&again);
    again.assert_code(0);
    assert!(!flat(&again).contains("rebuilt"), "{}", again.all());
}

#[test]
fn flipped_bytes_in_the_checkpoint_database_never_restart_the_run() {
    // sled checksums its log: a flipped byte is either detected (the
    // database is rebuilt from the commit log) or falls in a part sled
    // rewrites; either way the run continues where it stopped.
    for stride in [7usize, 61, 509] {
        let ws = Workspace::new();
        let id = failed_run(&ws);
        let db = run_dir(&ws, &id).join("checkpoint/db");
        let mut bytes = std::fs::read(&db).unwrap();
        for i in (0..bytes.len()).step_by(stride) {
            bytes[i] ^= 0x5a;
        }
        std::fs::write(&db, &bytes).unwrap();
        let out = ws.cmd(["resume", &id]).output();
        resumed_where_it_stopped(&ws, &out);
    }
}

/// Flip one byte in the middle of the commit log (its second frame).
fn flip_in_the_middle_of_the_log(ws: &Workspace, id: &str) -> PathBuf {
    let log = run_dir(ws, id).join("commits.log");
    let mut bytes = std::fs::read(&log).unwrap();
    // The frames start with "RBCL"; the second one's payload.
    let second = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"RBCL")
        .nth(1)
        .map(|(i, _)| i)
        .expect("a second frame");
    bytes[second + 60] ^= 0x01;
    std::fs::write(&log, &bytes).unwrap();
    log
}

#[test]
fn a_damaged_commit_log_is_not_read_while_the_database_is_up_to_date() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    flip_in_the_middle_of_the_log(&ws, &id);
    let out = ws.cmd(["resume", &id]).output();
    resumed_where_it_stopped(&ws, &out);
}

#[test]
fn a_damaged_commit_log_needed_for_a_rebuild_is_refused() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    flip_in_the_middle_of_the_log(&ws, &id);
    std::fs::remove_dir_all(run_dir(&ws, &id).join("checkpoint")).unwrap();
    let out = ws.cmd(["resume", &id]).output();
    refused(&ws, &out, "runbook::store::corrupt");
    assert!(
        flat(&out).contains("commits.log"),
        "names the log: {}",
        out.all()
    );
    // Refused before anything was touched: a second try says the same.
    let again = ws.cmd(["resume", &id]).output();
    refused(&ws, &again, "runbook::store::corrupt");
}

#[test]
fn a_commit_log_of_a_newer_format_is_refused() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let log = run_dir(&ws, &id).join("commits.log");
    let mut bytes = std::fs::read(&log).unwrap();
    // The first frame's format field (after the "RBCL" magic).
    bytes[4..8].copy_from_slice(&999u32.to_le_bytes());
    std::fs::write(&log, &bytes).unwrap();
    std::fs::remove_dir_all(run_dir(&ws, &id).join("checkpoint")).unwrap();
    let out = ws.cmd(["resume", &id]).output();
    refused(&ws, &out, "runbook::store::newer_format");
    assert!(
        flat(&out).contains("999"),
        "names the format: {}",
        out.all()
    );
}

#[test]
fn a_missing_database_and_commit_log_are_refused() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    std::fs::remove_dir_all(run_dir(&ws, &id).join("checkpoint")).unwrap();
    std::fs::remove_file(run_dir(&ws, &id).join("commits.log")).unwrap();
    let out = ws.cmd(["resume", &id]).output();
    refused(&ws, &out, "checkpoint database is missing");
}

#[test]
fn a_truncated_summary_is_reported_and_rebuilt_by_resume() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let summary = run_dir(&ws, &id).join("summary.json");
    let bytes = std::fs::read(&summary).unwrap();
    std::fs::write(&summary, &bytes[..bytes.len() / 2]).unwrap();
    let status = ws.cmd(["status", &id]).output();
    assert_no_panic(&status);
    status.assert_code(2);
    assert!(status.all().contains("summary.json"), "{}", status.all());
    // The checkpoint database is the truth: resume continues at `two`.
    let out = ws.cmd(["resume", &id]).output();
    resumed_where_it_stopped(&ws, &out);
    ws.cmd(["status", &id]).output().assert_code(0);
}

#[test]
fn a_summary_of_a_newer_format_is_refused() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let path = run_dir(&ws, &id).join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    summary["format"] = serde_json::json!(999);
    std::fs::write(&path, serde_json::to_vec(&summary).unwrap()).unwrap();
    let out = ws.cmd(["status", &id]).output();
    assert_no_panic(&out);
    // The same exit code as `resume` refusing a newer record.
    out.assert_code(2);
    assert!(
        flat(&out).contains("runbook::store::newer_format") && flat(&out).contains("999"),
        "names the format: {}",
        out.all()
    );
}

#[test]
fn a_checkpoint_record_of_a_newer_format_is_refused() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    {
        let db = sled::open(run_dir(&ws, &id).join("checkpoint")).unwrap();
        let run = db.get(b"run").unwrap().expect("the run record");
        let mut record: serde_json::Value = serde_json::from_slice(&run).unwrap();
        record["format"] = serde_json::json!(999);
        db.insert(b"run", serde_json::to_vec(&record).unwrap())
            .unwrap();
        db.flush().unwrap();
    }
    let out = ws.cmd(["resume", &id]).output();
    refused(&ws, &out, "999");
}

#[test]
fn a_damaged_journal_line_is_reported_and_the_run_still_resumes() {
    let ws = Workspace::new();
    let id = failed_run(&ws);
    let path = run_dir(&ws, &id).join("journal.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "{text}");
    let mut damaged = lines.clone();
    let middle = lines.len() / 2;
    let cut = &lines[middle][..lines[middle].len() / 2];
    damaged[middle] = cut;
    std::fs::write(&path, format!("{}\n", damaged.join("\n"))).unwrap();
    let log = ws.cmd(["log", &id]).output();
    assert_no_panic(&log);
    assert_ne!(log.code, Some(0), "{}", log.all());
    assert!(
        log.all().contains(&format!("line {}", middle + 1)),
        "names the line: {}",
        log.all()
    );
    // The journal is a log, not the state: resuming is still right.
    let out = ws.cmd(["resume", &id]).output();
    resumed_where_it_stopped(&ws, &out);
}
