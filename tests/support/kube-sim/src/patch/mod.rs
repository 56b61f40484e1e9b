//! The four PATCH flavours the API server accepts, chosen by Content-Type.

mod json_patch;
mod merge;
mod strategic;

use serde_json::Value;

use crate::api_error::ApiError;

pub use json_patch::apply_json_patch;
pub use merge::merge_patch;
pub use strategic::strategic_merge;

/// A PATCH request's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/strategic-merge-patch+json` (lists merged by key).
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchType {
    /// The patch type of a Content-Type header value.
    pub fn from_content_type(content_type: &str) -> Result<Self, ApiError> {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(PatchType::Apply),
            _ => Err(ApiError::unsupported_media_type(content_type)),
        }
    }

    /// Parses a request body of this type (apply bodies may be YAML).
    pub fn parse_body(self, body: &[u8]) -> Result<Value, ApiError> {
        let parsed = match self {
            PatchType::Apply => serde_yaml::from_slice::<Value>(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}"))),
            _ => serde_json::from_slice::<Value>(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}"))),
        }?;
        let expected_array = self == PatchType::Json;
        if expected_array != parsed.is_array() || (!expected_array && !parsed.is_object()) {
            return Err(ApiError::bad_request(if expected_array {
                "json patch must be an array of operations"
            } else {
                "patch body must be a JSON object"
            }));
        }
        Ok(parsed)
    }

    /// Applies `patch` to `target`.
    pub fn apply(self, target: &Value, patch: &Value) -> Result<Value, ApiError> {
        match self {
            PatchType::Merge => Ok(merge_patch(target, patch)),
            PatchType::Json => apply_json_patch(target, patch),
            PatchType::Strategic | PatchType::Apply => strategic_merge(target, patch),
        }
    }
}
