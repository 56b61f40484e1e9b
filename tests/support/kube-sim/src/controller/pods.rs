//! Pods: built from templates, scheduled onto the node with the fewest
//! pods, and moved Pending → Running → Ready after the rollout delay, unless
//! their workload's rollout is stalled (then they run but never get Ready).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::objects::{all, meta_str, owner_reference, save, uid};
use super::Pass;
use crate::objects::now_timestamp;

/// Annotation giving a pod's containers an initial restart count.
pub const RESTARTS_ANNOTATION: &str = "kube-sim/restarts";

/// A pod named `name` from a workload's pod template.
pub(super) fn from_template(
    template: &Value,
    owner: &Value,
    name: &str,
    extra_labels: &[(&str, &str)],
) -> Value {
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": template["metadata"]["labels"],
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": template["spec"],
        "status": {"phase": "Pending"},
    });
    if let Some(annotations) = template["metadata"].get("annotations") {
        pod["metadata"]["annotations"] = annotations.clone();
    }
    if !pod["metadata"]["labels"].is_object() {
        pod["metadata"]["labels"] = json!({});
    }
    for (k, v) in extra_labels {
        pod["metadata"]["labels"][*k] = json!(v);
    }
    if pod["spec"]["restartPolicy"].is_null() {
        pod["spec"]["restartPolicy"] = json!("Always");
    }
    pod
}

/// Whether a pod has condition Ready=True.
pub(super) fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// (namespace, workload name) owning `pod`, through its ReplicaSet for
/// deployment pods, to check stalls against.
fn workload_of(pod: &Value, replicasets: &BTreeMap<String, Value>) -> (String, String) {
    let ns = meta_str(pod, "namespace").to_string();
    let owner = pod["metadata"]["ownerReferences"]
        .as_array()
        .and_then(|refs| refs.iter().find(|r| r["controller"] == json!(true)));
    let Some(owner) = owner else {
        return (ns, meta_str(pod, "name").to_string());
    };
    let owner_name = owner["name"].as_str().unwrap_or_default().to_string();
    if owner["kind"] == "ReplicaSet" {
        let uid = owner["uid"].as_str().unwrap_or_default();
        if let Some(deployment) = replicasets
            .get(uid)
            .and_then(|rs| rs["metadata"]["ownerReferences"].as_array())
            .and_then(|refs| refs.iter().find(|r| r["kind"] == "Deployment"))
        {
            return (
                ns,
                deployment["name"].as_str().unwrap_or_default().to_string(),
            );
        }
    }
    (ns, owner_name)
}

enum Phase {
    Creating,
    Running { ready: bool },
}

fn restarts(pass: &Pass<'_, '_>, pod: &Value) -> i64 {
    let key = (
        meta_str(pod, "namespace").to_string(),
        meta_str(pod, "name").to_string(),
    );
    match pass.memory.restarts.get(&key) {
        Some(n) => i64::from(*n),
        None => pod["metadata"]["annotations"][RESTARTS_ANNOTATION]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    }
}

fn status_for(pod: &Value, phase: &Phase, restart_count: i64) -> Value {
    let previous = &pod["status"];
    let created = pod["metadata"]["creationTimestamp"].clone();
    let started_at = previous["startTime"]
        .as_str()
        .filter(|_| matches!(phase, Phase::Running { .. }))
        .map(|s| json!(s))
        .unwrap_or_else(|| json!(now_timestamp()));
    let ready = matches!(phase, Phase::Running { ready: true });
    let running = matches!(phase, Phase::Running { .. });
    let containers: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let state = if running {
                json!({"running": {"startedAt": started_at}})
            } else {
                json!({"waiting": {"reason": "ContainerCreating"}})
            };
            json!({
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": ready,
                "started": running,
                "restartCount": restart_count,
                "state": state,
            })
        })
        .collect();
    let since = if running {
        started_at.clone()
    } else {
        created.clone()
    };
    let flag = |b: bool| if b { "True" } else { "False" };
    let mut conditions = vec![
        json!({"type": "PodScheduled", "status": "True", "lastTransitionTime": created}),
        json!({"type": "Initialized", "status": "True", "lastTransitionTime": created}),
        json!({"type": "ContainersReady", "status": flag(ready), "lastTransitionTime": since}),
        json!({"type": "Ready", "status": flag(ready), "lastTransitionTime": since}),
    ];
    if !ready {
        for c in conditions.iter_mut().skip(2) {
            c["reason"] = json!("ContainersNotReady");
        }
    }
    let node_index: u32 = meta_str(pod, "name").bytes().map(u32::from).sum::<u32>() % 250 + 2;
    let mut status = json!({
        "phase": if running { "Running" } else { "Pending" },
        "conditions": conditions,
        "containerStatuses": containers,
        "hostIP": "10.0.0.1",
        "qosClass": "Burstable",
    });
    if running {
        status["startTime"] = started_at;
        status["podIP"] = json!(format!("10.244.0.{node_index}"));
    }
    status
}

/// Schedules pods and advances their readiness.
pub(super) fn reconcile(pass: &mut Pass<'_, '_>) {
    let replicasets: BTreeMap<String, Value> = all(pass, "apps", "replicasets")
        .into_iter()
        .map(|rs| (uid(&rs).to_string(), rs))
        .collect();
    let nodes: Vec<String> = all(pass, "", "nodes")
        .iter()
        .map(|n| meta_str(n, "name").to_string())
        .collect();
    let pods = all(pass, "", "pods");
    let mut load: BTreeMap<String, usize> = nodes.iter().map(|n| (n.clone(), 0)).collect();
    for pod in &pods {
        if let Some(count) = pod["spec"]["nodeName"]
            .as_str()
            .and_then(|n| load.get_mut(n))
        {
            *count += 1;
        }
    }
    for mut pod in pods {
        if matches!(
            pod["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed")
        ) {
            continue;
        }
        let mut changed = false;
        if pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty) {
            if let Some((node, count)) = load.iter_mut().min_by_key(|(_, c)| **c) {
                *count += 1;
                pod["spec"]["nodeName"] = json!(node);
                changed = true;
            }
        }
        let pod_uid = uid(&pod).to_string();
        let due = *pass
            .memory
            .ready_at
            .entry(pod_uid)
            .or_insert(pass.now + pass.rollout_delay);
        let phase = if pass.now < due {
            pass.due_at(due);
            Phase::Creating
        } else {
            let stalled = pass.stalled.contains(&workload_of(&pod, &replicasets));
            Phase::Running {
                ready: is_ready(&pod) || !stalled,
            }
        };
        let status = status_for(&pod, &phase, restarts(pass, &pod));
        if pod["status"] != status {
            pod["status"] = status;
            changed = true;
        }
        if changed {
            save(pass, "", "pods", pod);
        }
    }
    let live: std::collections::BTreeSet<String> = all(pass, "", "pods")
        .iter()
        .map(|p| uid(p).to_string())
        .collect();
    pass.memory.ready_at.retain(|k, _| live.contains(k));
}
