//! Leases on the PostgreSQL state store: a runner `kill -9`ed mid-run keeps
//! the run until its lease expires; then another runner's `resume` takes it
//! over (the journal says from whom) and no step but the interrupted one runs
//! twice. When the lease expires, eight racing resumes still let exactly one
//! runner proceed. A runner that stalled past its lease and wakes after the
//! takeover records and runs nothing more. (Eight resumes of a failed run,
//! with no lease left behind: reliability_concurrency.rs, on both stores.)

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::{flat, Runner, StoreKind, Workspace};

/// Long enough that the first `resume` after the kill surely meets a live
/// lease on a slow machine, short enough to wait out.
const TTL: &str = "8";
const RACERS: usize = 8;

/// Start blocking.runbook (first, hold until `release`, last) and `kill -9`
/// the runner while `hold` runs. The run id and the dead runner's pid.
fn killed_in_hold(ws: &Workspace) -> (String, String) {
    ws.fixture("blocking.runbook");
    let cmd = ws
        .cmd(["run", "blocking.runbook"])
        .env("RUNBOOK_LEASE_TTL", TTL);
    let mut a = ws.spawn_cmd("a", cmd);
    let id = a.wait_run_id();
    ws.wait_until("runner A runs the hold step", || {
        ws.lines("out.txt").contains(&"waiting".to_string())
    });
    let pid = a.child.id().to_string();
    assert_eq!(a.kill9(), None, "A was still running: {}", a.output());
    (id, pid)
}

fn host() -> String {
    nix::unistd::gethostname().unwrap().into_string().unwrap()
}

#[test]
fn a_dead_runners_lease_blocks_resume_until_it_expires_then_is_taken_over() {
    let ws = Workspace::with_store(StoreKind::Postgres);
    let (id, a_pid) = killed_in_hold(&ws);

    // The lease outlives A: B is refused, naming A.
    let b = ws
        .cmd(["resume", &id])
        .env("RUNBOOK_LEASE_TTL", TTL)
        .output();
    b.assert_code(2);
    let said = flat(&b.stderr);
    assert!(said.contains("runbook::store::locked"), "{said}");
    assert!(
        said.contains(&format!("pid {a_pid}")),
        "names A's pid {a_pid}: {said}"
    );
    assert!(said.contains(&host()), "names A's host: {said}");
    assert_eq!(ws.lines("out.txt"), ["first", "waiting"], "B ran nothing");

    // Once the lease expired, B takes the run over and finishes it.
    ws.touch("release");
    let mut refusals = 0;
    let mut done = None;
    ws.wait_until("B's resume is no longer refused", || {
        let out = ws
            .cmd(["resume", &id])
            .env("RUNBOOK_LEASE_TTL", TTL)
            .output();
        if run_support::refused_as_held(&out) {
            assert!(
                flat(&out.stderr).contains(&format!("pid {a_pid}")),
                "only A can hold the run: {}",
                out.stderr
            );
            refusals += 1;
            std::thread::sleep(std::time::Duration::from_millis(250));
            false
        } else {
            done = Some(out);
            true
        }
    });
    let done = done.unwrap();
    done.assert_code(0);
    eprintln!("B was refused {refusals} more time(s) before the lease expired");
    assert_eq!(
        ws.lines("out.txt"),
        ["first", "waiting", "waiting", "last"],
        "only the interrupted step ran twice"
    );

    // The journal records the takeover, naming the previous holder.
    let log = ws.cmd(["log", &id, "--json"]).output();
    log.assert_code(0);
    let events = run_support::parse_json_list(&log.stdout);
    let takeover = events
        .iter()
        .find(|e| e["event"] == "run-taken-over")
        .unwrap_or_else(|| panic!("no run-taken-over event in {events:#?}"));
    assert_eq!(takeover["pid"].to_string(), a_pid, "{takeover}");
    assert_eq!(takeover["host"], host(), "{takeover}");
    let human = ws.cmd(["log", &id]).output();
    human.assert_code(0);
    assert!(
        human.stdout.contains(&a_pid),
        "the human log names the previous holder: {}",
        human.stdout
    );

    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["state"], "succeeded", "{status}");
    assert!(status["holder"].is_null(), "{status}");
}

