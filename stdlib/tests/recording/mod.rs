//! Test support: an event sink that records what actions report, and an
//! engine with `sh` and the helpers bound to a context over a temp dir.

#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult};
use runbook_stdlib::{ActionContext, EventSink, KubeOptions, OutputStream};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Output(OutputStream, String),
    DryRun(String, String),
    Effect(String, String),
    Secret(String),
}

#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
    changed: Condvar,
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Output(OutputStream::Stdout, l) => Some(l),
                _ => None,
            })
            .collect()
    }

    /// Wait until `pred` holds for the recorded events; false at the deadline.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Event]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut events = self.events.lock().unwrap();
        loop {
            if pred(&events) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            events = self.changed.wait_timeout(events, deadline - now).unwrap().0;
        }
    }

    fn push(&self, e: Event) {
        self.events.lock().unwrap().push(e);
        self.changed.notify_all();
    }
}

impl EventSink for Recorder {
    fn output(&self, stream: OutputStream, line: &str) {
        self.push(Event::Output(stream, line.to_string()));
    }
    fn dry_run_effect(&self, action: &str, description: &str) {
        self.push(Event::DryRun(action.into(), description.into()));
    }
    fn effect(&self, action: &str, description: &str) {
        self.push(Event::Effect(action.into(), description.into()));
    }
    fn add_secret(&self, secret: &str) {
        self.push(Event::Secret(secret.into()));
    }
}

/// A runtime, a temp dir as the runbook's directory, a recorder, and an
/// engine with `sh` and the helpers registered.
pub struct Harness {
    pub rt: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
    pub sink: Arc<Recorder>,
    pub ctx: Arc<ActionContext>,
    pub engine: Arc<Engine>,
}

impl Harness {
    pub fn new() -> Harness {
        Harness::build(false, None)
    }

    pub fn dry_run() -> Harness {
        Harness::build(true, None)
    }

    /// A harness whose base dir is `base_dir` instead of the temp dir.
    pub fn with_base_dir(base_dir: PathBuf) -> Harness {
        Harness::build(false, Some(base_dir))
    }

    fn build(dry_run: bool, base_dir: Option<PathBuf>) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sink = Arc::new(Recorder::default());
        let base = base_dir.unwrap_or_else(|| dir.path().to_path_buf());
        let ctx = Arc::new(ActionContext::new(
            rt.handle().clone(),
            sink.clone(),
            base,
            dry_run,
            KubeOptions::default(),
        ));
        let mut engine = Engine::new();
        runbook_stdlib::sh::register(&mut engine, ctx.clone());
        runbook_stdlib::helpers::register(&mut engine, ctx.clone());
        Harness {
            rt,
            dir,
            sink,
            ctx,
            engine: Arc::new(engine),
        }
    }

    pub fn eval(&self, script: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        self.engine.eval::<Dynamic>(script)
    }

    /// Evaluate on another thread (Rhai runs off the async workers, as in a run).
    pub fn eval_in_thread(
        &self,
        script: &str,
    ) -> std::thread::JoinHandle<Result<Dynamic, Box<EvalAltResult>>> {
        let engine = self.engine.clone();
        let script = script.to_string();
        std::thread::spawn(move || engine.eval::<Dynamic>(&script))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The action error inside a Rhai error, or a panic describing what came instead.
pub fn action_error(err: &EvalAltResult) -> runbook_stdlib::ActionError {
    runbook_stdlib::ActionError::from_rhai(err)
        .unwrap_or_else(|| panic!("not an action error: {err}"))
}

/// A map field as a string.
pub fn field(v: &Dynamic, key: &str) -> Dynamic {
    v.read_lock::<rhai::Map>()
        .unwrap()
        .get(key)
        .cloned()
        .unwrap_or(Dynamic::UNIT)
}

/// Wait until a file exists and has non-empty content; returns it.
pub fn wait_file(path: &std::path::Path, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if s.ends_with('\n') {
                return Some(s);
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
