//! Kubernetes failures turned into [`ActionError`]s a user can act on: which
//! server, which kubeconfig and context, which verb on which object in which
//! namespace, and what to do next.

use kube::api::{Api, DynamicObject, ListParams};

use super::client::{Connection, Origin};
use super::kinds::Kind;
use crate::context::Interrupted;
use crate::ActionError;

/// Stable error codes of the `kube` module.
pub mod code {
    /// No kubeconfig file at `--kubeconfig`, `KUBECONFIG` or `~/.kube/config`.
    pub const NO_KUBECONFIG: &str = "runbook::run::kube::no_kubeconfig";
    /// The kubeconfig exists but cannot be used (parse error, unknown context).
    pub const BAD_KUBECONFIG: &str = "runbook::run::kube::bad_kubeconfig";
    /// No connection to the API server (refused, DNS, TLS).
    pub const UNREACHABLE: &str = "runbook::run::kube::unreachable";
    /// 401: the credentials were rejected.
    pub const UNAUTHORIZED: &str = "runbook::run::kube::unauthorized";
    /// 403: RBAC does not allow the verb.
    pub const FORBIDDEN: &str = "runbook::run::kube::forbidden";
    /// 404: the object (or its namespace) does not exist.
    pub const NOT_FOUND: &str = "runbook::run::kube::not_found";
    /// 409 after every retry.
    pub const CONFLICT: &str = "runbook::run::kube::conflict";
    /// `kube::create`: the object exists and differs from the manifest.
    pub const ALREADY_EXISTS: &str = "runbook::run::kube::already_exists";
    /// 400/422: the server refused the request as invalid.
    pub const INVALID: &str = "runbook::run::kube::invalid";
    /// 5xx (and 429) after every retry.
    pub const SERVER_ERROR: &str = "runbook::run::kube::server_error";
    /// The step's deadline, or no answer from the server in time.
    pub const TIMEOUT: &str = "runbook::run::kube::timeout";
    /// The run was cancelled while waiting for the server.
    pub const CANCELLED: &str = "runbook::run::kube::cancelled";
    /// `kube::get(ns, "frob/x")`: the server serves no such kind.
    pub const UNKNOWN_KIND: &str = "runbook::run::kube::unknown_kind";
    /// A malformed argument (`"kind/name"`, patch type, YAML, option map).
    pub const BAD_ARGUMENT: &str = "runbook::run::kube::bad_argument";
    /// `rollout_complete()` on a rollout that can no longer finish
    /// (progress deadline exceeded, `OnDelete` strategy).
    pub const ROLLOUT_FAILED: &str = "runbook::run::kube::rollout_failed";
    /// Anything else the client reported (unexpected answer, TLS setup).
    pub const REQUEST_FAILED: &str = "runbook::run::kube::request_failed";
}

/// How many names of existing objects a not-found error lists at most.
const MAX_LISTED_NAMES: usize = 10;

/// What a request was trying to do, for messages.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// The RBAC verb: `get`, `list`, `patch`, `delete`, `create`.
    pub verb: &'static str,
    pub kind: Kind,
    /// `Some("scale")` for `deployments/scale`.
    pub subresource: Option<&'static str>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Target {
    pub fn new(
        verb: &'static str,
        kind: &Kind,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        Target {
            verb,
            kind: kind.clone(),
            subresource: None,
            namespace: namespace.map(str::to_owned),
            name: name.map(str::to_owned),
        }
    }

    pub fn subresource(mut self, sub: &'static str) -> Self {
        self.subresource = Some(sub);
        self
    }

    /// `deployments/scale` or `deployments`, as RBAC names it.
    fn resource(&self) -> String {
        match self.subresource {
            Some(sub) => format!("{}/{sub}", self.kind.ar.plural),
            None => self.kind.ar.plural.clone(),
        }
    }

    /// `deployment/flowengine` or `deployments`.
    fn object(&self) -> String {
        match &self.name {
            Some(name) => format!("{}/{name}", self.kind.label()),
            None => self.kind.ar.plural.clone(),
        }
    }

    /// ` in namespace production`, or nothing for cluster-scoped kinds.
    fn place(&self) -> String {
        match &self.namespace {
            Some(ns) if self.kind.namespaced => format!(" in namespace {ns}"),
            _ => String::new(),
        }
    }
}

