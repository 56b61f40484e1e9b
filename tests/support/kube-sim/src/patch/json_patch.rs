//! JSON patch (RFC 6902): add, remove, replace, move, copy, test on JSON
//! pointers (RFC 6901).

use serde_json::Value;

use crate::api_error::ApiError;

fn invalid(message: String) -> ApiError {
    // The real server answers 422 for a patch that cannot be applied.
    ApiError {
        code: 422,
        reason: "Invalid".to_string(),
        message,
        details: None,
    }
}

fn parse_pointer(pointer: &str) -> Result<Vec<String>, ApiError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer.strip_prefix('/').ok_or_else(|| {
        invalid(format!(
            "invalid JSON pointer {pointer:?}: must start with /"
        ))
    })?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn array_index(token: &str, len: usize, allow_end: bool, pointer: &str) -> Result<usize, ApiError> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let index: usize = token
        .parse()
        .map_err(|_| invalid(format!("invalid array index {token:?} in {pointer:?}")))?;
    let limit = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if index > limit || (!allow_end && len == 0) {
        return Err(invalid(format!(
            "array index {index} out of bounds in {pointer:?}"
        )));
    }
    Ok(index)
}

fn parent_mut<'a>(
    doc: &'a mut Value,
    tokens: &[String],
    pointer: &str,
) -> Result<&'a mut Value, ApiError> {
    let mut current = doc;
    for token in tokens {
        current = match current {
            Value::Object(map) => map
                .get_mut(token)
                .ok_or_else(|| invalid(format!("doc is missing path: {pointer:?}")))?,
            Value::Array(items) => {
                let i = array_index(token, items.len(), false, pointer)?;
                &mut items[i]
            }
            _ => return Err(invalid(format!("doc is missing path: {pointer:?}"))),
        };
    }
    Ok(current)
}

fn get(doc: &Value, pointer: &str) -> Result<Value, ApiError> {
    doc.pointer(pointer)
        .cloned()
        .ok_or_else(|| invalid(format!("doc is missing path: {pointer:?}")))
}

fn add(doc: &mut Value, pointer: &str, value: Value) -> Result<(), ApiError> {
    let tokens = parse_pointer(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parents, pointer)? {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => {
            let i = array_index(last, items.len(), true, pointer)?;
            items.insert(i, value);
            Ok(())
        }
        _ => Err(invalid(format!("doc is missing path: {pointer:?}"))),
    }
}

fn remove(doc: &mut Value, pointer: &str) -> Result<Value, ApiError> {
    let tokens = parse_pointer(pointer)?;
    let Some((last, parents)) = tokens.split_last() else {
        return Err(invalid("cannot remove the whole document".to_string()));
    };
    match parent_mut(doc, parents, pointer)? {
        Value::Object(map) => map
            .remove(last)
            .ok_or_else(|| invalid(format!("unable to remove nonexistent key: {last:?}"))),
        Value::Array(items) => {
            let i = array_index(last, items.len(), false, pointer)?;
            Ok(items.remove(i))
        }
        _ => Err(invalid(format!("doc is missing path: {pointer:?}"))),
    }
}

fn str_field<'a>(op: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    op.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("json patch operation is missing {field:?}: {op}")))
}

fn value_field(op: &Value) -> Result<Value, ApiError> {
    op.get("value")
        .cloned()
        .ok_or_else(|| invalid(format!("json patch operation is missing \"value\": {op}")))
}

/// `target` with the operations of `patch` (a JSON array) applied in order;
/// any failing operation (a failed `test` included) fails the whole patch.
pub fn apply_json_patch(target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| ApiError::bad_request("json patch must be an array of operations"))?;
    let mut doc = target.clone();
    for op in ops {
        let path = str_field(op, "path")?;
        match str_field(op, "op")? {
            "add" => add(&mut doc, path, value_field(op)?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                remove(&mut doc, path)?;
                add(&mut doc, path, value_field(op)?)?;
            }
            "move" => {
                let from = str_field(op, "from")?;
                let value = remove(&mut doc, from)?;
                add(&mut doc, path, value)?;
            }
            "copy" => {
                let value = get(&doc, str_field(op, "from")?)?;
                add(&mut doc, path, value)?;
            }
            "test" => {
                let expected = value_field(op)?;
                let actual = get(&doc, path)?;
                if actual != expected {
                    return Err(invalid(format!(
                        "testing value {path} failed: expected {expected}, found {actual}"
                    )));
                }
            }
            other => return Err(invalid(format!("unknown json patch operation {other:?}"))),
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::apply_json_patch;

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let doc = json!({"metadata": {"annotations": {"a/b": "1", "c~d": "2"}}});
        let patch = json!([
            {"op": "replace", "path": "/metadata/annotations/a~1b", "value": "3"},
            {"op": "remove", "path": "/metadata/annotations/c~0d"},
        ]);
        assert_eq!(
            apply_json_patch(&doc, &patch).ok(),
            Some(json!({"metadata": {"annotations": {"a/b": "3"}}}))
        );
    }

    #[test]
    fn out_of_range_indexes_and_unknown_ops_fail() {
        let doc = json!({"items": [1]});
        for op in [
            json!({"op": "add", "path": "/items/5", "value": 2}),
            json!({"op": "remove", "path": "/items/1"}),
            json!({"op": "frobnicate", "path": "/items"}),
            json!({"op": "add", "path": "items", "value": 1}),
        ] {
            assert!(apply_json_patch(&doc, &json!([op])).is_err(), "{op}");
        }
        assert_eq!(
            apply_json_patch(
                &doc,
                &json!([{"op": "add", "path": "/items/0", "value": 0}])
            )
            .ok(),
            Some(json!({"items": [0, 1]}))
        );
    }
}
