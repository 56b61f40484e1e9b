//! The watcher: a tiny shell that leads a command's process group and stops
//! the whole group if the runner dies while the command runs.
//!
//! Why not a parent-death signal: setting one needs a `pre_exec` hook, which
//! makes std spawn with `fork()` (copying the page tables of a runner of tens
//! of MB, 1–2 ms per command) instead of `posix_spawn` (vfork semantics), and
//! it reaches only the one process it is set on, and only while the thread
//! that spawned it lives.
//!
//! How: the runner starts the watcher first, in a new process group, with the
//! read end of a pipe (the lifeline) as its standard input, then starts the
//! command's shell in the watcher's group. Only the runner holds the write end
//! (close-on-exec: no child inherits it). When the command has ended the runner
//! writes one line (the all-clear) and the watcher exits. If the runner dies
//! first, the kernel closes the write end, the watcher reads end-of-file
//! without a line, and it sends SIGTERM to the group, then SIGKILL after
//! [`KILL_GRACE`]. The order closes the race: the command starts only once its
//! group's watcher runs, so a runner killed in between leaves nothing behind.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::process::Stdio;

use nix::fcntl::OFlag;
use nix::unistd::{pipe2, Pid};
use tokio::process::{Child, Command};

use super::process::KILL_GRACE;

/// `$1` is the grace in seconds. `read` succeeds on the all-clear line and
/// fails on end-of-file; the watcher ignores its own SIGTERM so that it lives
/// to send the SIGKILL.
const SCRIPT: &str = "read -r _ || { trap '' TERM; kill -TERM 0; sleep \"$1\"; kill -KILL 0; }";

/// A running watcher and the runner's end of its lifeline.
pub(crate) struct Watcher {
    child: Child,
    group: Pid,
    lifeline: File,
}

impl Watcher {
    /// Start a watcher leading a new process group.
    pub(crate) fn start() -> io::Result<Watcher> {
        let (read_end, write_end): (OwnedFd, OwnedFd) = pipe2(OFlag::O_CLOEXEC)?;
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(SCRIPT)
            .arg("runbook-sh-watcher")
            .arg(KILL_GRACE.as_secs().max(1).to_string())
            // Not the runbook's directory: the watcher must start even when
            // that is gone, and should not keep any directory busy.
            .current_dir("/")
            .stdin(Stdio::from(read_end))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = cmd.spawn()?;
        // `cmd` held a copy of the read end; drop it so that, should the
        // watcher die, the all-clear fails fast instead of filling a pipe.
        drop(cmd);
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw)
            .ok_or_else(|| io::Error::other("the watcher exited as it started"))?;
        Ok(Watcher {
            child,
            group,
            lifeline: File::from(write_end),
        })
    }

    /// The process group the command must join (the watcher's pid).
    pub(crate) fn group(&self) -> Pid {
        self.group
    }

    /// The command has ended: let the watcher exit and leave the group alone
    /// (a background process the command started keeps running, as in a
    /// terminal). The watcher is reaped in the background.
    pub(crate) fn stand_down(mut self) {
        // EPIPE means the watcher is already gone (the command killed its own
        // group): nothing left to tell.
        let _ = self.lifeline.write_all(b"\n");
        self.reap();
    }

    /// The group has been killed: wait for the watcher to be gone.
    pub(crate) async fn reap_killed(mut self) {
        let _ = self.child.wait().await;
    }

    fn reap(mut self) {
        tokio::spawn(async move {
            let _ = self.child.wait().await;
        });
    }
}
