//! An interrupted `once` step is not run again blindly: resume refuses until
//! the operator says `--rerun STEP` or `--skip STEP`.
//! On both state stores (with PostgreSQL, once the killed runner's lease
//! expired).

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    resume_refuses_to_rerun_an_interrupted_once_step,
    rerun_runs_the_once_step_again,
    skip_marks_the_once_step_done_without_running_it,
    rerun_of_a_step_that_was_not_interrupted_is_an_error,
);

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

fn resume_refuses_to_rerun_an_interrupted_once_step(ws: &Workspace) {
    let id = interrupted_in_once_step(ws);
    ws.touch("release");
    let out = ws.after_kill(&["resume", &id]);
    out.assert_code(2);
    let said = out.all();
    assert!(said.contains("step `b`"), "{said}");
    assert!(
        said.contains("--rerun") && said.contains("--skip"),
        "the refusal says how to go on: {said}"
    );
    assert_eq!(ws.lines("out.txt"), ["a", "b-start"], "nothing ran");
}

fn rerun_runs_the_once_step_again(ws: &Workspace) {
    let id = interrupted_in_once_step(ws);
    ws.touch("release");
    ws.after_kill(&["resume", &id, "--rerun", "b"])
        .assert_code(0);
    assert_eq!(
        ws.lines("out.txt"),
        ["a", "b-start", "b-start", "b-end", "c"]
    );
}

fn skip_marks_the_once_step_done_without_running_it(ws: &Workspace) {
    let id = interrupted_in_once_step(ws);
    ws.after_kill(&["resume", &id, "--skip", "b"])
        .assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["a", "b-start", "c"]);
}

fn rerun_of_a_step_that_was_not_interrupted_is_an_error(ws: &Workspace) {
    let id = interrupted_in_once_step(ws);
    let out = ws.after_kill(&["resume", &id, "--rerun", "nope"]);
    out.assert_code(2);
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    assert_eq!(ws.lines("out.txt"), ["a", "b-start"]);
}
