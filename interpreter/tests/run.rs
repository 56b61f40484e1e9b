//! The executor through its API: write-ahead order, resume, changed steps,
//! failures with observed values, timeouts.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use runbook_interpreter::event::{Event, EventKind};
use runbook_interpreter::record::{RunRecord, StepRecord};
use runbook_interpreter::store::{
    Holder, Journal, RunSession, RunSummary, SledStore, Store, StoreError,
};
use runbook_interpreter::{Options, Outcome, Overrides, Refused, Source};

/// A store that logs every write, commit and journal event in order.
struct Recording {
    inner: SledStore,
    log: Arc<Mutex<Vec<String>>>,
}

struct RecordingSession {
    inner: Box<dyn RunSession>,
    log: Arc<Mutex<Vec<String>>>,
}

struct RecordingJournal {
    inner: Arc<dyn Journal>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Store for Recording {
    fn create(&self, record: &RunRecord) -> Result<Box<dyn RunSession>, StoreError> {
        let inner = self.inner.create(record)?;
        Ok(Box::new(RecordingSession {
            inner,
            log: self.log.clone(),
        }))
    }
    fn open(&self, id: &str) -> Result<Box<dyn RunSession>, StoreError> {
        let inner = self.inner.open(id)?;
        Ok(Box::new(RecordingSession {
            inner,
            log: self.log.clone(),
        }))
    }
    fn exists(&self, id: &str) -> bool {
        self.inner.exists(id)
    }
    fn list(&self) -> Result<Vec<RunSummary>, StoreError> {
        self.inner.list()
    }
    fn summary(&self, id: &str) -> Result<RunSummary, StoreError> {
        self.inner.summary(id)
    }
    fn journal(&self, id: &str) -> Result<Vec<Event>, StoreError> {
        self.inner.journal(id)
    }
    fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError> {
        self.inner.holder(id)
    }
}

impl RunSession for RecordingSession {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn load_run(&self) -> Result<RunRecord, StoreError> {
        self.inner.load_run()
    }
    fn load_steps(&self) -> Result<Vec<StepRecord>, StoreError> {
        self.inner.load_steps()
    }
    fn put_run(&mut self, run: &RunRecord) -> Result<(), StoreError> {
        self.inner.put_run(run)
    }
    fn put_step(&mut self, step: &StepRecord) -> Result<(), StoreError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("put {} {}", step.id, step.status));
        self.inner.put_step(step)
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        self.log.lock().unwrap().push("commit".into());
        self.inner.commit()
    }
    fn publish(&mut self, summary: &RunSummary) -> Result<(), StoreError> {
        self.inner.publish(summary)
    }
    fn journal(&self) -> Arc<dyn Journal> {
        Arc::new(RecordingJournal {
            inner: self.inner.journal(),
            log: self.log.clone(),
        })
    }
}

impl Journal for RecordingJournal {
    fn append(&self, event: &Event) {
        if let EventKind::Note { step, text } = &event.kind {
            self.log.lock().unwrap().push(format!("note {step} {text}"));
        }
        self.inner.append(event)
    }
    fn take_error(&self) -> Option<String> {
        self.inner.take_error()
    }
    fn sync(&self) -> Result<(), StoreError> {
        self.inner.sync()
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Arc<Recording>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.runbook");
        let store = Arc::new(Recording {
            inner: SledStore::new(dir.path().join("state")),
            log: Arc::default(),
        });
        Fixture {
            _dir: dir,
            path,
            store,
        }
    }

    fn source(&self, text: &str) -> Source {
        std::fs::write(&self.path, text).unwrap();
        Source::parsed(
            self.path.clone(),
            text.into(),
            runbook_dsl::parse(text).expect("test runbook parses"),
        )
    }

    fn options(&self) -> Options {
        Options {
            store: self.store.clone(),
            params: Vec::new(),
            yes: false,
            dry_run: false,
            verbose: false,
            kube: Default::default(),
            interactive: false,
            display: Default::default(),
        }
    }

    fn log(&self) -> Vec<String> {
        self.store.log.lock().unwrap().clone()
    }

