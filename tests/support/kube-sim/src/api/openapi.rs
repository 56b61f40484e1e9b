//! A minimal OpenAPI v3 index: one document per group version listing the
//! PATCH operation of each resource with its `fieldValidation` parameter.
//! That is what `kubectl apply`'s default validation looks for to hand
//! validation to the server (`fieldValidation=Strict`) instead of
//! downloading full schemas; the simulator accepts the parameter and does
//! its own validation. Schemas (`kubectl explain`) are not served.

use serde_json::{json, Map, Value};

use crate::api_error::ApiError;
use crate::http::Reply;
use crate::state::State;

fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the group versions and where their documents are.
pub(crate) fn index(state: &State) -> Reply {
    let mut paths = Map::new();
    let mut seen = Vec::new();
    for rt in state.catalog.types() {
        let path = group_version_path(&rt.group, &rt.version);
        if !seen.contains(&path) {
            paths.insert(
                path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash=kube-sim")}),
            );
            seen.push(path);
        }
    }
    Reply::Json(200, json!({"paths": paths}))
}

/// `/openapi/v3/{api|apis/group}/{version}`: the PATCH operations.
pub(crate) fn group_version(state: &State, group: &str, version: &str) -> Result<Reply, ApiError> {
    let mut paths = Map::new();
    for rt in state.catalog.in_group_version(group, version) {
        let prefix = format!("/{}", group_version_path(group, version));
        let path = if rt.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
        } else {
            format!("{prefix}/{}/{{name}}", rt.plural)
        };
        let query = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string"}});
        paths.insert(
            path,
            json!({"patch": {
                "operationId": format!("patch{}", rt.kind),
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
                "parameters": [query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force")],
                "responses": {"200": {"description": "OK"}},
            }}),
        );
    }
    if paths.is_empty() {
        return Err(ApiError::no_route(&format!(
            "/openapi/v3/{}",
            group_version_path(group, version)
        )));
    }
    Ok(Reply::Json(
        200,
        json!({
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": crate::api::discovery::GIT_VERSION},
            "paths": Value::Object(paths),
        }),
    ))
}
