//! Deployments: one ReplicaSet per pod template (named
//! `{deployment}-{template hash}`), the new one scaled to `spec.replicas`,
//! old ones scaled to zero once the new one is fully Ready (so a stalled
//! rollout keeps its old pods serving), and the status `kubectl rollout
//! status` reads.

use serde_json::{json, Value};

use super::conditions::condition;
use super::events;
use super::objects::{all, meta_str, owned_by, owner_reference, save, template_hash};
use super::pods::is_ready;
use super::replicasets::omit_zeros;
use super::Pass;

const REVISION: &str = "deployment.kubernetes.io/revision";

fn revision(object: &Value) -> u64 {
    object["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn desired_replicas(deployment: &Value) -> u64 {
    deployment["spec"]["replicas"].as_u64().unwrap_or(1)
}

fn new_replicaset_name(deployment: &Value) -> String {
    format!(
        "{}-{}",
        meta_str(deployment, "name"),
        template_hash(&deployment["spec"]["template"])
    )
}

fn new_replicaset(deployment: &Value, name: &str, hash: &str, revision: u64) -> Value {
    let mut template = deployment["spec"]["template"].clone();
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let mut selector = deployment["spec"]["selector"].clone();
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": deployment["metadata"]["namespace"],
            "labels": template["metadata"]["labels"],
            "annotations": {REVISION: revision.to_string()},
            "ownerReferences": [owner_reference(deployment)],
        },
        "spec": {
            "replicas": desired_replicas(deployment),
            "selector": selector,
            "template": template,
        },
    })
}

/// Creates and scales each deployment's ReplicaSets.
pub(super) fn reconcile(pass: &mut Pass<'_, '_>) {
    let replicasets = all(pass, "apps", "replicasets");
    let pods = all(pass, "", "pods");
    for mut deployment in all(pass, "apps", "deployments") {
        let desired = desired_replicas(&deployment);
        let new_name = new_replicaset_name(&deployment);
        let owned = owned_by(&replicasets, &deployment);
        let max_revision = owned.iter().map(|rs| revision(rs)).max().unwrap_or(0);
        let new_rs = owned.iter().find(|rs| meta_str(rs, "name") == new_name);
        let new_revision = match new_rs {
            None => {
                let hash = template_hash(&deployment["spec"]["template"]);
                let rs = new_replicaset(&deployment, &new_name, &hash, max_revision + 1);
                save(pass, "apps", "replicasets", rs);
                let message = format!("Scaled up replica set {new_name} from 0 to {desired}");
                events::record(
                    pass,
                    &deployment,
                    "deployment-controller",
                    "ScalingReplicaSet",
                    message,
                );
                max_revision + 1
            }
            Some(rs) => {
                let mut rs = (*rs).clone();
                // A rollback to an old template makes its ReplicaSet the newest revision.
                let rev = if revision(&rs) < max_revision {
                    max_revision + 1
                } else {
                    revision(&rs)
                };
                rs["metadata"]["annotations"][REVISION] = json!(rev.to_string());
                let previous = rs["spec"]["replicas"].as_u64().unwrap_or(0);
                rs["spec"]["replicas"] = json!(desired);
                save(pass, "apps", "replicasets", rs);
                if previous != desired {
                    let direction = if desired > previous { "up" } else { "down" };
                    let message = format!(
                        "Scaled {direction} replica set {new_name} from {previous} to {desired}"
                    );
                    events::record(
                        pass,
                        &deployment,
                        "deployment-controller",
                        "ScalingReplicaSet",
                        message,
                    );
                }
                rev
            }
        };
        let new_ready = new_rs.map_or(0, |rs| {
            owned_by(&pods, rs).iter().filter(|p| is_ready(p)).count() as u64
        });
        if new_ready >= desired {
            for old in owned.iter().filter(|rs| meta_str(rs, "name") != new_name) {
                if old["spec"]["replicas"] != json!(0) {
                    let mut old = (*old).clone();
                    let previous = old["spec"]["replicas"].as_u64().unwrap_or(0);
                    old["spec"]["replicas"] = json!(0);
                    let message = format!(
                        "Scaled down replica set {} from {previous} to 0",
                        meta_str(&old, "name")
                    );
                    save(pass, "apps", "replicasets", old);
                    events::record(
                        pass,
                        &deployment,
                        "deployment-controller",
                        "ScalingReplicaSet",
                        message,
                    );
                }
            }
        }
        if revision(&deployment) != new_revision {
            deployment["metadata"]["annotations"][REVISION] = json!(new_revision.to_string());
            save(pass, "apps", "deployments", deployment);
        }
    }
}

