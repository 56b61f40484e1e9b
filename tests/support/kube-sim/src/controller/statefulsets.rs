//! StatefulSets: pods `{name}-0` … `{name}-{n-1}`, created in order (each
//! once the previous is Ready, for `OrderedReady`), replaced one at a time
//! from the highest ordinal on a template change, with the revision status
//! `kubectl rollout status` compares.

use serde_json::{json, Value};

use super::objects::{all, meta_str, owned_by, remove, save, template_hash};
use super::pods::{from_template, is_ready};
use super::replicasets::omit_zeros;
use super::{events, Pass};

const REVISION_LABEL: &str = "controller-revision-hash";

fn update_revision(sts: &Value) -> String {
    format!(
        "{}-{}",
        meta_str(sts, "name"),
        template_hash(&sts["spec"]["template"])
    )
}

fn ordinal(sts: &Value, pod: &Value) -> Option<u64> {
    meta_str(pod, "name")
        .strip_prefix(meta_str(sts, "name"))?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn pod_revision(pod: &Value) -> &str {
    pod["metadata"]["labels"][REVISION_LABEL]
        .as_str()
        .unwrap_or_default()
}

/// Creates, deletes and replaces each StatefulSet's pods.
pub(super) fn reconcile(pass: &mut Pass<'_, '_>) {
    let pods = all(pass, "", "pods");
    for sts in all(pass, "apps", "statefulsets") {
        let desired = sts["spec"]["replicas"].as_u64().unwrap_or(1);
        let revision = update_revision(&sts);
        let ordered = sts["spec"]["podManagementPolicy"] != "Parallel";
        let partition = sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"]
            .as_u64()
            .unwrap_or(0);
        let owned = owned_by(&pods, &sts);
        let by_ordinal = |i: u64| owned.iter().find(|p| ordinal(&sts, p) == Some(i));
        // Scale down: ordinals past the end go.
        for pod in owned
            .iter()
            .filter(|p| ordinal(&sts, p).is_none_or(|i| i >= desired))
        {
            remove(pass, "", "pods", pod);
        }
        let mut all_ready = true;
        for i in 0..desired {
            match by_ordinal(i) {
                Some(pod) => all_ready &= is_ready(pod),
                None => {
                    if ordered && !all_ready {
                        break;
                    }
                    let name = format!("{}-{i}", meta_str(&sts, "name"));
                    let labels = [
                        (REVISION_LABEL, revision.as_str()),
                        ("statefulset.kubernetes.io/pod-name", name.as_str()),
                    ];
                    let pod = from_template(&sts["spec"]["template"], &sts, &name, &labels);
                    save(pass, "", "pods", pod);
                    let message = format!(
                        "create Pod {name} in StatefulSet {} successful",
                        meta_str(&sts, "name")
                    );
                    events::record(
                        pass,
                        &sts,
                        "statefulset-controller",
                        "SuccessfulCreate",
                        message,
                    );
                    all_ready = false;
                }
            }
        }
        if !all_ready {
            continue;
        }
        // Rolling update: replace the highest outdated ordinal, one at a time.
        let outdated = (partition..desired)
            .rev()
            .filter_map(by_ordinal)
            .find(|p| pod_revision(p) != revision);
        if let Some(pod) = outdated {
            remove(pass, "", "pods", pod);
        }
    }
}

/// Writes each StatefulSet's status from its pods.
pub(super) fn roll_up(pass: &mut Pass<'_, '_>) {
    let pods = all(pass, "", "pods");
    for mut sts in all(pass, "apps", "statefulsets") {
        let desired = sts["spec"]["replicas"].as_u64().unwrap_or(1);
        let revision = update_revision(&sts);
        let owned = owned_by(&pods, &sts);
        let ready = owned.iter().filter(|p| is_ready(p)).count() as u64;
        let updated = owned.iter().filter(|p| pod_revision(p) == revision).count() as u64;
        let current_revision = match sts["status"]["currentRevision"].as_str() {
            Some(current) if !(updated == desired && ready == desired) => current.to_string(),
            _ => revision.clone(),
        };
        let current = owned
            .iter()
            .filter(|p| pod_revision(p) == current_revision)
            .count();
        let mut status = json!({
            "observedGeneration": sts["metadata"]["generation"],
            "replicas": owned.len(),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": current_revision,
            "updateRevision": revision,
            "collisionCount": 0,
        });
        omit_zeros(&mut status);
        if sts["status"] != status {
            sts["status"] = status;
            save(pass, "apps", "statefulsets", sts);
        }
    }
}
