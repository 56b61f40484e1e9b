//! Shared seeds and helpers.

use std::time::Duration;

use kube_sim::KubeSim;
use serde_json::Value;

/// Generous: machines are slow and shared.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/production/deployments";

/// A deployment manifest like the seed runbook's flowengine.
pub fn deployment_yaml(name: &str, replicas: u32) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: production
  labels: {{app: {name}, tier: backend}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, tier: backend}}
      annotations:
        kube-sim/log: "starting {name}\nDatabase connection pool initialized: size=$(DB_POOL_SIZE)\nready"
    spec:
      containers:
      - name: {name}
        image: registry.example/{name}:1.0
        env:
        - {{name: DB_POOL_SIZE, value: "100"}}
        - {{name: LOG_LEVEL, value: info}}
        ports:
        - {{containerPort: 8080, name: http}}
        resources:
          requests: {{cpu: 500m, memory: 1Gi}}
"#
    )
}

/// A simulator with a fast rollout and `flowengine` (3 replicas) rolled out.
pub fn sim_with_flowengine() -> KubeSim {
    let sim = KubeSim::builder()
        .rollout_delay(Duration::from_millis(50))
        .start()
        .expect("start simulator");
    sim.apply_yaml(&deployment_yaml("flowengine", 3))
        .expect("seed flowengine");
    assert!(
        sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")),
        "flowengine never rolled out: {:#}",
        deployment(&sim, "flowengine")
    );
    sim
}

pub fn deployment(sim: &KubeSim, name: &str) -> Value {
    sim.get("apps/v1", "Deployment", "production", name)
        .unwrap_or_else(|| panic!("deployment {name} missing"))
}

pub fn pods_of(sim: &KubeSim, app: &str) -> Vec<Value> {
    sim.list("v1", "Pod", "production")
        .into_iter()
        .filter(|p| p["metadata"]["labels"]["app"] == app)
        .collect()
}

pub fn env_value(object: &Value, name: &str) -> Option<String> {
    object["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str().map(str::to_string))
}
