//! The state shared by the HTTP server, the controller and the test-facing
//! handle: served types, objects, faults, request log and controller memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::catalog::Catalog;
use crate::faults::FaultState;
use crate::objects::ObjectApi;
use crate::request_log::RequestRecord;
use crate::store::Store;

/// Locks a mutex, carrying on after a panic elsewhere poisoned it (the data
/// is plain state that stays consistent between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the controller remembers about pods beyond what it stores in them.
#[derive(Debug, Default)]
pub(crate) struct PodMemory {
    /// When each pod (by uid) may become Ready.
    pub ready_at: HashMap<String, Instant>,
    /// Restart counts set by tests, by (namespace, pod name).
    pub restarts: HashMap<(String, String), u32>,
}

pub(crate) struct State {
    pub catalog: Catalog,
    store: Mutex<Store>,
    pub faults: Mutex<FaultState>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub pods: Mutex<PodMemory>,
    /// Woken after every write so the controller reacts at once.
    pub wake: Notify,
    pub rollout_delay: Duration,
}

impl State {
    pub fn new(catalog: Catalog, rollout_delay: Duration) -> Self {
        State {
            catalog,
            store: Mutex::new(Store::new()),
            faults: Mutex::new(FaultState::default()),
            requests: Mutex::new(Vec::new()),
            pods: Mutex::new(PodMemory::default()),
            wake: Notify::new(),
            rollout_delay,
        }
    }

    /// Runs `f` on the objects; wakes the controller afterwards.
    pub fn write<R>(&self, f: impl FnOnce(&mut ObjectApi<'_>) -> R) -> R {
        let result = {
            let mut store = lock(&self.store);
            let mut api = ObjectApi {
                store: &mut store,
                catalog: &self.catalog,
            };
            f(&mut api)
        };
        self.wake.notify_one();
        result
    }

    /// Runs `f` on the objects without waking the controller (the
    /// controller's own passes and reads).
    pub fn quietly<R>(&self, f: impl FnOnce(&mut ObjectApi<'_>) -> R) -> R {
        let mut store = lock(&self.store);
        let mut api = ObjectApi {
            store: &mut store,
            catalog: &self.catalog,
        };
        f(&mut api)
    }

    /// Direct access to the store (watch subscription).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }
}
