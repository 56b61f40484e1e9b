//! Spawning `/bin/sh -c`, supervising it, and killing its process group.
//!
//! Each command runs as `/bin/sh -c command` in a process group led by a
//! [`Watcher`], which stops the group if the runner dies. Nothing runs in
//! the child before `exec`, so std spawns with `posix_spawn` (vfork
//! semantics) rather than copying the runner with `fork()`.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use super::capture::{Captured, Pump};
use super::options::ShOptions;
use super::watcher::Watcher;
use crate::{ActionContext, ActionError, Interrupted, OutputStream};

/// Time between SIGTERM and SIGKILL when a command is stopped.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

/// After the shell exits, how long to keep reading output that is still
/// buffered. A background process (`server &`) may hold the pipes open
/// forever; past this, its output is read and dropped instead.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// A command that ran to its end.
pub(crate) struct Finished {
    /// The exit code, or 128 + the signal number if a signal ended it.
    pub(crate) code: i64,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ShError {
    #[error("could not start /bin/sh in {}: {source}", dir.display())]
    Spawn { dir: PathBuf, source: io::Error },
    #[error("could not start /bin/sh to watch over the command: {0}")]
    Watcher(io::Error),
    #[error("lost track of the command: {0}")]
    Wait(io::Error),
    #[error(transparent)]
    Interrupted(Interrupted),
}

impl ShError {
    pub(crate) fn into_action_error(self, command: &str) -> ActionError {
        match self {
            ShError::Interrupted(why) => super::interrupted_error(command, &why),
            ShError::Spawn { .. } => ActionError::new("runbook::run::sh::spawn", self.to_string())
                .with_help("check that the runbook's directory exists and /bin/sh is installed"),
            ShError::Watcher(_) => ActionError::new("runbook::run::sh::spawn", self.to_string())
                .with_help("check that /bin/sh is installed and the process limit is not reached"),
            ShError::Wait(_) => ActionError::new("runbook::run::sh::io", self.to_string()),
        }
    }
}

/// Run `command` to its end, or until the step's deadline or cancellation.
pub(crate) fn run(
    ctx: &ActionContext,
    command: &str,
    opts: &ShOptions,
) -> Result<Finished, ShError> {
    if let Some(why) = ctx.interrupted() {
        return Err(ShError::Interrupted(why));
    }
    let cancel = ctx.cancel_token();
    let deadline = ctx.deadline();

    let done = ctx
        .runtime()
        .block_on(supervise(ctx, command, opts, cancel, deadline));
    // Whatever the outcome, the next command's watcher starts now, off the
    // runner's path (see `watcher.rs`).
    drop(ctx.runtime().spawn_blocking(Watcher::prepare_spare));
    done
}

async fn supervise(
    ctx: &ActionContext,
    command: &str,
    opts: &ShOptions,
    cancel: CancellationToken,
    deadline: Option<Instant>,
) -> Result<Finished, ShError> {
    let watcher = Watcher::arm().map_err(ShError::Watcher)?;
    let group = watcher.group();
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(&ctx.base_dir)
        .envs(opts.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(if opts.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The watcher's group, so a timeout or the watcher can stop
        // everything the command started.
        .process_group(group.as_raw())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(source) => {
            watcher.stand_down();
            return Err(ShError::Spawn {
                dir: ctx.base_dir.clone(),
                source,
            });
        }
    };
    ctx.events.effect("sh", command);

    let attached = Arc::new(AtomicBool::new(true));
    let out = Arc::new(Mutex::new(Captured::default()));
    let err = Arc::new(Mutex::new(Captured::default()));
    let pump = |stream, captured: &Arc<Mutex<Captured>>| Pump {
        stream,
        sink: ctx.events.clone(),
        captured: captured.clone(),
        attached: attached.clone(),
    };
    // The pipes are read in this future, not in tasks of their own: an event
    // wakes the calling thread once, instead of a worker that then wakes it.
    let stdout = child
        .stdout
        .take()
        .map(|pipe| pump(OutputStream::Stdout, &out).run(pipe));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| pump(OutputStream::Stderr, &err).run(pipe));
    let mut drained = Box::pin(async move {
        tokio::join!(
            async move {
                if let Some(reading) = stdout {
                    reading.await;
                }
            },
            async move {
                if let Some(reading) = stderr {
                    reading.await;
                }
            },
        );
    });
    if let (Some(mut stdin), Some(text)) = (child.stdin.take(), opts.stdin.clone()) {
        // A command that exits without reading its input makes this fail
        // with EPIPE; that is its business, not an error of `sh`.
        tokio::spawn(async move {
            let _ = stdin.write_all(text.as_bytes()).await;
        });
    }

    let stop = async {
        let timeout = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => Interrupted::Cancelled,
            _ = timeout => Interrupted::Timeout,
        }
    };
    tokio::pin!(stop);

    // Read the pipes while waiting, or a command that fills one would block.
    let mut pipes_closed = false;
    let outcome = loop {
        tokio::select! {
            status = child.wait() => break Ok(status),
            why = &mut stop => break Err(why),
            () = &mut drained, if !pipes_closed => pipes_closed = true,
        }
    };
    match outcome {
        Ok(_) => watcher.stand_down(),
        Err(_) => {
            stop_group(&mut child, group).await;
            watcher.reap_killed().await;
        }
    }
    if !pipes_closed
        && tokio::time::timeout(DRAIN_AFTER_EXIT, &mut drained)
            .await
            .is_err()
    {
        attached.store(false, Ordering::Release);
        // A background process holds the pipes: read and drop the rest of
        // its output in a task of its own, so it does not die of SIGPIPE.
        drop(tokio::spawn(drained));
    }
    let status = match outcome {
        Ok(status) => status.map_err(ShError::Wait)?,
        Err(why) => return Err(ShError::Interrupted(why)),
    };
    let text = |c: &Arc<Mutex<Captured>>| c.lock().map(|c| c.text()).unwrap_or_default();
    Ok(Finished {
        code: exit_code(status),
        stdout: text(&out),
        stderr: text(&err),
    })
}

/// SIGTERM the whole group, give the shell [`KILL_GRACE`] to go, then
/// SIGKILL whatever is left of the group and reap the shell.
async fn stop_group(child: &mut Child, group: Pid) {
    let _ = killpg(group, Signal::SIGTERM);
    let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
    // ESRCH (the group is already gone) is the common, fine case.
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn exit_code(status: ExitStatus) -> i64 {
    match (status.code(), status.signal()) {
        (Some(code), _) => i64::from(code),
        (None, Some(sig)) => 128 + i64::from(sig),
        (None, None) => -1,
    }
}
