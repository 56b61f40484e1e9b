//! `--dry-run` prints effects instead of performing them and stores nothing,
//! on either state store.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(dry_run_prints_effects_and_leaves_no_trace,);

fn dry_run_prints_effects_and_leaves_no_trace(ws: &Workspace) {
    ws.fixture("three_steps.runbook");
    let out = ws.cmd(["run", "three_steps.runbook", "--dry-run"]).output();
    out.assert_code(0);
    for command in [
        "echo s1 >> out.txt",
        "echo s2 >> out.txt",
        "echo s3 >> out.txt",
    ] {
        assert!(
            out.stdout.contains(command),
            "effect {command:?} not shown:\n{}",
            out.stdout
        );
    }
    assert!(!ws.path("out.txt").exists(), "a command ran");
    assert!(ws.stored_runs().is_empty(), "a run was stored");
    assert!(
        !ws.store_holds_anything(),
        "the store holds something; files: {:?}",
        run_support::files_under(&ws.state)
    );
}
