//! The four PATCH types, as kubectl and the kube crate send them.

use kube_sim::KubeSim;
use serde_json::json;

use crate::client::{get, patch};
use crate::fixtures::{deployment, env_value, sim_with_flowengine, DEPLOYMENTS};

const MERGE: &str = "application/merge-patch+json";
const JSON: &str = "application/json-patch+json";
const STRATEGIC: &str = "application/strategic-merge-patch+json";
const APPLY: &str = "application/apply-patch+yaml";

fn url() -> String {
    format!("{DEPLOYMENTS}/flowengine")
}

#[test]
fn merge_patch_sets_fields_and_null_removes_them() {
    let sim = sim_with_flowengine();
    let response = patch(
        &sim,
        &url(),
        MERGE,
        r#"{"metadata":{"labels":{"tier":null,"owner":"sre"}},"spec":{"replicas":4}}"#,
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let object = deployment(&sim, "flowengine");
    assert_eq!(object["spec"]["replicas"], 4);
    assert_eq!(
        object["metadata"]["labels"],
        json!({"app": "flowengine", "owner": "sre"})
    );
    assert_eq!(object["metadata"]["generation"], 2);
}

#[test]
fn merge_patch_with_a_stale_resource_version_conflicts() {
    let sim = sim_with_flowengine();
    let response = patch(
        &sim,
        &url(),
        MERGE,
        r#"{"metadata":{"resourceVersion":"1"},"spec":{"replicas":9}}"#,
    );
    assert_eq!(response.status, 409);
    assert_eq!(deployment(&sim, "flowengine")["spec"]["replicas"], 3);
}

#[test]
fn json_patch_supports_every_operation() {
    let sim = sim_with_flowengine();
    let ops = json!([
        {"op": "test", "path": "/spec/replicas", "value": 3},
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "add", "path": "/metadata/annotations", "value": {"a/b": "1"}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "EXTRA", "value": "x"}},
        {"op": "remove", "path": "/spec/template/spec/containers/0/env/1"},
        {"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/labels/copied"},
        {"op": "move", "from": "/metadata/labels/tier", "path": "/metadata/labels/layer"},
    ]);
    let response = patch(&sim, &url(), JSON, &ops.to_string());
    assert_eq!(response.status, 200, "{}", response.body);
    let object = deployment(&sim, "flowengine");
    assert_eq!(object["spec"]["replicas"], 5);
    assert_eq!(object["metadata"]["annotations"]["a/b"], "1");
    let env = &object["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(
        env,
        &json!([{"name": "DB_POOL_SIZE", "value": "100"}, {"name": "EXTRA", "value": "x"}])
    );
    assert_eq!(object["metadata"]["labels"]["copied"], "flowengine");
    assert_eq!(object["metadata"]["labels"]["layer"], "backend");
    assert!(object["metadata"]["labels"].get("tier").is_none());
}

