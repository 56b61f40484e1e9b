//! HorizontalPodAutoscalers: without a metrics pipeline the simulator only
//! reports the target's replicas (`currentReplicas`) and what the bounds
//! allow (`desiredReplicas`); it never rescales the target itself.

use serde_json::{json, Value};

use super::objects::{all, meta_str, save};
use super::Pass;

fn target_plural(kind: &str) -> Option<(&'static str, &'static str)> {
    match kind {
        "Deployment" => Some(("apps", "deployments")),
        "StatefulSet" => Some(("apps", "statefulsets")),
        "ReplicaSet" => Some(("apps", "replicasets")),
        _ => None,
    }
}

fn find_target(pass: &Pass<'_, '_>, hpa: &Value) -> Option<Value> {
    let target = &hpa["spec"]["scaleTargetRef"];
    let (group, plural) = target_plural(target["kind"].as_str()?)?;
    let name = target["name"].as_str()?;
    let ns = meta_str(hpa, "namespace");
    all(pass, group, plural)
        .into_iter()
        .find(|o| meta_str(o, "namespace") == ns && meta_str(o, "name") == name)
}

/// Writes each HPA's status from its scale target.
pub(super) fn roll_up(pass: &mut Pass<'_, '_>) {
    for mut hpa in all(pass, "autoscaling", "horizontalpodautoscalers") {
        let min = hpa["spec"]["minReplicas"].as_u64().unwrap_or(1);
        let max = hpa["spec"]["maxReplicas"].as_u64().unwrap_or(min).max(min);
        let status = match find_target(pass, &hpa) {
            Some(target) => {
                let current = target["status"]["replicas"].as_u64().unwrap_or(0);
                let wanted = target["spec"]["replicas"].as_u64().unwrap_or(1);
                json!({
                    "currentReplicas": current,
                    "desiredReplicas": wanted.clamp(min, max),
                    "currentMetrics": [],
                    "conditions": [
                        {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
                         "message": "the HPA controller was able to get the target's current scale"},
                        {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
                         "message": "the HPA was unable to compute the replica count: no metrics are served by the simulator"},
                    ],
                })
            }
            None => json!({
                "currentReplicas": 0,
                "desiredReplicas": 0,
                "conditions": [
                    {"type": "AbleToScale", "status": "False", "reason": "FailedGetScale",
                     "message": format!("the HPA controller was unable to get the target's current scale: {} \"{}\" not found",
                        hpa["spec"]["scaleTargetRef"]["kind"].as_str().unwrap_or_default(),
                        hpa["spec"]["scaleTargetRef"]["name"].as_str().unwrap_or_default())},
                ],
            }),
        };
        if hpa["status"] != status {
            hpa["status"] = status;
            save(pass, "autoscaling", "horizontalpodautoscalers", hpa);
        }
    }
}
