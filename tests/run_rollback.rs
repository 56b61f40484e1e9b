//! `runbook rollback RUN` runs the registered undos in reverse order (a
//! failed step's too), then the `rollback` block; a killed rollback resumes.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    undos_run_in_reverse_order_then_the_rollback_block,
    a_killed_rollback_resumes_without_repeating_finished_undos,
);

/// rollback.runbook fails in step four, after registering its undo.
fn failed_at_four(ws: &Workspace) -> String {
    ws.fixture("rollback.runbook");
    let (out, id) = ws.run("rollback.runbook", &[]);
    out.assert_code(1);
    assert_eq!(ws.lines("out.txt"), ["one", "two", "three", "four"]);
    id
}

fn undos_run_in_reverse_order_then_the_rollback_block(ws: &Workspace) {
    let id = failed_at_four(ws);
    ws.touch("release");
    ws.cmd(["rollback", &id]).output().assert_code(0);
    assert_eq!(
        ws.lines("out.txt")[4..],
        [
            "undo-four",
            "undo-three",
            "undo-two-start",
            "undo-two",
            "undo-one",
            "cleanup"
        ]
    );
    let status = ws.cmd(["status", &id]).output();
    assert!(status.stdout.contains("rolled-back"), "{}", status.stdout);

    // Nothing is undone twice.
    let again = ws.cmd(["rollback", &id]).output();
    again.assert_code(0);
    assert!(
        again.all().contains("already rolled back"),
        "{}",
        again.all()
    );
    assert_eq!(ws.lines("out.txt").len(), 10);
}

fn a_killed_rollback_resumes_without_repeating_finished_undos(ws: &Workspace) {
    let id = failed_at_four(ws);
    let mut runner = ws.spawn("rollback1", &["rollback", &id]);
    ws.wait_until("undo of two starts", || {
        ws.lines("out.txt").contains(&"undo-two-start".to_string())
    });
    runner.kill9();
    assert_eq!(
        ws.lines("out.txt")[4..],
        ["undo-four", "undo-three", "undo-two-start"]
    );

    ws.touch("release");
    ws.after_kill(&["rollback", &id]).assert_code(0);
    assert_eq!(
        ws.lines("out.txt")[4..],
        [
            "undo-four",
            "undo-three",
            "undo-two-start",
            "undo-two-start",
            "undo-two",
            "undo-one",
            "cleanup"
        ],
        "only the interrupted undo ran again"
    );
}
