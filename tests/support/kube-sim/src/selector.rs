//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!` not exists)
//! and field selectors (`path=value`, `path!=value` on any dotted field).

use serde_json::Value;

use crate::api_error::ApiError;

#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

/// Splits on commas outside parentheses.
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn parse_set(key: &str, rest: &str, raw: &str) -> Result<(String, Vec<String>), ApiError> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unable to parse requirement: {raw:?}: expected a parenthesised set of values"
            ))
        })?;
    let values = inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    Ok((key.to_string(), values))
}

impl LabelSelector {
    /// Parses the `labelSelector` query syntax.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut requirements = Vec::new();
        for part in split_top_level(s) {
            let req = if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().to_string())
            } else if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = part.split_once("==") {
                Requirement::Equals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = part.split_once('=') {
                Requirement::Equals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                let (k, vs) = parse_set(k.trim(), rest, &part)?;
                Requirement::NotIn(k, vs)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                let (k, vs) = parse_set(k.trim(), rest, &part)?;
                Requirement::In(k, vs)
            } else if part.contains(char::is_whitespace) || part.contains('(') {
                return Err(ApiError::bad_request(format!(
                    "unable to parse requirement: {part:?}"
                )));
            } else {
                Requirement::Exists(part.clone())
            };
            requirements.push(req);
        }
        Ok(LabelSelector { requirements })
    }

    /// The selector of a `LabelSelector` object (`matchLabels` and
    /// `matchExpressions`), as used in deployment and HPA specs.
    pub fn from_object(selector: &Value) -> Self {
        let mut requirements = Vec::new();
        if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in labels {
                requirements.push(Requirement::Equals(
                    k.clone(),
                    v.as_str().unwrap_or_default().to_string(),
                ));
            }
        }
        for expr in selector
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = expr["key"].as_str().unwrap_or_default().to_string();
            let values: Vec<String> = expr["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            match expr["operator"].as_str() {
                Some("In") => requirements.push(Requirement::In(key, values)),
                Some("NotIn") => requirements.push(Requirement::NotIn(key, values)),
                Some("Exists") => requirements.push(Requirement::Exists(key)),
                Some("DoesNotExist") => requirements.push(Requirement::NotExists(key)),
                _ => {}
            }
        }
        LabelSelector { requirements }
    }

    /// Whether an object with `labels` (a JSON map, or null) is selected.
    pub fn matches(&self, labels: &Value) -> bool {
        let label = |k: &str| labels.get(k).and_then(Value::as_str);
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => label(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            Requirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => !label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
        })
    }

    /// The query-string form (`app=web,tier in (a,b)`), as Scale's
    /// `status.selector` carries it.
    pub fn to_query(&self) -> String {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r {
                Requirement::Equals(k, v) => format!("{k}={v}"),
                Requirement::NotEquals(k, v) => format!("{k}!={v}"),
                Requirement::In(k, vs) => format!("{k} in ({})", vs.join(",")),
                Requirement::NotIn(k, vs) => format!("{k} notin ({})", vs.join(",")),
                Requirement::Exists(k) => k.clone(),
                Requirement::NotExists(k) => format!("!{k}"),
            })
            .collect();
        parts.join(",")
    }
}

/// A parsed field selector: every term must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// Parses `metadata.name=x,status.phase!=Running`.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for part in split_top_level(s) {
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==") {
                (p, true, v)
            } else if let Some((p, v)) = part.split_once('=') {
                (p, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid field selector: {part:?}: expected field=value or field!=value"
                )));
            };
            terms.push((path.trim().to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector { terms })
    }

    /// The selector matching one object name (used by watches on a name).
    pub fn name(name: &str) -> Self {
        FieldSelector {
            terms: vec![("metadata.name".to_string(), true, name.to_string())],
        }
    }

    /// Whether `object` is selected; a missing field compares as "".
    pub fn matches(&self, object: &Value) -> bool {
        self.terms.iter().all(|(path, equal, value)| {
            let field = path
                .split('.')
                .try_fold(object, |v, segment| v.get(segment))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (field == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{FieldSelector, LabelSelector};

    #[test]
    fn parses_and_prints_every_operator() {
        let text = "app=web,env!=dev,tier in (a,b),zone notin (z),canary,!legacy";
        let selector = LabelSelector::parse(text).unwrap_or_default();
        assert_eq!(selector.to_query(), text);
        assert!(selector.matches(&json!({"app": "web", "env": "prod", "tier": "a", "canary": "1"})));
        assert!(
            !selector.matches(&json!({"app": "web", "tier": "a", "canary": "1", "legacy": "y"}))
        );
        assert!(!selector.matches(&json!({"app": "web", "tier": "c", "canary": "1"})));
    }

    #[test]
    fn match_expressions_from_objects() {
        let selector = LabelSelector::from_object(&json!({
            "matchLabels": {"app": "db"},
            "matchExpressions": [{"key": "role", "operator": "In", "values": ["primary"]}],
        }));
        assert!(selector.matches(&json!({"app": "db", "role": "primary"})));
        assert!(!selector.matches(&json!({"app": "db", "role": "replica"})));
        assert_eq!(selector.to_query(), "app=db,role in (primary)");
    }

    #[test]
    fn field_selectors_compare_numbers_as_text() {
        let selector = FieldSelector::parse("spec.replicas=3,metadata.name!=x").unwrap_or_default();
        assert!(selector.matches(&json!({"spec": {"replicas": 3}, "metadata": {"name": "y"}})));
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