/// One round of racers: all started together, each either refused because
/// the run is held (exit 2) or proceeding (it says `resumed`). Returns them
/// with whether each was refused.
fn race(ws: &Workspace, id: &str, round: usize) -> Vec<(Runner, bool)> {
    let barrier = std::sync::Barrier::new(RACERS);
    let runners: Vec<Runner> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RACERS)
            .map(|n| {
                let barrier = &barrier;
                s.spawn(move || {
                    let cmd = ws.cmd(["resume", id]).env("RUNBOOK_LEASE_TTL", TTL);
                    barrier.wait();
                    ws.spawn_cmd(&format!("round{round}.racer{n}"), cmd)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    runners
        .into_iter()
        .map(|mut r| {
            let mut code = None;
            ws.wait_until("each racer proceeds or exits", || {
                code = r.child.try_wait().unwrap().map(|s| s.code());
                code.is_some() || r.output().contains(" resumed")
            });
            let refused = match code {
                None => false,
                Some(code) => {
                    assert_eq!(code, Some(2), "a racer failed otherwise: {}", r.output());
                    assert!(run_support::is_held_refusal(&r.output()), "{}", r.output());
                    true
                }
            };
            (r, refused)
        })
        .collect()
}

#[test]
fn eight_runners_racing_for_an_expired_lease_let_exactly_one_proceed() {
    let ws = Workspace::with_store(StoreKind::Postgres);
    let (id, a_pid) = killed_in_hold(&ws);

    // Rounds of eight until the lease has expired: while it lives all are
    // refused (naming A); in the round that finds it expired, one wins.
    let mut round = 0;
    let mut racers = Vec::new();
    ws.wait_until("a round of racers finds the lease expired", || {
        racers = race(&ws, &id, round);
        round += 1;
        racers.iter().any(|(_, refused)| !refused)
    });
    let winners: Vec<usize> = (0..RACERS).filter(|&n| !racers[n].1).collect();
    assert_eq!(winners.len(), 1, "more than one racer proceeds");
    let winner = winners[0];
    let winner_pid = racers[winner].0.child.id().to_string();
    for (n, (racer, refused)) in racers.iter().enumerate() {
        if *refused {
            let said = flat(&racer.output());
            assert!(
                said.contains(&format!("pid {winner_pid}"))
                    || said.contains(&format!("pid {a_pid}")),
                "racer {n} names the holder (the winner {winner_pid} or the dead {a_pid}): {said}"
            );
        }
    }
    eprintln!("the lease was taken over in round {round}");

    ws.wait_until("the winner reruns the hold step", || {
        ws.lines("out.txt").len() == 3
    });
    ws.touch("release");
    let (mut runner, _) = racers.swap_remove(winner);
    assert_eq!(runner.wait(), Some(0), "{}", runner.output());
    assert_eq!(
        ws.lines("out.txt"),
        ["first", "waiting", "waiting", "last"],
        "exactly one runner ran the rest"
    );
    let log = ws.cmd(["log", &id, "--json"]).output();
    log.assert_code(0);
    let takeovers = run_support::parse_json_list(&log.stdout)
        .into_iter()
        .filter(|e| e["event"] == "run-taken-over")
        .count();
    assert_eq!(takeovers, 1, "{}", log.stdout);
}

fn signal(runner: &Runner, sig: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(runner.child.id() as i32);
    nix::sys::signal::kill(pid, sig).unwrap();
}

#[test]
fn a_stalled_runner_whose_lease_was_taken_over_records_and_runs_nothing_more() {
    let ws = Workspace::with_store(StoreKind::Postgres);
    ws.fixture("blocking.runbook");
    let mut a = ws.spawn("a", &["run", "blocking.runbook"]);
    let id = a.wait_run_id();
    ws.wait_until("runner A runs the hold step", || {
        ws.lines("out.txt").contains(&"waiting".to_string())
    });
    // A stalls (a paused VM, a stopped process) without dying: its
    // connection stays open, its lease stops being renewed.
    signal(&a, nix::sys::signal::Signal::SIGSTOP);

    // B takes the run over once A's lease expired, and finishes it.
    ws.touch("release");
    let b = ws.after_kill(&["resume", &id]);
    b.assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["first", "waiting", "waiting", "last"]);

    // A wakes up: it must notice it lost the run and do nothing more.
    signal(&a, nix::sys::signal::Signal::SIGCONT);
    let code = a.wait();
    let said = flat(&a.output());
    assert_ne!(code, Some(0), "A went on as if it held the run: {said}");
    assert!(said.contains("runbook::store::lease_lost"), "{said}");
    assert_eq!(
        ws.lines("out.txt"),
        ["first", "waiting", "waiting", "last"],
        "A ran a step of a run it no longer held"
    );
    let status = ws.cmd(["status", &id, "--json"]).output();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        status["state"], "succeeded",
        "A overwrote B's result: {status}"
    );
}
