//! Fault injection: failing requests, latency, refused connections, lost
//! acknowledgements and stalled rollouts, switched on and off by tests.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::state::{lock, State};

/// Answer matching requests with an error status `times` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// HTTP method to match (`"PATCH"`), any when `None`.
    pub method: Option<&'static str>,
    /// Substring of the path to match, any when `None`.
    pub path_contains: Option<String>,
    /// HTTP status to answer (409, 500, 503, …), with a matching `Status` body.
    pub status: u16,
    /// How many matching requests fail before the rule expires.
    pub times: usize,
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && self.method.is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path_contains.as_deref().is_none_or(|p| path.contains(p))
    }
}

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    rules: Vec<FaultRule>,
    latency: Duration,
    refuse: bool,
    drops: Vec<(String, usize)>,
    stalled: BTreeSet<(String, String)>,
}

impl FaultState {
    /// The status to fail this request with, consuming one use of the rule.
    pub(crate) fn take_failure(&mut self, method: &str, path: &str) -> Option<u16> {
        let rule = self.rules.iter_mut().find(|r| r.matches(method, path))?;
        rule.times -= 1;
        Some(rule.status)
    }

    /// Whether to drop the connection after this write, consuming one use.
    pub(crate) fn take_drop(&mut self, path: &str) -> bool {
        match self
            .drops
            .iter_mut()
            .find(|(p, times)| *times > 0 && path.contains(p.as_str()))
        {
            Some((_, times)) => {
                *times -= 1;
                true
            }
            None => false,
        }
    }

    pub(crate) fn latency(&self) -> Duration {
        self.latency
    }

    pub(crate) fn refusing(&self) -> bool {
        self.refuse
    }

    /// The stalled workloads, as (namespace, name).
    pub(crate) fn stalled(&self) -> BTreeSet<(String, String)> {
        self.stalled.clone()
    }
}

/// Switches faults on the running simulator; cheap to clone.
#[derive(Clone)]
pub struct Faults {
    pub(crate) state: Arc<State>,
}

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        let result = f(&mut lock(&self.state.faults));
        self.state.wake.notify_one();
        result
    }

    /// Pods of the deployment or statefulset `name` that are not Ready yet
    /// (a new rollout's, or a scale-up's) stay unready until resumed.
    pub fn stall_rollouts(&self, namespace: &str, name: &str) {
        self.with(|f| f.stalled.insert((namespace.to_string(), name.to_string())));
    }

    /// Lets a stalled rollout finish.
    pub fn resume_rollouts(&self, namespace: &str, name: &str) {
        self.with(|f| f.stalled.remove(&(namespace.to_string(), name.to_string())));
    }

    /// Answers matching requests with `rule.status` `rule.times` times.
    pub fn fail_requests(&self, rule: FaultRule) {
        self.with(|f| f.rules.push(rule));
    }

    /// Delays every request by `delay` before it is handled.
    pub fn latency(&self, delay: Duration) {
        self.with(|f| f.latency = delay);
    }

    /// While on, accepted connections are closed at once, unanswered.
    pub fn refuse_connections(&self, refuse: bool) {
        self.with(|f| f.refuse = refuse);
    }

    /// Performs the next `times` writes whose path contains `path_contains`,
    /// then closes the connection without answering (a lost acknowledgement).
    pub fn drop_after_write(&self, path_contains: &str, times: usize) {
        self.with(|f| f.drops.push((path_contains.to_string(), times)));
    }

    /// Removes every fault, stalled rollouts included.
    pub fn clear(&self) {
        self.with(|f| *f = FaultState::default());
    }
}
