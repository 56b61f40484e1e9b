//! The store's own thread and runtime.
//!
//! The [`Store`](crate::store::Store) traits are synchronous and are called
//! from inside the run's tokio runtime (from `async fn start` as well as from
//! the executor's blocking thread). A blocking PostgreSQL client would panic
//! there, and `Handle::block_on` is not allowed on a runtime worker. So the
//! store owns a thread running a current-thread runtime that drives its
//! connections, its lease heartbeats and its journal flushes; a trait method
//! spawns its work there and waits on a std channel, which is legal from any
//! thread. The runtime is dropped on its own thread when the last handle to
//! the worker goes (dropping a runtime inside another one would panic).

use std::future::Future;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// How long one store request may take before the caller gives up on it.
/// Fencing does not depend on it (the server checks the lease's expiry in
/// the same transaction); it only bounds how long a hung server holds a run.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The store thread's runtime; stops when dropped.
pub(crate) struct Worker {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

/// The worker is gone (its thread panicked or could not start).
#[derive(Debug)]
pub(crate) struct WorkerGone;

impl Worker {
    /// Start the thread and its runtime.
    pub fn start() -> std::io::Result<Worker> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("runbook-pg-store".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match rt {
                    Ok(rt) => {
                        let _ = ready_tx.send(Ok(rt.handle().clone()));
                        // Drives every spawned task until the store goes.
                        rt.block_on(async {
                            let _ = stop_rx.await;
                        });
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })?;
        let handle = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the store thread did not start"))??;
        Ok(Worker {
            handle,
            _stop: stop_tx,
        })
    }

    /// Run `fut` on the store thread and wait for its result.
    pub fn call<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, WorkerGone> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| WorkerGone)
    }
}