/// A failed step of an action, before it is explained to the user (which may
/// need another request, e.g. listing the names that do exist).
#[derive(Debug)]
pub(crate) enum Failure {
    Kube {
        error: kube::Error,
        target: Box<Target>,
        attempts: u32,
    },
    Action(ActionError),
}

impl Failure {
    pub fn kube(error: kube::Error, target: Target) -> Self {
        Failure::Kube {
            error,
            target: Box::new(target),
            attempts: 1,
        }
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Kube {
                error: kube::Error::Api(s),
                ..
            } => Some(s.code),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A create refused because the name is taken (409 `AlreadyExists`, not
    /// a `Conflict` over a stale version).
    pub fn is_already_exists(&self) -> bool {
        matches!(
            self,
            Failure::Kube { error: kube::Error::Api(s), .. }
                if s.code == 409 && s.reason == "AlreadyExists"
        )
    }

    /// The request never got an answer: refused, reset, closed (not a
    /// timeout, which already waited long enough).
    pub fn is_transport(&self) -> bool {
        match self {
            Failure::Kube {
                error: e @ (kube::Error::HyperError(_) | kube::Error::Service(_)),
                ..
            } => !is_timeout(e),
            _ => false,
        }
    }
}

impl From<ActionError> for Failure {
    fn from(e: ActionError) -> Self {
        Failure::Action(e)
    }
}

/// Turn a failure into the error the user sees; a 404 on a named object
/// lists the objects of that kind that do exist, when there are few.
pub(crate) async fn explain(conn: &Connection, failure: Failure) -> ActionError {
    match failure {
        Failure::Action(e) => e,
        Failure::Kube {
            error,
            target,
            attempts,
        } => {
            let existing = match &error {
                kube::Error::Api(s) if s.code == 404 && target.name.is_some() => {
                    existing_names(conn, &target).await
                }
                _ => None,
            };
            classify(&error, &target, &conn.origin, attempts, existing)
        }
    }
}

async fn existing_names(conn: &Connection, target: &Target) -> Option<Vec<String>> {
    let api: Api<DynamicObject> = target
        .kind
        .api(conn.client.clone(), target.namespace.as_deref());
    // One more than the limit tells "few" from "many" without listing everything.
    let list = api
        .list_metadata(&ListParams::default().limit(MAX_LISTED_NAMES as u32 + 1))
        .await
        .ok()?;
    let mut names: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    if names.len() > MAX_LISTED_NAMES
        || list
            .metadata
            .continue_
            .as_deref()
            .is_some_and(|c| !c.is_empty())
    {
        return None;
    }
    names.sort();
    Some(names)
}

/// Map a client error to the user's error. `existing` is the list of names
/// for a not-found error (`None` when unknown or too many to list).
pub(crate) fn classify(
    error: &kube::Error,
    target: &Target,
    origin: &Origin,
    attempts: u32,
    existing: Option<Vec<String>>,
) -> ActionError {
    let tries = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    match error {
        kube::Error::Api(status) => {
            let server_says = if status.message.is_empty() {
                status.reason.clone()
            } else {
                status.message.clone()
            };
            match status.code {
                401 => ActionError::new(
                    code::UNAUTHORIZED,
                    format!(
                        "the API server at {} rejected the credentials of context `{}` (401 Unauthorized) when trying to {} {}{}",
                        origin.server, origin.context, target.verb, target.object(), target.place()
                    ),
                )
                .with_help(format!(
                    "log in again or refresh the credentials of context `{}` in {} (check with `kubectl auth whoami`)",
                    origin.context, origin.kubeconfig
                )),
                403 => ActionError::new(
                    code::FORBIDDEN,
                    format!(
                        "not allowed to {} {}{} (403 Forbidden: {server_says})",
                        target.verb,
                        target.resource(),
                        target.place()
                    ),
                )
                .with_help(format!(
                    "ask for RBAC permission to {} {}{}; check with `kubectl auth can-i {} {}{}` using context `{}`",
                    target.verb,
                    target.resource(),
                    target.place(),
                    target.verb,
                    target.resource(),
                    target.namespace.as_deref().filter(|_| target.kind.namespaced).map(|ns| format!(" -n {ns}")).unwrap_or_default(),
                    origin.context
                )),
                404 => not_found(target, existing, &server_says),
                409 => ActionError::new(
                    code::CONFLICT,
                    format!(
                        "could not {} {}{}: conflict{tries} (409: {server_says})",
                        target.verb,
                        target.object(),
                        target.place()
                    ),
                )
                .with_help(
                    "something else (a controller, a CI job, another operator) keeps changing this object; find out what, then run the step again",
                ),
                400 | 422 => ActionError::new(
                    code::INVALID,
                    format!(
                        "the API server refused to {} {}{}: {server_says}",
                        target.verb,
                        target.object(),
                        target.place()
                    ),
                )
                .with_help("fix the request: the server's message names the field it rejects"),
                code if code == 429 || code >= 500 => ActionError::new(
                    code::SERVER_ERROR,
                    format!(
                        "the API server at {} failed to {} {}{}{tries}: {code} {}: {server_says}",
                        origin.server,
                        target.verb,
                        target.object(),
                        target.place(),
                        status.reason
                    ),
                )
                .with_help("the cluster's control plane is in trouble or overloaded; check `kubectl get --raw /readyz` and retry the step"),
                code => ActionError::new(
                    code::REQUEST_FAILED,
                    format!(
                        "the API server at {} answered {code} {} to {} {}{}: {server_says}",
                        origin.server,
                        status.reason,
                        target.verb,
                        target.object(),
                        target.place()
                    ),
                ),
            }
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => transport(error, target, origin, &tries),
        kube::Error::Auth(e) => ActionError::new(
            code::UNAUTHORIZED,
            format!("could not get credentials for context `{}` from {}: {e}", origin.context, origin.kubeconfig),
        )
        .with_help("check the context's user entry (token, client certificate or exec plugin) with `kubectl config view --minify`"),
        kube::Error::SerdeError(e) => ActionError::new(
            code::REQUEST_FAILED,
            format!(
                "unexpected answer from the API server at {} to {} {}{}: {e}",
                origin.server,
                target.verb,
                target.object(),
                target.place()
            ),
        ),
        other => ActionError::new(
            code::REQUEST_FAILED,
            format!("could not {} {}{}: {}", target.verb, target.object(), target.place(), root_cause(other)),
        ),
    }
}

fn not_found(target: &Target, existing: Option<Vec<String>>, server_says: &str) -> ActionError {
    let object = target.object();
    let place = target.place();
    // A 404 on a namespaced list or on a missing namespace says so itself.
    if target.name.is_none() {
        return ActionError::new(
            code::NOT_FOUND,
            format!("{object}{place}: not found ({server_says})"),
        );
    }
    let message = match &existing {
        Some(names) if names.is_empty() => {
            format!(
                "{object} not found{place} (there are no {} there)",
                target.kind.ar.plural
            )
        }
        Some(names) => format!(
            "{object} not found{place} ({}{place}: {})",
            target.kind.ar.plural,
            names.join(", ")
        ),
        None => format!("{object} not found{place}"),
    };
    ActionError::new(code::NOT_FOUND, message).with_help(format!(
        "check the name and the namespace (`kubectl get {}{}`)",
        target.kind.ar.plural,
        target
            .namespace
            .as_deref()
            .filter(|_| target.kind.namespaced)
            .map(|ns| format!(" -n {ns}"))
            .unwrap_or_default()
    ))
}

fn transport(error: &kube::Error, target: &Target, origin: &Origin, tries: &str) -> ActionError {
    let cause = root_cause(error);
    if is_timeout(error) {
        return ActionError::new(
            code::TIMEOUT,
            format!(
                "no answer from the API server at {} when trying to {} {}{}: {cause}",
                origin.server,
                target.verb,
                target.object(),
                target.place()
            ),
        )
        .with_help("the server is slow or the network drops packets; check `kubectl cluster-info` and retry the step");
    }
    ActionError::new(
        code::UNREACHABLE,
        format!(
            "cannot reach the Kubernetes API server at {} (context `{}` from {}){tries}: {cause}",
            origin.server, origin.context, origin.kubeconfig
        ),
    )
    .with_help(
        "check that this is the cluster you mean (`kubectl config current-context`), that you are on the VPN if it needs one, and that `kubectl cluster-info` answers",
    )
}

/// Whether a client error (or one of its causes) is a timeout.
pub(crate) fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        if e.to_string().to_ascii_lowercase().contains("timed out") {
            return true;
        }
        cur = e.source();
    }
    false
}

/// The innermost cause: "Connection refused (os error 111)" rather than
/// "ServiceError: client error (Connect)".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error.to_string();
    let mut cur = error.source();
    while let Some(e) = cur {
        last = e.to_string();
        cur = e.source();
    }
    last
}

