//! Resuming after the runbook file changed: a changed step that already
//! succeeded stops the resume (naming it) unless `--accept-changes`; changed
//! steps that have not succeeded are simply used.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    a_changed_succeeded_step_stops_the_resume_naming_it,
    a_changed_pending_step_is_used,
    comments_and_layout_are_not_changes,
);

/// three_steps.runbook fails at s3 (no gate): s1 and s2 succeeded. Then
/// its text `from` is replaced by `to`; the failed run's id.
fn failed_at_step_3_then_edited(ws: &Workspace, from: &str, to: &str) -> String {
    ws.fixture("three_steps.runbook");
    let (out, id) = ws.run("three_steps.runbook", &[]);
    out.assert_code(1);
    assert_eq!(ws.lines("out.txt"), ["s1", "s2"]);
    ws.edit("three_steps.runbook", from, to);
    id
}

fn a_changed_succeeded_step_stops_the_resume_naming_it(ws: &Workspace) {
    let id = failed_at_step_3_then_edited(ws, "echo s2 >> out.txt", "echo s2-changed >> out.txt");
    ws.touch("gate");

    let out = ws.cmd(["resume", &id]).output();
    out.assert_code(2);
    assert!(
        out.stderr.contains("step `s2`"),
        "names the changed step: {}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("`s1`"),
        "s1 did not change: {}",
        out.stderr
    );
    assert!(out.stderr.contains("--accept-changes"), "{}", out.stderr);
    assert_eq!(ws.lines("out.txt"), ["s1", "s2"], "nothing ran");

    ws.cmd(["resume", &id, "--accept-changes"])
        .output()
        .assert_code(0);
    assert_eq!(
        ws.lines("out.txt"),
        ["s1", "s2", "s3"],
        "succeeded steps are not re-run"
    );
}

fn a_changed_pending_step_is_used(ws: &Workspace) {
    // Fix the failed step instead of opening the gate.
    let id = failed_at_step_3_then_edited(
        ws,
        "assert sh(\"test -e gate\").code == 0 else \"the gate is closed\"\n  sh \"echo s3 >> out.txt\"",
        "sh \"echo s3-fixed >> out.txt\"",
    );
    ws.cmd(["resume", &id]).output().assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["s1", "s2", "s3-fixed"]);
}

fn comments_and_layout_are_not_changes(ws: &Workspace) {
    let id = failed_at_step_3_then_edited(
        ws,
        "step s1 \"First\" {",
        "# a new comment\nstep s1 \"First\" {",
    );
    ws.touch("gate");
    ws.cmd(["resume", &id]).output().assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["s1", "s2", "s3"]);
}
