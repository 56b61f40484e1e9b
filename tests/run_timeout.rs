//! A step's `timeout` stops its `sh` command and everything the command
//! started (its process group); Ctrl-C does the same and leaves the run
//! resumable.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    a_step_timeout_kills_the_command_and_its_children,
    ctrl_c_stops_the_command_and_the_run_resumes,
);

fn background_pid(ws: &Workspace) -> i32 {
    let mut pid = None;
    ws.wait_until("the command records its background child", || {
        pid = std::fs::read_to_string(ws.path("bg.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        pid.is_some()
    });
    pid.unwrap_or_default()
}

fn a_step_timeout_kills_the_command_and_its_children(ws: &Workspace) {
    ws.fixture("timeout.runbook");
    let (out, id) = ws.run("timeout.runbook", &[]);
    out.assert_code(1);
    assert!(out.all().contains("slow"), "{}", out.all());
    assert!(
        out.all().contains("timed out") || out.all().contains("timeout"),
        "{}",
        out.all()
    );
    assert_eq!(ws.lines("out.txt"), ["started"]);
    let bg = background_pid(ws);
    ws.wait_until("the background child is gone", || !proc_probe::alive(bg));

    let status = ws.cmd(["status", &id]).output();
    assert!(status.stdout.contains("failed"), "{}", status.stdout);
}

fn ctrl_c_stops_the_command_and_the_run_resumes(ws: &Workspace) {
    ws.fixture("blocking.runbook");
    let mut runner = ws.spawn("runner", &["run", "blocking.runbook"]);
    let id = runner.wait_run_id();
    ws.wait_until("the hold step runs", || {
        ws.lines("out.txt").contains(&"waiting".to_string())
    });

    let pid = nix::unistd::Pid::from_raw(runner.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let code = runner.wait();
    assert_ne!(
        code,
        Some(0),
        "an interrupted run did not succeed: {}",
        runner.output()
    );
    assert!(
        code.is_some(),
        "it exited by itself rather than dying of the signal"
    );

    ws.touch("release");
    ws.cmd(["resume", &id]).output().assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["first", "waiting", "waiting", "last"]);
}