/// The step's deadline or a cancellation stopped a request.
pub(crate) fn interrupted(why: Interrupted, origin: Option<&Origin>) -> ActionError {
    let server = origin
        .map(|o| format!(" from the API server at {}", o.server))
        .unwrap_or_default();
    match why {
        Interrupted::Timeout => ActionError::new(
            code::TIMEOUT,
            format!("the step's timeout elapsed while waiting for an answer{server}"),
        )
        .with_help("raise the step's `timeout`, or find out why the API server is slow (`kubectl get --raw /readyz`)"),
        Interrupted::Cancelled => {
            ActionError::new(code::CANCELLED, format!("cancelled while waiting for an answer{server}"))
        }
    }
}

/// A malformed argument to a `kube` function.
pub(crate) fn bad_argument(message: impl Into<String>, help: impl Into<String>) -> ActionError {
    ActionError::new(code::BAD_ARGUMENT, message).with_help(help)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::kube::kinds;

    fn origin() -> Origin {
        Origin {
            server: "https://10.0.0.1:6443".into(),
            kubeconfig: "/home/sre/.kube/config".into(),
            context: "prod".into(),
            namespace: "default".into(),
        }
    }

    fn status(code: u16, reason: &str, message: &str) -> kube::Error {
        kube::Error::Api(Box::new(kube::core::Status {
            code,
            reason: reason.into(),
            message: message.into(),
            ..Default::default()
        }))
    }

    #[test]
    fn not_found_lists_the_names_that_exist() {
        let t = Target::new(
            "get",
            &kinds::deployments(),
            Some("production"),
            Some("flowengin"),
        );
        let e = classify(
            &status(404, "NotFound", "deployments.apps \"flowengin\" not found"),
            &t,
            &origin(),
            1,
            Some(vec!["api".into(), "flowengine-old".into()]),
        );
        assert_eq!(e.code, code::NOT_FOUND);
        assert_eq!(
            e.message,
            "deployment/flowengin not found in namespace production (deployments in namespace production: api, flowengine-old)"
        );
    }

    #[test]
    fn forbidden_names_verb_resource_and_namespace() {
        let t = Target::new(
            "patch",
            &kinds::deployments(),
            Some("production"),
            Some("x"),
        )
        .subresource("scale");
        let e = classify(&status(403, "Forbidden", "nope"), &t, &origin(), 1, None);
        assert_eq!(e.code, code::FORBIDDEN);
        assert!(
            e.message
                .starts_with("not allowed to patch deployments/scale in namespace production"),
            "{}",
            e.message
        );
        assert!(e
            .help
            .unwrap_or_default()
            .contains("kubectl auth can-i patch deployments/scale -n production"));
    }

    #[test]
    fn server_errors_say_how_often_they_were_tried() {
        let t = Target::new("get", &kinds::deployments(), Some("p"), Some("x"));
        let e = classify(
            &status(503, "ServiceUnavailable", "etcd down"),
            &t,
            &origin(),
            4,
            None,
        );
        assert_eq!(e.code, code::SERVER_ERROR);
        assert!(e.message.contains("(after 4 attempts)"), "{}", e.message);
        assert!(e.message.contains("https://10.0.0.1:6443"), "{}", e.message);
    }
}
