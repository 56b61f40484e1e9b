//! Shared by the `pg_*` test binaries: a real server (pg-harness), a Rhai
//! engine with the `pg` module, and an event sink that records everything.

// Each test binary uses a different part of this module.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, Scope};
use runbook_stdlib::{ActionContext, ActionError, EventSink, KubeOptions, OutputStream};
use tokio_util::sync::CancellationToken;

/// What actions reported, in order.
#[derive(Default)]
pub struct RecordingSink {
    pub events: Mutex<Vec<(String, String, String)>>,
    pub secrets: Mutex<Vec<String>>,
}

impl RecordingSink {
    /// `(kind, action, description)` triples: kind is `effect`, `dry_run` or `output`.
    pub fn events(&self) -> Vec<(String, String, String)> {
        self.events.lock().unwrap().clone()
    }

    pub fn dry_run_effects(&self) -> Vec<String> {
        self.of_kind("dry_run")
    }

    pub fn effects(&self) -> Vec<String> {
        self.of_kind("effect")
    }

    fn of_kind(&self, kind: &str) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|e| e.0 == kind)
            .map(|e| format!("{}: {}", e.1, e.2))
            .collect()
    }

    fn push(&self, kind: &str, action: &str, text: &str) {
        self.events
            .lock()
            .unwrap()
            .push((kind.into(), action.into(), text.into()));
    }
}

impl EventSink for RecordingSink {
    fn output(&self, stream: OutputStream, line: &str) {
        self.push("output", &format!("{stream:?}"), line);
    }
    fn dry_run_effect(&self, action: &str, description: &str) {
        self.push("dry_run", action, description);
    }
    fn effect(&self, action: &str, description: &str) {
        self.push("effect", action, description);
    }
    fn add_secret(&self, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_string());
    }
}

/// A run's worth of context against one fresh database.
pub struct Pg {
    pub sink: Arc<RecordingSink>,
    pub ctx: Arc<ActionContext>,
    pub engine: Engine,
    pub scope: Scope<'static>,
    // Dropped after the handles: the connection tasks run on it.
    pub runtime: tokio::runtime::Runtime,
    // Dropped last, once the test's connections are closed.
    pub db: pg_harness::TestDatabase,
}

impl Pg {
    /// A fresh database, an engine with `pg` registered, and `db` bound to
    /// `pg::connect(url)` in the scope.
    pub fn new(prefix: &str) -> Pg {
        Pg::on(pg_harness::database(prefix), false)
    }

    /// In dry-run mode.
    pub fn dry_run(prefix: &str) -> Pg {
        Pg::on(pg_harness::database(prefix), true)
    }

    /// On a server of this test process alone (for server-wide changes).
    pub fn private(prefix: &str) -> Pg {
        Pg::on(pg_harness::private_database(prefix), false)
    }

    fn on(db: Result<pg_harness::TestDatabase, pg_harness::HarnessError>, dry_run: bool) -> Pg {
        let db = db.unwrap_or_else(|e| panic!("{e}"));
        let sink = Arc::new(RecordingSink::default());
        let (runtime, ctx) =
            crate::common::runtime_and_context(sink.clone(), dry_run, KubeOptions::default());
        let mut engine = Engine::new();
        runbook_stdlib::pg::register(&mut engine, ctx.clone());
        let mut pg = Pg {
            db,
            sink,
            ctx,
            engine,
            scope: Scope::new(),
            runtime,
        };
        let url = pg.db.url();
        pg.scope.push_constant("url", url);
        pg.eval("let db = pg::connect(url);")
            .map(drop)
            .unwrap_or_else(|e| panic!("{e:?}"));
        pg
    }

    /// Evaluates `script` in the shared scope (so `let`s persist).
    pub fn eval(&mut self, script: &str) -> Result<Dynamic, ActionError> {
        self.engine
            .eval_with_scope::<Dynamic>(&mut self.scope, script)
            .map_err(|err| {
                ActionError::from_rhai(&err).unwrap_or_else(|| panic!("not an action error: {err}"))
            })
    }

    /// Evaluates `script`, which must succeed.
    pub fn ok(&mut self, script: &str) -> Dynamic {
        self.eval(script)
            .unwrap_or_else(|e| panic!("{script}\n failed: {e:?}"))
    }

    /// Evaluates `script` for its effect, which must succeed.
    pub fn run(&mut self, script: &str) {
        let _ = self.ok(script);
    }

    /// Evaluates `script`, which must fail with an action error.
    pub fn err(&mut self, script: &str) -> ActionError {
        match self.eval(script) {
            Ok(v) => panic!("{script}\n returned {v:?} instead of failing"),
            Err(e) => e,
        }
    }

    /// Setup or inspection SQL on a separate connection.
    pub fn setup(&self, sql: &str) {
        self.db.batch_execute(sql).unwrap_or_else(|e| panic!("{e}"));
    }

    /// The first column of `query`'s rows, as text, from a separate connection.
    pub fn column(&self, query: &str) -> Vec<Option<String>> {
        self.db
            .query_column(query)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Actions from now on stop at `deadline` or when `cancel` fires.
    pub fn enter_step(&self, cancel: CancellationToken, timeout: Option<Duration>) {
        self.ctx
            .enter_step(cancel, timeout.map(|t| Instant::now() + t));
    }
}

/// Polls `condition` until it holds or `limit` passes.
pub fn eventually(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The text from `locate`'s offset onwards.
pub fn located(err: &ActionError) -> String {
    let (needle, offset) = err
        .locate
        .clone()
        .unwrap_or_else(|| panic!("no locate in {err:?}"));
    needle.chars().skip(offset).collect()
}
