//! What Linux's `/proc` says about processes, for runbook's tests: whether a
//! process still runs, its parent and process group, the members of a group,
//! and waiting for a process to end. The `sh` action's tests (stdlib) and
//! the end-to-end tests (a runner `kill -9`ed, a step timed out) check with
//! it that a command and everything it started are gone.
//!
//! A zombie (exited, not yet reaped by its parent) counts as dead: it runs
//! nothing, and its reaper may be a process the test does not control.
//! Everything is read from `/proc/<pid>/stat`; a process that vanishes while
//! being read is simply not there. Linux only.

use std::time::{Duration, Instant};

/// How often [`wait_dead`] looks again.
const POLL: Duration = Duration::from_millis(20);

/// The fields of `/proc/<pid>/stat` the tests use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The state letter: `R`, `S`, `D`, `T`, `Z` (zombie), `X` (dead), …
    pub state: char,
    /// The parent's pid.
    pub ppid: i32,
    /// The process group.
    pub pgrp: i32,
}

impl Stat {
    /// Parses a `/proc/<pid>/stat` line. The command name in parentheses may
    /// hold spaces and parentheses itself, so the fields are read after the
    /// last `)`: state, ppid, pgrp, …
    pub fn parse(line: &str) -> Option<Stat> {
        let (_, rest) = line.rsplit_once(')')?;
        let mut fields = rest.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse().ok()?;
        let pgrp = fields.next()?.parse().ok()?;
        Some(Stat { state, ppid, pgrp })
    }

    /// Whether the process runs (anything but a zombie or dead).
    pub fn runs(&self) -> bool {
        !matches!(self.state, 'Z' | 'X')
    }
}

/// `pid`'s stat, or `None` once it is gone (reaped).
///
/// Panics if the file is not in the kernel's format: a test must not take
/// a process it cannot read for one that is gone.
pub fn stat(pid: i32) -> Option<Stat> {
    let line = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let stat = Stat::parse(&line);
    assert!(
        stat.is_some(),
        "/proc/{pid}/stat is not a stat line: {line:?}"
    );
    stat
}

/// Whether `pid` still runs (a zombie awaiting its reaper counts as dead).
pub fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|s| s.runs())
}

/// The process group of `pid`, `None` once it is gone.
pub fn group_of(pid: i32) -> Option<i32> {
    stat(pid).map(|s| s.pgrp)
}

/// The pids whose parent is `parent`.
pub fn children_of(parent: i32) -> Vec<i32> {
    processes_where(|s| s.ppid == parent)
}

/// The pids in process group `pgid` (zombies included until reaped).
pub fn group_members(pgid: i32) -> Vec<i32> {
    processes_where(|s| s.pgrp == pgid)
}

/// Waits until `pid` no longer runs; `false` if it still does at `timeout`.
pub fn wait_dead(pid: i32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if !alive(pid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Every process whose stat matches `keep`, in `/proc`'s order.
fn processes_where(keep: impl Fn(&Stat) -> bool) -> Vec<i32> {
    // Without /proc there is nothing to list (and nothing would be alive).
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| stat(*pid).is_some_and(|s| keep(&s)))
        .collect()
}
