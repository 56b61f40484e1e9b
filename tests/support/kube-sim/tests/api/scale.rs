//! The `scale` subresource of deployments and statefulsets.

use kube_sim::KubeSim;
use serde_json::json;

use crate::client::{get, patch, put};
use crate::fixtures::{deployment, pods_of, sim_with_flowengine, DEADLINE, DEPLOYMENTS};

#[test]
fn get_scale_is_an_autoscaling_v1_scale() {
    let sim = sim_with_flowengine();
    let scale = get(&sim, &format!("{DEPLOYMENTS}/flowengine/scale")).json();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["metadata"]["name"], "flowengine");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=flowengine");
}

#[test]
fn patching_scale_resizes_the_deployment_and_is_logged_once() {
    let sim = sim_with_flowengine();
    sim.clear_requests();
    let url = format!("{DEPLOYMENTS}/flowengine/scale");
    let response = patch(
        &sim,
        &url,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":5}}"#,
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["spec"]["replicas"], 5);
    assert_eq!(deployment(&sim, "flowengine")["spec"]["replicas"], 5);
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));
    assert_eq!(pods_of(&sim, "flowengine").len(), 5);
    assert_eq!(
        sim.count_requests(|r| r.method == "PATCH" && r.path.ends_with("/flowengine/scale")),
        1
    );
    let logged = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(logged.body, Some(json!({"spec": {"replicas": 5}})));
    assert_eq!(logged.status, 200);
}

#[test]
fn put_scale_honours_the_resource_version() {
    let sim = sim_with_flowengine();
    let url = format!("{DEPLOYMENTS}/flowengine/scale");
    let mut scale = get(&sim, &url).json();
    scale["spec"]["replicas"] = json!(2);
    scale["metadata"]["resourceVersion"] = json!("1");
    assert_eq!(put(&sim, &url, &scale).status, 409);
    scale["metadata"]["resourceVersion"] =
        deployment(&sim, "flowengine")["metadata"]["resourceVersion"].clone();
    let response = put(&sim, &url, &scale);
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(sim.wait_for(DEADLINE, |s| pods_of(s, "flowengine").len() == 2));
    let negative = patch(
        &sim,
        &url,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":-1}}"#,
    );
    assert_eq!(negative.status, 422);
}

#[test]
fn statefulsets_scale_with_ordinal_pod_names() {
    let sim = KubeSim::builder()
        .rollout_delay(std::time::Duration::from_millis(20))
        .start()
        .unwrap();
    sim.apply_yaml(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: production}
spec:
  replicas: 1
  serviceName: postgres
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers: [{name: postgres, image: "postgres:16"}]
"#,
    )
    .unwrap();
    let url = "/apis/apps/v1/namespaces/production/statefulsets/postgres/scale";
    let response = patch(
        &sim,
        url,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":3}}"#,
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(sim.wait_for(DEADLINE, |s| {
        s.get("apps/v1", "StatefulSet", "production", "postgres")
            .is_some_and(|sts| sts["status"]["readyReplicas"] == 3)
    }));
    let mut names: Vec<String> = pods_of(&sim, "postgres")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["postgres-0", "postgres-1", "postgres-2"]);
}
