//! The probe against real processes: a child of this test, its group, and
//! its end.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use proc_probe::{alive, children_of, group_members, group_of, stat, wait_dead, Stat};

/// Generous: machines are small and shared.
const LONG: Duration = Duration::from_secs(30);

#[test]
fn a_command_name_with_spaces_and_parentheses_is_skipped() {
    let stat = Stat::parse("42 (a) b (c)) S 7 42 42 0 -1 4194560").unwrap();
    assert_eq!(
        stat,
        Stat {
            state: 'S',
            ppid: 7,
            pgrp: 42
        }
    );
    assert!(stat.runs());
    assert!(!Stat::parse("42 (x) Z 7 42").unwrap().runs());
    assert_eq!(Stat::parse("42 (x) S"), None);
}

#[test]
fn a_child_in_its_own_group_is_seen_until_it_is_killed() {
    let mut child = Command::new("sleep")
        .arg("1000")
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    let me = i32::try_from(std::process::id()).unwrap();

    assert!(alive(pid));
    assert_eq!(stat(pid).unwrap().ppid, me);
    assert!(children_of(me).contains(&pid));
    assert_eq!(
        group_of(pid),
        Some(pid),
        "process_group(0) makes it a leader"
    );
    assert_eq!(group_members(pid), [pid]);
    assert!(!wait_dead(pid, Duration::from_millis(100)), "it still runs");

    child.kill().unwrap();
    // Not reaped yet: a zombie, dead though still listed.
    assert!(wait_dead(pid, LONG), "{pid} still runs after SIGKILL");
    assert!(!alive(pid));
    child.wait().unwrap();
    assert_eq!(stat(pid), None, "reaped: gone from /proc");
    assert_eq!(group_of(pid), None);
    assert!(group_members(pid).is_empty());
}
