//! `Accept: application/json;as=Table;…` answers: the server-side printing
//! `kubectl get` asks for, with the columns the real server prints for the
//! common kinds and NAME/AGE for the rest.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::catalog::ResourceType;
use crate::http::Request;

/// Whether the client asked for a Table.
pub(crate) fn wanted(request: &Request) -> bool {
    request.accept.contains("as=Table")
}

/// Kubernetes' short human duration (`45s`, `3m12s`, `5h`, `12d`).
pub fn human_age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    match s {
        _ if s < 120 => format!("{s}s"),
        _ if m < 10 => format!("{m}m{}s", s % 60),
        _ if h < 3 => format!("{m}m"),
        _ if h < 8 => format!("{h}h{}m", m % 60),
        _ if h < 48 => format!("{h}h"),
        _ if d < 8 => format!("{d}d{}h", h % 24),
        _ => format!("{d}d"),
    }
}

fn age(object: &Value) -> String {
    since(&object["metadata"]["creationTimestamp"])
}

/// How long ago an RFC 3339 timestamp was, as kubectl prints it.
fn since(timestamp: &Value) -> String {
    timestamp
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| human_age((Utc::now() - t.with_timezone(&Utc)).num_seconds()))
        .unwrap_or_else(|| "<unknown>".to_string())
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn pod_columns(pod: &Value) -> Vec<Value> {
    let statuses = pod["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = statuses
        .iter()
        .filter(|c| c["ready"] == json!(true))
        .count();
    let restarts: i64 = statuses.iter().map(|c| int(&c["restartCount"])).sum();
    let waiting = statuses
        .iter()
        .find_map(|c| c["state"]["waiting"]["reason"].as_str());
    let status = waiting
        .or(pod["status"]["phase"].as_str())
        .unwrap_or("Pending");
    vec![
        json!(format!("{ready}/{total}")),
        json!(status),
        json!(restarts),
        json!(age(pod)),
        json!(pod["spec"]["nodeName"].as_str().unwrap_or("<none>")),
    ]
}

/// Column names and types, and the cells of one object.
fn columns(rt: &ResourceType) -> Vec<(&'static str, &'static str, i64)> {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => vec![
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
        ],
        ("apps", "StatefulSet") => vec![("Ready", "string", 0), ("Age", "string", 0)],
        ("apps", "ReplicaSet") => vec![
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
        ],
        ("", "Pod") => vec![
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "integer", 0),
            ("Age", "string", 0),
            ("Node", "string", 1),
        ],
        ("autoscaling", "HorizontalPodAutoscaler") => vec![
            ("Reference", "string", 0),
            ("Targets", "string", 0),
            ("MinPods", "string", 0),
            ("MaxPods", "integer", 0),
            ("Replicas", "integer", 0),
            ("Age", "string", 0),
        ],
        ("", "Node") => vec![
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
        ],
        ("", "Namespace") => vec![("Status", "string", 0), ("Age", "string", 0)],
        ("", "Event") => vec![
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
        ],
        _ => vec![("Age", "string", 0)],
    }
}

/// Events are listed without their (generated) names, as by the real server.
fn name_priority(rt: &ResourceType) -> i64 {
    i64::from(rt.group.is_empty() && rt.kind == "Event")
}

fn cells(rt: &ResourceType, o: &Value) -> Vec<Value> {
    let spec = &o["spec"];
    let status = &o["status"];
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => vec![
            json!(format!(
                "{}/{}",
                int(&status["readyReplicas"]),
                int(&spec["replicas"])
            )),
            json!(int(&status["updatedReplicas"])),
            json!(int(&status["availableReplicas"])),
            json!(age(o)),
        ],
        ("apps", "StatefulSet") => vec![
            json!(format!(
                "{}/{}",
                int(&status["readyReplicas"]),
                int(&spec["replicas"])
            )),
            json!(age(o)),
        ],
        ("apps", "ReplicaSet") => vec![
            json!(int(&spec["replicas"])),
            json!(int(&status["replicas"])),
            json!(int(&status["readyReplicas"])),
            json!(age(o)),
        ],
        ("", "Pod") => pod_columns(o),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            let target = &spec["scaleTargetRef"];
            let metrics = spec["metrics"].as_array().map_or(0, Vec::len);
            vec![
                json!(format!(
                    "{}/{}",
                    target["kind"].as_str().unwrap_or_default(),
                    target["name"].as_str().unwrap_or_default()
                )),
                json!(if metrics == 0 {
                    "<none>".to_string()
                } else {
                    format!("<unknown> ({metrics} metrics)")
                }),
                json!(int(&spec["minReplicas"]).to_string()),
                json!(int(&spec["maxReplicas"])),
                json!(int(&status["currentReplicas"])),
                json!(age(o)),
            ]
        }
        ("", "Node") => {
            let ready = status["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            vec![
                json!(if ready { "Ready" } else { "NotReady" }),
                json!("<none>"),
                json!(age(o)),
                json!(status["nodeInfo"]["kubeletVersion"]
                    .as_str()
                    .unwrap_or_default()),
            ]
        }
        ("", "Namespace") => vec![
            json!(status["phase"].as_str().unwrap_or("Active")),
            json!(age(o)),
        ],
        ("", "Event") => {
            let involved = &o["involvedObject"];
            vec![
                json!(since(&o["lastTimestamp"])),
                o["type"].clone(),
                o["reason"].clone(),
                json!(format!(
                    "{}/{}",
                    involved["kind"].as_str().unwrap_or_default().to_lowercase(),
                    involved["name"].as_str().unwrap_or_default()
                )),
                o["message"].clone(),
            ]
        }
        _ => vec![json!(age(o))],
    }
}

fn row_object(object: &Value, include_object: Option<&str>) -> Value {
    match include_object {
        Some("Object") => object.clone(),
        Some("None") => Value::Null,
        _ => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object["metadata"],
        }),
    }
}

/// The Table for `items`.
pub(crate) fn render(
    rt: &ResourceType,
    items: &[Value],
    resource_version: u64,
    include_object: Option<&str>,
) -> Value {
    let mut definitions = vec![json!({
        "name": "Name", "type": "string", "format": "name", "priority": name_priority(rt),
        "description": "Name must be unique within a namespace.",
    })];
    definitions.extend(columns(rt).into_iter().map(|(name, kind, priority)| {
        json!({"name": name, "type": kind, "format": "", "priority": priority, "description": name})
    }));
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let mut row_cells = vec![o["metadata"]["name"].clone()];
            row_cells.extend(cells(rt, o));
            json!({"cells": row_cells, "object": row_object(o, include_object)})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.to_string()},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::human_age;

    #[test]
    fn ages_read_like_kubectl() {
        let cases = [
            (5, "5s"),
            (125, "2m5s"),
            (900, "15m"),
            (4 * 3600 + 60, "4h1m"),
            (30 * 3600, "30h"),
            (3 * 86400 + 7200, "3d2h"),
            (20 * 86400, "20d"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(human_age(seconds), expected);
        }
    }
}
