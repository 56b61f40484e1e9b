//! The verbs on a resource URL: get, list, watch, create, update, patch,
//! delete and deletecollection, plus the `status`, `scale` and `log`
//! subresources.

use serde_json::{json, Value};

use crate::api::{logs, scale, table, watch};
use crate::api_error::ApiError;
use crate::http::{Reply, Request};
use crate::objects::{ObjectApi, Part, WriteOptions};
use crate::patch::PatchType;
use crate::router::ResourcePath;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::State;

fn write_options(request: &Request) -> WriteOptions {
    WriteOptions {
        dry_run: request.param("dryRun") == Some("All"),
    }
}

fn parse_body(request: &Request) -> Result<Value, ApiError> {
    serde_json::from_slice(&request.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding request body: {e}")))
}

fn selectors(request: &Request) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(request.param("labelSelector").unwrap_or_default())?;
    let fields = FieldSelector::parse(request.param("fieldSelector").unwrap_or_default())?;
    Ok((labels, fields))
}

fn ok(code: u16) -> impl FnOnce(Value) -> Reply {
    move |value| Reply::Json(code, value)
}

/// Dispatches a request on a resource URL.
pub(crate) fn handle(state: &State, request: &Request, path: ResourcePath) -> Reply {
    let result = match path.subresource.as_deref() {
        None => handle_main(state, request, &path),
        Some("status") => handle_status(state, request, &path),
        Some("scale") if path.rt.scale => scale::handle(state, request, &path),
        Some("log") if path.rt.is_pod() => logs::handle(state, request, &path),
        Some(other) => Err(ApiError::no_route(&format!("{}/{other}", path.rt.plural))),
    };
    result.unwrap_or_else(Reply::from)
}

fn namespace_of(path: &ResourcePath) -> Result<&str, ApiError> {
    if !path.rt.namespaced {
        return Ok("");
    }
    path.namespace.as_deref().ok_or_else(|| {
        ApiError::bad_request(format!(
            "{} is namespaced: the URL must name a namespace",
            path.rt.group_resource()
        ))
    })
}

fn handle_main(state: &State, request: &Request, path: &ResourcePath) -> Result<Reply, ApiError> {
    let rt = &path.rt;
    let name = path.name.as_deref();
    let method = request.method.as_str();
    if method == "GET" && (path.watch || request.flag("watch")) {
        let (labels, mut fields) = selectors(request)?;
        if let Some(name) = name {
            fields = FieldSelector::name(name);
        }
        let namespace = if rt.namespaced {
            path.namespace.clone()
        } else {
            None
        };
        return watch::start(state, request, rt.clone(), namespace, labels, fields);
    }
    let opts = write_options(request);
    match (method, name) {
        ("GET", None) => {
            let (labels, fields) = selectors(request)?;
            let namespace = if rt.namespaced {
                path.namespace.as_deref()
            } else {
                None
            };
            let (items, resource_version) = state.quietly(|api| {
                (
                    api.list(rt, namespace, &labels, &fields),
                    api.store.resource_version(),
                )
            });
            if table::wanted(request) {
                return Ok(Reply::Json(
                    200,
                    table::render(rt, &items, resource_version, request.param("includeObject")),
                ));
            }
            Ok(Reply::Json(
                200,
                json!({
                    "kind": format!("{}List", rt.kind),
                    "apiVersion": rt.api_version(),
                    "metadata": {"resourceVersion": resource_version.to_string()},
                    "items": items,
                }),
            ))
        }
        ("GET", Some(name)) => {
            let namespace = namespace_of(path)?;
            let object = state.quietly(|api| api.get(rt, namespace, name))?;
            if table::wanted(request) {
                let rv = object["metadata"]["resourceVersion"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_default();
                return Ok(Reply::Json(
                    200,
                    table::render(rt, &[object], rv, request.param("includeObject")),
                ));
            }
            Ok(Reply::Json(200, object))
        }
        ("POST", None) => {
            let namespace = namespace_of(path)?;
            let body = parse_body(request)?;
            state
                .write(|api| api.create(rt, namespace, body, opts))
                .map(ok(201))
        }
        ("PUT", Some(name)) => {
            let namespace = namespace_of(path)?;
            let body = parse_body(request)?;
            state
                .write(|api| api.update(rt, namespace, name, body, Part::Main, opts))
                .map(ok(200))
        }
        ("PATCH", Some(name)) => {
            let namespace = namespace_of(path)?;
            patch(state, request, rt, namespace, name, Part::Main)
        }
        ("DELETE", Some(name)) => {
            let namespace = namespace_of(path)?;
            state
                .write(|api| api.delete(rt, namespace, name, opts))
                .map(ok(200))
        }
        ("DELETE", None) => {
            let (labels, fields) = selectors(request)?;
            let namespace = if rt.namespaced {
                path.namespace.as_deref()
            } else {
                None
            };
            state
                .write(|api| delete_collection(api, rt, namespace, &labels, &fields, opts))
                .map(ok(200))
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({method} {})",
            request.path
        ))),
    }
}

fn delete_collection(
    api: &mut ObjectApi<'_>,
    rt: &crate::catalog::ResourceType,
    namespace: Option<&str>,
    labels: &LabelSelector,
    fields: &FieldSelector,
    opts: WriteOptions,
) -> Result<Value, ApiError> {
    let items = api.list(rt, namespace, labels, fields);
    for item in &items {
        let ns = item["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = item["metadata"]["name"].as_str().unwrap_or_default();
        api.delete(rt, ns, name, opts)?;
    }
    Ok(json!({
        "kind": format!("{}List", rt.kind),
        "apiVersion": rt.api_version(),
        "metadata": {},
        "items": items,
    }))
}

/// PATCH on the main resource or `status`; apply patches need a field manager.
pub(crate) fn patch(
    state: &State,
    request: &Request,
    rt: &crate::catalog::ResourceType,
    namespace: &str,
    name: &str,
    part: Part,
) -> Result<Reply, ApiError> {
    let patch_type = PatchType::from_content_type(&request.content_type)?;
    if patch_type == PatchType::Apply && request.param("fieldManager").is_none_or(str::is_empty) {
        return Err(ApiError {
            code: 422,
            reason: "Invalid".to_string(),
            message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".to_string(),
            details: None,
        });
    }
    let patch = patch_type.parse_body(&request.body)?;
    let opts = write_options(request);
    let existed = state.quietly(|api| api.get(rt, namespace, name).is_ok());
    let object =
        state.write(|api| api.patch(rt, namespace, name, patch_type, &patch, part, opts))?;
    Ok(Reply::Json(if existed { 200 } else { 201 }, object))
}

fn handle_status(state: &State, request: &Request, path: &ResourcePath) -> Result<Reply, ApiError> {
    let rt = &path.rt;
    if !rt.status {
        return Err(ApiError::no_route(&format!("{}/status", rt.plural)));
    }
    let namespace = namespace_of(path)?;
    let name = path
        .name
        .as_deref()
        .ok_or_else(|| ApiError::no_route(&request.path))?;
    match request.method.as_str() {
        "GET" => state
            .quietly(|api| api.get(rt, namespace, name))
            .map(ok(200)),
        "PUT" => {
            let body = parse_body(request)?;
            let opts = write_options(request);
            state
                .write(|api| api.update(rt, namespace, name, body, Part::Status, opts))
                .map(ok(200))
        }
        "PATCH" => patch(state, request, rt, namespace, name, Part::Status),
        method => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({method} {})",
            request.path
        ))),
    }
}
