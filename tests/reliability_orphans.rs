//! No child outlives its runner: `kill -9` the runner while a step runs a
//! long command and the command's whole process group dies too (the group's
//! watcher sees the runner's end of its lifeline close), whether the shell
//! `exec`s the command or waits for it.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use proc_probe::{alive, children_of, group_members, group_of};
use run_support::Workspace;

/// Kills what is left of a failed test's command.
struct Reap(Vec<i32>);

impl Drop for Reap {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

fn killed_runner_leaves_no_process(form: &str) {
    let ws = Workspace::new();
    ws.reliability_fixture("orphans.runbook");
    let param = format!("form={form}");
    let mut runner = ws.spawn("runner", &["run", "orphans.runbook", "--param", &param]);
    runner.wait_run_id();
    ws.wait_until("the shell starts", || {
        ws.lines("shell.pid")
            .first()
            .is_some_and(|l| l.parse::<i32>().is_ok())
    });
    let shell: i32 = ws.lines("shell.pid")[0].parse().unwrap();
    let mut command = vec![shell];
    if form != "simple" {
        let mut sleep = Vec::new();
        ws.wait_until("the shell starts sleep", || {
            sleep = children_of(shell);
            !sleep.is_empty()
        });
        command.extend(sleep);
    }
    // The whole group: the shell, what it runs, and the watcher leading it.
    let group = group_members(group_of(shell).unwrap());
    for pid in &group {
        if !command.contains(pid) {
            command.push(*pid);
        }
    }
    let _reap = Reap(command.clone());
    assert!(command.iter().all(|p| alive(*p)), "{command:?} run");
    assert!(
        !command.contains(&i32::try_from(runner.child.id()).unwrap()),
        "the command has a group of its own"
    );

    runner.kill9();
    ws.wait_until(&format!("{command:?} die with their runner"), || {
        command.iter().all(|p| !alive(*p))
    });
    assert!(ws.lines("out.txt").is_empty(), "the command did not go on");
}

#[test]
fn a_command_the_shell_execs_dies_with_its_runner() {
    killed_runner_leaves_no_process("simple");
}

#[test]
fn a_command_the_shell_waits_for_dies_with_its_runner() {
    killed_runner_leaves_no_process("compound");
}
