//! `kube` actions: Kubernetes through the `kube` crate, with the user's
//! kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`; `--context`).
//!
//! ```text
//! let app = kube::deployment(namespace, "flowengine")
//! run app.scale(5)
//! expect app.rollout_complete() within 300s every 5s
//! expect kube::pods(namespace, "app=flowengine").running() == 5
//! run kube::hpa(namespace, "flowengine-hpa").set_bounds(10, 50)
//! run kube::apply(namespace, file("postgres-read-replica.yaml"))
//! ```
//!
//! - Handles (`deployment`, `statefulset`, `hpa`, `pods`) send no request
//!   when created; each method reads the live object.
//! - The client is built once per run, on first use; discovery (for
//!   `kube::get`/`list`/`patch`/`delete`/`apply` by kind name) runs once.
//! - Every effect is idempotent or safe to repeat (scale to N, apply, set
//!   env, patch, delete of an absent object succeeds, create of an object
//!   that exists as asked succeeds), so a step re-run after
//!   a crash converges. In dry run, effects go to the server with
//!   `dryRun=All` and are reported as what would change.
//! - Reads retry 429/5xx, writes retry 409/429/503, at most
//!   [`retry::MAX_ATTEMPTS`] times; errors carry stable codes ([`code`]).

mod apply;
mod changes;
mod client;
mod create;
mod dry_run;
mod env;
mod errors;
mod handles;
mod hpa;
mod kinds;
mod logs;
mod nodes;
mod objects;
mod patch;
mod pods;
mod quantity;
mod requests;
mod retry;
mod rollout;
mod values;
mod workload;

use std::sync::Arc;

use rhai::{Dynamic, Engine, FuncRegistration, Module, RhaiNativeFunc, Variant};

pub use errors::code;
pub use handles::{Deployment, Hpa, Pods, StatefulSet};

use crate::{ActionContext, Class, Signature};
use client::KubeState;

/// Register the `kube::` functions and the handle types' methods, bound to
/// the run's context.
pub fn register(engine: &mut Engine, ctx: Arc<ActionContext>) {
    let state = Arc::new(KubeState::new(ctx));
    handles::register(engine);
    let mut m = Module::new();

    let s = state.clone();
    set(&mut m, "deployment", move |ns: &str, name: &str| {
        Deployment::new(s.clone(), kinds::deployments(), ns, name)
    });
    let s = state.clone();
    set(&mut m, "statefulset", move |ns: &str, name: &str| {
        StatefulSet::new(s.clone(), kinds::statefulsets(), ns, name)
    });
    let s = state.clone();
    set(&mut m, "hpa", move |ns: &str, name: &str| Hpa {
        state: s.clone(),
        ns: ns.to_owned(),
        name: name.to_owned(),
    });
    let s = state.clone();
    set(&mut m, "pods", move |ns: &str, selector: &str| Pods {
        state: s.clone(),
        ns: ns.to_owned(),
        selector: selector.to_owned(),
    });
    let s = state.clone();
    set(&mut m, "get", move |ns: &str, reference: &str| {
        objects::get(&s, ns, reference)
    });
    let s = state.clone();
    set(&mut m, "list", move |ns: &str, kind: &str| {
        objects::list(&s, ns, kind, "")
    });
    let s = state.clone();
    set(
        &mut m,
        "list",
        move |ns: &str, kind: &str, selector: &str| objects::list(&s, ns, kind, selector),
    );
    let s = state.clone();
    set(&mut m, "apply", move |ns: &str, yaml: &str| {
        apply::apply(&s, ns, yaml)
    });
    let s = state.clone();
    set(&mut m, "create", move |ns: &str, yaml: &str| {
        create::create(&s, ns, yaml)
    });
    let s = state.clone();
    set(
        &mut m,
        "patch",
        move |ns: &str, reference: &str, p: Dynamic| patch::patch(&s, ns, reference, &p, None),
    );
    let s = state.clone();
    set(
        &mut m,
        "patch",
        move |ns: &str, reference: &str, p: Dynamic, kind: &str| {
            patch::patch(&s, ns, reference, &p, Some(kind))
        },
    );
    let s = state.clone();
    set(&mut m, "delete", move |ns: &str, reference: &str| {
        patch::delete(&s, ns, reference)
    });
    let s = state.clone();
    set(&mut m, "namespace", move || s.namespace());
    let s = state.clone();
    set(&mut m, "nodes", move || nodes::nodes(&s));
    set(&mut m, "capacity", move || nodes::capacity(&state));

    engine.register_static_module("kube", m.into());
}

/// Add a volatile function (its answer depends on the cluster) to `module`.
fn set<A: 'static, const N: usize, const X: bool, R: Variant + Clone, const F: bool>(
    module: &mut Module,
    name: &str,
    f: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
) {
    FuncRegistration::new(name)
        .with_volatility(true)
        .set_into_module(module, f);
}

/// A `kube::` function (`.with_optional(n)` where the last `n` parameters
/// may be left out).
const fn function(
    name: &'static str,
    params: &'static [&'static str],
    class: Class,
    doc: &'static str,
) -> Signature {
    Signature::module_fn("kube", name, params, class).with_doc(doc)
}

/// A method of a `kube` handle type.
const fn method(
    receiver: &'static str,
    name: &'static str,
    params: &'static [&'static str],
    class: Class,
    doc: &'static str,
) -> Signature {
    Signature::method(receiver, name, params, class).with_doc(doc)
}

