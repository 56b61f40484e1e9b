//! An interrupted `once` step is not run again blindly: resume refuses until
//! the operator says `--rerun STEP` or `--skip STEP`.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

/// Start once.runbook, kill -9 the runner while `b` (once) is running.
fn interrupted_in_once_step(ws: &Workspace) -> String {
    ws.fixture("once.runbook");
    let mut runner = ws.spawn("first", &["run", "once.runbook"]);
    let id = runner.wait_run_id();
    ws.wait_until("step b starts", || {
        ws.lines("out.txt").contains(&"b-start".to_string())
    });
    runner.kill9();
    assert_eq!(ws.lines("out.txt"), ["a", "b-start"]);
    id
}

#[test]
fn resume_refuses_to_rerun_an_interrupted_once_step() {
    let ws = Workspace::new();
    let id = interrupted_in_once_step(&ws);
    ws.touch("release");
    let out = ws.cmd(["resume", &id]).output();
    out.assert_code(2);
    let said = out.all();
    assert!(said.contains("step `b`"), "{said}");
    assert!(
        said.contains("--rerun") && said.contains("--skip"),
        "the refusal says how to go on: {said}"
    );
    assert_eq!(ws.lines("out.txt"), ["a", "b-start"], "nothing ran");
}

#[test]
fn rerun_runs_the_once_step_again() {
    let ws = Workspace::new();
    let id = interrupted_in_once_step(&ws);
    ws.touch("release");
    ws.cmd(["resume", &id, "--rerun", "b"])
        .output()
        .assert_code(0);
    assert_eq!(
        ws.lines("out.txt"),
        ["a", "b-start", "b-start", "b-end", "c"]
    );
}

#[test]
fn skip_marks_the_once_step_done_without_running_it() {
    let ws = Workspace::new();
    let id = interrupted_in_once_step(&ws);
    ws.cmd(["resume", &id, "--skip", "b"])
        .output()
        .assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["a", "b-start", "c"]);
}

#[test]
fn rerun_of_a_step_that_was_not_interrupted_is_an_error() {
    let ws = Workspace::new();
    let id = interrupted_in_once_step(&ws);
    let out = ws.cmd(["resume", &id, "--rerun", "nope"]).output();
    out.assert_code(2);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    assert_eq!(ws.lines("out.txt"), ["a", "b-start"]);
}
