//! The watcher: a tiny shell that leads a command's process group and stops
//! the whole group if the runner dies while the command runs.
//!
//! Why not a parent-death signal: setting one needs a `pre_exec` hook, which
//! makes std spawn with `fork()` (copying the page tables of a runner of tens
//! of MB, 1–2 ms per command) instead of `posix_spawn` (vfork semantics), and
//! it reaches only the one process it is set on, and only while the thread
//! that spawned it lives.
//!
//! How: the runner starts the watcher in a new process group, with the read
//! end of a pipe (the lifeline) as its standard input. Only the runner holds
//! the write end (close-on-exec: no child inherits it). Before starting the
//! command in the watcher's group the runner writes one line (armed); when the
//! command has ended it writes a second one (the all-clear) and the watcher
//! exits. If the runner dies while the watcher is armed, the kernel closes the
//! write end, the watcher reads end-of-file without a line, and it sends
//! SIGTERM to the group, then SIGKILL after [`KILL_GRACE`]. The order closes
//! the race: the command starts only once its group's watcher is armed, so a
//! runner killed in between leaves nothing behind; a watcher that was never
//! armed just exits.
//!
//! Starting a shell costs about as much as the command `sh "true"` itself
//! (an `exec`, the dynamic loader, glibc's CPU probing), so the next watcher
//! is started on a blocking thread as soon as a command ends, while the
//! runner checkpoints the step: the next `sh` finds it ready (the spare).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};

use nix::fcntl::OFlag;
use nix::unistd::{pipe2, Pid};

use super::process::KILL_GRACE;

/// `$1` is the grace in seconds. The first `read` takes the arming line (end
/// of file there: the runner is done, nothing to guard); the second succeeds
/// on the all-clear and fails on end-of-file. The watcher ignores its own
/// SIGTERM so that it lives to send the SIGKILL.
const SCRIPT: &str =
    "read -r _ || exit 0; read -r _ || { trap '' TERM; kill -TERM 0; sleep \"$1\"; kill -KILL 0; }";

/// The arming line. Empty: the shell's `read` takes its input byte by byte.
const ARM: &[u8] = b"\n";

/// A watcher started ahead of its command, and the stood-down ones not yet
/// reaped. Process-wide: watchers are plain child processes, not tied to the
/// tokio runtime of the call that starts them.
static SPARE: Mutex<Spare> = Mutex::new(Spare {
    ready: None,
    leaving: Vec::new(),
});

struct Spare {
    ready: Option<Watcher>,
    leaving: Vec<Child>,
}

fn spare() -> MutexGuard<'static, Spare> {
    // The data stays consistent whatever panicked while holding the lock.
    SPARE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running watcher and the runner's end of its lifeline. Dropped, it
/// closes the lifeline and is reaped by a later [`Watcher::prepare_spare`].
pub(crate) struct Watcher {
    /// `None` once reaped.
    child: Option<Child>,
    group: Pid,
    lifeline: File,
}

/// A watcher armed for one command: its group is the command's.
pub(crate) struct Armed(Watcher);

impl Watcher {
    /// Start a watcher leading a new process group.
    fn start() -> io::Result<Watcher> {
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
        // watcher die, writing to it fails fast instead of filling a pipe.
        drop(cmd);
        let group = i32::try_from(child.id())
            .map(Pid::from_raw)
            .map_err(io::Error::other)?;
        Ok(Watcher {
            child: Some(child),
            group,
            lifeline: File::from(write_end),
        })
    }

    /// Take the spare watcher (or start one) and arm it for a command.
    pub(crate) fn arm() -> io::Result<Armed> {
        let spare = spare().ready.take();
        if let Some(mut watcher) = spare {
            if watcher.lifeline.write_all(ARM).is_ok() {
                return Ok(Armed(watcher));
            }
            // The spare is gone (killed from outside): start another one.
        }
        let mut watcher = Watcher::start()?;
        watcher.lifeline.write_all(ARM)?;
        Ok(Armed(watcher))
    }

    /// Start the spare for the next command, unless there is one, and reap
    /// the watchers that have left. Blocks for one process start: call it off
    /// the runner's path.
    pub(crate) fn prepare_spare() {
        let mut slot = spare();
        slot.leaving
            .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
        if slot.ready.is_some() {
            return;
        }
        drop(slot);
        // No spare, no harm: `arm` starts its own watcher (and reports the
        // error) when the next command comes.
        let Ok(watcher) = Watcher::start() else {
            return;
        };
        let mut slot = spare();
        if slot.ready.is_none() {
            slot.ready = Some(watcher);
        } else {
            // Another call filled the slot meanwhile: this one exits unarmed
            // once dropped (outside the lock, which dropping takes).
            drop(slot);
            drop(watcher);
        }
    }
}

impl Armed {
    /// The process group the command must join (the watcher's pid).
    pub(crate) fn group(&self) -> Pid {
        self.0.group
    }

    /// The command has ended: let the watcher exit and leave the group alone
    /// (a background process the command started keeps running, as in a
    /// terminal). The watcher is reaped by a later [`Watcher::prepare_spare`].
    pub(crate) fn stand_down(self) {
        let Armed(mut watcher) = self;
        // EPIPE means the watcher is already gone (the command killed its own
        // group): nothing left to tell.
        let _ = watcher.lifeline.write_all(b"\n");
    }

    /// The group has been killed: wait for the watcher to be gone.
    pub(crate) async fn reap_killed(self) {
        let Armed(mut watcher) = self;
        if let Some(mut child) = watcher.child.take() {
            // It dies with the group's SIGKILL, which has been sent: the wait
            // is short, but it blocks, so not on a runtime worker.
            let _ = tokio::task::spawn_blocking(move || child.wait()).await;
        }
    }
}

impl Drop for Watcher {
    /// The lifeline closes with the watcher: it exits (or, armed, stops its
    /// group). It is reaped later, so that no call waits for it to be
    /// scheduled.
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            spare().leaving.push(child);
        }
    }
}
