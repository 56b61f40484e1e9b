//! The controller: pods, ReplicaSets, rollouts, stalls, statefulsets, HPA
//! status and restart counts.

use std::time::Duration;

use kube_sim::KubeSim;
use serde_json::{json, Value};

use crate::client::patch;
use crate::fixtures::{deployment, pods_of, sim_with_flowengine, DEADLINE, DEPLOYMENTS};

fn set_pool_size(sim: &KubeSim, size: &str) {
    let body = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "flowengine", "env": [{"name": "DB_POOL_SIZE", "value": size}]}
    ]}}}});
    let response = patch(
        sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/strategic-merge-patch+json",
        &body.to_string(),
    );
    assert_eq!(response.status, 200, "{}", response.body);
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

#[test]
fn deployment_pods_are_named_labelled_scheduled_and_ready() {
    let sim = sim_with_flowengine();
    let replicasets = sim.list("apps/v1", "ReplicaSet", "production");
    assert_eq!(replicasets.len(), 1);
    let rs_name = replicasets[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let hash = rs_name.strip_prefix("flowengine-").unwrap();
    assert_eq!(hash.len(), 10);
    let pods = pods_of(&sim, "flowengine");
    assert_eq!(pods.len(), 3);
    for pod in &pods {
        let name = pod["metadata"]["name"].as_str().unwrap();
        assert!(
            name.starts_with(&format!("{rs_name}-")) && name.len() == rs_name.len() + 6,
            "{name}"
        );
        assert_eq!(pod["metadata"]["labels"]["pod-template-hash"], hash);
        assert_eq!(pod["metadata"]["labels"]["tier"], "backend");
        assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
        assert!(pod["spec"]["nodeName"]
            .as_str()
            .unwrap()
            .starts_with("node-"));
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            "500m"
        );
        assert_eq!(pod["status"]["phase"], "Running");
        assert!(ready(pod));
    }
    let status = &deployment(&sim, "flowengine")["status"];
    assert_eq!(status["observedGeneration"], 1);
    for field in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        assert_eq!(status[field], 3, "{field}");
    }
    let progressing = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .unwrap();
    assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
}

#[test]
fn a_template_change_rolls_out_a_new_replicaset() {
    let sim = sim_with_flowengine();
    let old_pods: Vec<String> = pods_of(&sim, "flowengine")
        .iter()
        .map(|p| p["metadata"]["name"].to_string())
        .collect();
    set_pool_size(&sim, "200");
    assert!(sim.wait_for(DEADLINE, |s| {
        s.rollout_complete("production", "flowengine")
            && deployment(s, "flowengine")["status"]["observedGeneration"] == 2
    }));
    assert!(sim.wait_for(DEADLINE, |s| pods_of(s, "flowengine").len() == 3));
    let pods = pods_of(&sim, "flowengine");
    assert!(pods
        .iter()
        .all(|p| !old_pods.contains(&p["metadata"]["name"].to_string())));
    let mut replicasets = sim.list("apps/v1", "ReplicaSet", "production");
    replicasets.sort_by_key(|rs| {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
            .as_str()
            .unwrap()
            .to_string()
    });
    assert_eq!(replicasets.len(), 2);
    assert_eq!(
        replicasets[0]["spec"]["replicas"], 0,
        "the old ReplicaSet is scaled down"
    );
    assert_eq!(replicasets[1]["spec"]["replicas"], 3);
    assert_eq!(
        deployment(&sim, "flowengine")["metadata"]["annotations"]
            ["deployment.kubernetes.io/revision"],
        "2"
    );
}

#[test]
fn a_stalled_rollout_keeps_old_pods_and_reports_lagging_counts_until_resumed() {
    let sim = sim_with_flowengine();
    sim.faults().stall_rollouts("production", "flowengine");
    set_pool_size(&sim, "300");
    // Wait until the new pods exist and had time to become Ready, if they could.
    assert!(sim.wait_for(DEADLINE, |s| {
        pods_of(s, "flowengine").len() == 6
            && pods_of(s, "flowengine")
                .iter()
                .all(|p| p["status"]["phase"] == "Running")
    }));
    let stalled = deployment(&sim, "flowengine");
    let status = &stalled["status"];
    assert_eq!(
        status["observedGeneration"], 2,
        "the controller saw the change"
    );
    assert_eq!(status["updatedReplicas"], 3);
    assert_eq!(status["replicas"], 6);
    assert_eq!(status["readyReplicas"], 3, "only the old pods are ready");
    assert!(!sim.rollout_complete("production", "flowengine"));
    assert_eq!(
        pods_of(&sim, "flowengine")
            .iter()
            .filter(|p| ready(p))
            .count(),
        3
    );

    sim.faults().resume_rollouts("production", "flowengine");
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));
    assert!(sim.wait_for(DEADLINE, |s| pods_of(s, "flowengine").len() == 3));
}

#[test]
fn deleted_pods_are_replaced() {
    let sim = sim_with_flowengine();
    let victim = pods_of(&sim, "flowengine")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    sim.delete("v1", "Pod", "production", &victim).unwrap();
    assert!(sim.wait_for(DEADLINE, |s| {
        let pods = pods_of(s, "flowengine");
        pods.len() == 3
            && pods
                .iter()
                .all(|p| p["metadata"]["name"] != victim.as_str() && ready(p))
    }));
}

