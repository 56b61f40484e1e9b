//! The HTTP/1.1 server: accepts connections, applies connection-level and
//! request-level faults, hands requests to the router and logs them.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::api_error::ApiError;
use crate::faults::{injected_error, LostAck};
use crate::patch::PatchType;
use crate::request_log::RequestRecord;
use crate::router;
use crate::state::{lock, State};

/// Response bodies: whole documents or a watch stream.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A decoded request, as handlers see it.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub accept: String,
    pub content_type: String,
    pub body: Bytes,
}

impl Request {
    /// The value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a boolean query flag is set (`watch=1`, `watch=true`).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.param(name), Some("1" | "true" | "True"))
    }
}

/// What a handler answers.
pub(crate) enum Reply {
    /// A JSON document with a status code.
    Json(u16, Value),
    /// Plain text (pod logs, health checks).
    Text(u16, String),
    /// A streaming JSON response (watch).
    Stream(Body),
}

impl From<ApiError> for Reply {
    fn from(err: ApiError) -> Self {
        Reply::Json(err.code, err.to_status())
    }
}

/// The connection is to be closed without an answer (injected fault).
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decoded `key=value` pairs of a query string.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

fn build(status: u16, content_type: &str, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn body_for_log(request: &Request) -> Option<Value> {
    if request.body.is_empty() {
        return None;
    }
    let is_apply = PatchType::from_content_type(&request.content_type) == Ok(PatchType::Apply);
    if is_apply {
        serde_yaml::from_slice(&request.body).ok()
    } else {
        serde_json::from_slice(&request.body).ok()
    }
}

async fn handle(
    state: Arc<State>,
    request: hyper::Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    // Refusing also cuts connections opened before the switch, so clients
    // with pooled keep-alive connections see the outage too.
    if lock(&state.faults).refusing() {
        return Err(DropConnection);
    }
    let (parts, incoming) = request.into_parts();
    let body = match incoming.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(DropConnection),
    };
    let header = |name: hyper::header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let request = Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: query_pairs(&raw_query),
        raw_query,
        accept: header(hyper::header::ACCEPT),
        content_type: header(hyper::header::CONTENT_TYPE),
        body,
    };

    let latency = lock(&state.faults).latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let injected = lock(&state.faults).take_failure(&request.method, &request.path);
    let mut reply = match injected {
        Some(code) => Reply::from(injected_error(code, &request.method, &request.path)),
        None => router::route(&state, &request),
    };
    let is_write = matches!(request.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE");
    // A write the server did not perform (an injected error) has no
    // acknowledgement to lose.
    let lost = match injected {
        None if is_write => lock(&state.faults).take_lost_ack(&request.method, &request.path),
        _ => None,
    };
    if let Some(LostAck::Status(code)) = lost {
        reply = Reply::from(injected_error(code, &request.method, &request.path));
    }
    let status = match &reply {
        Reply::Json(code, _) | Reply::Text(code, _) => *code,
        Reply::Stream(_) => 200,
    };
    let dropped = lost == Some(LostAck::Drop);
    lock(&state.requests).push(RequestRecord {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.raw_query.clone(),
        content_type: (!request.body.is_empty()).then(|| request.content_type.clone()),
        body: body_for_log(&request),
        status: if dropped { 0 } else { status },
    });
    if dropped {
        return Err(DropConnection);
    }
    Ok(match reply {
        Reply::Json(code, value) => build(code, "application/json", full(value.to_string())),
        Reply::Text(code, text) => build(code, "text/plain", full(text)),
        Reply::Stream(body) => build(200, "application/json", body),
    })
}

/// Accepts connections until `shutdown` fires.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        if lock(&state.faults).refusing() {
            drop(stream);
            continue;
        }
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(state.clone(), req));
            // Errors here are clients hanging up or injected drops: the
            // connection is over either way.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
