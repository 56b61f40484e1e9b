//! One runner per run: a second `resume` of a run in progress is refused with
//! the holder named; `status`, `log` and `runs` work meanwhile.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(a_second_runner_is_refused_and_the_run_stays_observable,);

fn a_second_runner_is_refused_and_the_run_stays_observable(ws: &Workspace) {
    ws.fixture("blocking.runbook");
    let mut runner = ws.spawn("runner", &["run", "blocking.runbook"]);
    let id = runner.wait_run_id();
    ws.wait_until("the hold step runs", || {
        ws.lines("out.txt").contains(&"waiting".to_string())
    });
    // The command's output is on the terminal while it still runs.
    ws.wait_until("the runner shows the step's output live", || {
        runner.output().contains("waiting-for-release")
    });

    let second = ws.cmd(["resume", &id]).output();
    second.assert_code(2);
    let pid = runner.child.id().to_string();
    assert!(
        second.stderr.contains(&pid),
        "names the holder's pid {pid}: {}",
        second.stderr
    );
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    assert!(
        second.stderr.contains(&host),
        "names the host {host}: {}",
        second.stderr
    );

    let status = ws.cmd(["status", &id]).output();
    status.assert_code(0);
    assert!(status.stdout.contains("running"), "{}", status.stdout);
    assert!(
        status.stdout.contains("hold"),
        "shows the running step: {}",
        status.stdout
    );

    ws.wait_until("the journal has the step's output", || {
        let log = ws.cmd(["log", &id]).output();
        log.code == Some(0) && log.stdout.contains("waiting-for-release")
    });
    let runs = ws.stored_runs();
    assert!(runs.iter().any(|r| r.to_string().contains(&id)), "{runs:?}");

    ws.touch("release");
    assert_eq!(runner.wait(), Some(0), "{}", runner.output());
    assert_eq!(ws.lines("out.txt"), ["first", "waiting", "last"]);
}
