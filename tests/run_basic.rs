//! A run that succeeds; a run that fails at step 3 and is resumed without
//! re-running steps 1–2. On both state stores.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    a_run_that_succeeds_runs_every_step_once,
    a_failed_run_resumes_at_the_failed_step,
    the_state_flag_and_the_environment_variable_name_the_same_store,
);

fn a_run_that_succeeds_runs_every_step_once(ws: &Workspace) {
    ws.fixture("three_steps.runbook");
    ws.touch("gate");
    let (out, id) = ws.run("three_steps.runbook", &[]);
    out.assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["s1", "s2", "s3"]);

    let status = ws.cmd(["status", &id]).output();
    status.assert_code(0);
    assert!(status.stdout.contains("succeeded"), "{}", status.stdout);

    let runs = ws.stored_runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(runs[0].to_string().contains(&id));
}

fn a_failed_run_resumes_at_the_failed_step(ws: &Workspace) {
    ws.fixture("three_steps.runbook");
    let (out, id) = ws.run("three_steps.runbook", &[]);
    out.assert_code(1);
    assert!(out.all().contains("the gate is closed"), "{}", out.all());
    assert_eq!(ws.lines("out.txt"), ["s1", "s2"]);

    let status = ws.cmd(["status", &id]).output();
    status.assert_code(0);
    assert!(status.stdout.contains("failed"), "{}", status.stdout);

    ws.touch("gate");
    ws.cmd(["resume", &id]).output().assert_code(0);
    assert_eq!(
        ws.lines("out.txt"),
        ["s1", "s2", "s3"],
        "steps 1 and 2 ran again"
    );

    // A finished run has nothing left to do.
    let again = ws.cmd(["resume", &id]).output();
    again.assert_code(0);
    assert!(again.all().contains("already succeeded"), "{}", again.all());
    assert_eq!(ws.lines("out.txt"), ["s1", "s2", "s3"]);
}

fn the_state_flag_and_the_environment_variable_name_the_same_store(ws: &Workspace) {
    ws.fixture("three_steps.runbook");
    ws.touch("gate");
    let state = ws.state_arg();
    let out = common::runbook(["run", "three_steps.runbook", "--state", &state])
        .current_dir(ws.dir.path())
        .output();
    out.assert_code(0);
    let id = run_support::run_id(&out.all()).unwrap();
    // Found through RUNBOOK_STATE.
    ws.cmd(["status", &id]).output().assert_code(0);
}
