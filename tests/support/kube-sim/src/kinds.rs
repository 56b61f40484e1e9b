//! Per-kind defaulting and validation, the part of the real API server's
//! behaviour clients notice: default replicas and strategies, 422 for an
//! invalid name, a selector that does not match the template, a missing
//! container image or an HPA whose minReplicas exceeds maxReplicas.

use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::catalog::ResourceType;
use crate::selector::LabelSelector;

/// Fills the defaults the real server sets on create and update.
pub fn apply_defaults(rt: &ResourceType, object: &mut Value) {
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => {
            let spec = &mut object["spec"];
            default(spec, "replicas", json!(1));
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "progressDeadlineSeconds", json!(600));
            default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
        }
        ("apps", "StatefulSet") => {
            let spec = &mut object["spec"];
            default(spec, "replicas", json!(1));
            default(spec, "revisionHistoryLimit", json!(10));
            default(spec, "podManagementPolicy", json!("OrderedReady"));
            default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
        }
        ("apps", "ReplicaSet") => default(&mut object["spec"], "replicas", json!(1)),
        ("autoscaling", "HorizontalPodAutoscaler") => {
            default(&mut object["spec"], "minReplicas", json!(1))
        }
        ("", "Namespace") => {
            let name = object["metadata"]["name"].clone();
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
            default(&mut object["spec"], "finalizers", json!(["kubernetes"]));
            default(&mut object["status"], "phase", json!("Active"));
        }
        ("", "Pod") => default(&mut object["status"], "phase", json!("Pending")),
        ("", "Service") => {
            let spec = &mut object["spec"];
            default(spec, "type", json!("ClusterIP"));
            let ip = format!("10.96.{}.{}", fastrand::u8(0..=254), fastrand::u8(1..=254));
            default(spec, "clusterIP", json!(ip));
        }
        _ => {}
    }
}

fn default(map: &mut Value, key: &str, value: Value) {
    if !map.is_object() {
        *map = json!({});
    }
    if map.get(key).is_none_or(Value::is_null) {
        map[key] = value;
    }
}

/// Whether `name` is a lowercase RFC 1123 subdomain, as object names must be.
pub fn is_dns_subdomain(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.len() <= 253
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// Checks an object the way the real server does: 422 Invalid listing every
/// invalid field.
pub fn validate(rt: &ResourceType, object: &Value) -> Result<(), ApiError> {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let mut causes: Vec<(String, String)> = Vec::new();
    if !is_dns_subdomain(name) {
        causes.push((
            "metadata.name".to_string(),
            format!("Invalid value: {name:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        ));
    }
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") | ("apps", "StatefulSet") | ("apps", "ReplicaSet") => {
            validate_workload(object, &mut causes)
        }
        ("", "Pod") => validate_containers(&object["spec"], "spec", &mut causes),
        ("autoscaling", "HorizontalPodAutoscaler") => validate_hpa(object, &mut causes),
        _ => {}
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(rt, name, &causes))
    }
}

fn validate_workload(object: &Value, causes: &mut Vec<(String, String)>) {
    let spec = &object["spec"];
    match &spec["replicas"] {
        Value::Number(n) if n.as_i64().is_some_and(|r| r >= 0) => {}
        other => causes.push((
            "spec.replicas".to_string(),
            format!("Invalid value: {other}: must be greater than or equal to 0"),
        )),
    }
    let selector = &spec["selector"];
    if !selector.is_object() {
        causes.push(("spec.selector".to_string(), "Required value".to_string()));
    } else {
        let labels = &spec["template"]["metadata"]["labels"];
        if !LabelSelector::from_object(selector).matches(labels) {
            causes.push((
                "spec.template.metadata.labels".to_string(),
                format!("Invalid value: {labels}: `selector` does not match template `labels`"),
            ));
        }
    }
    validate_containers(&spec["template"]["spec"], "spec.template.spec", causes);
}

fn validate_containers(pod_spec: &Value, path: &str, causes: &mut Vec<(String, String)>) {
    let containers = pod_spec["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if containers.is_empty() {
        causes.push((format!("{path}.containers"), "Required value".to_string()));
    }
    for (i, c) in containers.iter().enumerate() {
        if c["name"].as_str().is_none_or(str::is_empty) {
            causes.push((
                format!("{path}.containers[{i}].name"),
                "Required value".to_string(),
            ));
        }
        if c["image"].as_str().is_none_or(str::is_empty) {
            causes.push((
                format!("{path}.containers[{i}].image"),
                "Required value".to_string(),
            ));
        }
    }
}

fn validate_hpa(object: &Value, causes: &mut Vec<(String, String)>) {
    let spec = &object["spec"];
    let target = &spec["scaleTargetRef"];
    for field in ["kind", "name"] {
        if target[field].as_str().is_none_or(str::is_empty) {
            causes.push((
                format!("spec.scaleTargetRef.{field}"),
                "Required value".to_string(),
            ));
        }
    }
    let max = spec["maxReplicas"].as_i64();
    let min = spec["minReplicas"].as_i64().unwrap_or(1);
    match max {
        Some(max) if max >= 1 => {
            if min > max {
                causes.push((
                    "spec.minReplicas".to_string(),
                    format!("Invalid value: {min}: must be less than or equal to maxReplicas"),
                ));
            }
        }
        Some(max) => causes.push((
            "spec.maxReplicas".to_string(),
            format!("Invalid value: {max}: must be greater than or equal to 1"),
        )),
        None => causes.push(("spec.maxReplicas".to_string(), "Required value".to_string())),
    }
    if min < 1 {
        causes.push((
            "spec.minReplicas".to_string(),
            format!("Invalid value: {min}: must be greater than or equal to 1"),
        ));
    }
}
