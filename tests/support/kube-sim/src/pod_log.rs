//! Pod log text: the lines of the pod's `kube-sim/log` annotation (copied
//! from the workload's pod template), with `$(VAR)` expanded from the
//! container's env as Kubernetes expands it in commands, stamped with the
//! container's start time.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::Value;

use crate::api_error::ApiError;

/// The annotation holding a pod's log text.
pub const LOG_ANNOTATION: &str = "kube-sim/log";

/// What a log request asks for.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// `container`: required when the pod has more than one.
    pub container: Option<String>,
    /// `tailLines`: only the last N lines.
    pub tail_lines: Option<usize>,
    /// `sinceSeconds`: only lines logged in the last N seconds.
    pub since_seconds: Option<i64>,
    /// `timestamps`: prefix each line with its RFC 3339 time.
    pub timestamps: bool,
}

/// Expands `$(NAME)` from `env` (`$$(NAME)` escapes); unknown names stay.
pub fn expand_env(text: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("$(") {
        if rest[..i].ends_with('$') {
            out.push_str(&rest[..i - 1]);
            out.push_str("$(");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(')') {
            Some(end) => {
                let name = &after[..end];
                match env.iter().find(|(k, _)| k == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push_str("$(");
                        out.push_str(name);
                        out.push(')');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn bad_request(message: String) -> ApiError {
    ApiError::bad_request(message)
}

/// The log text of `pod` for `query`, or the 400 the real kubelet path
/// answers (container not named when several, not started yet).
pub fn render(pod: &Value, query: &LogQuery, now: DateTime<Utc>) -> Result<String, ApiError> {
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match &query.container {
        Some(name) => containers
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .ok_or_else(|| {
                bad_request(format!("container {name} is not valid for pod {pod_name}"))
            })?,
        None if containers.len() == 1 => &containers[0],
        None => {
            return Err(bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                names.join(" ")
            )))
        }
    };
    let container_name = container["name"].as_str().unwrap_or_default();
    let status = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"].as_str() == Some(container_name));
    let started = status
        .and_then(|s| s["state"]["running"]["startedAt"].as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let Some(started) = started else {
        let reason = status
            .and_then(|s| s["state"]["waiting"]["reason"].as_str())
            .unwrap_or("ContainerCreating");
        return Err(bad_request(format!(
            "container \"{container_name}\" in pod \"{pod_name}\" is waiting to start: {reason}"
        )));
    };
    if query
        .since_seconds
        .is_some_and(|since| started < now - ChronoDuration::seconds(since))
    {
        return Ok(String::new());
    }
    let env: Vec<(String, String)> = container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect();
    let text = pod["metadata"]["annotations"][LOG_ANNOTATION]
        .as_str()
        .unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(|line| expand_env(line, &env)).collect();
    if let Some(tail) = query.tail_lines {
        let skip = lines.len().saturating_sub(tail);
        lines.drain(..skip);
    }
    let stamp = started.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
    Ok(lines
        .iter()
        .map(|line| {
            if query.timestamps {
                format!("{stamp} {line}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::expand_env;

    #[test]
    fn expands_known_variables_and_keeps_the_rest() {
        let env = vec![("A".to_string(), "1".to_string())];
        assert_eq!(
            expand_env("a=$(A) b=$(B) $$(A) $(", &env),
            "a=1 b=$(B) $(A) $("
        );
    }
}