fn workload_methods(receiver: &'static str) -> Vec<Signature> {
    use Class::{Effect, Read};
    vec![
        method(receiver, "get", &[], Read, "The whole object as a map."),
        method(receiver, "replicas", &[], Read, "spec.replicas."),
        method(receiver, "scale", &["replicas"], Effect, "Set the replica count (scale subresource)."),
        method(
            receiver,
            "rollout_complete",
            &[],
            Read,
            "Whether `kubectl rollout status` would report success; an error if the rollout can no longer finish.",
        ),
        method(receiver, "rollout_status", &[], Read, "`kubectl rollout status`'s message for the rollout right now."),
        method(receiver, "restart", &[], Effect, "Restart every pod through a rollout (`kubectl rollout restart`)."),
        method(
            receiver,
            "env",
            &["name", "container"],
            Read,
            "An env var of the first (or named) container; () when unset or set from a secret/config map.",
        ).with_optional(1),
        method(
            receiver,
            "set_env",
            &["name", "value", "container"],
            Effect,
            "Set one env var in the first (or named) container (strategic merge, like `kubectl set env -c`); () unsets it.",
        ).with_optional(1),
        method(receiver, "set_env", &["vars", "container"], Effect, "Set env vars from a map in the first (or named) container.").with_optional(1),
        method(
            receiver,
            "logs",
            &["options"],
            Read,
            "Logs of all started pods, in name order; options #{ tail, since, container }.",
        ).with_optional(1),
        method(receiver, "pods", &[], Read, "The workload's pods, by its selector."),
        method(receiver, "to_string", &[], Read, "`deployment/x in ns`."),
        method(receiver, "to_debug", &[], Read, "`deployment/x in ns`."),
    ]
}

/// Every `kube` function and handle method, with arity and class.
pub fn signatures() -> Vec<Signature> {
    use Class::{Effect, Read};
    let mut all = vec![
        function("deployment", &["namespace", "name"], Read, "A Deployment handle (no request until used)."),
        function("statefulset", &["namespace", "name"], Read, "A StatefulSet handle (no request until used)."),
        function("hpa", &["namespace", "name"], Read, "An autoscaling/v2 HorizontalPodAutoscaler handle."),
        function("pods", &["namespace", "selector"], Read, "The pods matching a label selector, e.g. \"app=x\"."),
        function("get", &["namespace", "kind/name"], Read, "Any object as a map, e.g. kube::get(ns, \"hpa/x\")."),
        function("list", &["namespace", "kind", "selector"], Read, "Objects of a kind as maps, optionally by label selector.").with_optional(1),
        function(
            "apply",
            &["namespace", "yaml"],
            Effect,
            "Server-side apply (field manager `runbook`, forced) of a multi-document manifest; returns the kind/name applied.",
        ),
        function(
            "create",
            &["namespace", "yaml"],
            Effect,
            "Create each object of a multi-document manifest; one that already exists as the manifest describes it counts as created (a lost answer is safe to repeat), one that differs is an error. Returns the kind/name of each.",
        ),
        function(
            "patch",
            &["namespace", "kind/name", "patch", "type"],
            Effect,
            "Patch an object: type \"merge\" (maps), \"json\" (arrays of operations) or \"strategic\"; returns the object.",
        ).with_optional(1),
        function(
            "delete",
            &["namespace", "kind/name"],
            Effect,
            "Delete an object; true if deleted, false if it was already absent.",
        ),
        function(
            "namespace",
            &[],
            Read,
            "The namespace of the kubeconfig's context (`default` when it sets none); sends no request.",
        ),
        function(
            "nodes",
            &[],
            Read,
            "Per node: #{ name, ready, schedulable, pods, allocatable, requested, free } (cpu in millicores, memory in bytes).",
        ),
        function("capacity", &[], Read, "Totals over ready, schedulable nodes: #{ nodes, allocatable, requested, free }."),
    ];
    all.extend(workload_methods("Deployment"));
    all.extend(workload_methods("StatefulSet"));
    all.extend([
        method("Hpa", "get", &[], Read, "The whole object as a map."),
        method("Hpa", "min", &[], Read, "spec.minReplicas."),
        method("Hpa", "max", &[], Read, "spec.maxReplicas."),
        method("Hpa", "current", &[], Read, "status.currentReplicas."),
        method("Hpa", "desired", &[], Read, "status.desiredReplicas."),
        method(
            "Hpa",
            "set_bounds",
            &["min", "max"],
            Effect,
            "Set minReplicas and maxReplicas (JSON patch).",
        ),
        method(
            "Hpa",
            "to_string",
            &[],
            Read,
            "`horizontalpodautoscaler/x in ns`.",
        ),
        method(
            "Hpa",
            "to_debug",
            &[],
            Read,
            "`horizontalpodautoscaler/x in ns`.",
        ),
        method(
            "Pods",
            "get",
            &[],
            Read,
            "The matching pods as an array of maps.",
        ),
        method("Pods", "count", &[], Read, "How many pods match."),
        method(
            "Pods",
            "running",
            &[],
            Read,
            "How many are Running (terminating pods excluded).",
        ),
        method(
            "Pods",
            "ready",
            &[],
            Read,
            "How many are Ready (terminating pods excluded).",
        ),
        method(
            "Pods",
            "restarts",
            &[],
            Read,
            "The sum of the containers' restart counts.",
        ),
        method("Pods", "names", &[], Read, "The pods' names, sorted."),
        method(
            "Pods",
            "to_string",
            &[],
            Read,
            "`pods in ns matching selector`.",
        ),
        method(
            "Pods",
            "to_debug",
            &[],
            Read,
            "`pods in ns matching selector`.",
        ),
    ]);
    all
}
