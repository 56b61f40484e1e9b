//! Spawning the server so that it dies with the test process.
//!
//! The test process never drops its process-wide server (statics are not
//! dropped), and a test binary may be killed outright. So the postmaster gets
//! a parent-death signal. Linux sends that signal when the *thread* that
//! spawned the child exits, and test threads come and go; the server is
//! therefore spawned from one keeper thread that lives as long as the process.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

type Request = (Command, Sender<io::Result<Child>>);

static KEEPER: OnceLock<Mutex<Sender<Request>>> = OnceLock::new();

/// Spawns `command` from the keeper thread, with SIGQUIT (PostgreSQL's
/// immediate shutdown) as its parent-death signal.
pub(crate) fn spawn(mut command: Command) -> io::Result<Child> {
    set_parent_death_signal(&mut command);
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = channel::<Request>();
        std::thread::Builder::new()
            .name("pg-harness-keeper".into())
            .spawn(move || {
                // Ends only with the process: the sender lives in a static.
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .map_err(|err| eprintln!("pg-harness: cannot start the keeper thread: {err}"))
            .ok();
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = channel();
    keeper
        .lock()
        .map_err(|_| io::Error::other("pg-harness keeper lock poisoned"))?
        .send((command, reply_tx))
        .map_err(|_| io::Error::other("pg-harness keeper thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("pg-harness keeper thread is gone"))?
}

#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    // SAFETY: the closure runs in the forked child before exec and only calls
    // prctl(2), which is async-signal-safe; it allocates nothing and touches
    // no locks. std runs it after switching uid, which matters because a
    // credential change clears the parent-death signal.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGQUIT)
                .map_err(io::Error::from)
        });
    }
}
