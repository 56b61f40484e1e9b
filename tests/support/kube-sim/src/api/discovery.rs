//! `/version`, `/api`, `/apis` and the group-version resource lists, in the
//! plain (non-aggregated) form: clients that ask for aggregated discovery
//! read the `application/json` Content-Type and fall back to these.

use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::catalog::ResourceType;
use crate::http::Reply;
use crate::state::State;

/// The Kubernetes version the simulator claims; kubectl's version
/// dispatcher picks its client from it.
pub const GIT_VERSION: &str = "v1.32.3";

const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

pub(crate) fn version() -> Reply {
    Reply::Json(
        200,
        json!({
            "major": "1",
            "minor": "32",
            "gitVersion": GIT_VERSION,
            "gitCommit": "32cc146f75aad04beaaa245a7157eb35063a9f99",
            "gitTreeState": "clean",
            "buildDate": "2025-03-11T19:52:21Z",
            "goVersion": "go1.23.6",
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
    )
}

pub(crate) fn core_versions() -> Reply {
    Reply::Json(
        200,
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
        }),
    )
}

fn group_document(name: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({
        "name": name,
        "versions": versions,
        "preferredVersion": versions.first().cloned().unwrap_or(Value::Null),
    })
}

pub(crate) fn group_list(state: &State) -> Reply {
    let groups: Vec<Value> = state
        .catalog
        .groups()
        .iter()
        .map(|(name, versions)| group_document(name, versions))
        .collect();
    Reply::Json(
        200,
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
    )
}

pub(crate) fn group(state: &State, name: &str) -> Result<Reply, ApiError> {
    let groups = state.catalog.groups();
    let (name, versions) = groups
        .iter()
        .find(|(g, _)| g == name)
        .ok_or_else(|| ApiError::no_route(&format!("/apis/{name}")))?;
    let mut document = group_document(name, versions);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Ok(Reply::Json(200, document))
}

fn resource_entries(rt: &ResourceType) -> Vec<Value> {
    let mut entries = vec![json!({
        "name": rt.plural,
        "singularName": rt.singular(),
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": VERBS,
        "shortNames": rt.short_names,
        "categories": if rt.namespaced && rt.group != "autoscaling" { vec!["all"] } else { vec![] },
    })];
    if rt.status {
        entries.push(json!({
            "name": format!("{}/status", rt.plural),
            "singularName": "",
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": ["get", "patch", "update"],
        }));
    }
    if rt.scale {
        entries.push(json!({
            "name": format!("{}/scale", rt.plural),
            "singularName": "",
            "namespaced": rt.namespaced,
            "group": "autoscaling",
            "version": "v1",
            "kind": "Scale",
            "verbs": ["get", "patch", "update"],
        }));
    }
    if rt.is_pod() {
        entries.push(json!({
            "name": "pods/log",
            "singularName": "",
            "namespaced": true,
            "kind": "Pod",
            "verbs": ["get"],
        }));
    }
    entries
}

pub(crate) fn resource_list(state: &State, group: &str, version: &str) -> Result<Reply, ApiError> {
    let resources: Vec<Value> = state
        .catalog
        .in_group_version(group, version)
        .flat_map(resource_entries)
        .collect();
    if resources.is_empty() {
        return Err(ApiError::no_route(&format!("/apis/{group}/{version}")));
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Ok(Reply::Json(
        200,
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": resources,
        }),
    ))
}
