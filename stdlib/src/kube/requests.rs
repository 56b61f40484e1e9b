//! The handful of API calls every action is made of, on dynamic objects, each
//! returning plain JSON and a [`Failure`] that knows what was attempted.
//! Reads retry on their own; writes are single attempts that callers wrap in
//! [`retrying`] together with the read they depend on.

use kube::api::{DynamicObject, GetParams, ListParams, LogParams, Patch};
use serde_json::Value;

use super::client::Connection;
use super::dry_run::{apply_params, delete_params, patch_params, post_params};
use super::errors::{bad_argument, code, Failure, Target};
use super::kinds::{self, Kind};
use super::retry::{retrying, Mode};
use crate::{ActionContext, ActionError};

/// The body of a write.
#[derive(Clone, Debug)]
pub(crate) enum PatchBody {
    /// JSON merge patch (RFC 7386).
    Merge(Value),
    /// Kubernetes strategic merge patch: lists like `containers` and `env`
    /// merge by name.
    Strategic(Value),
    /// JSON patch (RFC 6902): a list of operations.
    Json(Value),
    /// Server-side apply of a whole manifest.
    Apply(Value),
}

fn to_json(object: DynamicObject) -> Result<Value, Failure> {
    serde_json::to_value(object).map_err(|e| {
        Failure::Action(ActionError::new(
            code::REQUEST_FAILED,
            format!("cannot read an object from the API server: {e}"),
        ))
    })
}

/// The API for one named object. A namespaced kind needs a namespace: `""`
/// would address every namespace, which names no single object.
fn object_api(
    c: &Connection,
    kind: &Kind,
    ns: &str,
    name: &str,
) -> Result<kube::Api<DynamicObject>, Failure> {
    if kind.namespaced && ns.is_empty() {
        return Err(Failure::Action(bad_argument(
            format!("{}/{name} is namespaced, but no namespace was given", kind.label()),
            "pass the namespace, e.g. kube::get(\"production\", \"deploy/x\"); kube::namespace() is the context's",
        )));
    }
    Ok(kind.api(c.client.clone(), Some(ns)))
}

/// Get one object.
pub(crate) async fn get(
    c: &Connection,
    kind: &Kind,
    ns: &str,
    name: &str,
) -> Result<Value, Failure> {
    let api = object_api(c, kind, ns, name)?;
    let api = &api;
    retrying(Mode::Read, async || {
        api.get_with(name, &GetParams::default())
            .await
            .map_err(|e| Failure::kube(e, Target::new("get", kind, Some(ns), Some(name))))
    })
    .await
    .and_then(to_json)
}

/// Get one object, `None` when it does not exist.
pub(crate) async fn get_opt(
    c: &Connection,
    kind: &Kind,
    ns: &str,
    name: &str,
) -> Result<Option<Value>, Failure> {
    match get(c, kind, ns, name).await {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.is_not_found() => Ok(None),
        Err(f) => Err(f),
    }
}

/// List objects in `ns` (all namespaces when `None`), optionally by label
/// selector, following continuation tokens.
pub(crate) async fn list(
    c: &Connection,
    kind: &Kind,
    ns: Option<&str>,
    selector: Option<&str>,
) -> Result<Vec<Value>, Failure> {
    let api = kind.api(c.client.clone(), ns);
    let api = &api;
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(500);
        if let Some(s) = selector.filter(|s| !s.is_empty()) {
            params = params.labels(s);
        }
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let params = &params;
        let page = retrying(Mode::Read, async || {
            api.list(params)
                .await
                .map_err(|e| Failure::kube(e, Target::new("list", kind, ns, None)))
        })
        .await?;
        token = page.metadata.continue_.clone().filter(|t| !t.is_empty());
        for item in page.items {
            items.push(to_json(item)?);
        }
        if token.is_none() {
            return Ok(items);
        }
    }
}

/// One patch request (no retry: see [`retrying`] in the callers).
pub(crate) async fn patch(
    c: &Connection,
    ctx: &ActionContext,
    kind: &Kind,
    ns: &str,
    name: &str,
    body: &PatchBody,
) -> Result<Value, Failure> {
    let api = object_api(c, kind, ns, name)?;
    let target = || Target::new("patch", kind, Some(ns), Some(name));
    let out = match body {
        PatchBody::Merge(v) => api.patch(name, &patch_params(ctx), &Patch::Merge(v)).await,
        PatchBody::Strategic(v) => {
            api.patch(name, &patch_params(ctx), &Patch::Strategic(v))
                .await
        }
        PatchBody::Apply(v) => api.patch(name, &apply_params(ctx), &Patch::Apply(v)).await,
        PatchBody::Json(ops) => {
            return json_patch(c, &api, ctx, name, ops)
                .await
                .map_err(|e| Failure::kube(e, target()))
        }
    };
    out.map_err(|e| Failure::kube(e, target()))
        .and_then(to_json)
}