/// `maxUnavailable` of a rolling update, resolved against `desired`.
fn max_unavailable(deployment: &Value, desired: u64) -> u64 {
    match &deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<u64>().ok())
            .map_or(0, |p| desired * p / 100),
        _ => desired / 4,
    }
}

/// Writes each deployment's status from its ReplicaSets' pods.
pub(super) fn roll_up(pass: &mut Pass<'_, '_>) {
    let replicasets = all(pass, "apps", "replicasets");
    let pods = all(pass, "", "pods");
    for mut deployment in all(pass, "apps", "deployments") {
        let desired = desired_replicas(&deployment);
        let new_name = new_replicaset_name(&deployment);
        let owned = owned_by(&replicasets, &deployment);
        let mut replicas = 0u64;
        let mut updated = 0u64;
        let mut ready = 0u64;
        for rs in &owned {
            let rs_pods = owned_by(&pods, rs);
            replicas += rs_pods.len() as u64;
            ready += rs_pods.iter().filter(|p| is_ready(p)).count() as u64;
            if meta_str(rs, "name") == new_name {
                updated = rs_pods.len() as u64;
            }
        }
        let new_ready = owned
            .iter()
            .find(|rs| meta_str(rs, "name") == new_name)
            .map_or(0, |rs| {
                owned_by(&pods, rs).iter().filter(|p| is_ready(p)).count() as u64
            });
        let complete = updated == desired && replicas == desired && new_ready == desired;
        let previous = &deployment["status"]["conditions"];
        let available = ready + max_unavailable(&deployment, desired) >= desired;
        let conditions = vec![
            if available {
                condition(
                    previous,
                    "Available",
                    true,
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                )
            } else {
                condition(
                    previous,
                    "Available",
                    false,
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                )
            },
            progressing(pass, &deployment, &new_name, complete),
        ];
        let mut status = json!({
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": desired.saturating_sub(ready),
            "conditions": conditions,
        });
        omit_zeros(&mut status);
        if deployment["status"] != status {
            deployment["status"] = status;
            save(pass, "apps", "deployments", deployment);
        }
    }
}

/// The Progressing condition: done, still progressing, or past
/// `spec.progressDeadlineSeconds` since this rollout started (which
/// `kubectl rollout status` reports as "exceeded its progress deadline").
/// The rollout's start is the `lastUpdateTime` of the "is progressing"
/// condition, which stays put while the message does.
fn progressing(
    pass: &mut Pass<'_, '_>,
    deployment: &Value,
    new_name: &str,
    complete: bool,
) -> Value {
    let previous = &deployment["status"]["conditions"];
    if complete {
        let message = format!("ReplicaSet \"{new_name}\" has successfully progressed.");
        return condition(
            previous,
            "Progressing",
            true,
            "NewReplicaSetAvailable",
            &message,
        );
    }
    let timed_out = format!("ReplicaSet \"{new_name}\" has timed out progressing.");
    let in_progress = format!("ReplicaSet \"{new_name}\" is progressing.");
    let current = previous
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Progressing");
    if current.is_some_and(|c| c["message"] == timed_out.as_str()) {
        return condition(
            previous,
            "Progressing",
            false,
            "ProgressDeadlineExceeded",
            &timed_out,
        );
    }
    let started = current
        .filter(|c| c["message"] == in_progress.as_str())
        .and_then(|c| c["lastUpdateTime"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    let deadline = deployment["spec"]["progressDeadlineSeconds"]
        .as_i64()
        .unwrap_or(600);
    let elapsed = (chrono::Utc::now() - started).num_seconds();
    if elapsed >= deadline {
        return condition(
            previous,
            "Progressing",
            false,
            "ProgressDeadlineExceeded",
            &timed_out,
        );
    }
    // Timestamps have whole seconds: look again just after the deadline.
    let remaining = u64::try_from(deadline - elapsed).unwrap_or(0);
    pass.due_at(
        pass.now + std::time::Duration::from_secs(remaining) + std::time::Duration::from_millis(50),
    );
    condition(
        previous,
        "Progressing",
        true,
        "ReplicaSetUpdated",
        &in_progress,
    )
}
