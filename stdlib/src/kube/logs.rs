//! Logs of a workload's pods: `logs(#{ tail, since, container })`.

use kube::api::LogParams;
use rhai::Map;
use serde_json::Value;

use super::client::Connection;
use super::errors::{bad_argument, Failure};
use super::requests;
use super::values::str_at;
use crate::ActionError;

/// The annotation that names the container `kubectl logs` picks by default.
const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";

/// What `logs()` accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub tail: Option<i64>,
    pub since_seconds: Option<i64>,
    pub container: Option<String>,
}

impl Options {
    pub fn from_map(map: &Map) -> Result<Options, ActionError> {
        let mut options = Options::default();
        for (key, value) in map {
            match key.as_str() {
                "tail" => {
                    options.tail =
                        Some(value.as_int().ok().filter(|n| *n >= 0).ok_or_else(|| {
                            bad_argument(
                                format!("logs: `tail` must be a number of lines, not {value}"),
                                "e.g. logs(#{ tail: 100 })",
                            )
                        })?)
                }
                "since" => {
                    let seconds = match value.as_int() {
                        Ok(n) => Some(n),
                        Err(_) => value
                            .clone()
                            .into_string()
                            .ok()
                            .and_then(|s| parse_duration(&s)),
                    };
                    options.since_seconds = Some(seconds.filter(|n| *n > 0).ok_or_else(|| {
                        bad_argument(
                            format!("logs: `since` must be seconds or a duration like \"5m\", not {value}"),
                            "e.g. logs(#{ since: \"10m\" }) or logs(#{ since: 600 })",
                        )
                    })?)
                }
                "container" => {
                    options.container = Some(value.clone().into_string().map_err(|_| {
                        bad_argument(
                            format!("logs: `container` must be a name, not {value}"),
                            "e.g. logs(#{ container: \"app\" })",
                        )
                    })?)
                }
                other => {
                    return Err(bad_argument(
                        format!("logs: unknown option `{other}`"),
                        "the options are tail, since and container",
                    ))
                }
            }
        }
        Ok(options)
    }
}

/// `300s`, `5m`, `1h30m` → seconds.
fn parse_duration(text: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut number = String::new();
    for ch in text.trim().chars() {
        if ch.is_ascii_digit() {
            number.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return None,
        };
        total = total.checked_add(number.parse::<i64>().ok()?.checked_mul(unit)?)?;
        number.clear();
    }
    number.is_empty().then_some(total)
}

/// The container to read: the one asked for, else the pod's default
/// container annotation, else the first (what `kubectl logs` does).
fn container_of(pod: &Value, wanted: Option<&str>) -> Option<String> {
    if let Some(w) = wanted {
        return Some(w.to_owned());
    }
    if let Some(c) = pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(DEFAULT_CONTAINER))
        .and_then(Value::as_str)
    {
        return Some(c.to_owned());
    }
    str_at(pod, "/spec/containers/0/name").map(str::to_owned)
}

/// Concatenate the logs of `pods` that have started, in name order, each
/// pod's text ending with a newline.
pub(crate) async fn collect(
    c: &Connection,
    ns: &str,
    mut pods: Vec<Value>,
    options: &Options,
) -> Result<String, Failure> {
    pods.retain(|p| {
        matches!(
            str_at(p, "/status/phase"),
            Some("Running" | "Succeeded" | "Failed")
        )
    });
    pods.sort_by(|a, b| str_at(a, "/metadata/name").cmp(&str_at(b, "/metadata/name")));
    let mut out = String::new();
    for pod in &pods {
        let Some(name) = str_at(pod, "/metadata/name") else {
            continue;
        };
        let params = LogParams {
            container: container_of(pod, options.container.as_deref()),
            tail_lines: options.tail,
            since_seconds: options.since_seconds,
            ..LogParams::default()
        };
        let text = requests::pod_log(c, ns, name, &params).await?;
        out.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn durations_in_kubectl_style() {
        assert_eq!(parse_duration("300s"), Some(300));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5x"), None);
    }

    #[test]
    fn options_are_checked() {
        let mut m = Map::new();
        m.insert("tail".into(), 10.into());
        m.insert("since".into(), "2m".into());
        let o = Options::from_map(&m).unwrap();
        assert_eq!((o.tail, o.since_seconds), (Some(10), Some(120)));
        let mut bad = Map::new();
        bad.insert("lines".into(), 10.into());
        assert!(Options::from_map(&bad)
            .unwrap_err()
            .message
            .contains("unknown option `lines`"));
    }
}
