//! The test-facing handle: start, kubeconfig, seeding, reading, faults and
//! the request log.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::api_error::ApiError;
use crate::catalog::{Catalog, ResourceType};
use crate::error::SimError;
use crate::faults::Faults;
use crate::kubeconfig::kubeconfig_yaml;
use crate::objects::{Part, WriteOptions};
use crate::patch::PatchType;
use crate::request_log::RequestRecord;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::{lock, State};
use crate::{controller, http, seed};

/// Default time from a pod's creation to Ready.
const DEFAULT_ROLLOUT_DELAY: Duration = Duration::from_millis(200);

/// Configures a simulator before it starts.
#[derive(Debug, Clone)]
pub struct KubeSimBuilder {
    rollout_delay: Duration,
    catalog: Catalog,
}

impl KubeSimBuilder {
    /// Time from a pod's creation until it is Running and Ready (200 ms by
    /// default).
    pub fn rollout_delay(mut self, delay: Duration) -> Self {
        self.rollout_delay = delay;
        self
    }

    /// Serves one more resource type (a custom resource, say), stored
    /// generically.
    pub fn resource(mut self, rt: ResourceType) -> Self {
        self.catalog.add(rt);
        self
    }

    /// Binds 127.0.0.1 on a free port, seeds namespaces and nodes, writes
    /// the kubeconfig and starts serving on a background thread.
    pub fn start(self) -> std::io::Result<KubeSim> {
        let state = Arc::new(State::new(self.catalog, self.rollout_delay));
        for object in seed::initial_objects() {
            apply_object(&state, object).map_err(std::io::Error::other)?;
        }
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener)?
        };
        let url = format!("http://{addr}");
        let kubeconfig_dir = tempfile::tempdir()?;
        let kubeconfig_path = kubeconfig_dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig_path, kubeconfig_yaml(&url))?;
        let (shutdown, shutdown_rx) = oneshot::channel();
        let server_state = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("kube-sim-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::spawn(controller::run(server_state.clone()));
                    http::serve(listener, server_state, shutdown_rx).await;
                });
            })?;
        Ok(KubeSim {
            state,
            addr,
            url,
            _kubeconfig_dir: kubeconfig_dir,
            kubeconfig_path,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

/// A running simulator; stops serving when dropped.
pub struct KubeSim {
    state: Arc<State>,
    addr: SocketAddr,
    url: String,
    _kubeconfig_dir: tempfile::TempDir,
    kubeconfig_path: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn resolve<'a>(
    state: &'a State,
    api_version: &str,
    kind: &str,
) -> Result<&'a ResourceType, SimError> {
    state.catalog.by_kind(api_version, kind).ok_or_else(|| {
        SimError::Object(format!(
            "the simulator serves no kind {kind} in {api_version}"
        ))
    })
}

/// Resolves an object's type and namespace (`default` when a namespaced
/// object names none).
fn locate(state: &State, object: &Value) -> Result<(ResourceType, String, String), SimError> {
    let field = |path: &str| {
        object
            .pointer(path)
            .and_then(Value::as_str)
            .ok_or_else(|| SimError::Object(format!("object without {path}: {object}")))
    };
    let rt = resolve(state, field("/apiVersion")?, field("/kind")?)?.clone();
    let name = field("/metadata/name")?.to_string();
    let namespace = if rt.namespaced {
        object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string()
    } else {
        String::new()
    };
    Ok((rt, namespace, name))
}

/// Creates the object, or merges it onto the existing one (strategic
/// merge, like server-side apply); status is taken as given.
fn apply_object(state: &State, mut object: Value) -> Result<Value, SimError> {
    let (rt, namespace, name) = locate(state, &object)?;
    if rt.namespaced {
        object["metadata"]["namespace"] = Value::String(namespace.clone());
    }
    let result = state.write(|api| match api.get(&rt, &namespace, &name) {
        Err(_) => api.put_internal(&rt, object),
        Ok(_) => api.patch(
            &rt,
            &namespace,
            &name,
            PatchType::Apply,
            &object,
            Part::Whole,
            WriteOptions::default(),
        ),
    })?;
    Ok(result)
}

impl KubeSim {
    /// A simulator with default settings.
    pub fn start() -> std::io::Result<KubeSim> {
        Self::builder().start()
    }

    /// Configure before starting.
    pub fn builder() -> KubeSimBuilder {
        KubeSimBuilder {
            rollout_delay: DEFAULT_ROLLOUT_DELAY,
            catalog: Catalog::builtin(),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The generated kubeconfig (context `sim`, namespace `default`); it
    /// lives as long as the simulator.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// Writes the kubeconfig to `path` as well.
    pub fn write_kubeconfig(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, kubeconfig_yaml(&self.url))
    }

    /// The fault-injection switches.
    pub fn faults(&self) -> Faults {
        Faults {
            state: self.state.clone(),
        }
    }

    /// Creates or updates every object of a multi-document YAML string;
    /// namespaced objects without a namespace go to `default`.
    pub fn apply_yaml(&self, yaml: &str) -> Result<(), SimError> {
        for document in serde_yaml::Deserializer::from_str(yaml) {
            let object = Value::deserialize(document)?;
            if object.is_null() {
                continue;
            }
            apply_object(&self.state, object)?;
        }
        Ok(())
    }

    /// Creates or updates one object; returns it as stored.
    pub fn apply(&self, object: Value) -> Result<Value, SimError> {
        apply_object(&self.state, object)
    }

    /// Creates one object (409 AlreadyExists if present); returns it as stored.
    pub fn create(&self, object: Value) -> Result<Value, SimError> {
        let (rt, namespace, name) = locate(&self.state, &object)?;
        if self
            .get(&rt.api_version(), &rt.kind, &namespace, &name)
            .is_some()
        {
            return Err(ApiError::already_exists(&rt, &name).into());
        }
        apply_object(&self.state, object)
    }

    /// The stored object; `namespace` is ignored for cluster-scoped kinds.
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        let rt = resolve(&self.state, api_version, kind).ok()?;
        self.state.quietly(|api| api.get(rt, namespace, name).ok())
    }

    /// Objects of a kind in `namespace` (all namespaces when `""`).
    pub fn list(&self, api_version: &str, kind: &str, namespace: &str) -> Vec<Value> {
        let Ok(rt) = resolve(&self.state, api_version, kind) else {
            return Vec::new();
        };
        let namespace = (!namespace.is_empty()).then_some(namespace);
        self.state.quietly(|api| {
            api.list(
                rt,
                namespace,
                &LabelSelector::default(),
                &FieldSelector::default(),
            )
        })
    }

    /// Deletes an object.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<(), SimError> {
        let rt = resolve(&self.state, api_version, kind)?;
        self.state
            .write(|api| api.delete(rt, namespace, name, WriteOptions::default()))?;
        Ok(())
    }

    /// Sets the restart count every container of pod `name` reports.
    pub fn set_restarts(&self, namespace: &str, name: &str, restarts: u32) {
        lock(&self.state.pods)
            .restarts
            .insert((namespace.to_string(), name.to_string()), restarts);
        self.state.wake.notify_one();
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state.requests).clone()
    }

    /// How many logged requests satisfy `predicate`.
    pub fn count_requests(&self, predicate: impl Fn(&RequestRecord) -> bool) -> usize {
        lock(&self.state.requests)
            .iter()
            .filter(|r| predicate(r))
            .count()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// Polls `condition` every 20 ms until it holds (true) or `timeout`
    /// passes (false).
    pub fn wait_for(&self, timeout: Duration, condition: impl Fn(&KubeSim) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if condition(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether a deployment's rollout is complete by `kubectl rollout
    /// status`'s rule: observed generation current, and updated, total and
    /// available replicas all equal to `spec.replicas`.
    pub fn rollout_complete(&self, namespace: &str, name: &str) -> bool {
        self.get("apps/v1", "Deployment", namespace, name)
            .is_some_and(|d| deployment_rollout_complete(&d))
    }
}

/// `kubectl rollout status`'s completion rule for a deployment object.
pub fn deployment_rollout_complete(deployment: &Value) -> bool {
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let status = &deployment["status"];
    let desired = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    int(&deployment["metadata"]["generation"]) <= int(&status["observedGeneration"])
        && int(&status["updatedReplicas"]) == desired
        && int(&status["replicas"]) == desired
        && int(&status["availableReplicas"]) == desired
}

impl Drop for KubeSim {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may have stopped already; nothing to tell then.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panicked server thread has nothing left to clean up.
            let _ = thread.join();
        }
    }
}
