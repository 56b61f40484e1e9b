//! The handle types runbooks hold (`let app = kube::deployment(ns, "x")`)
//! and their Rhai methods.
//!
//! Handles are lazy: creating one sends no request (the interpreter
//! re-creates top-level handles on every start and resume), and every method
//! reads the live object, so a handle never shows stale state.

use std::fmt;
use std::sync::Arc;

use rhai::{Dynamic, Engine, FuncRegistration, Map, RhaiNativeFunc, Variant, INT};

use super::client::KubeState;
use super::kinds::Kind;
use super::workload::Workload;

/// A Deployment by namespace and name.
#[derive(Clone)]
pub struct Deployment(pub(crate) Workload);

/// A StatefulSet by namespace and name.
#[derive(Clone)]
pub struct StatefulSet(pub(crate) Workload);

/// A HorizontalPodAutoscaler (`autoscaling/v2`) by namespace and name.
#[derive(Clone)]
pub struct Hpa {
    pub(crate) state: Arc<KubeState>,
    pub(crate) ns: String,
    pub(crate) name: String,
}

/// The pods of a namespace that match a label selector, as they are when a
/// method is called.
#[derive(Clone)]
pub struct Pods {
    pub(crate) state: Arc<KubeState>,
    pub(crate) ns: String,
    pub(crate) selector: String,
}

impl Deployment {
    pub(crate) fn new(state: Arc<KubeState>, kind: Kind, ns: &str, name: &str) -> Self {
        Deployment(Workload::new(state, kind, ns, name))
    }
}

impl StatefulSet {
    pub(crate) fn new(state: Arc<KubeState>, kind: Kind, ns: &str, name: &str) -> Self {
        StatefulSet(Workload::new(state, kind, ns, name))
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deployment/{} in {}", self.0.name, self.0.ns)
    }
}

impl fmt::Display for StatefulSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statefulset/{} in {}", self.0.name, self.0.ns)
    }
}

impl fmt::Display for Hpa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "horizontalpodautoscaler/{} in {}", self.name, self.ns)
    }
}

impl fmt::Display for Pods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pods in {} matching `{}`", self.ns, self.selector)
    }
}

/// Register `name` as a method (or free function) on the engine. Volatile:
/// the answer depends on the cluster, never fold or cache it.
pub(crate) fn method<
    A: 'static,
    const N: usize,
    const X: bool,
    R: Variant + Clone,
    const F: bool,
>(
    engine: &mut Engine,
    name: &str,
    f: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
) {
    FuncRegistration::new(name)
        .with_volatility(true)
        .register_into_engine(engine, f);
}

/// Access to the workload behind a Deployment or StatefulSet handle.
trait WorkloadHandle: Variant + Clone + fmt::Display {
    fn workload(&self) -> &Workload;
}

impl WorkloadHandle for Deployment {
    fn workload(&self) -> &Workload {
        &self.0
    }
}

impl WorkloadHandle for StatefulSet {
    fn workload(&self) -> &Workload {
        &self.0
    }
}

fn register_workload<T: WorkloadHandle>(engine: &mut Engine, type_name: &str) {
    engine.register_type_with_name::<T>(type_name);
    method(engine, "to_string", |h: &mut T| h.to_string());
    method(engine, "to_debug", |h: &mut T| h.to_string());
    method(engine, "get", |h: &mut T| h.workload().get());
    method(engine, "replicas", |h: &mut T| h.workload().replicas());
    method(engine, "scale", |h: &mut T, n: INT| h.workload().scale(n));
    method(engine, "rollout_complete", |h: &mut T| {
        h.workload().rollout_complete()
    });
    method(engine, "rollout_status", |h: &mut T| {
        h.workload().rollout_status()
    });
    method(engine, "restart", |h: &mut T| h.workload().restart());
    method(engine, "env", |h: &mut T, name: &str| {
        h.workload().env(name, None)
    });
    method(engine, "env", |h: &mut T, name: &str, container: &str| {
        h.workload().env(name, Some(container))
    });
    method(
        engine,
        "set_env",
        |h: &mut T, name: &str, value: Dynamic| h.workload().set_env_one(name, value, None),
    );
    method(
        engine,
        "set_env",
        |h: &mut T, name: &str, value: Dynamic, container: &str| {
            h.workload().set_env_one(name, value, Some(container))
        },
    );
    method(engine, "set_env", |h: &mut T, vars: Map| {
        h.workload().set_env_map(vars, None)
    });
    method(
        engine,
        "set_env",
        |h: &mut T, vars: Map, container: &str| h.workload().set_env_map(vars, Some(container)),
    );
    method(engine, "logs", |h: &mut T| h.workload().logs(Map::new()));
    method(engine, "logs", |h: &mut T, options: Map| {
        h.workload().logs(options)
    });
    method(engine, "pods", |h: &mut T| h.workload().pods());
}

/// Register the handle types and all their methods.
pub(crate) fn register(engine: &mut Engine) {
    register_workload::<Deployment>(engine, "Deployment");
    register_workload::<StatefulSet>(engine, "StatefulSet");

    engine.register_type_with_name::<Hpa>("Hpa");
    method(engine, "to_string", |h: &mut Hpa| h.to_string());
    method(engine, "to_debug", |h: &mut Hpa| h.to_string());
    method(engine, "get", |h: &mut Hpa| h.get());
    method(engine, "min", |h: &mut Hpa| h.min());
    method(engine, "max", |h: &mut Hpa| h.max());
    method(engine, "current", |h: &mut Hpa| h.current());
    method(engine, "desired", |h: &mut Hpa| h.desired());
    method(engine, "set_bounds", |h: &mut Hpa, min: INT, max: INT| {
        h.set_bounds(min, max)
    });

    engine.register_type_with_name::<Pods>("Pods");
    method(engine, "to_string", |p: &mut Pods| p.to_string());
    method(engine, "to_debug", |p: &mut Pods| p.to_string());
    method(engine, "get", |p: &mut Pods| p.get());
    method(engine, "count", |p: &mut Pods| p.count());
    method(engine, "running", |p: &mut Pods| p.running());
    method(engine, "ready", |p: &mut Pods| p.ready());
    method(engine, "restarts", |p: &mut Pods| p.restarts());
    method(engine, "names", |p: &mut Pods| p.names());
}
