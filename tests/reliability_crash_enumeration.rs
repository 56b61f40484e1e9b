//! Deterministic crash enumeration (SQLite's method): with the test build's
//! failpoints (`RUNBOOK_FAILPOINT_CRASH_AT=N`, `RUNBOOK_FAILPOINT_SITE=S`,
//! interpreter/src/failpoint.rs) the runner aborts the Nth time it reaches
//! write point S of the store. The points of a checkpoint commit, in order:
//! before anything is written, halfway through appending the commit-log
//! frame (a torn append), after the append, after its `fdatasync`, after
//! sled got the writes; and those of the commit log's compaction (the new
//! log written, then renamed): the runner's `Site::ALL`. For each point and
//! N = 1, 2, … a fresh run is crashed at N and resumed until it finishes;
//! the loop ends at the first N the run survives. Every crash point a run
//! has is thus tried once, and after each:
//!
//! Each step appends `<step> <attempt>` to the fsynced `witness` file.
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

use common::Output;
use run_support::Workspace;
// The write points and the variables arming them, as the runner reads them.
use runbook_interpreter::failpoint::{
    Site, COMPACT_BYTES_ENV, CRASH_AT_ENV, SITE_ENV, SLED_BATCH_ENV,
};

/// Whether the commit being written survives a crash at `site` (the frame
/// reached the file: a process crash keeps the page cache).
fn commit_survives(site: Site) -> bool {
    match site {
        Site::LogWritten | Site::LogSynced | Site::SledApplied => true,
        Site::BeforeAppend | Site::TornAppend | Site::CompactWritten | Site::CompactRenamed => {
            false
        }
    }
}

/// How many times a run (of `commits` commits) at least reaches `site`. No
/// wildcard: a new write point must be placed here (the tests crash at
/// every one [`Site::ALL`] lists).
fn occurrences(site: Site, commits: usize) -> usize {
    match site {
        Site::CompactWritten | Site::CompactRenamed => 1, // at the end
        Site::SledApplied => commits / 3,
        Site::BeforeAppend | Site::TornAppend | Site::LogWritten | Site::LogSynced => commits,
    }
}

/// Every invocation compacts the commit log at its end (its size limit is
/// otherwise 8 MiB), so the compaction's write points are reached and every
/// resume after a crash starts from a compacted log; and gives sled the
/// commits in batches of 3 (64 otherwise), so a small run reaches
/// `sled-applied` several times and crashes leave sled behind the log by a
/// partial batch.
fn store_env(cmd: common::Cmd) -> common::Cmd {
    cmd.env(COMPACT_BYTES_ENV, "1").env(SLED_BATCH_ENV, "3")
}

/// The invocation that crashes.
fn armed(cmd: common::Cmd, site: Site, n: usize) -> common::Cmd {
    store_env(cmd)
        .env(CRASH_AT_ENV, n.to_string())
        .env(SITE_ENV, site.name())
}
const STEPS: [&str; 5] = ["s1", "s2", "s3", "s4", "s5"];
/// Far more than the run's checkpoint writes: the loop must end long before.
const MAX_CRASH_POINTS: usize = 60;

/// Whether the failpoint aborted this invocation (SIGABRT, its message).
fn aborted(out: &Output) -> bool {
    out.code.is_none()
        && out
            .stderr
            .contains("failpoint: aborting at checkpoint write")
}

/// A witness file as (step, attempt) pairs: the attempt is the number the
/// test gave the invocation in `$ATTEMPT`.
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

/// The steps invocation `attempt` wrote, in order; the lines of each
/// invocation must be contiguous (one runner at a time).
fn steps_of(lines: &[(String, u32)], attempt: u32) -> Vec<String> {
    let positions: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].1 == attempt)
        .collect();
    if let (Some(first), Some(last)) = (positions.first(), positions.last()) {
        assert_eq!(last - first + 1, positions.len(), "interleaved: {lines:?}");
    }
    positions.iter().map(|&i| lines[i].0.clone()).collect()
}

