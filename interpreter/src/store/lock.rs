//! The run lock: `flock` on `<run>/lock`, which also records who holds it.
//!
//! The kernel releases a `flock` when its holder dies (even by `kill -9`),
//! so a lock whose holder died never blocks a resume; the recorded pid/host
//! are only there to name the holder in the refusal.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::{private_fs, StoreError};

/// Who holds (or last held) a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub since: String,
    /// Filled in by readers: whether that process still exists (only
    /// knowable on the same host).
    #[serde(default, skip_serializing)]
    pub alive: Option<bool>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} on {} since {}", self.pid, self.host, self.since)
    }
}

/// How long to wait for a lock still held after its recorded holder died.
const DEAD_HOLDER_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// A held run lock; released on drop (and by the kernel if we die).
pub struct RunLock {
    _lock: Flock<File>,
}

/// The host name, or `unknown`.
pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown".into())
}

impl RunLock {
    /// Take the lock or say who has it.
    pub fn acquire(id: &str, path: &Path) -> Result<RunLock, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = private_fs::open_rw(path).map_err(io)?;
        let started = std::time::Instant::now();
        let mut lock = loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(l) => break l,
                Err((f, nix::errno::Errno::EWOULDBLOCK)) => {
                    let holder = read_holder(path).ok().flatten();
                    // A child the dead holder had just forked (for `sh`)
                    // shares the locked file until it execs or exits, a few
                    // milliseconds later: wait that out instead of refusing.
                    let holder_dead = holder.as_ref().is_some_and(|h| h.alive == Some(false));
                    // No readable record: the new holder took the lock a
                    // moment ago and is writing its pid/host/since; wait for
                    // it so the refusal can name it.
                    let being_written = holder.is_none();
                    if (holder_dead || being_written) && started.elapsed() < DEAD_HOLDER_GRACE {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        file = f;
                        continue;
                    }
                    return Err(StoreError::Locked {
                        id: id.to_string(),
                        holder: holder.map_or_else(|| "another process".into(), |h| h.to_string()),
                    });
                }
                Err((_, errno)) => return Err(io(std::io::Error::from(errno))),
            }
        };
        let me = Holder {
            pid: std::process::id(),
            host: host_name(),
            since: crate::record::now(),
            alive: None,
        };
        let text = serde_json::to_string(&me).unwrap_or_default();
        lock.set_len(0).map_err(io)?;
        lock.seek(SeekFrom::Start(0)).map_err(io)?;
        lock.write_all(text.as_bytes()).map_err(io)?;
        Ok(RunLock { _lock: lock })
    }
}

/// The holder recorded in a lock file, with liveness filled in.
pub fn read_holder(path: &Path) -> Result<Option<Holder>, std::io::Error> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => f.read_to_string(&mut text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let Ok(mut holder) = serde_json::from_str::<Holder>(&text) else {
        return Ok(None);
    };
    holder.alive = (holder.host == host_name()).then(|| pid_alive(holder.pid));
    Ok(Some(holder))
}

fn pid_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None) {
        Ok(()) => true,
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

/// `<run dir>/lock`.
pub fn lock_path(run_dir: &Path) -> PathBuf {
    run_dir.join("lock")
}
