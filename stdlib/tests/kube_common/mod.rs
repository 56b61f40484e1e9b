//! Test support for the `kube` module: a real Rhai engine with the module
//! registered, on a tokio runtime the test owns, with an event sink that
//! records what actions report. Shared by the simulator suite and the real
//! cluster suite (`scenarios`).

#![allow(dead_code)] // each test target uses part of the support code

pub mod scenarios;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine};
use runbook_stdlib::{ActionContext, ActionError, EventSink, KubeOptions, OutputStream};

/// What an action reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    DryRun { action: String, description: String },
    Effect { action: String, description: String },
}

/// Records every event, in order.
#[derive(Default)]
pub struct RecordingSink {
    events: Mutex<Vec<Event>>,
}

impl RecordingSink {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// Descriptions of performed effects.
    pub fn effects(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Effect { description, .. } => Some(description),
                Event::DryRun { .. } => None,
            })
            .collect()
    }

    /// Descriptions of dry-run effects.
    pub fn dry_runs(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::DryRun { description, .. } => Some(description),
                Event::Effect { .. } => None,
            })
            .collect()
    }
}

impl EventSink for RecordingSink {
    fn output(&self, _: OutputStream, _: &str) {}
    fn dry_run_effect(&self, action: &str, description: &str) {
        self.events.lock().unwrap().push(Event::DryRun {
            action: action.into(),
            description: description.into(),
        });
    }
    fn effect(&self, action: &str, description: &str) {
        self.events.lock().unwrap().push(Event::Effect {
            action: action.into(),
            description: description.into(),
        });
    }
    fn add_secret(&self, _: &str) {}
}

/// A Rhai engine with `kube` registered against one kubeconfig.
pub struct Harness {
    pub engine: Engine,
    pub sink: Arc<RecordingSink>,
    pub ctx: Arc<ActionContext>,
    // Dropped last: the context's handle points into it.
    _runtime: tokio::runtime::Runtime,
}

impl Harness {
    pub fn new(kube: KubeOptions, dry_run: bool) -> Harness {
        let sink = Arc::new(RecordingSink::default());
        let (runtime, ctx) = crate::common::runtime_and_context(sink.clone(), dry_run, kube);
        let mut engine = Engine::new();
        runbook_stdlib::kube::register(&mut engine, ctx.clone());
        Harness {
            engine,
            sink,
            ctx,
            _runtime: runtime,
        }
    }

    pub fn with_kubeconfig(path: &Path, dry_run: bool) -> Harness {
        Harness::new(
            KubeOptions {
                context: None,
                kubeconfig: Some(path.to_path_buf()),
            },
            dry_run,
        )
    }

    /// Evaluate a script that must succeed.
    pub fn eval<T: Clone + Send + Sync + 'static>(&self, script: &str) -> T {
        match self.engine.eval::<T>(script) {
            Ok(v) => v,
            Err(e) => panic!(
                "script failed: {script}\n{e}\naction error: {:?}",
                ActionError::from_rhai(&e)
            ),
        }
    }

    /// Evaluate a script with variables bound (e.g. a manifest as `yaml`).
    pub fn eval_with<T: Clone + Send + Sync + 'static>(
        &self,
        script: &str,
        vars: &[(&str, Dynamic)],
    ) -> T {
        let mut scope = rhai::Scope::new();
        for (name, value) in vars {
            scope.push_dynamic(name.to_string(), value.clone());
        }
        match self.engine.eval_with_scope::<T>(&mut scope, script) {
            Ok(v) => v,
            Err(e) => panic!(
                "script failed: {script}\n{e}\naction error: {:?}",
                ActionError::from_rhai(&e)
            ),
        }
    }

    /// `kube::apply(ns, yaml)`; the `kind/name`s applied.
    pub fn apply(&self, namespace: &str, yaml: &str) -> Vec<String> {
        let applied: rhai::Array = self.eval_with(
            "kube::apply(ns, yaml)",
            &[("ns", namespace.into()), ("yaml", yaml.into())],
        );
        applied
            .into_iter()
            .map(|d| d.into_string().unwrap())
            .collect()
    }

    /// Evaluate a script that must fail with an action error.
    pub fn eval_err(&self, script: &str) -> ActionError {
        match self.engine.eval::<Dynamic>(script) {
            Ok(v) => panic!("script succeeded with {v:?} but should fail: {script}"),
            Err(e) => {
                ActionError::from_rhai(&e).unwrap_or_else(|| panic!("not an action error: {e}"))
            }
        }
    }

    /// Poll a boolean script until true, failing the test after `timeout`.
    pub fn wait_until(&self, script: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.eval::<bool>(script) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still false after {timeout:?}: {script}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Where scenarios run: a kubeconfig and a namespace of their own.
#[derive(Clone, Debug)]
pub struct Env {
    pub kubeconfig: PathBuf,
    pub namespace: String,
    /// Generous deadline for rollouts (pods really start on a real cluster).
    pub rollout_timeout: Duration,
}

impl Env {
    pub fn harness(&self) -> Harness {
        Harness::with_kubeconfig(&self.kubeconfig, false)
    }

    pub fn dry_run_harness(&self) -> Harness {
        Harness::with_kubeconfig(&self.kubeconfig, true)
    }

    /// A script with `$NS` replaced by the namespace as a string literal.
    pub fn script(&self, text: &str) -> String {
        text.replace("$NS", &format!("{:?}", self.namespace))
    }
}
