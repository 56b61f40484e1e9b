//! Step bindings as data: Rhai values ⇄ JSON, for checkpoints.
//!
//! Plain data (unit, bool, int, float, decimal, char, string, array, map,
//! blob) round-trips. Handles (custom types such as a Kubernetes deployment
//! or a database connection), function pointers and timestamps cannot be
//! stored: they are live objects, rebuilt by top-level `let`s at every start.

use rhai::{Array, Dynamic, Map};
use serde_json::Value;

use crate::redact::Redactor;

/// Why a binding cannot be checkpointed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error("`{name}` holds a {type_name}, which cannot be checkpointed")]
    Handle { name: String, type_name: String },
    #[error("`{name}` holds a secret value, which is never stored")]
    Secret { name: String },
    #[error("`{name}` holds a float that is not a number ({value})")]
    NotANumber { name: String, value: String },
}

impl BindingError {
    pub fn help(&self) -> &'static str {
        match self {
            BindingError::Handle { .. } => {
                "create handles with a top-level `let` (re-evaluated at every start and resume) and keep only data in step `let`s"
            }
            BindingError::Secret { .. } => {
                "use the secret param where it is needed instead of copying it into a step binding"
            }
            BindingError::NotANumber { .. } => "store a finite number or a string",
        }
    }
}

const DECIMAL_TAG: &str = "$decimal";

/// `value` as JSON, or why it cannot be stored. `name` is the binding's name
/// (used in errors); secrets known to `redactor` are refused.
pub fn to_json(name: &str, value: &Dynamic, redactor: &Redactor) -> Result<Value, BindingError> {
    let v = convert(name, value)?;
    if redactor.contains_secret(&v.to_string()) {
        return Err(BindingError::Secret {
            name: name.to_string(),
        });
    }
    Ok(v)
}

fn convert(name: &str, value: &Dynamic) -> Result<Value, BindingError> {
    if value.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = value.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = value.as_float() {
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| BindingError::NotANumber {
                name: name.to_string(),
                value: f.to_string(),
            });
    }
    if let Ok(d) = value.as_decimal() {
        let mut m = serde_json::Map::new();
        m.insert(DECIMAL_TAG.into(), Value::String(d.to_string()));
        return Ok(Value::Object(m));
    }
    if let Ok(c) = value.as_char() {
        return Ok(Value::String(c.to_string()));
    }
    if value.is_string() {
        return Ok(Value::String(value.to_string()));
    }
    if value.is_blob() {
        let blob = value
            .read_lock::<rhai::Blob>()
            .map(|b| b.clone())
            .unwrap_or_default();
        return Ok(Value::Array(blob.into_iter().map(Value::from).collect()));
    }
    if value.is_array() {
        let items = value
            .read_lock::<Array>()
            .map(|a| a.clone())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(convert(&format!("{name}[{i}]"), item)?);
        }
        return Ok(Value::Array(out));
    }
    if value.is_map() {
        let map = value
            .read_lock::<Map>()
            .map(|m| m.clone())
            .unwrap_or_default();
        let mut out = serde_json::Map::new();
        for (k, v) in map.iter() {
            out.insert(k.to_string(), convert(&format!("{name}.{k}"), v)?);
        }
        return Ok(Value::Object(out));
    }
    Err(BindingError::Handle {
        name: name.to_string(),
        type_name: value
            .type_name()
            .rsplit("::")
            .next()
            .unwrap_or("value")
            .to_string(),
    })
}

/// A stored JSON value back as a Rhai value.
pub fn from_json(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(items) => Dynamic::from_array(items.iter().map(from_json).collect()),
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(d)) = m.get(DECIMAL_TAG) {
                    if let Ok(dec) = d.parse::<rust_decimal::Decimal>() {
                        return Dynamic::from_decimal(dec);
                    }
                }
            }
            let mut map = Map::new();
            for (k, v) in m {
                map.insert(k.as_str().into(), from_json(v));
            }
            Dynamic::from_map(map)
        }
    }
}
