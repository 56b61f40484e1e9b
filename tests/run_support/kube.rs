//! The Kubernetes simulator for runs through the real binary: a cluster
//! holding the `production/web` Deployment the kube runbooks of these tests
//! act on, and the `--kubeconfig` argument pointing `runbook` at a cluster.

use kube_sim::{KubeSim, KubeSimBuilder};

/// `production/web`: 2 replicas of `web:1`, its container's env `POOL=10`.
pub const WEB_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: production
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: web:1
          env:
            - { name: POOL, value: "10" }
"#;

/// The simulator `builder` starts, holding [`WEB_DEPLOYMENT`].
pub fn sim_with_web(builder: KubeSimBuilder) -> KubeSim {
    let sim = builder
        .start()
        .unwrap_or_else(|e| panic!("start the Kubernetes simulator: {e}"));
    sim.apply_yaml(WEB_DEPLOYMENT)
        .unwrap_or_else(|e| panic!("seed production/web: {e}"));
    sim
}

/// What `--kubeconfig` gets to point `runbook` at `sim`.
pub fn kubeconfig_arg(sim: &KubeSim) -> String {
    let path = sim.kubeconfig_path();
    path.to_str()
        .unwrap_or_else(|| panic!("kubeconfig path {} is not UTF-8", path.display()))
        .to_string()
}
