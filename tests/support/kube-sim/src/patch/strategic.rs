//! Strategic merge patch, as `kubectl set env`, `rollout restart` and
//! server-side apply use it: like a merge patch, except that lists of
//! objects with a merge key (containers and env by `name`, ports by
//! `containerPort`/`port`, volumes by `name`, …) merge element by element,
//! and the `$patch`, `$retainKeys`, `$setElementOrder/…` and
//! `$deleteFromPrimitiveList/…` directives are honoured.
//!
//! The real server reads merge keys from the Go types; here they come from
//! the field name, which covers the built-in kinds this simulator serves.

use serde_json::{Map, Value};

use crate::api_error::ApiError;

/// The merge key of list field `field`, judged from its elements.
fn merge_key(field: &str, sample: Option<&Value>) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "conditions" => Some("type"),
        "hostAliases" => Some("ip"),
        "ownerReferences" => Some("uid"),
        "topologySpreadConstraints" => Some("topologyKey"),
        "ports" => match sample {
            Some(p) if p.get("containerPort").is_some() => Some("containerPort"),
            _ => Some("port"),
        },
        _ => None,
    }
}

/// Lists of scalars that merge as sets instead of being replaced.
fn is_set_list(field: &str) -> bool {
    field == "finalizers"
}

fn directive(value: &Value) -> Option<&str> {
    value.get("$patch").and_then(Value::as_str)
}

/// `target` with the strategic merge `patch` applied.
pub fn strategic_merge(target: &Value, patch: &Value) -> Result<Value, ApiError> {
    merge_map(target, patch)
}

fn merge_map(target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let Value::Object(patch_map) = patch else {
        return Ok(patch.clone());
    };
    match directive(patch) {
        Some("replace") => {
            let mut replaced = patch_map.clone();
            replaced.remove("$patch");
            return Ok(Value::Object(replaced));
        }
        Some("delete") => return Ok(Value::Null),
        Some("merge") | None => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown patch directive $patch: {other:?}"
            )))
        }
    }
    let mut result: Map<String, Value> = match target {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    // `$retainKeys` keeps only the listed keys (plus what the patch sets).
    if let Some(keep) = patch_map.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        result.retain(|k, _| keep.contains(&k.as_str()) || patch_map.contains_key(k));
    }
    for (key, value) in patch_map {
        if key == "$patch" || key == "$retainKeys" || key.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(items)), Some(remove)) =
                (result.get_mut(field), value.as_array())
            {
                items.retain(|item| !remove.contains(item));
            }
            continue;
        }
        if value.is_null() {
            result.remove(key);
            continue;
        }
        let current = result.get(key).cloned().unwrap_or(Value::Null);
        let merged = match value {
            Value::Object(_) => merge_map(&current, value)?,
            Value::Array(items) => merge_list(key, &current, items)?,
            _ => value.clone(),
        };
        if merged.is_null() {
            result.remove(key);
        } else {
            result.insert(key.clone(), merged);
        }
    }
    Ok(Value::Object(result))
}

fn merge_list(field: &str, current: &Value, patch_items: &[Value]) -> Result<Value, ApiError> {
    // A `{"$patch": "replace"}` element replaces the whole list.
    if patch_items.iter().any(|i| directive(i) == Some("replace")) {
        let kept: Vec<Value> = patch_items
            .iter()
            .filter(|i| directive(i) != Some("replace"))
            .cloned()
            .collect();
        return Ok(Value::Array(kept));
    }
    let current_items = current.as_array().cloned().unwrap_or_default();
    if is_set_list(field) {
        let mut merged = current_items;
        for item in patch_items {
            if !merged.contains(item) {
                merged.push(item.clone());
            }
        }
        return Ok(Value::Array(merged));
    }
    let sample = patch_items.first().or(current_items.first());
    let Some(key) = merge_key(field, sample).filter(|_| sample.is_some_and(Value::is_object))
    else {
        return Ok(Value::Array(patch_items.to_vec()));
    };
    let mut merged = current_items;
    for item in patch_items {
        let Some(id) = item.get(key) else {
            return Err(ApiError::bad_request(format!(
                "map: {item} does not contain declared merge key: {key}"
            )));
        };
        let position = merged.iter().position(|m| m.get(key) == Some(id));
        match (directive(item), position) {
            (Some("delete"), Some(i)) => {
                merged.remove(i);
            }
            (Some("delete"), None) => {}
            (_, Some(i)) => merged[i] = merge_map(&merged[i], item)?,
            (_, None) => merged.push(merge_map(&Value::Null, item)?),
        }
    }
    Ok(Value::Array(merged))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::strategic_merge;

    #[test]
    fn lists_with_a_merge_key_merge_and_others_replace() {
        let target = json!({
            "containers": [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]}, {"name": "b", "image": "b:1"}],
            "args": ["one", "two"],
        });
        let patch = json!({
            "containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}],
            "args": ["three"],
        });
        let merged = strategic_merge(&target, &patch).unwrap_or_default();
        assert_eq!(merged["containers"][0]["image"], "a:1");
        assert_eq!(
            merged["containers"][0]["env"],
            json!([{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])
        );
        assert_eq!(merged["containers"][1]["name"], "b");
        assert_eq!(merged["args"], json!(["three"]));
    }

    #[test]
    fn directives_delete_replace_and_retain() {
        let target = json!({"ports": [{"containerPort": 80}, {"containerPort": 443}], "meta": {"a": 1, "b": 2}, "finalizers": ["x"]});
        let patch = json!({
            "ports": [{"containerPort": 80, "$patch": "delete"}],
            "meta": {"$patch": "replace", "c": 3},
            "finalizers": ["y"],
            "$deleteFromPrimitiveList/finalizers": ["x"],
        });
        let merged = strategic_merge(&target, &patch).unwrap_or_default();
        assert_eq!(merged["ports"], json!([{"containerPort": 443}]));
        assert_eq!(merged["meta"], json!({"c": 3}));
        assert_eq!(merged["finalizers"], json!(["y"]));
        let retained = strategic_merge(
            &json!({"a": 1, "b": 2}),
            &json!({"$retainKeys": ["a"], "c": 3}),
        )
        .unwrap_or_default();
        assert_eq!(retained, json!({"a": 1, "c": 3}));
    }

    #[test]
    fn an_element_without_its_merge_key_is_refused() {
        let target = json!({"env": [{"name": "X", "value": "1"}]});
        assert!(strategic_merge(&target, &json!({"env": [{"value": "2"}]})).is_err());
    }
}
