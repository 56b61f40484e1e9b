//! `confirm` without a terminal pauses the run (exit 3); `approve` records the
//! answer and `resume` continues. `--yes` answers and the journal says so.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    without_a_terminal_confirm_pauses_until_approved,
    approve_refuses_a_run_that_is_not_waiting,
    yes_answers_and_the_journal_records_it,
);

fn without_a_terminal_confirm_pauses_until_approved(ws: &Workspace) {
    ws.fixture("confirm.runbook");
    let (out, id) = ws.run("confirm.runbook", &[]);
    out.assert_code(3);
    assert!(
        out.all().contains("Proceed with the change?"),
        "{}",
        out.all()
    );
    assert!(
        out.all().contains(&format!("runbook approve {id}")),
        "says how to go on: {}",
        out.all()
    );
    assert_eq!(ws.lines("out.txt"), ["prepare"]);

    let status = ws.cmd(["status", &id]).output();
    status.assert_code(0);
    assert!(status.stdout.contains("waiting"), "{}", status.stdout);

    // Resuming before approving pauses again at the same question.
    ws.cmd(["resume", &id]).output().assert_code(3);
    assert_eq!(ws.lines("out.txt"), ["prepare"]);

    ws.cmd(["approve", &id]).output().assert_code(0);
    ws.cmd(["resume", &id]).output().assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["prepare", "after-confirm"]);
    let status = ws.cmd(["status", &id]).output();
    assert!(status.stdout.contains("succeeded"), "{}", status.stdout);
}

fn approve_refuses_a_run_that_is_not_waiting(ws: &Workspace) {
    ws.fixture("confirm.runbook");
    let (out, id) = ws.run("confirm.runbook", &["--yes"]);
    out.assert_code(0);
    let approve = ws.cmd(["approve", &id]).output();
    approve.assert_code(2);
    assert!(approve.stderr.contains("waiting"), "{}", approve.stderr);
}

fn yes_answers_and_the_journal_records_it(ws: &Workspace) {
    ws.fixture("confirm.runbook");
    let (out, id) = ws.run("confirm.runbook", &["--yes"]);
    out.assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["prepare", "after-confirm"]);

    let log = ws.cmd(["log", &id, "--json"]).output();
    log.assert_code(0);
    let events = run_support::parse_json_list(&log.stdout);
    let answered = events.iter().find(|e| e["event"] == "confirm-answered");
    let answered = answered.unwrap_or_else(|| panic!("no confirm-answered event in {events:#?}"));
    assert_eq!(answered["question"], "Proceed with the change?");
    assert_eq!(answered["yes"], true);
    assert_eq!(answered["by"], "--yes");

    let human = ws.cmd(["log", &id]).output();
    human.assert_code(0);
    assert!(human.stdout.contains("--yes"), "{}", human.stdout);
}
