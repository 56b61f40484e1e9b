//! `runbooks/quickstart.runbook`, the README's first command, runs end to end
//! and rolls back.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    the_quickstart_runs_end_to_end_and_rolls_back,
    the_quickstart_waits_for_a_confirmation_without_yes,
);

fn quickstart() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/quickstart.runbook").to_string()
}

fn the_quickstart_runs_end_to_end_and_rolls_back(ws: &Workspace) {
    let workdir = ws.path("scratch");
    let workdir_param = format!("workdir={}", workdir.display());
    let (out, id) = ws.run(&quickstart(), &["--param", &workdir_param, "--yes"]);
    out.assert_code(0);

    let greeting = std::fs::read_to_string(workdir.join("greeting.txt")).unwrap();
    assert_eq!(greeting, "hello from runbook\n");
    assert_eq!(
        std::fs::read_to_string(workdir.join("published.txt")).unwrap(),
        greeting
    );
    assert!(workdir.join("ready").exists());
    assert!(
        out.all().contains("working in"),
        "notes are shown: {}",
        out.all()
    );

    let log = ws.cmd(["log", &id]).output();
    log.assert_code(0);
    assert!(log.stdout.contains("published:"), "{}", log.stdout);
    assert!(
        log.stdout.contains("Publish the greeting to"),
        "{}",
        log.stdout
    );

    ws.cmd(["rollback", &id]).output().assert_code(0);
    assert!(!workdir.exists(), "the undos removed the scratch directory");
}

fn the_quickstart_waits_for_a_confirmation_without_yes(ws: &Workspace) {
    let workdir = ws.path("scratch");
    let workdir_param = format!("workdir={}", workdir.display());
    let (out, id) = ws.run(&quickstart(), &["--param", &workdir_param]);
    out.assert_code(3);
    assert!(!workdir.join("published.txt").exists());
    ws.cmd(["approve", &id]).output().assert_code(0);
    ws.cmd(["resume", &id]).output().assert_code(0);
    assert!(workdir.join("published.txt").exists());
}

#[test]
fn the_quickstart_lints_clean() {
    let out = common::runbook(["lint", "--deny-warnings", &quickstart()]).output();
    out.assert_code(0);
}
