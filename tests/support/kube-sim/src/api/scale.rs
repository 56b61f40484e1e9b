//! The `scale` subresource: an autoscaling/v1 `Scale` view of a workload's
//! replicas, readable and writable with GET, PUT and every PATCH type.

use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::catalog::ResourceType;
use crate::http::{Reply, Request};
use crate::objects::{Part, WriteOptions};
use crate::patch::PatchType;
use crate::router::ResourcePath;
use crate::selector::LabelSelector;
use crate::state::State;

/// The Scale object of a workload.
pub fn to_scale(object: &Value) -> Value {
    let meta = &object["metadata"];
    let selector = LabelSelector::from_object(&object["spec"]["selector"]).to_query();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": object["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {
            "replicas": object["status"]["replicas"].as_i64().unwrap_or(0),
            "selector": selector,
        },
    })
}

fn replicas_of(scale: &Value) -> Result<i64, ApiError> {
    scale["spec"]["replicas"]
        .as_i64()
        .filter(|r| *r >= 0)
        .ok_or_else(|| ApiError {
            code: 422,
            reason: "Invalid".to_string(),
            message: format!(
                "Scale.autoscaling \"{}\" is invalid: spec.replicas: Invalid value: {}: must be greater than or equal to 0",
                scale["metadata"]["name"].as_str().unwrap_or_default(),
                scale["spec"]["replicas"]
            ),
            details: None,
        })
}

/// Writes `scale`'s replicas into the workload (with `precondition` as the
/// required resourceVersion) and answers the new Scale.
fn write_scale(
    state: &State,
    rt: &ResourceType,
    (namespace, name): (&str, &str),
    scale: &Value,
    precondition: Option<&str>,
    opts: WriteOptions,
) -> Result<Value, ApiError> {
    let replicas = replicas_of(scale)?;
    let mut patch = json!({"spec": {"replicas": replicas}});
    if let Some(rv) = precondition.filter(|rv| !rv.is_empty()) {
        patch["metadata"] = json!({"resourceVersion": rv});
    }
    let object = state.write(|api| {
        api.patch(
            rt,
            namespace,
            name,
            PatchType::Merge,
            &patch,
            Part::Main,
            opts,
        )
    })?;
    Ok(to_scale(&object))
}

pub(crate) fn handle(
    state: &State,
    request: &Request,
    path: &ResourcePath,
) -> Result<Reply, ApiError> {
    let rt = &path.rt;
    let namespace = path.namespace.as_deref().unwrap_or_default();
    let name = path
        .name
        .as_deref()
        .ok_or_else(|| ApiError::no_route(&request.path))?;
    let opts = WriteOptions {
        dry_run: request.param("dryRun") == Some("All"),
    };
    let current = state.quietly(|api| api.get(rt, namespace, name))?;
    let scale = to_scale(&current);
    match request.method.as_str() {
        "GET" => Ok(Reply::Json(200, scale)),
        "PUT" => {
            let body: Value = serde_json::from_slice(&request.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding Scale: {e}")))?;
            let precondition = body["metadata"]["resourceVersion"].as_str();
            write_scale(state, rt, (namespace, name), &body, precondition, opts)
                .map(|s| Reply::Json(200, s))
        }
        "PATCH" => {
            let patch_type = PatchType::from_content_type(&request.content_type)?;
            let patch = patch_type.parse_body(&request.body)?;
            let patched = patch_type.apply(&scale, &patch)?;
            // Only a resourceVersion the patch itself sets is a precondition:
            // the one read above may be outdated by the controller already.
            let read_rv = &scale["metadata"]["resourceVersion"];
            let patched_rv = &patched["metadata"]["resourceVersion"];
            let precondition = (patched_rv != read_rv).then(|| patched_rv.as_str().unwrap_or("0"));
            write_scale(state, rt, (namespace, name), &patched, precondition, opts)
                .map(|s| Reply::Json(200, s))
        }
        method => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({method} {})",
            request.path
        ))),
    }
}
