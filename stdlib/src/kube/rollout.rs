//! Whether a rollout has finished, by the same rules as `kubectl rollout
//! status` (kubectl's `DeploymentStatusViewer` and
//! `StatefulSetStatusViewer`), with the same messages.

use serde_json::Value;

use super::values::{has_condition, int_at, str_at};

/// What `kubectl rollout status` would say about an object right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rollout {
    Done(String),
    Waiting(String),
    /// The rollout cannot finish by waiting (kubectl exits with an error).
    Failed(String),
}

impl Rollout {
    pub fn message(&self) -> &str {
        match self {
            Rollout::Done(m) | Rollout::Waiting(m) | Rollout::Failed(m) => m,
        }
    }
}

fn count(object: &Value, pointer: &str) -> i64 {
    int_at(object, pointer).unwrap_or(0)
}

/// A Deployment: the controller has seen the latest spec, every replica runs
/// the new template, no old replica is left, and every updated replica is
/// available.
pub(crate) fn deployment(object: &Value) -> Rollout {
    let name = str_at(object, "/metadata/name").unwrap_or_default();
    if count(object, "/metadata/generation") > count(object, "/status/observedGeneration") {
        return Rollout::Waiting("Waiting for deployment spec update to be observed...".into());
    }
    if has_condition(object, "Progressing", "reason", "ProgressDeadlineExceeded") {
        return Rollout::Failed(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let updated = count(object, "/status/updatedReplicas");
    let current = count(object, "/status/replicas");
    let available = count(object, "/status/availableReplicas");
    if let Some(wanted) = int_at(object, "/spec/replicas") {
        if updated < wanted {
            return Rollout::Waiting(format!(
                "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {wanted} new replicas have been updated..."
            ));
        }
    }
    if current > updated {
        return Rollout::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            current - updated
        ));
    }
    if available < updated {
        return Rollout::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."
        ));
    }
    Rollout::Done(format!("deployment \"{name}\" successfully rolled out"))
}

/// A StatefulSet with the `RollingUpdate` strategy (the default): the spec is
/// observed, every replica is ready, and either the partition is rolled out
/// or every pod runs the update revision.
pub(crate) fn statefulset(object: &Value) -> Rollout {
    let strategy = str_at(object, "/spec/updateStrategy/type").unwrap_or("RollingUpdate");
    if strategy != "RollingUpdate" {
        return Rollout::Failed(
            "rollout status is only available for RollingUpdate strategy type".into(),
        );
    }
    let observed = count(object, "/status/observedGeneration");
    if observed == 0 || count(object, "/metadata/generation") > observed {
        return Rollout::Waiting("Waiting for statefulset spec update to be observed...".into());
    }
    let wanted = int_at(object, "/spec/replicas");
    let ready = count(object, "/status/readyReplicas");
    if let Some(wanted) = wanted {
        if ready < wanted {
            return Rollout::Waiting(format!(
                "Waiting for {} pods to be ready...",
                wanted - ready
            ));
        }
    }
    let updated = count(object, "/status/updatedReplicas");
    if let Some(rolling) = object
        .pointer("/spec/updateStrategy/rollingUpdate")
        .filter(|r| !r.is_null())
    {
        if let (Some(wanted), Some(partition)) = (wanted, int_at(rolling, "/partition")) {
            if updated < wanted - partition {
                return Rollout::Waiting(format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    wanted - partition
                ));
            }
        }
        return Rollout::Done(format!(
            "partitioned roll out complete: {updated} new pods have been updated..."
        ));
    }
    let update_revision = str_at(object, "/status/updateRevision").unwrap_or_default();
    let current_revision = str_at(object, "/status/currentRevision").unwrap_or_default();
    if update_revision != current_revision {
        return Rollout::Waiting(format!(
            "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
        ));
    }
    Rollout::Done(format!(
        "statefulset rolling update complete {} pods at revision {current_revision}...",
        count(object, "/status/currentReplicas")
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(
        generation: i64,
        observed: i64,
        spec: i64,
        replicas: i64,
        updated: i64,
        available: i64,
    ) -> Value {
        json!({
            "metadata": {"name": "app", "generation": generation},
            "spec": {"replicas": spec},
            "status": {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
                       "readyReplicas": available, "availableReplicas": available}
        })
    }

    #[test]
    fn deployment_follows_kubectl() {
        assert!(
            matches!(deployment(&deploy(2, 1, 5, 5, 5, 5)), Rollout::Waiting(m) if m.contains("spec update"))
        );
        assert_eq!(
            deployment(&deploy(2, 2, 5, 5, 3, 3)).message(),
            "Waiting for deployment \"app\" rollout to finish: 3 out of 5 new replicas have been updated..."
        );
        assert!(deployment(&deploy(2, 2, 5, 7, 5, 5))
            .message()
            .contains("2 old replicas are pending termination"));
        assert!(deployment(&deploy(2, 2, 5, 5, 5, 4))
            .message()
            .contains("4 of 5 updated replicas are available"));
        assert!(matches!(
            deployment(&deploy(2, 2, 5, 5, 5, 5)),
            Rollout::Done(_)
        ));
    }

    #[test]
    fn a_deployment_past_its_deadline_has_failed() {
        let mut d = deploy(2, 2, 5, 5, 3, 3);
        d["status"]["conditions"] = json!([{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]);
        assert!(matches!(deployment(&d), Rollout::Failed(_)));
    }

    #[test]
    fn statefulset_follows_kubectl() {
        let sts = |ready: i64, cur: &str, upd: &str| {
            json!({
                "metadata": {"name": "pg", "generation": 1},
                "spec": {"replicas": 2},
                "status": {"observedGeneration": 1, "readyReplicas": ready, "updatedReplicas": ready,
                           "currentReplicas": ready, "currentRevision": cur, "updateRevision": upd}
            })
        };
        assert_eq!(
            statefulset(&sts(1, "a", "a")).message(),
            "Waiting for 1 pods to be ready..."
        );
        assert!(matches!(
            statefulset(&sts(2, "a", "b")),
            Rollout::Waiting(_)
        ));
        assert!(matches!(statefulset(&sts(2, "b", "b")), Rollout::Done(_)));
        let mut on_delete = sts(2, "b", "b");
        on_delete["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        assert!(matches!(statefulset(&on_delete), Rollout::Failed(_)));
    }
}
