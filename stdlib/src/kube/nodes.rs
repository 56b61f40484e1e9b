//! Node capacity for capacity checks: what each node can give to pods
//! (`allocatable`) and what the pods placed on it ask for (`requested`), as
//! in the "Allocated resources" part of `kubectl describe node`. CPU is in
//! millicores, memory in bytes.
//!
//! Requested counts every pod bound to the node that has not finished
//! (phase not `Succeeded`/`Failed`), pending ones included: the scheduler
//! has reserved their requests. A pod's request is the larger of the sum of
//! its containers and its largest init container, plus its overhead.

use rhai::{Array, Dynamic, EvalAltResult, Map, INT};
use serde_json::Value;

use super::client::KubeState;
use super::kinds;
use super::quantity;
use super::requests;
use super::values::{has_condition, str_at};

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

/// CPU (millicores) and memory (bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resources {
    pub cpu: i64,
    pub memory: i64,
}

impl Resources {
    fn of(list: Option<&Value>) -> Resources {
        let get = |key: &str| list.and_then(|l| l.get(key)).and_then(Value::as_str);
        Resources {
            cpu: get("cpu").and_then(quantity::millicores).unwrap_or(0),
            memory: get("memory").and_then(quantity::bytes).unwrap_or(0),
        }
    }

    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu: self.cpu + o.cpu,
            memory: self.memory + o.memory,
        }
    }

    fn max(self, o: Resources) -> Resources {
        Resources {
            cpu: self.cpu.max(o.cpu),
            memory: self.memory.max(o.memory),
        }
    }

    fn minus(self, o: Resources) -> Resources {
        Resources {
            cpu: self.cpu - o.cpu,
            memory: self.memory - o.memory,
        }
    }

    fn to_rhai(self) -> Dynamic {
        let mut m = Map::new();
        m.insert("cpu".into(), (self.cpu as INT).into());
        m.insert("memory".into(), (self.memory as INT).into());
        m.into()
    }
}

/// One node's capacity and use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NodeUsage {
    pub name: String,
    pub ready: bool,
    pub schedulable: bool,
    pub pods: i64,
    pub allocatable: Resources,
    pub requested: Resources,
}

/// What a pod reserves on its node.
fn pod_request(pod: &Value) -> Resources {
    let containers = |path: &str| {
        pod.pointer(path)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| Resources::of(c.pointer("/resources/requests")))
            .collect::<Vec<_>>()
    };
    let sum = containers("/spec/containers")
        .into_iter()
        .fold(Resources::default(), Resources::add);
    let init = containers("/spec/initContainers")
        .into_iter()
        .fold(Resources::default(), Resources::max);
    sum.max(init)
        .add(Resources::of(pod.pointer("/spec/overhead")))
}

fn holds_resources(pod: &Value) -> bool {
    !matches!(str_at(pod, "/status/phase"), Some("Succeeded" | "Failed"))
}

/// Combine node objects and pod objects into per-node usage, in node order.
pub(crate) fn usage(nodes: &[Value], pods: &[Value]) -> Vec<NodeUsage> {
    nodes
        .iter()
        .map(|node| {
            let name = str_at(node, "/metadata/name")
                .unwrap_or_default()
                .to_owned();
            let placed: Vec<&Value> = pods
                .iter()
                .filter(|p| {
                    str_at(p, "/spec/nodeName") == Some(name.as_str()) && holds_resources(p)
                })
                .collect();
            let ready = has_condition(node, "Ready", "status", "True");
            NodeUsage {
                ready,
                schedulable: !node
                    .pointer("/spec/unschedulable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                pods: placed.len() as i64,
                allocatable: Resources::of(node.pointer("/status/allocatable")),
                requested: placed
                    .iter()
                    .map(|p| pod_request(p))
                    .fold(Resources::default(), Resources::add),
                name,
            }
        })
        .collect()
}

fn fetch(state: &KubeState) -> Result<Vec<NodeUsage>> {
    state.run(async |c| {
        let nodes = requests::list(c, &kinds::nodes(), None, None).await?;
        let pods = requests::list(c, &kinds::pods(), None, None).await?;
        Ok(usage(&nodes, &pods))
    })
}

/// `kube::nodes()`: one map per node.
pub(crate) fn nodes(state: &KubeState) -> Result<Array> {
    Ok(fetch(state)?
        .into_iter()
        .map(|n| {
            let mut m = Map::new();
            m.insert("name".into(), n.name.into());
            m.insert("ready".into(), n.ready.into());
            m.insert("schedulable".into(), n.schedulable.into());
            m.insert("pods".into(), n.pods.into());
            m.insert("allocatable".into(), n.allocatable.to_rhai());
            m.insert("requested".into(), n.requested.to_rhai());
            m.insert("free".into(), n.allocatable.minus(n.requested).to_rhai());
            Dynamic::from_map(m)
        })
        .collect())
}

/// `kube::capacity()`: totals over the nodes that can take new pods (ready
/// and not cordoned).
pub(crate) fn capacity(state: &KubeState) -> Result<Map> {
    let usable: Vec<NodeUsage> = fetch(state)?
        .into_iter()
        .filter(|n| n.ready && n.schedulable)
        .collect();
    let allocatable = usable
        .iter()
        .map(|n| n.allocatable)
        .fold(Resources::default(), Resources::add);
    let requested = usable
        .iter()
        .map(|n| n.requested)
        .fold(Resources::default(), Resources::add);
    let mut m = Map::new();
    m.insert("nodes".into(), (usable.len() as INT).into());
    m.insert("allocatable".into(), allocatable.to_rhai());
    m.insert("requested".into(), requested.to_rhai());
    m.insert("free".into(), allocatable.minus(requested).to_rhai());
    Ok(m)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_of_unfinished_pods_add_up_per_node() {
        let nodes = vec![json!({
            "metadata": {"name": "n1"},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi"},
                       "conditions": [{"type": "Ready", "status": "True"}]}
        })];
        let pod = |phase: &str, cpu: &str| {
            json!({
                "spec": {"nodeName": "n1", "containers": [
                    {"resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}},
                    {"resources": {"requests": {"cpu": "100m"}}}
                ], "initContainers": [{"resources": {"requests": {"cpu": "300m", "memory": "10Mi"}}}]},
                "status": {"phase": phase}
            })
        };
        let pods = vec![
            pod("Running", "500m"),
            pod("Pending", "100m"),
            pod("Succeeded", "2"),
        ];
        let u = usage(&nodes, &pods);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].pods, 2);
        // Running: 500m + 100m beats the 300m init container; Pending:
        // 100m + 100m loses to it. Each asks 1Gi (more than the init's 10Mi).
        assert_eq!(
            u[0].requested,
            Resources {
                cpu: 900,
                memory: 2 * 1024 * 1024 * 1024
            }
        );
        assert_eq!(
            u[0].allocatable,
            Resources {
                cpu: 4000,
                memory: 16 * 1024 * 1024 * 1024
            }
        );
        assert!(u[0].ready && u[0].schedulable);
    }
}
