//! Maps a request path to discovery documents or to a resource handler.

use crate::api;
use crate::api_error::ApiError;
use crate::catalog::ResourceType;
use crate::http::{Reply, Request};
use crate::state::State;

/// A parsed resource URL.
pub(crate) struct ResourcePath {
    pub rt: ResourceType,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The legacy `/watch/` path form.
    pub watch: bool,
}

fn parse_resource(
    state: &State,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<ResourcePath, ApiError> {
    let (watch, rest) = match rest.split_first() {
        Some((&"watch", tail)) => (true, tail),
        _ => (false, rest),
    };
    let lookup = |plural: &str| {
        state
            .catalog
            .by_plural(group, version, plural)
            .cloned()
            .ok_or_else(|| ApiError::no_route(&format!("{group}/{version}/{plural}")))
    };
    let path = |rt, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| ResourcePath {
        rt,
        namespace: namespace.map(str::to_string),
        name: name.map(str::to_string),
        subresource: sub.map(str::to_string),
        watch,
    };
    let is_namespace_sub = |s: &str| s == "status" || s == "finalize";
    match rest {
        [plural] => Ok(path(lookup(plural)?, None, None, None)),
        ["namespaces", ns, sub] if group.is_empty() && is_namespace_sub(sub) => {
            Ok(path(lookup("namespaces")?, None, Some(ns), Some(sub)))
        }
        ["namespaces", ns, plural] => Ok(path(lookup(plural)?, Some(ns), None, None)),
        ["namespaces", ns, plural, name] => Ok(path(lookup(plural)?, Some(ns), Some(name), None)),
        ["namespaces", ns, plural, name, sub] => {
            Ok(path(lookup(plural)?, Some(ns), Some(name), Some(sub)))
        }
        [plural, name] => Ok(path(lookup(plural)?, None, Some(name), None)),
        [plural, name, sub] => Ok(path(lookup(plural)?, None, Some(name), Some(sub))),
        _ => Err(ApiError::no_route(&rest.join("/"))),
    }
}

/// Answers one request.
pub(crate) fn route(state: &State, request: &Request) -> Reply {
    let segments: Vec<&str> = request.path.split('/').filter(|s| !s.is_empty()).collect();
    let result = match segments.as_slice() {
        ["version"] => Ok(api::discovery::version()),
        ["healthz"] | ["livez"] | ["readyz"] => Ok(Reply::Text(200, "ok".to_string())),
        ["api"] => Ok(api::discovery::core_versions()),
        ["openapi", "v3"] => Ok(api::openapi::index(state)),
        ["openapi", "v3", "api", version] => api::openapi::group_version(state, "", version),
        ["openapi", "v3", "apis", group, version] => {
            api::openapi::group_version(state, group, version)
        }
        ["apis"] => Ok(api::discovery::group_list(state)),
        ["api", "v1"] => api::discovery::resource_list(state, "", "v1"),
        ["apis", group] => api::discovery::group(state, group),
        ["apis", group, version] => api::discovery::resource_list(state, group, version),
        ["api", "v1", rest @ ..] => parse_resource(state, "", "v1", rest)
            .map(|path| api::resources::handle(state, request, path)),
        ["apis", group, version, rest @ ..] => parse_resource(state, group, version, rest)
            .map(|path| api::resources::handle(state, request, path)),
        _ => Err(ApiError::no_route(&request.path)),
    };
    result.unwrap_or_else(Reply::from)
}
