//! Deterministic crash enumeration (SQLite's method): with the test build's
//! failpoint (`RUNBOOK_FAILPOINT_CRASH_AT=N`, interpreter/src/failpoint.rs)
//! the runner aborts at its Nth checkpoint write, before that write is
//! durable. For N = 1, 2, … a fresh run is crashed at N and resumed until it
//! finishes; the loop ends at the first N the run survives. Every crash point
//! a run has is thus tried once, and after each:
//!
//! - every step ran, in order; a step the crashed runner finished is never
//!   run again; only the step it was in may run once more;
//! - an interrupted `once` step is not rerun blindly: resume is refused
//!   (exit 2, naming the step and `--rerun`/`--skip`) until the operator
//!   says `--rerun`;
//! - the bindings the last step sees equal those of an uncrashed run.
//!
//! The same enumeration covers `rollback`: each undo runs, in reverse order,
//! and an undo the crashed rollback finished is not run again.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use std::collections::BTreeSet;

use common::Output;
use run_support::Workspace;

const CRASH_AT: &str = "RUNBOOK_FAILPOINT_CRASH_AT";
const STEPS: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];
/// Far more than the run's checkpoint writes: the loop must end long before.
const MAX_CRASH_POINTS: usize = 60;

/// Whether the failpoint aborted this invocation (SIGABRT, its message).
fn aborted(out: &Output) -> bool {
    out.code.is_none() && out.stderr.contains("failpoint: aborting at checkpoint write")
}

/// `witness` as (step, runner pid) pairs.
fn witness(ws: &Workspace, file: &str) -> Vec<(String, u32)> {
    ws.lines(file)
        .iter()
        .map(|l| {
            let (step, pid) = l
                .split_once(' ')
                .unwrap_or_else(|| panic!("bad witness line {l:?}"));
            (step.to_string(), pid.parse().unwrap())
        })
        .collect()
}

/// The steps each runner process wrote, in the order the processes ran.
fn by_process(lines: &[(String, u32)]) -> Vec<Vec<String>> {
    let mut out: Vec<(u32, Vec<String>)> = Vec::new();
    for (step, pid) in lines {
        match out.last_mut() {
            Some((p, steps)) if p == pid => steps.push(step.clone()),
            _ => out.push((*pid, vec![step.clone()])),
        }
    }
    let pids: BTreeSet<u32> = out.iter().map(|(p, _)| *p).collect();
    assert_eq!(pids.len(), out.len(), "a runner's lines are interleaved: {lines:?}");
    out.into_iter().map(|(_, s)| s).collect()
}

fn uncrashed_bindings() -> Vec<String> {
    let ws = Workspace::new();
    ws.reliability_fixture("crash.runbook");
    let (out, _) = ws.run("crash.runbook", &[]);
    out.assert_code(0);
    let bindings = ws.lines("bindings.txt");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    bindings
}

