//! Pods by label selector: how many there are, run, are ready, restarted.
//!
//! A pod that is being deleted (terminating) still counts in `count()` and
//! `names()`, as in `kubectl get pods`, but not in `running()` or `ready()`:
//! after a scale-down it is on its way out, not serving.

use rhai::{Array, Dynamic, EvalAltResult, INT};
use serde_json::Value;

use super::handles::Pods;
use super::kinds;
use super::requests;
use super::values::{has_condition, str_at, to_rhai};

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

/// A `LabelSelector` object (`matchLabels`, `matchExpressions`) as the
/// selector string the API takes: `app=x,tier in (a,b),!legacy`.
pub(crate) fn selector_string(selector: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    for expr in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match expr.get("operator").and_then(Value::as_str) {
            Some("In") => parts.push(format!("{key} in ({})", values.join(","))),
            Some("NotIn") => parts.push(format!("{key} notin ({})", values.join(","))),
            Some("Exists") => parts.push(key.to_owned()),
            Some("DoesNotExist") => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    parts.join(",")
}

fn terminating(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
}

fn is_running(pod: &Value) -> bool {
    !terminating(pod) && str_at(pod, "/status/phase") == Some("Running")
}

fn is_ready(pod: &Value) -> bool {
    !terminating(pod) && has_condition(pod, "Ready", "status", "True")
}

fn restarts(pod: &Value) -> i64 {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("restartCount").and_then(Value::as_i64))
        .sum()
}

fn count(n: usize) -> INT {
    INT::try_from(n).unwrap_or(INT::MAX)
}

impl Pods {
    fn list(&self) -> Result<Vec<Value>> {
        self.state.run(async |c| {
            requests::list(c, &kinds::pods(), Some(&self.ns), Some(&self.selector)).await
        })
    }

    /// Every matching pod as a map.
    pub fn get(&self) -> Result<Array> {
        self.list()?.iter().map(to_rhai).collect()
    }

    /// How many pods match.
    pub fn count(&self) -> Result<INT> {
        Ok(count(self.list()?.len()))
    }

    /// How many are in phase `Running` (and not terminating).
    pub fn running(&self) -> Result<INT> {
        Ok(count(self.list()?.iter().filter(|p| is_running(p)).count()))
    }

    /// How many have the `Ready` condition `True` (and are not terminating).
    pub fn ready(&self) -> Result<INT> {
        Ok(count(self.list()?.iter().filter(|p| is_ready(p)).count()))
    }

    /// The sum of every container's restart count.
    pub fn restarts(&self) -> Result<INT> {
        Ok(self.list()?.iter().map(restarts).sum())
    }

    /// The pods' names, sorted.
    pub fn names(&self) -> Result<Array> {
        let mut names: Vec<String> = self
            .list()?
            .iter()
            .filter_map(|p| str_at(p, "/metadata/name").map(str::to_owned))
            .collect();
        names.sort();
        Ok(names.into_iter().map(Dynamic::from).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_render_like_kubectl() {
        let s = json!({
            "matchLabels": {"app": "flowengine"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        });
        assert_eq!(selector_string(&s), "app=flowengine,tier in (a,b),!legacy");
    }

    #[test]
    fn terminating_pods_are_not_running_or_ready() {
        let pod = json!({
            "metadata": {"name": "p", "deletionTimestamp": "2025-01-01T00:00:00Z"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"restartCount": 2}, {"restartCount": 1}]}
        });
        assert!(!is_running(&pod) && !is_ready(&pod));
        assert_eq!(restarts(&pod), 3);
    }
}
