//! What a fresh simulator holds: the namespaces `default`, `kube-system`,
//! `production` and `monitoring`, and three Ready nodes with allocatable
//! CPU and memory for capacity checks.

use serde_json::{json, Value};

/// The objects created at start.
pub fn initial_objects() -> Vec<Value> {
    let mut objects: Vec<Value> = ["default", "kube-system", "production", "monitoring"]
        .iter()
        .map(|ns| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        .collect();
    objects.extend((1..=3).map(node));
    objects
}

fn node(i: u32) -> Value {
    let name = format!("node-{i}");
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": format!("zone-{}", (b'a' + (i as u8 - 1)) as char),
            },
        },
        "spec": {"podCIDR": format!("10.244.{i}.0/24")},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110", "ephemeral-storage": "95Gi"},
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"},
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
                {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
            ],
            "addresses": [{"type": "InternalIP", "address": format!("10.0.0.{i}")}, {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": crate::api::discovery::GIT_VERSION, "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "containerRuntimeVersion": "containerd://1.7.24", "architecture": "amd64", "operatingSystem": "linux"},
        },
    })
}
