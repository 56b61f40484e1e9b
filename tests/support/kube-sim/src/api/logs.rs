//! `GET …/pods/{name}/log` with `container`, `tailLines`, `sinceSeconds`
//! and `timestamps`.

use crate::api_error::ApiError;
use crate::http::{Reply, Request};
use crate::pod_log::{render, LogQuery};
use crate::router::ResourcePath;
use crate::state::State;

fn number<T: std::str::FromStr>(request: &Request, name: &str) -> Result<Option<T>, ApiError> {
    request
        .param(name)
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::bad_request(format!("invalid {name}: {v:?}")))
        })
        .transpose()
}

pub(crate) fn handle(
    state: &State,
    request: &Request,
    path: &ResourcePath,
) -> Result<Reply, ApiError> {
    if request.method != "GET" {
        return Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({} {})",
            request.method, request.path
        )));
    }
    let namespace = path.namespace.as_deref().unwrap_or_default();
    let name = path
        .name
        .as_deref()
        .ok_or_else(|| ApiError::no_route(&request.path))?;
    let pod = state.quietly(|api| api.get(&path.rt, namespace, name))?;
    let query = LogQuery {
        container: request.param("container").map(str::to_string),
        tail_lines: number(request, "tailLines")?,
        since_seconds: number(request, "sinceSeconds")?,
        timestamps: request.flag("timestamps"),
    };
    render(&pod, &query, chrono::Utc::now()).map(|text| Reply::Text(200, text))
}
