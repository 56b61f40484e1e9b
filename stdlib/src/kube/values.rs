//! Kubernetes objects (JSON) as Rhai values and back: objects become maps,
//! so `kube::get(ns, "hpa/x").spec.minReplicas` reads like the YAML.

use rhai::{Dynamic, EvalAltResult};
use serde_json::Value;

use super::errors::bad_argument;
use crate::ActionError;

/// A JSON value as a Rhai value (objects → maps, arrays → arrays,
/// integers → `INT`, `null` → `()`).
pub(crate) fn to_rhai(value: &Value) -> Result<Dynamic, Box<EvalAltResult>> {
    rhai::serde::to_dynamic(value)
}

/// A Rhai value (map, array, string, number) as JSON.
pub(crate) fn from_rhai(value: &Dynamic, what: &str) -> Result<Value, ActionError> {
    rhai::serde::from_dynamic::<Value>(value).map_err(|e| {
        bad_argument(
            format!("{what} cannot be sent to Kubernetes: {e}"),
            "use maps, arrays, strings, numbers and booleans",
        )
    })
}

/// An integer at a JSON pointer (`/spec/replicas`).
pub(crate) fn int_at(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

/// A string at a JSON pointer.
pub(crate) fn str_at<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

/// Whether `object` has a `status.conditions` entry of type `kind` whose
/// `field` is `value` (`Ready`'s `status` is `True`, `Progressing`'s `reason`
/// is `ProgressDeadlineExceeded`).
pub(crate) fn has_condition(object: &Value, kind: &str, field: &str, value: &str) -> bool {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some(kind)
                && c.get(field).and_then(Value::as_str) == Some(value)
        })
}