#[test]
fn statefulset_rolls_pods_in_reverse_ordinal_order_and_reports_revisions() {
    let sim = KubeSim::builder()
        .rollout_delay(Duration::from_millis(20))
        .start()
        .unwrap();
    let manifest = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: postgres, namespace: production}}\nspec:\n  replicas: 3\n  serviceName: postgres\n  selector: {{matchLabels: {{app: postgres}}}}\n  template:\n    metadata: {{labels: {{app: postgres}}}}\n    spec:\n      containers: [{{name: postgres, image: \"{image}\"}}]\n"
        )
    };
    sim.apply_yaml(&manifest("postgres:15")).unwrap();
    let sts = |s: &KubeSim| {
        s.get("apps/v1", "StatefulSet", "production", "postgres")
            .unwrap()
    };
    let done = |s: &KubeSim| {
        let st = sts(s);
        st["status"]["readyReplicas"] == 3
            && st["status"]["updatedReplicas"] == 3
            && st["status"]["currentRevision"] == st["status"]["updateRevision"]
            && st["status"]["observedGeneration"] == st["metadata"]["generation"]
    };
    assert!(sim.wait_for(DEADLINE, done));
    let first_revision = sts(&sim)["status"]["updateRevision"].clone();
    sim.apply_yaml(&manifest("postgres:16")).unwrap();
    assert!(sim.wait_for(DEADLINE, |s| done(s)
        && sts(s)["status"]["updateRevision"] != first_revision));
    let pods = pods_of(&sim, "postgres");
    assert_eq!(pods.len(), 3);
    for pod in pods {
        assert_eq!(pod["spec"]["containers"][0]["image"], "postgres:16");
        assert_eq!(
            pod["metadata"]["labels"]["controller-revision-hash"],
            sts(&sim)["status"]["updateRevision"]
        );
    }
}

#[test]
fn hpa_status_follows_its_target() {
    let sim = sim_with_flowengine();
    sim.apply_yaml(
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: flowengine-hpa, namespace: production}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: flowengine}\n  minReplicas: 5\n  maxReplicas: 20\n",
    )
    .unwrap();
    let hpa = |s: &KubeSim| {
        s.get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "production",
            "flowengine-hpa",
        )
        .unwrap()
    };
    assert!(sim.wait_for(DEADLINE, |s| hpa(s)["status"]["currentReplicas"] == 3));
    assert_eq!(
        hpa(&sim)["status"]["desiredReplicas"],
        5,
        "clamped to minReplicas"
    );
    patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine/scale"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":7}}"#,
    );
    assert!(sim.wait_for(DEADLINE, |s| hpa(s)["status"]["currentReplicas"] == 7));
}

#[test]
fn restart_counts_can_be_set_by_tests_and_templates() {
    let sim = sim_with_flowengine();
    let pod = pods_of(&sim, "flowengine")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    sim.set_restarts("production", &pod, 4);
    let restarts = |s: &KubeSim| {
        s.get("v1", "Pod", "production", &pod).unwrap()["status"]["containerStatuses"][0]
            ["restartCount"]
            .clone()
    };
    assert!(sim.wait_for(DEADLINE, |s| restarts(s) == 4));

    let body = r#"{"spec":{"template":{"metadata":{"annotations":{"kube-sim/restarts":"2"}}}}}"#;
    patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/strategic-merge-patch+json",
        body,
    );
    assert!(sim.wait_for(DEADLINE, |s| {
        s.rollout_complete("production", "flowengine")
            && pods_of(s, "flowengine").len() == 3
            && pods_of(s, "flowengine")
                .iter()
                .all(|p| p["status"]["containerStatuses"][0]["restartCount"] == 2)
    }));
}

#[test]
fn nodes_are_seeded_with_allocatable_capacity() {
    let sim = KubeSim::start().unwrap();
    let nodes = sim.list("v1", "Node", "");
    assert_eq!(nodes.len(), 3);
    for node in nodes {
        assert_eq!(node["status"]["allocatable"]["cpu"], "3800m");
        assert_eq!(node["status"]["allocatable"]["memory"], "15Gi");
        assert_eq!(node["status"]["capacity"]["cpu"], "4");
    }
}

#[test]
fn controllers_record_events_describe_can_find() {
    let sim = sim_with_flowengine();
    patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine/scale"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":5}}"#,
    );
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));
    let query = "/api/v1/namespaces/production/events?fieldSelector=involvedObject.kind%3DDeployment,involvedObject.name%3Dflowengine";
    let events = crate::client::get(&sim, query).json();
    let messages: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["reason"], "ScalingReplicaSet");
            e["message"].as_str().unwrap()
        })
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    // Event names are random, so the list order is not the order of events.
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("Scaled up replica set flowengine-")
                && m.ends_with(" from 0 to 3"))
    );
    assert!(
        messages.iter().any(|m| m.ends_with(" from 3 to 5")),
        "{messages:?}"
    );
    let created = sim
        .list("v1", "Event", "production")
        .into_iter()
        .filter(|e| e["reason"] == "SuccessfulCreate")
        .count();
    assert_eq!(created, 5, "one per pod created");
}

#[test]
fn a_stalled_rollout_exceeds_its_progress_deadline() {
    let sim = sim_with_flowengine();
    let progressing = |s: &KubeSim| {
        deployment(s, "flowengine")["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Progressing")
            .cloned()
            .unwrap()
    };
    sim.faults().stall_rollouts("production", "flowengine");
    let body = r#"{"spec":{"progressDeadlineSeconds":1,"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"now"}}}}}"#;
    patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/strategic-merge-patch+json",
        body,
    );
    assert!(sim.wait_for(DEADLINE, |s| progressing(s)["reason"]
        == "ProgressDeadlineExceeded"));
    let condition = progressing(&sim);
    assert_eq!(condition["status"], "False");
    assert!(condition["message"]
        .as_str()
        .unwrap()
        .ends_with("has timed out progressing."));

    sim.faults().resume_rollouts("production", "flowengine");
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));
    assert!(sim.wait_for(DEADLINE, |s| progressing(s)["reason"]
        == "NewReplicaSetAvailable"));
}
