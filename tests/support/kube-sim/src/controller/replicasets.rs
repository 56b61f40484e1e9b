//! ReplicaSets: keep `spec.replicas` pods, removing unready and newest pods
//! first on scale-down, and roll their status up.

use serde_json::{json, Value};

use super::objects::{all, meta_str, owned_by, remove, save};
use super::pods::{from_template, is_ready};
use super::{events, Pass};
use crate::objects::random_suffix;

/// Creates and deletes pods to match each ReplicaSet's replicas.
pub(super) fn reconcile(pass: &mut Pass<'_, '_>) {
    let pods = all(pass, "", "pods");
    for rs in all(pass, "apps", "replicasets") {
        let desired = rs["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        let mut owned: Vec<&Value> = owned_by(&pods, &rs);
        if owned.len() < desired {
            let hash = rs["metadata"]["labels"]["pod-template-hash"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            for _ in owned.len()..desired {
                let name = format!("{}-{}", meta_str(&rs, "name"), random_suffix(5));
                let labels: Vec<(&str, &str)> = if hash.is_empty() {
                    Vec::new()
                } else {
                    vec![("pod-template-hash", hash.as_str())]
                };
                let pod = from_template(&rs["spec"]["template"], &rs, &name, &labels);
                save(pass, "", "pods", pod);
                let message = format!("Created pod: {name}");
                events::record(
                    pass,
                    &rs,
                    "replicaset-controller",
                    "SuccessfulCreate",
                    message,
                );
            }
        } else if owned.len() > desired {
            // Unready pods go first, then the youngest.
            owned.sort_by_key(|p| {
                (
                    is_ready(p),
                    std::cmp::Reverse(meta_str(p, "creationTimestamp").to_string()),
                )
            });
            let doomed: Vec<Value> = owned[..owned.len() - desired]
                .iter()
                .map(|p| (*p).clone())
                .collect();
            for pod in doomed {
                remove(pass, "", "pods", &pod);
                let message = format!("Deleted pod: {}", meta_str(&pod, "name"));
                events::record(
                    pass,
                    &rs,
                    "replicaset-controller",
                    "SuccessfulDelete",
                    message,
                );
            }
        }
    }
}

/// Writes each ReplicaSet's status from its pods.
pub(super) fn roll_up(pass: &mut Pass<'_, '_>) {
    let pods = all(pass, "", "pods");
    for mut rs in all(pass, "apps", "replicasets") {
        let owned = owned_by(&pods, &rs);
        let ready = owned.iter().filter(|p| is_ready(p)).count();
        let mut status = json!({
            "replicas": owned.len(),
            "fullyLabeledReplicas": owned.len(),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"]["generation"],
        });
        omit_zeros(&mut status);
        if rs["status"] != status {
            rs["status"] = status;
            save(pass, "apps", "replicasets", rs);
        }
    }
}

/// Drops zero counts, as the real API omits them (`omitempty`); the
/// `replicas` count stays, as it does on the real server.
pub(super) fn omit_zeros(status: &mut Value) {
    if let Some(map) = status.as_object_mut() {
        map.retain(|k, v| k == "replicas" || k == "observedGeneration" || v != &json!(0));
    }
}
