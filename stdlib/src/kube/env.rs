//! Environment variables of a workload's pod template: reading one, and the
//! strategic merge patch `kubectl set env` sends to change some (containers
//! and env lists merge by name, so other variables and containers stay).

use serde_json::{json, Value};

use super::errors::code;
use crate::ActionError;

/// The pod template's containers.
fn containers(workload: &Value) -> &[Value] {
    workload
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn name_of(item: &Value) -> &str {
    item.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// The named container, or the first one.
pub(crate) fn container<'a>(
    workload: &'a Value,
    wanted: Option<&str>,
    label: &str,
) -> Result<&'a Value, ActionError> {
    let all = containers(workload);
    let found = match wanted {
        Some(w) => all.iter().find(|c| name_of(c) == w),
        None => all.first(),
    };
    found.ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(name_of).collect();
        let message = match wanted {
            Some(w) => format!(
                "{label} has no container `{w}` (containers: {})",
                names.join(", ")
            ),
            None => format!("{label} has no containers"),
        };
        ActionError::new(code::NOT_FOUND, message)
            .with_help("name one of the pod template's containers")
    })
}

/// A variable as set in the template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EnvValue {
    Literal(String),
    /// `valueFrom` (a secret, config map or field reference): not resolved.
    From,
}

impl EnvValue {
    fn show(&self) -> &str {
        match self {
            EnvValue::Literal(v) => v,
            EnvValue::From => "(valueFrom)",
        }
    }
}

/// The variable `name` of `container`, `None` when it is not set.
pub(crate) fn lookup(container: &Value, name: &str) -> Option<EnvValue> {
    let var = container
        .get("env")
        .and_then(Value::as_array)?
        .iter()
        .find(|v| name_of(v) == name)?;
    match var.get("value") {
        Some(Value::String(s)) => Some(EnvValue::Literal(s.clone())),
        _ if var.get("valueFrom").is_some_and(|v| !v.is_null()) => Some(EnvValue::From),
        // `value` omitted means the empty string.
        _ => Some(EnvValue::Literal(String::new())),
    }
}

/// One variable that a `set_env` changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EnvChange {
    pub name: String,
    pub before: Option<EnvValue>,
    /// `None` removes the variable.
    pub after: Option<String>,
}

impl EnvChange {
    /// `DB_POOL_SIZE 100 → 200`
    pub fn describe(&self) -> String {
        let before = self
            .before
            .as_ref()
            .map(EnvValue::show)
            .unwrap_or("(unset)");
        let after = self.after.as_deref().unwrap_or("(unset)");
        format!("{} {before} → {after}", self.name)
    }
}

/// The variables of `wanted` whose value differs from the container's
/// (`None`: should be unset).
pub(crate) fn plan(container: &Value, wanted: &[(String, Option<String>)]) -> Vec<EnvChange> {
    wanted
        .iter()
        .filter_map(|(name, value)| {
            let before = lookup(container, name);
            let same = match (&before, value) {
                (None, None) => true,
                (Some(EnvValue::Literal(b)), Some(v)) => b == v,
                _ => false,
            };
            (!same).then(|| EnvChange {
                name: name.clone(),
                before,
                after: value.clone(),
            })
        })
        .collect()
}

/// The strategic merge patch for `changes` in `container`. A variable that
/// came from `valueFrom` gets `valueFrom: null`, or the merge would keep
/// both; a removed one gets the `$patch: delete` directive.
pub(crate) fn patch(container: &str, changes: &[EnvChange]) -> Value {
    let env: Vec<Value> = changes
        .iter()
        .map(|c| match (&c.after, &c.before) {
            (None, _) => json!({"name": c.name, "$patch": "delete"}),
            (Some(v), Some(EnvValue::From)) => {
                json!({"name": c.name, "value": v, "valueFrom": null})
            }
            (Some(v), _) => json!({"name": c.name, "value": v}),
        })
        .collect();
    json!({"spec": {"template": {"spec": {"containers": [{"name": container, "env": env}]}}}})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn workload() -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "env": [
                {"name": "DB_POOL_SIZE", "value": "100"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "t"}}}
            ]},
            {"name": "sidecar"}
        ]}}}})
    }

    #[test]
    fn reads_the_first_or_the_named_container() {
        let w = workload();
        let app = container(&w, None, "deployment/x").unwrap();
        assert_eq!(
            lookup(app, "DB_POOL_SIZE"),
            Some(EnvValue::Literal("100".into()))
        );
        assert_eq!(lookup(app, "TOKEN"), Some(EnvValue::From));
        assert_eq!(lookup(app, "NOPE"), None);
        let sidecar = container(&w, Some("sidecar"), "deployment/x").unwrap();
        assert_eq!(lookup(sidecar, "DB_POOL_SIZE"), None);
        let err = container(&w, Some("db"), "deployment/x").unwrap_err();
        assert_eq!(
            err.message,
            "deployment/x has no container `db` (containers: app, sidecar)"
        );
    }

    #[test]
    fn plans_only_real_changes_and_patches_by_name() {
        let w = workload();
        let app = container(&w, None, "d").unwrap();
        let wanted = vec![
            ("DB_POOL_SIZE".to_owned(), Some("200".to_owned())),
            ("TOKEN".to_owned(), Some("plain".to_owned())),
            ("NEW".to_owned(), Some("1".to_owned())),
            ("GONE".to_owned(), None),
        ];
        let changes = plan(app, &wanted);
        let described: Vec<String> = changes.iter().map(EnvChange::describe).collect();
        assert_eq!(
            described,
            [
                "DB_POOL_SIZE 100 → 200",
                "TOKEN (valueFrom) → plain",
                "NEW (unset) → 1"
            ]
        );
        let p = patch("app", &changes);
        let token = p.pointer("/spec/template/spec/containers/0/env/1").unwrap();
        assert_eq!(token.get("valueFrom"), Some(&Value::Null), "{p}");
        assert!(plan(app, &[("DB_POOL_SIZE".to_owned(), Some("100".to_owned()))]).is_empty());
        let removal = plan(app, &[("DB_POOL_SIZE".to_owned(), None)]);
        assert_eq!(removal[0].describe(), "DB_POOL_SIZE 100 → (unset)");
        assert_eq!(
            patch("app", &removal).pointer("/spec/template/spec/containers/0/env/0"),
            Some(&json!({"name": "DB_POOL_SIZE", "$patch": "delete"}))
        );
    }
}
