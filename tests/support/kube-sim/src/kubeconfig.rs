//! The kubeconfig clients use to reach the simulator: cluster, user and
//! context `sim`, namespace `default`, plain HTTP.

/// The kubeconfig YAML for a server at `url`.
pub fn kubeconfig_yaml(url: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: {url}
users:
- name: sim
  user: {{}}
contexts:
- name: sim
  context:
    cluster: sim
    user: sim
    namespace: default
current-context: sim
preferences: {{}}
"
    )
}