/// Crash a fresh run at checkpoint write `n`, resume it to the end, check
/// the invariants. `false` when the run finished without reaching write `n`.
fn crash_at(n: usize, expected_bindings: &[String]) -> bool {
    let ws = Workspace::new();
    ws.reliability_fixture("crash.runbook");
    let n_text = n.to_string();
    let first = ws
        .cmd(["run", "crash.runbook"])
        .env(CRASH_AT, &n_text)
        .output();
    if !aborted(&first) {
        first.assert_code(0);
        assert_eq!(ws.lines("bindings.txt"), expected_bindings);
        return false;
    }
    let Some(id) = run_support::run_id(&first.all()) else {
        // Crashed before the run existed: nothing to resume, nothing done.
        assert!(
            ws.lines("witness").is_empty(),
            "write {n}: steps ran before the run was recorded"
        );
        // A run that was never created must not make the store unusable.
        ws.cmd(["runs", "--json"]).output().assert_code(0);
        ws.cmd(["status"]).output().assert_code(0);
        return true;
    };
    let crashed = by_process(&witness(&ws, "witness"));
    let crashed_steps = crashed.first().cloned().unwrap_or_default();
    let last_crashed = crashed_steps.last().cloned();

    let resume = ws.cmd(["resume", &id]).output();
    let mut refused = false;
    let resume = if resume.code == Some(2) {
        // Only an interrupted `once` step may stop the resume.
        refused = true;
        let said = resume.all();
        assert!(
            said.contains("step `s3`") && said.contains("--rerun") && said.contains("--skip"),
            "write {n}: resume refused for another reason: {said}"
        );
        assert_eq!(
            last_crashed.as_deref(),
            Some("s3"),
            "write {n}: refused although s3 was not the interrupted step"
        );
        assert_eq!(
            witness(&ws, "witness").len(),
            crashed_steps.len(),
            "write {n}: the refused resume ran steps"
        );
        ws.cmd(["resume", &id, "--rerun", "s3"]).output()
    } else {
        resume
    };
    resume.assert_code(0);

    let all = witness(&ws, "witness");
    let runs = by_process(&all);
    assert!(runs.len() <= 2, "write {n}: {all:?}");
    let resumed_steps = runs.get(1).cloned().unwrap_or_default();
    // The crashed runner ran s1..sk in order, the resume s(k or k+1)..s5.
    assert_eq!(
        crashed_steps,
        STEPS[..crashed_steps.len()].to_vec(),
        "write {n}: {all:?}"
    );
    let start = STEPS.len() - resumed_steps.len();
    assert_eq!(resumed_steps, STEPS[start..].to_vec(), "write {n}: {all:?}");
    let repeated = crashed_steps.len() + resumed_steps.len() - STEPS.len();
    assert!(
        repeated <= 1,
        "write {n}: a step the crashed runner finished ran again: {all:?}"
    );
    if repeated == 1 && last_crashed.as_deref() == Some("s3") {
        assert!(refused, "write {n}: the once step s3 was rerun without the operator");
    }
    assert_eq!(
        ws.lines("bindings.txt"),
        expected_bindings,
        "write {n}: the last step saw different bindings"
    );
    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["status"], "succeeded", "write {n}: {status}");
    eprintln!(
        "write {n}: crashed after {crashed_steps:?}, resume ran {resumed_steps:?}{}",
        if refused { " after the operator's --rerun s3" } else { "" }
    );
    true
}

#[test]
fn a_crash_at_every_checkpoint_write_resumes_to_the_same_result() {
    let expected = uncrashed_bindings();
    assert_eq!(expected, ["a=6 b=12 list=[6, 3] c=13 d=6-13"]);
    let mut n = 1;
    while crash_at(n, &expected) {
        n += 1;
        assert!(n < MAX_CRASH_POINTS, "the run never finished without a crash");
    }
    // One write per step boundary at least: the enumeration saw them all.
    assert!(n > STEPS.len(), "only {} crash points for {} steps", n - 1, STEPS.len());
}

/// Roll back a failed run with a crash at write `n`, then roll back again
/// until done. `false` when the rollback finished without reaching write `n`.
fn rollback_crash_at(n: usize) -> bool {
    let ws = Workspace::new();
    ws.reliability_fixture("rollback_crash.runbook");
    let (out, id) = ws.run("rollback_crash.runbook", &[]);
    out.assert_code(1);
    let first = ws
        .cmd(["rollback", &id])
        .env(CRASH_AT, n.to_string())
        .output();
    if !aborted(&first) {
        first.assert_code(0);
        let undone: Vec<String> = witness(&ws, "undone").into_iter().map(|(s, _)| s).collect();
        assert_eq!(undone, ["u3", "u2", "u1"]);
        return false;
    }
    let again = ws.cmd(["rollback", &id]).output();
    again.assert_code(0);
    let all = witness(&ws, "undone");
    let runs = by_process(&all);
    assert!(runs.len() <= 2, "write {n}: {all:?}");
    let crashed = runs.first().cloned().unwrap_or_default();
    let resumed = runs.get(1).cloned().unwrap_or_default();
    let order = ["u3", "u2", "u1"];
    assert_eq!(crashed, order[..crashed.len()].to_vec(), "write {n}: {all:?}");
    assert_eq!(
        resumed,
        order[order.len() - resumed.len()..].to_vec(),
        "write {n}: {all:?}"
    );
    assert!(
        crashed.len() + resumed.len() <= order.len() + 1,
        "write {n}: an undo the crashed rollback finished ran again: {all:?}"
    );
    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["status"], "rolled-back", "write {n}: {status}");
    eprintln!("rollback write {n}: crashed after {crashed:?}, then {resumed:?}");
    true
}

#[test]
fn a_crash_at_every_checkpoint_write_of_a_rollback_resumes_it() {
    let mut n = 1;
    while rollback_crash_at(n) {
        n += 1;
        assert!(n < MAX_CRASH_POINTS, "the rollback never finished without a crash");
    }
    assert!(n > 3, "only {} crash points for three undos", n - 1);
}