fn uncrashed_bindings() -> Vec<String> {
    let ws = Workspace::new();
    ws.reliability_fixture("crash.runbook");
    let out = store_env(ws.cmd(["run", "crash.runbook"]))
        .env("ATTEMPT", "1")
        .output();
    out.assert_code(0);
    let bindings = ws.lines("bindings.txt");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    bindings
}

/// Crash a fresh run at the `n`th time it reaches `site`, resume it to the
/// end, check the invariants. `false` when the run finished without
/// reaching it.
fn crash_at(site: Site, n: usize, expected_bindings: &[String]) -> bool {
    let ws = Workspace::new();
    ws.reliability_fixture("crash.runbook");
    let first = armed(ws.cmd(["run", "crash.runbook"]), site, n)
        .env("ATTEMPT", "1")
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
            "{site:?} {n}: steps ran before the run was recorded"
        );
        // A run that was never created must not make the store unusable.
        ws.cmd(["runs", "--json"]).output().assert_code(0);
        ws.cmd(["status"]).output().assert_code(0);
        return true;
    };
    let crashed_steps = steps_of(&witness(&ws, "witness"), 1);
    let last_crashed = crashed_steps.last().cloned();

    let resume = store_env(ws.cmd(["resume", &id]))
        .env("ATTEMPT", "2")
        .output();
    let mut refused = false;
    let resume = if resume.code == Some(2) {
        // Only an interrupted `once` step may stop the resume.
        refused = true;
        let said = resume.all();
        assert!(
            said.contains("step `s3`") && said.contains("--rerun") && said.contains("--skip"),
            "{site:?} {n}: resume refused for another reason: {said}"
        );
        // s3 is the step the crashed runner was in; or, where the commit
        // marking it `running` survived the crash, the one it was entering.
        let entering_s3 = commit_survives(site) && last_crashed.as_deref() == Some("s2");
        assert!(
            last_crashed.as_deref() == Some("s3") || entering_s3,
            "{site:?} {n}: refused although s3 was not the interrupted step (last ran: {last_crashed:?})"
        );
        assert_eq!(
            witness(&ws, "witness").len(),
            crashed_steps.len(),
            "{site:?} {n}: the refused resume ran steps"
        );
        store_env(ws.cmd(["resume", &id, "--rerun", "s3"]))
            .env("ATTEMPT", "3")
            .output()
    } else {
        resume
    };
    resume.assert_code(0);

    let all = witness(&ws, "witness");
    // The refused resume (attempt 2) ran nothing; the one that went on did.
    let resumed_steps = [steps_of(&all, 2), steps_of(&all, 3)].concat();
    assert_eq!(
        all.len(),
        crashed_steps.len() + resumed_steps.len(),
        "{all:?}"
    );
    // The crashed runner ran s1..sk in order, the resume s(k or k+1)..s5.
    assert_eq!(
        crashed_steps,
        STEPS[..crashed_steps.len()].to_vec(),
        "{site:?} {n}: {all:?}"
    );
    let start = STEPS.len() - resumed_steps.len();
    assert_eq!(
        resumed_steps,
        STEPS[start..].to_vec(),
        "{site:?} {n}: {all:?}"
    );
    let repeated = (crashed_steps.len() + resumed_steps.len())
        .checked_sub(STEPS.len())
        .unwrap_or_else(|| panic!("{site:?} {n}: a step never ran: {all:?}"));
    assert!(
        repeated <= 1,
        "{site:?} {n}: a step the crashed runner finished ran again: {all:?}"
    );
    if repeated == 1 && last_crashed.as_deref() == Some("s3") {
        assert!(
            refused,
            "{site:?} {n}: the once step s3 was rerun without the operator"
        );
    }
    assert_eq!(
        ws.lines("bindings.txt"),
        expected_bindings,
        "{site:?} {n}: the last step saw different bindings"
    );
    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["status"], "succeeded", "{site:?} {n}: {status}");
    eprintln!(
        "{site:?} {n}: crashed after {crashed_steps:?}, resume ran {resumed_steps:?}{}",
        if refused {
            " after the operator's --rerun s3"
        } else {
            ""
        }
    );
    true
}

