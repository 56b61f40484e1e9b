//! JSON merge patch (RFC 7386): maps merge recursively, `null` deletes,
//! anything else (lists included) replaces.

use serde_json::Value;

/// `target` with `patch` merged in.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch_map) = patch else {
        return patch.clone();
    };
    let mut result = match target {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    for (key, value) in patch_map {
        if value.is_null() {
            result.remove(key);
        } else {
            let merged = merge_patch(result.get(key).unwrap_or(&Value::Null), value);
            result.insert(key.clone(), merged);
        }
    }
    Value::Object(result)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::merge_patch;

    #[test]
    fn rfc_7386_examples() {
        let target = json!({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"}, "tags": ["example", "sample"]});
        let patch = json!({"title": "Hello!", "author": {"familyName": null}, "tags": ["example"], "phoneNumber": "+01-123"});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"], "phoneNumber": "+01-123"})
        );
        assert_eq!(merge_patch(&json!({"a": 1}), &json!(["x"])), json!(["x"]));
    }
}