/// A JSON patch, sent by hand: kube's typed `Patch::Json` needs the
/// `json-patch` crate for what is, on the wire, a JSON array.
async fn json_patch(
    c: &Connection,
    api: &kube::Api<DynamicObject>,
    ctx: &ActionContext,
    name: &str,
    ops: &Value,
) -> Result<Value, kube::Error> {
    let request = kube::core::Request::new(api.resource_url());
    let req = request
        .patch(name, &patch_params(ctx), &Patch::Merge(ops))
        .map_err(kube::Error::BuildRequest)?;
    let (mut parts, body) = req.into_parts();
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json-patch+json"),
    );
    c.client
        .request::<Value>(http::Request::from_parts(parts, body))
        .await
}

/// One create request (POST; no retry: see [`retrying`] in the callers).
pub(crate) async fn create(
    c: &Connection,
    ctx: &ActionContext,
    kind: &Kind,
    ns: &str,
    name: &str,
    object: &Value,
) -> Result<Value, Failure> {
    let api = object_api(c, kind, ns, name)?;
    let object: DynamicObject = serde_json::from_value(object.clone()).map_err(|e| {
        Failure::Action(bad_argument(
            format!(
                "kube::create: {}/{name} is not a Kubernetes object: {e}",
                kind.label()
            ),
            "each object needs apiVersion, kind and metadata.name",
        ))
    })?;
    api.create(&post_params(ctx), &object)
        .await
        .map_err(|e| Failure::kube(e, Target::new("create", kind, Some(ns), Some(name))))
        .and_then(to_json)
}

/// Patch the `scale` subresource (`kubectl scale`).
pub(crate) async fn patch_scale(
    c: &Connection,
    ctx: &ActionContext,
    kind: &Kind,
    ns: &str,
    name: &str,
    replicas: i64,
) -> Result<Value, Failure> {
    let api = object_api(c, kind, ns, name)?;
    let body = serde_json::json!({ "spec": { "replicas": replicas } });
    api.patch_subresource("scale", name, &patch_params(ctx), &Patch::Merge(&body))
        .await
        .map_err(|e| {
            Failure::kube(
                e,
                Target::new("patch", kind, Some(ns), Some(name)).subresource("scale"),
            )
        })
        .and_then(to_json)
}

/// Delete one object; `false` when it was already gone.
pub(crate) async fn delete(
    c: &Connection,
    ctx: &ActionContext,
    kind: &Kind,
    ns: &str,
    name: &str,
) -> Result<bool, Failure> {
    let api = object_api(c, kind, ns, name)?;
    match send_delete(c, &api, ctx, name).await {
        Ok(()) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(Failure::kube(
            e,
            Target::new("delete", kind, Some(ns), Some(name)),
        )),
    }
}

/// kube puts `dryRun` only in the DeleteOptions body; the query parameter
/// is sent as well, so the dry run shows in request logs and proxies, and
/// servers that read either honour it.
async fn send_delete(
    c: &Connection,
    api: &kube::Api<DynamicObject>,
    ctx: &ActionContext,
    name: &str,
) -> Result<(), kube::Error> {
    let request = kube::core::Request::new(api.resource_url());
    let mut req = request
        .delete(name, &delete_params(ctx))
        .map_err(kube::Error::BuildRequest)?;
    if ctx.dry_run {
        let uri = format!("{}?dryRun=All", req.uri().path());
        *req.uri_mut() = uri
            .parse()
            .map_err(|e: http::uri::InvalidUri| kube::Error::HttpError(e.into()))?;
    }
    c.client
        .request_status::<DynamicObject>(req)
        .await
        .map(|_| ())
}

/// The log of one pod's container.
pub(crate) async fn pod_log(
    c: &Connection,
    ns: &str,
    pod: &str,
    params: &LogParams,
) -> Result<String, Failure> {
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(c.client.clone(), ns);
    let api = &api;
    retrying(Mode::Read, async || {
        api.logs(pod, params).await.map_err(|e| {
            Failure::kube(
                e,
                Target::new("get", &kinds::pods(), Some(ns), Some(pod)).subresource("log"),
            )
        })
    })
    .await
}
