//! A lost connection to the PostgreSQL state store during a run
//! (`pg_terminate_backend` on the runner's connections): the run stops before
//! the next step's effect with the store's diagnostic, and `resume` finishes
//! it without repeating a succeeded step — once during a long step, and at
//! random moments of a run of quick steps (around its commits).

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::{flat, StoreKind, Workspace};

/// The server pids of the runner's connections to the workspace's database
/// (found by the `application_name` runbook gives them), terminated.
fn terminate_runner_connections(ws: &Workspace) -> Vec<String> {
    let db = ws.database();
    // Materialised first: in one WHERE clause the server may call
    // pg_terminate_backend before it has excluded this query's own backend.
    db.query_column(&format!(
        "WITH runner AS MATERIALIZED ( \
           SELECT pid FROM pg_stat_activity \
           WHERE datname = '{}' AND pid <> pg_backend_pid() \
             AND application_name LIKE 'runbook%') \
         SELECT pid::text FROM runner WHERE pg_terminate_backend(pid)",
        db.name()
    ))
    .unwrap()
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn a_lost_connection_stops_the_run_before_the_next_effect_and_resume_finishes() {
    let ws = Workspace::with_store(StoreKind::Postgres);
    ws.fixture("blocking.runbook");
    let mut runner = ws.spawn("runner", &["run", "blocking.runbook"]);
    let id = runner.wait_run_id();
    ws.wait_until("the hold step runs", || {
        ws.lines("out.txt").contains(&"waiting".to_string())
    });

    let killed = terminate_runner_connections(&ws);
    assert!(
        !killed.is_empty(),
        "the runner holds no connection to the store while it runs a step"
    );
    // Let the step finish: its end can no longer be recorded, so the next
    // step must not start.
    ws.touch("release");
    let code = runner.wait();
    let said = runner.output();
    assert!(code.is_some(), "died of a signal: {said}");
    assert_ne!(code, Some(0), "the run went on without its store: {said}");
    assert!(!said.contains("panicked"), "{said}");
    let flat_said = flat(&said);
    assert!(
        flat_said.contains("runbook::store::lease_lost")
            && flat_said.contains("connection to the state store was lost"),
        "a store diagnostic says why it stopped: {said}"
    );
    assert!(
        flat_said.contains(&format!("runbook resume {id}")),
        "says how to go on: {said}"
    );
    assert_eq!(
        ws.lines("out.txt"),
        ["first", "waiting"],
        "the next step's effect ran without a store to record it"
    );
    eprintln!("terminated backends {killed:?}; the runner said:\n{said}");

    // The runner released its lease if it could; if not, it expires.
    ws.after_kill(&["resume", &id]).assert_code(0);
    let lines = ws.lines("out.txt");
    assert_eq!(lines.first().map(String::as_str), Some("first"));
    assert_eq!(
        lines.iter().filter(|l| *l == "first").count(),
        1,
        "a succeeded step ran again: {lines:?}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("last"), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "last").count(), 1);
    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["state"], "succeeded", "{status}");
}

const STEPS: usize = 30;

/// Terminate the runner's connections at random moments of a 30-step run
/// (between and during its quick steps, so also around commits), resume
/// until done: each stop leaves the run resumable, and only the step running
/// at a stop may run twice.
#[test]
fn connections_terminated_at_random_moments_then_resume() {
    let mut rng = run_support::Rng::from_env_or_clock("connection kill trials");
    let mut all_stops = 0;
    for trial in 0..3 {
        let ws = Workspace::with_store(StoreKind::Postgres);
        // Steps of a tenth of a second: the runner is still running when the
        // test's own connection has been made.
        let text =
            run_support::numbered_steps_runbook(STEPS).replace("sh \"echo", "sh \"sleep 0.1; echo");
        ws.write("steps.runbook", &text);
        // For each stop: the last step written once the runner had exited.
        let mut stops: Vec<usize> = Vec::new();
        let mut id: Option<String> = None;
        for attempt in 0.. {
            assert!(
                attempt < 20,
                "trial {trial}: no progress after {attempt} attempts"
            );
            let tag = format!("trial{trial}.attempt{attempt}");
            let mut runner = match &id {
                None => ws.spawn(&tag, &["run", "steps.runbook"]),
                Some(id) => ws.spawn_after_kill(&tag, &["resume", id]),
            };
            if id.is_none() {
                id = Some(runner.wait_run_id());
            }
            if stops.len() < 3 {
                let target = ws.lines("out.txt").len() + rng.range(1, 8) as usize;
                let mut finished = false;
                ws.wait_until(&format!("trial {trial}: {target} lines or the end"), || {
                    finished = matches!(runner.child.try_wait(), Ok(Some(_)));
                    finished || ws.lines("out.txt").len() >= target
                });
                std::thread::sleep(std::time::Duration::from_millis(rng.range(0, 10)));
                let killed = if finished {
                    Vec::new()
                } else {
                    terminate_runner_connections(&ws)
                };
                if !killed.is_empty() {
                    let code = runner.wait();
                    let said = runner.output();
                    if code == Some(0) {
                        break; // it had recorded its last step already
                    }
                    assert!(!said.contains("panicked"), "trial {trial}: {said}");
                    assert!(
                        flat(&said).contains("runbook::store::"),
                        "trial {trial}: a store diagnostic says why it stopped: {said}"
                    );
                    let written = run_support::steps_written(&ws);
                    stops.push(written.last().copied().unwrap_or(0));
                    continue;
                }
            }
            assert_eq!(runner.wait(), Some(0), "trial {trial}: {}", runner.output());
            break;
        }
        let written = run_support::steps_written(&ws);
        eprintln!(
            "trial {trial}: stopped after steps {stops:?}; {} lines",
            written.len()
        );
        all_stops += stops.len();
        // Read after the runner exited: nothing runs after a stop is seen,
        // so only the last step written may have been interrupted.
        run_support::assert_only_interrupted_steps_repeated(
            &format!("trial {trial}"),
            &written,
            STEPS,
            &stops,
            0,
        );
    }
    assert!(all_stops > 0, "no trial stopped the runner");
}