/// Crash at every occurrence of `site` in a run, one run per occurrence.
fn enumerate_run(site: Site) {
    let expected = uncrashed_bindings();
    assert_eq!(expected, ["a=6 b=12 list=[6, 3] c=13 d=6-13"]);
    let mut n = 1;
    while crash_at(site, n, &expected) {
        n += 1;
        assert!(
            n < MAX_CRASH_POINTS,
            "{site:?}: the run never finished without a crash"
        );
    }
    // One commit per step boundary at least: the enumeration saw them all.
    let reached = n - 1;
    assert!(
        reached >= occurrences(site, STEPS.len() + 1),
        "{site:?}: only {reached} crash points for {} steps",
        STEPS.len()
    );
}

/// Every write point the runner has ([`Site::ALL`]), at every occurrence.
#[test]
fn a_crash_at_any_write_point_resumes_to_the_same_result() {
    for site in Site::ALL {
        enumerate_run(site);
    }
}

/// Roll back a failed run with a crash at the `n`th time it reaches `site`,
/// then roll back again until done. `false` when the rollback finished
/// without reaching it.
fn rollback_crash_at(site: Site, n: usize) -> bool {
    let ws = Workspace::new();
    ws.reliability_fixture("rollback_crash.runbook");
    let out = ws
        .cmd(["run", "rollback_crash.runbook"])
        .env("ATTEMPT", "0")
        .output();
    out.assert_code(1);
    let id = run_support::run_id(&out.all()).unwrap();
    let first = armed(ws.cmd(["rollback", &id]), site, n)
        .env("ATTEMPT", "1")
        .output();
    if !aborted(&first) {
        first.assert_code(0);
        let undone: Vec<String> = witness(&ws, "undone").into_iter().map(|(s, _)| s).collect();
        assert_eq!(undone, ["u3", "u2", "u1"]);
        return false;
    }
    let again = store_env(ws.cmd(["rollback", &id]))
        .env("ATTEMPT", "2")
        .output();
    again.assert_code(0);
    let all = witness(&ws, "undone");
    let crashed = steps_of(&all, 1);
    let resumed = steps_of(&all, 2);
    assert_eq!(all.len(), crashed.len() + resumed.len(), "{all:?}");
    let order = ["u3", "u2", "u1"];
    assert_eq!(
        crashed,
        order[..crashed.len()].to_vec(),
        "{site:?} {n}: {all:?}"
    );
    assert_eq!(
        resumed,
        order[order.len() - resumed.len()..].to_vec(),
        "{site:?} {n}: {all:?}"
    );
    assert!(
        crashed.len() + resumed.len() <= order.len() + 1,
        "{site:?} {n}: an undo the crashed rollback finished ran again: {all:?}"
    );
    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["status"], "rolled-back", "{site:?} {n}: {status}");
    eprintln!("rollback {site:?} {n}: crashed after {crashed:?}, then {resumed:?}");
    true
}

/// Crash a rollback at every occurrence of `site`, one rollback per occurrence.
fn enumerate_rollback(site: Site) {
    let mut n = 1;
    while rollback_crash_at(site, n) {
        n += 1;
        assert!(
            n < MAX_CRASH_POINTS,
            "{site:?}: the rollback never finished without a crash"
        );
    }
    let reached = n - 1;
    assert!(
        reached >= occurrences(site, 4),
        "{site:?}: only {reached} crash points for three undos"
    );
}

/// Every write point the runner has ([`Site::ALL`]), at every occurrence.
#[test]
fn a_crash_at_any_write_point_of_a_rollback_resumes_it() {
    for site in Site::ALL {
        enumerate_rollback(site);
    }
}
