//! The background controller: what the kube-controller-manager, scheduler
//! and kubelets do, reduced to what clients observe. Deployments get a
//! ReplicaSet per pod template, ReplicaSets and StatefulSets get pods, pods
//! are scheduled on the seeded nodes and become Ready after the rollout
//! delay (unless the rollout is stalled by fault injection), and workload
//! and HPA statuses are rolled up the way `kubectl rollout status` reads
//! them.
//!
//! Each pass runs under the store lock and writes only what changed, so a
//! quiet cluster produces no watch events.

mod conditions;
mod deployments;
mod events;
mod hpas;
mod objects;
mod pods;

pub use pods::RESTARTS_ANNOTATION;
mod replicasets;
mod statefulsets;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::objects::ObjectApi;
use crate::state::{lock, PodMemory, State};

/// The longest the controller sleeps without a wake-up.
const IDLE_TICK: Duration = Duration::from_millis(500);

/// Everything one pass needs.
pub(crate) struct Pass<'a, 'b> {
    pub api: &'a mut ObjectApi<'b>,
    pub memory: &'a mut PodMemory,
    pub stalled: BTreeSet<(String, String)>,
    pub rollout_delay: Duration,
    pub now: Instant,
    /// The earliest time something is due (a pod becoming Ready).
    pub next_due: Option<Instant>,
}

impl Pass<'_, '_> {
    fn due_at(&mut self, at: Instant) {
        self.next_due = Some(self.next_due.map_or(at, |d| d.min(at)));
    }

    fn report(&self, what: &str, err: impl std::fmt::Display) {
        // The controller has no caller to return errors to; a failed write
        // is retried on the next pass, so saying it is enough.
        eprintln!("kube-sim controller: {what}: {err}");
    }
}

/// Runs passes until the store stops changing; returns when the next
/// time-driven change is due.
pub(crate) fn reconcile(state: &State) -> Option<Instant> {
    let stalled = lock(&state.faults).stalled();
    let mut memory = lock(&state.pods);
    state.quietly(|api| {
        let mut next_due = None;
        for _ in 0..8 {
            let before = api.store.resource_version();
            let mut pass = Pass {
                api: &mut *api,
                memory: &mut memory,
                stalled: stalled.clone(),
                rollout_delay: state.rollout_delay,
                now: Instant::now(),
                next_due: None,
            };
            deployments::reconcile(&mut pass);
            replicasets::reconcile(&mut pass);
            statefulsets::reconcile(&mut pass);
            pods::reconcile(&mut pass);
            replicasets::roll_up(&mut pass);
            deployments::roll_up(&mut pass);
            statefulsets::roll_up(&mut pass);
            hpas::roll_up(&mut pass);
            objects::collect_garbage(&mut pass);
            next_due = pass.next_due;
            if pass.api.store.resource_version() == before {
                break;
            }
        }
        next_due
    })
}

/// The controller task: a pass after every write and whenever a pod is due.
pub(crate) async fn run(state: Arc<State>) {
    loop {
        let next_due = reconcile(&state);
        let sleep_for = next_due
            .map(|due| due.saturating_duration_since(Instant::now()))
            .unwrap_or(IDLE_TICK)
            .min(IDLE_TICK);
        tokio::select! {
            _ = state.wake.notified() => {}
            _ = tokio::time::sleep(sleep_for) => {}
        }
    }
}