    fn journal(&self, id: &str) -> Vec<EventKind> {
        self.store
            .journal(id)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    fn loader(&self, text: &'static str) -> impl FnOnce(&Path) -> Result<Source, Refused> + '_ {
        move |_| Ok(self.source(text))
    }
}

fn failed_code(o: &Outcome) -> (&str, &str) {
    match o {
        Outcome::Failed { diagnostic, .. } => (diagnostic.code.as_str(), diagnostic.label.as_str()),
        other => panic!("expected a failure, got {other:?}"),
    }
}

const THREE: &str = r#"
step s1 "one" { note "in s1" }
step s2 "two" { note "in s2" }
step s3 "three" { note "in s3" }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn running_is_durable_before_the_body_and_one_commit_closes_a_step_and_opens_the_next() {
    let f = Fixture::new();
    let done = runbook_interpreter::start(f.source(THREE), f.options())
        .await
        .unwrap();
    assert_eq!(done.outcome, Outcome::Succeeded);
    let log = f.log();
    let at = |s: &str| {
        log.iter()
            .position(|l| l == s)
            .unwrap_or_else(|| panic!("{s} in {log:?}"))
    };
    for (step, next) in [("s1", Some("s2")), ("s2", Some("s3")), ("s3", None)] {
        let running = at(&format!("put {step} running"));
        let body = at(&format!("note {step} in {step}"));
        assert_eq!(
            log[running + 1],
            "commit",
            "{step} committed running before its body: {log:?}"
        );
        assert!(running + 1 < body);
        let succeeded = at(&format!("put {step} succeeded"));
        assert!(body < succeeded);
        match next {
            Some(n) => {
                assert_eq!(log[succeeded + 1], format!("put {n} running"), "{log:?}");
                assert_eq!(
                    log[succeeded + 2],
                    "commit",
                    "one flush per boundary: {log:?}"
                );
            }
            None => assert_eq!(
                log[succeeded + 1],
                "commit",
                "the end commits the last step: {log:?}"
            ),
        }
    }
}

const FAILS_AT_TWO: &str = r#"
step one "one" {
  let x = 20 + 1
  let m = #{ list: [1, 2], name: "n" }
  note "one ran"
}
step two "two" {
  expect x == 22
}
"#;

const FIXED_TWO: &str = r#"
step one "one" {
  let x = 20 + 1
  let m = #{ list: [1, 2], name: "n" }
  note "one ran"
}
step two "two" {
  expect x == 21
  note `x=${x} name=${m.name} len=${m.list.len()}`
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn resume_restores_bindings_and_uses_a_changed_pending_step() {
    let f = Fixture::new();
    let done = runbook_interpreter::start(f.source(FAILS_AT_TWO), f.options())
        .await
        .unwrap();
    let id = done.run_id.clone().unwrap();
    assert_eq!(
        failed_code(&done.outcome),
        ("runbook::run::expect_failed", "left: 21, right: 22")
    );

    let done =
        runbook_interpreter::resume(&id, f.loader(FIXED_TWO), f.options(), Overrides::default())
            .await
            .unwrap();
    assert_eq!(done.outcome, Outcome::Succeeded);
    let notes: Vec<String> = f
        .journal(&id)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::Note { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        ["one ran", "x=21 name=n len=2"],
        "step one ran once; its bindings came back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_succeeded_step_is_refused_unless_accepted() {
    let f = Fixture::new();
    let done = runbook_interpreter::start(f.source(FAILS_AT_TWO), f.options())
        .await
        .unwrap();
    let id = done.run_id.unwrap();
    const CHANGED_ONE: &str = r#"
step one "one" {
  let x = 20 + 2
  let m = #{ list: [1, 2], name: "n" }
  note "one ran"
}
step two "two" {
  expect x == 21
}
"#;
    let refused = runbook_interpreter::resume(
        &id,
        f.loader(CHANGED_ONE),
        f.options(),
        Overrides::default(),
    )
    .await
    .unwrap_err();
    let texts: Vec<String> = refused.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(texts, ["step `one` changed in the file since it succeeded"]);

    let ov = Overrides {
        accept_changes: true,
        ..Overrides::default()
    };
    let done = runbook_interpreter::resume(&id, f.loader(CHANGED_ONE), f.options(), ov)
        .await
        .unwrap();
    // The recorded x = 21 stands: step one is not run again.
    assert_eq!(done.outcome, Outcome::Succeeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_timeout_stops_a_wait_and_an_action() {
    let f = Fixture::new();
    const SLOW: &str = r#"
step w "waits" timeout 300ms {
  let have = 1
  wait until have > 2 within 1m every 50ms
}
"#;
    let done = runbook_interpreter::start(f.source(SLOW), f.options())
        .await
        .unwrap();
    let Outcome::Failed { diagnostic, .. } = &done.outcome else {
        panic!("{:?}", done.outcome)
    };
    assert_eq!(diagnostic.code, "runbook::run::wait_timeout");
    assert!(
        diagnostic
            .message
            .contains("before the step's timeout (300ms)"),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.label, "left: 1, right: 2");

    const BUSY: &str = r#"
step b "busy" timeout 300ms {
  run sleep(60)
}
"#;
    let done = runbook_interpreter::start(f.source(BUSY), f.options())
        .await
        .unwrap();
    assert_eq!(failed_code(&done.outcome).0, "runbook::run::timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assert_shows_both_sides_and_its_message() {
    let f = Fixture::new();
    const ASSERTS: &str = r#"
step a "asserts" {
  let pods = [1, 2]
  assert pods.len() >= 3 else `need 3 pods, have ${pods.len()}`
}
"#;
    let done = runbook_interpreter::start(f.source(ASSERTS), f.options())
        .await
        .unwrap();
    let Outcome::Failed { diagnostic, step } = &done.outcome else {
        panic!("{:?}", done.outcome)
    };
    assert_eq!(step.as_deref(), Some("a"));
    assert_eq!(diagnostic.message, "need 3 pods, have 2");
    assert_eq!(diagnostic.label, "left: 2, right: 3");
    let span = diagnostic.span.unwrap();
    assert_eq!(&ASSERTS[span.start..span.end], "pods.len() >= 3");
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_rerun_the_step_from_its_start_and_are_journaled() {
    let f = Fixture::new();
    const RETRY: &str = r#"
step r "retried" retry 2 backoff 10ms {
  let n = 1
  assert n == 2
}
"#;
    let done = runbook_interpreter::start(f.source(RETRY), f.options())
        .await
        .unwrap();
    let id = done.run_id.unwrap();
    assert_eq!(failed_code(&done.outcome).0, "runbook::run::assert_failed");
    let retried = f
        .journal(&id)
        .iter()
        .filter(|e| matches!(e, EventKind::StepRetried { .. }))
        .count();
    assert_eq!(retried, 2);
    let started = f
        .journal(&id)
        .iter()
        .filter(|e| matches!(e, EventKind::StepStarted { .. }))
        .count();
    assert_eq!(started, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn step_when_and_section_when_skip_and_the_skip_is_durable() {
    let f = Fixture::new();
    const SKIPS: &str = r#"
param phase: string = "six"
step a "always" { note "a" }
step b "never" when phase == "seven" { note "b" }
section "Phase 7" when phase == "seven" {
  step c "in section" { note "c" }
}
step d "last" { note "d" }
"#;
    let done = runbook_interpreter::start(f.source(SKIPS), f.options())
        .await
        .unwrap();
    assert_eq!(done.outcome, Outcome::Succeeded);
    let id = done.run_id.unwrap();
    let skipped: Vec<String> = f
        .journal(&id)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::StepSkipped { step, .. } => Some(step),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, ["b", "c"]);
    let view = runbook_interpreter::view::view(&*f.store, &id).unwrap();
    let statuses: Vec<String> = view
        .steps
        .iter()
        .map(|s| format!("{}={}", s.id, s.status))
        .collect();
    assert_eq!(
        statuses,
        ["a=succeeded", "b=skipped", "c=skipped", "d=succeeded"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_stores_nothing() {
    let f = Fixture::new();
    let mut opts = f.options();
    opts.dry_run = true;
    let done = runbook_interpreter::start(f.source(THREE), opts)
        .await
        .unwrap();
    assert_eq!(done.outcome, Outcome::Succeeded);
    assert_eq!(done.run_id, None);
    assert!(f.log().is_empty(), "{:?}", f.log());
    assert!(f.store.list().unwrap().is_empty());
}
