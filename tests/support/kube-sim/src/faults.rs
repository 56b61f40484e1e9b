//! Fault injection: failing requests, latency, refused connections, lost
//! acknowledgements and stalled rollouts, switched on and off by tests.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::api_error::ApiError;
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
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

/// How the answer to a performed write is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LostAck {
    /// The connection is closed unanswered.
    Drop,
    /// An error status is answered instead of the result.
    Status(u16),
}

/// Lose the answer of the next `times` writes matching `method` and `path`.
#[derive(Debug)]
struct LostAckRule {
    method: Option<&'static str>,
    path_contains: String,
    outcome: LostAck,
    times: usize,
}

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    rules: Vec<FaultRule>,
    latency: Duration,
    refuse: bool,
    lost_acks: Vec<LostAckRule>,
    stalled: BTreeSet<(String, String)>,
}

impl FaultState {
    /// The status to fail this request with, consuming one use of the rule.
    pub(crate) fn take_failure(&mut self, method: &str, path: &str) -> Option<u16> {
        let rule = self.rules.iter_mut().find(|r| r.matches(method, path))?;
        rule.times -= 1;
        Some(rule.status)
    }

    /// How to lose the answer to this performed write, if at all,
    /// consuming one use of the rule.
    pub(crate) fn take_lost_ack(&mut self, method: &str, path: &str) -> Option<LostAck> {
        let rule = self.lost_acks.iter_mut().find(|r| {
            r.times > 0
                && r.method.is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path.contains(r.path_contains.as_str())
        })?;
        rule.times -= 1;
        Some(rule.outcome)
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
        self.lose_acks(None, path_contains, LostAck::Drop, times);
    }

    /// Like [`Faults::drop_after_write`], for writes of one HTTP `method`
    /// only (`"POST"`: creates, whose path is the collection's).
    pub fn drop_after(&self, method: &'static str, path_contains: &str, times: usize) {
        self.lose_acks(Some(method), path_contains, LostAck::Drop, times);
    }

    /// Performs the next `times` writes of `method` whose path contains
    /// `path_contains`, then answers `status` (500, 504) instead of the
    /// result: the client cannot tell that the write happened.
    pub fn fail_after(&self, method: &'static str, path_contains: &str, status: u16, times: usize) {
        self.lose_acks(Some(method), path_contains, LostAck::Status(status), times);
    }

    fn lose_acks(&self, method: Option<&'static str>, path: &str, outcome: LostAck, times: usize) {
        self.with(|f| {
            f.lost_acks.push(LostAckRule {
                method,
                path_contains: path.to_string(),
                outcome,
                times,
            })
        });
    }

    /// Removes every fault, stalled rollouts included.
    pub fn clear(&self) {
        self.with(|f| *f = FaultState::default());
    }
}

/// What a request addresses, as the real server's messages name it.
struct Target {
    verb: &'static str,
    group: String,
    resource: String,
    namespace: Option<String>,
    name: Option<String>,
}

fn target(method: &str, path: &str) -> Option<Target> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => (String::new(), rest),
        ["apis", group, _version, rest @ ..] => (group.to_string(), rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (resource, name) = match rest {
        [plural] => (plural.to_string(), None),
        [plural, name] => (plural.to_string(), Some(name.to_string())),
        [plural, name, sub] => (format!("{plural}/{sub}"), Some(name.to_string())),
        _ => return None,
    };
    let verb = match (method, name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "get",
    };
    Some(Target {
        verb,
        group,
        resource,
        namespace,
        name,
    })
}

/// The error an injected fault answers, worded as the real server words
/// that status (so clients' error reporting can be tested on it).
pub(crate) fn injected_error(code: u16, method: &str, path: &str) -> ApiError {
    let target = target(method, path);
    let qualified = |t: &Target| {
        let plural = t.resource.split('/').next().unwrap_or_default();
        if t.group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{}", t.group)
        }
    };
    let message = match (code, &target) {
        (401, _) => "Unauthorized".to_string(),
        (403, Some(t)) => {
            let subject = match &t.name {
                Some(name) => format!("{} \"{name}\" is forbidden", qualified(t)),
                None => format!("{} is forbidden", qualified(t)),
            };
            let scope = match &t.namespace {
                Some(ns) => format!(" in the namespace \"{ns}\""),
                None => " at the cluster scope".to_string(),
            };
            format!(
                "{subject}: User \"system:serviceaccount:default:runbook\" cannot {} resource \"{}\" in API group \"{}\"{scope}",
                t.verb, t.resource, t.group
            )
        }
        (409, Some(t)) => format!(
            "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
            qualified(t),
            t.name.as_deref().unwrap_or_default()
        ),
        (429, _) => "Too many requests, please try again later.".to_string(),
        (500, _) => format!("Internal error occurred: injected fault on {method} {path}"),
        (503, _) => "the server is currently unable to handle the request".to_string(),
        (504, _) => "the server was unable to return a response in the time allotted, but may still be processing the request".to_string(),
        _ => format!("injected fault: {method} {path} answered {code}"),
    };
    let mut error = ApiError::for_status_code(code, message);
    if let Some(t) = target {
        error.details = Some(serde_json::json!({
            "name": t.name.unwrap_or_default(),
            "group": t.group,
            "kind": t.resource.split('/').next().unwrap_or_default(),
        }));
    }
    error
}
