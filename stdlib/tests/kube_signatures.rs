//! The signature table lint checks calls against matches what is
//! registered: every `kube` function and handle method on the engine has an
//! entry with its name, receiver and arity, and every arity an entry
//! accepts is registered.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod kube_common;

use std::collections::BTreeSet;

use kube_common::Harness;
use runbook_stdlib::KubeOptions;

const RECEIVERS: [&str; 4] = ["Deployment", "StatefulSet", "Hpa", "Pods"];

/// (`kube::` or `Receiver.`, name, arity) of a line of Rhai's
/// `gen_fn_signatures`, e.g. `kube::patch(_, _, _)` or
/// `scale(_: &mut Deployment, _: i64) -> …`.
fn parse(line: &str) -> Option<(String, String, usize)> {
    let (head, rest) = line.split_once('(')?;
    let params = rest.split(')').next().unwrap_or_default();
    let params: Vec<&str> = params.split(", ").filter(|p| !p.is_empty()).collect();
    if let Some(name) = head.strip_prefix("kube::") {
        return Some(("kube::".into(), name.into(), params.len()));
    }
    let receiver = params.first()?.strip_prefix("_: &mut ")?;
    RECEIVERS
        .contains(&receiver)
        .then(|| (format!("{receiver}."), head.to_owned(), params.len() - 1))
}

#[test]
fn every_registered_kube_function_is_in_the_table_and_back() {
    let h = Harness::new(KubeOptions::default(), false);
    let registered: BTreeSet<(String, String, usize)> = h
        .engine
        .gen_fn_signatures(false)
        .iter()
        .filter_map(|l| parse(l))
        .collect();
    let declared: BTreeSet<(String, String, usize)> = runbook_stdlib::kube::signatures()
        .iter()
        .flat_map(|s| {
            let owner = match (s.module, s.receiver) {
                (Some(m), _) => format!("{m}::"),
                (None, Some(r)) => format!("{r}."),
                (None, None) => String::new(),
            };
            (s.min_args()..=s.max_args()).map(move |n| (owner.clone(), s.name.to_owned(), n))
        })
        .collect();
    assert!(registered.len() > 40, "parsed too few: {registered:?}");
    let undeclared: Vec<_> = registered.difference(&declared).collect();
    let unregistered: Vec<_> = declared.difference(&registered).collect();
    assert!(
        undeclared.is_empty(),
        "registered without a signature: {undeclared:?}"
    );
    assert!(
        unregistered.is_empty(),
        "declared but not registered: {unregistered:?}"
    );
}

#[test]
fn effects_are_the_functions_that_change_the_cluster() {
    let effects: BTreeSet<String> = runbook_stdlib::kube::signatures()
        .iter()
        .filter(|s| s.class == runbook_stdlib::Class::Effect)
        .map(|s| s.display())
        .collect();
    let expected: BTreeSet<String> = [
        "kube::apply(namespace, yaml)",
        "kube::create(namespace, yaml)",
        "kube::patch(namespace, kind/name, patch, type)",
        "kube::delete(namespace, kind/name)",
        "Deployment.scale(replicas)",
        "Deployment.restart()",
        "Deployment.set_env(name, value, container)",
        "Deployment.set_env(vars, container)",
        "StatefulSet.scale(replicas)",
        "StatefulSet.restart()",
        "StatefulSet.set_env(name, value, container)",
        "StatefulSet.set_env(vars, container)",
        "Hpa.set_bounds(min, max)",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(effects, expected);
}
