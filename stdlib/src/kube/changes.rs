//! What a write changed (or, in dry run, would change): the fields that
//! differ between the object before and the server's answer, as
//! `spec.replicas: 3 → 5`. Lists of named items (containers, env vars,
//! ports) are matched by name, so `containers[app].env[DB_POOL_SIZE].value`
//! names what an operator cares about.

use serde_json::Value;

/// At most this many changed fields are listed; the rest are counted.
const MAX_LISTED: usize = 8;
/// Longer values are cut to keep one effect on one line.
const MAX_VALUE_CHARS: usize = 60;

/// `created`, `unchanged`, or the changed fields joined by `; `.
pub(crate) fn describe(before: Option<&Value>, after: &Value) -> String {
    let Some(before) = before else {
        return "created".to_owned();
    };
    let mut out = Vec::new();
    diff("", before, after, &mut out);
    if out.is_empty() {
        return "unchanged".to_owned();
    }
    let more = out.len().saturating_sub(MAX_LISTED);
    out.truncate(MAX_LISTED);
    let mut text = out.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

/// Server-maintained fields that change on every write and say nothing.
fn ignored(path: &str) -> bool {
    matches!(
        path,
        "metadata.resourceVersion"
            | "metadata.generation"
            | "metadata.managedFields"
            | "metadata.uid"
            | "metadata.creationTimestamp"
            | "metadata.selfLink"
            | "status"
    )
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn diff(path: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    if ignored(path) || before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, bv) in b {
                diff(&join(path, k), bv, a.get(k).unwrap_or(&Value::Null), out);
            }
            for (k, av) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
                diff(&join(path, k), &Value::Null, av, out);
            }
        }
        (Value::Array(b), Value::Array(a)) if named(b) && named(a) => {
            for bv in b {
                let name = item_name(bv);
                let av = a
                    .iter()
                    .find(|x| item_name(x) == name)
                    .unwrap_or(&Value::Null);
                diff(&format!("{path}[{name}]"), bv, av, out);
            }
            for av in a
                .iter()
                .filter(|x| !b.iter().any(|y| item_name(y) == item_name(x)))
            {
                diff(&format!("{path}[{}]", item_name(av)), &Value::Null, av, out);
            }
        }
        _ => out.push(format!("{path}: {} → {}", show(before), show(after))),
    }
}

fn named(items: &[Value]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|i| i.get("name").and_then(Value::as_str).is_some())
}

fn item_name(item: &Value) -> &str {
    item.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// A value for a one-line message: strings bare, `(none)` for absent.
pub(crate) fn show(value: &Value) -> String {
    let text = match value {
        Value::Null => return "(none)".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE_CHARS {
        let cut: String = text.chars().take(MAX_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_fields_and_ignores_bookkeeping() {
        let before = json!({"metadata": {"name": "x", "resourceVersion": "1"}, "spec": {"replicas": 3}, "status": {"replicas": 3}});
        let after = json!({"metadata": {"name": "x", "resourceVersion": "2"}, "spec": {"replicas": 5}, "status": {"replicas": 4}});
        assert_eq!(describe(Some(&before), &after), "spec.replicas: 3 → 5");
        assert_eq!(describe(Some(&before), &before), "unchanged");
        assert_eq!(describe(None, &after), "created");
    }

    #[test]
    fn named_lists_are_matched_by_name() {
        let env = |v: &str| json!({"spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "POOL", "value": v}]}]}});
        assert_eq!(
            describe(Some(&env("100")), &env("200")),
            "spec.containers[app].env[POOL].value: 100 → 200"
        );
    }

    #[test]
    fn long_change_lists_are_cut() {
        let before = json!({"data": {}});
        let after = json!({"data": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10}});
        let text = describe(Some(&before), &after);
        assert!(text.ends_with("; and 2 more"), "{text}");
        assert!(text.starts_with("data.a: (none) → 1"), "{text}");
    }
}
