//! Crash safety: `kill -9` the runner at random moments of a 30-step run,
//! resume until done, and check what the steps' lines prove:
//! every step ran, in order; a succeeded step never ran again; only the step
//! running at a kill may have run twice.
//!
//! On both state stores. Trials are seeded (`RUNBOOK_TEST_SEED` replays a printed seed) and split
//! over several tests so they run in parallel.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use std::time::Duration;

use run_support::{Rng, Workspace};

const STEPS: usize = 30;
const TRIALS_PER_TEST: usize = 5;

/// One trial: start, kill after a random number of lines (plus a random few
/// milliseconds), resume (killing some resumes too) until the run succeeds.
fn trial(like: &Workspace, rng: &mut Rng, trial: usize) {
    let ws = like.fresh();
    ws.write("crash.runbook", &run_support::numbered_steps_runbook(STEPS));
    // For each kill: the last step whose line was in the file when it died.
    let mut kills: Vec<usize> = Vec::new();
    let mut id: Option<String> = None;

    for attempt in 0.. {
        assert!(
            attempt < 20,
            "trial {trial}: no progress after {attempt} attempts"
        );
        let args: Vec<String> = match &id {
            None => vec!["run".into(), "crash.runbook".into()],
            Some(id) => vec!["resume".into(), id.clone()],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = ws.lines("out.txt").len();
        // The first attempt is always killed; later ones sometimes, up to 3 kills.
        let kill_this_one = kills.is_empty() || (kills.len() < 3 && rng.range(0, 3) != 0);
        let tag = format!("attempt{attempt}");
        let mut runner = if kills.is_empty() {
            ws.spawn(&tag, &args)
        } else {
            ws.spawn_after_kill(&tag, &args)
        };
        if id.is_none() {
            id = Some(runner.wait_run_id());
        }
        if kill_this_one {
            let target = before + rng.range(1, 10) as usize;
            let extra = Duration::from_millis(rng.range(0, 15));
            let mut finished = false;
            ws.wait_until(&format!("trial {trial}: {target} lines or the end"), || {
                finished = matches!(runner.child.try_wait(), Ok(Some(_)));
                finished || ws.lines("out.txt").len() >= target
            });
            if !finished {
                std::thread::sleep(extra);
                if runner.kill9() == Some(0) {
                    break; // it finished just before the kill
                }
                let written = run_support::steps_written(&ws);
                kills.push(written.last().copied().unwrap_or(0));
                continue;
            }
        }
        let code = runner.wait();
        assert_eq!(code, Some(0), "trial {trial}: {}", runner.output());
        break;
    }

    let written = run_support::steps_written(&ws);
    assert!(
        !kills.is_empty(),
        "trial {trial}: the runner was never killed"
    );
    eprintln!(
        "trial {trial}: killed after steps {kills:?}; {} lines for {STEPS} steps",
        written.len()
    );
    // The step running at a kill is the last one written then, or the next
    // (its line landing just as the runner died).
    run_support::assert_only_interrupted_steps_repeated(
        &format!("trial {trial}"),
        &written,
        STEPS,
        &kills,
        1,
    );
}

/// Each trial gets a fresh workspace with the store of `like`.
fn trials(like: &Workspace, label: &str) {
    let mut rng = Rng::from_env_or_clock(label);
    for t in 0..TRIALS_PER_TEST {
        trial(like, &mut rng, t);
    }
}

run_support::both_stores!(
    kill_9_at_random_moments_then_resume_trials_1_to_5,
    kill_9_at_random_moments_then_resume_trials_6_to_10,
    kill_9_at_random_moments_then_resume_trials_11_to_15,
    kill_9_at_random_moments_then_resume_trials_16_to_20,
);

fn kill_9_at_random_moments_then_resume_trials_1_to_5(ws: &Workspace) {
    trials(ws, "crash trials 1-5");
}

fn kill_9_at_random_moments_then_resume_trials_6_to_10(ws: &Workspace) {
    trials(ws, "crash trials 6-10");
}

fn kill_9_at_random_moments_then_resume_trials_11_to_15(ws: &Workspace) {
    trials(ws, "crash trials 11-15");
}

fn kill_9_at_random_moments_then_resume_trials_16_to_20(ws: &Workspace) {
    trials(ws, "crash trials 16-20");
}
