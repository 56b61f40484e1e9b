//! The log of every request the simulator answered, for tests to assert on
//! ("the scale subresource was patched exactly once").

use serde_json::Value;

/// One answered (or deliberately unanswered) request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// HTTP method, upper case.
    pub method: String,
    /// URL path, e.g. `/apis/apps/v1/namespaces/production/deployments/web/scale`.
    pub path: String,
    /// Raw query string, `""` when none.
    pub query: String,
    /// Content-Type of the request body, when it had one.
    pub content_type: Option<String>,
    /// The body parsed as JSON (or YAML for apply patches), when present.
    pub body: Option<Value>,
    /// HTTP status answered; 0 when the connection was dropped instead.
    pub status: u16,
}

impl RequestRecord {
    /// The decoded value of query parameter `name`, if present.
    pub fn query_param(&self, name: &str) -> Option<String> {
        crate::http::query_pairs(&self.query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Whether the request was a write (POST, PUT, PATCH, DELETE).
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
    }
}