#[test]
fn json_patch_failing_test_changes_nothing() {
    let sim = sim_with_flowengine();
    let before = deployment(&sim, "flowengine");
    let ops = r#"[{"op":"replace","path":"/spec/replicas","value":7},{"op":"test","path":"/spec/replicas","value":3}]"#;
    let response = patch(&sim, &url(), JSON, ops);
    assert_eq!(response.status, 422, "{}", response.body);
    assert_eq!(
        deployment(&sim, "flowengine")["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    let missing = patch(
        &sim,
        &url(),
        JSON,
        r#"[{"op":"remove","path":"/spec/nothing"}]"#,
    );
    assert_eq!(missing.status, 422);
}

#[test]
fn strategic_merge_merges_containers_and_env_by_name() {
    let sim = sim_with_flowengine();
    // What `kubectl set env deployment/flowengine DB_POOL_SIZE=200 NEW=1` sends.
    let body = json!({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "flowengine"}],
        "containers": [{"name": "flowengine",
            "$setElementOrder/env": [{"name": "DB_POOL_SIZE"}, {"name": "LOG_LEVEL"}, {"name": "NEW"}],
            "env": [{"name": "DB_POOL_SIZE", "value": "200"}, {"name": "NEW", "value": "1"}]}]
    }}}});
    let response = patch(&sim, &url(), STRATEGIC, &body.to_string());
    assert_eq!(response.status, 200, "{}", response.body);
    let object = deployment(&sim, "flowengine");
    assert_eq!(env_value(&object, "DB_POOL_SIZE").as_deref(), Some("200"));
    assert_eq!(env_value(&object, "LOG_LEVEL").as_deref(), Some("info"));
    assert_eq!(env_value(&object, "NEW").as_deref(), Some("1"));
    let container = &object["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["image"], "registry.example/flowengine:1.0",
        "other fields kept"
    );
    assert_eq!(container["ports"][0]["containerPort"], 8080);

    let delete = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "flowengine", "env": [{"name": "NEW", "$patch": "delete"}]}
    ]}}}});
    patch(&sim, &url(), STRATEGIC, &delete.to_string());
    assert_eq!(env_value(&deployment(&sim, "flowengine"), "NEW"), None);
}

#[test]
fn strategic_merge_restart_annotation_starts_a_new_generation() {
    let sim = sim_with_flowengine();
    let body = r#"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-11-16T10:00:00Z"}}}}}"#;
    patch(&sim, &url(), STRATEGIC, body);
    let object = deployment(&sim, "flowengine");
    assert_eq!(object["metadata"]["generation"], 2);
    assert!(object["spec"]["template"]["metadata"]["annotations"]["kube-sim/log"].is_string());
}

#[test]
fn server_side_apply_creates_then_merges() {
    let sim = KubeSim::start().unwrap();
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../runbooks/manifests/flowengine-hpa.yaml"
    ))
    .expect("the seed's HPA manifest");
    let hpa_url =
        "/apis/autoscaling/v2/namespaces/production/horizontalpodautoscalers/flowengine-hpa";
    let created = patch(
        &sim,
        &format!("{hpa_url}?fieldManager=runbook"),
        APPLY,
        &manifest,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let hpa = get(&sim, hpa_url).json();
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].as_i64(),
            hpa["spec"]["maxReplicas"].as_i64()
        ),
        (Some(5), Some(20))
    );
    assert_eq!(
        hpa["spec"]["behavior"]["scaleDown"]["policies"][0]["periodSeconds"],
        120
    );

    let phase7 = manifest
        .replace("minReplicas: 5", "minReplicas: 10")
        .replace("maxReplicas: 20", "maxReplicas: 50");
    let updated = patch(
        &sim,
        &format!("{hpa_url}?fieldManager=runbook&force=true"),
        APPLY,
        &phase7,
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    let hpa = get(&sim, hpa_url).json();
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].as_i64(),
            hpa["spec"]["maxReplicas"].as_i64()
        ),
        (Some(10), Some(50))
    );
    assert_eq!(hpa["metadata"]["generation"], 2);
}

#[test]
fn server_side_apply_requires_a_field_manager() {
    let sim = KubeSim::start().unwrap();
    let response = patch(
        &sim,
        "/api/v1/namespaces/default/configmaps/c",
        APPLY,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n",
    );
    assert_eq!(response.status, 422);
    assert!(response.json()["message"]
        .as_str()
        .unwrap()
        .contains("fieldManager"));
    assert!(sim.get("v1", "ConfigMap", "default", "c").is_none());
}

#[test]
fn unknown_patch_types_and_missing_objects_are_refused() {
    let sim = sim_with_flowengine();
    assert_eq!(patch(&sim, &url(), "application/json", "{}").status, 415);
    assert_eq!(
        patch(&sim, &format!("{DEPLOYMENTS}/nope"), MERGE, "{}").status,
        404
    );
}
