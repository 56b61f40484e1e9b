//! The executor: walks a runbook's items in order on one (blocking) thread,
//! evaluating Rhai with the run's engine and checkpointing every step.
//!
//! Checkpoint order (see the contract on [`crate::store`]): a step is staged
//! `running` and committed before its body runs; when it succeeds its record
//! (bindings, undos) is only staged, and the commit that starts the next step
//! (or ends the run) makes both durable: one flush per step boundary.

mod confirm;
mod poll;
mod rollback;
mod stmt;
mod undo;

use std::collections::HashMap;

use fxhash::FxHashMap;
use std::sync::Arc;
use std::time::Instant;

use rhai::{Dynamic, Engine, Scope};
use runbook_dsl::{Item, Runbook, Section, Step};
use runbook_stdlib::ActionContext;
use tokio_util::sync::CancellationToken;

use crate::bindings;
use crate::diagnostic::RunDiagnostic;
use crate::event::EventKind;
use crate::output::{human, Output};
use crate::record::{now, RunRecord, RunStatus, StepRecord, StepStatus, StoredError, Waiting};
use crate::store::{RunSession, RunSummary, StoreError};

pub use undo::undo_ordinals;

/// How a run (or a part of it) ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded,
    /// A step (or a top-level `let`, or an undo) failed.
    Failed {
        step: Option<String>,
        diagnostic: RunDiagnostic,
    },
    /// Paused at a `confirm` with no terminal to ask on.
    Waiting {
        step: String,
        question: String,
    },
    /// Stopped by Ctrl-C / SIGTERM.
    Interrupted {
        step: Option<String>,
    },
    RolledBack,
}

/// Switches for one execution.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// Answer yes to every `confirm`.
    pub yes: bool,
    pub dry_run: bool,
    /// Standard input is a terminal: `confirm` prompts there.
    pub interactive: bool,
    /// Print every poll of an expectation.
    pub verbose: bool,
}

/// Main steps or the steps of the `rollback` block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Main,
    Rollback,
}

/// Why a step's body stopped.
#[derive(Debug)]
pub(crate) enum StepFailure {
    Error(RunDiagnostic),
    Interrupted,
    Waiting { key: String, question: String },
}

impl From<RunDiagnostic> for StepFailure {
    fn from(d: RunDiagnostic) -> Self {
        StepFailure::Error(d)
    }
}

enum Flow {
    Continue,
    Stop(Outcome),
}

/// The step being executed.
struct Frame {
    step_id: String,
    phase: Phase,
    /// Scope length when the step started: what lies above is step-local.
    step_base: usize,
    confirms: usize,
    /// `undo` statement span start → ordinal in the step.
    undo_ordinals: HashMap<usize, usize>,
    timeout: Option<String>,
}

/// One run's execution state. Lives on the Rhai thread.
pub(crate) struct Executor {
    pub engine: Engine,
    pub ctx: Arc<ActionContext>,
    pub out: Arc<Output>,
    pub source: Arc<str>,
    pub runbook: Arc<Runbook>,
    /// `None` in dry run: nothing is stored.
    pub session: Option<Box<dyn RunSession>>,
    pub run: RunRecord,
    /// Step records by step id. Fx-hashed: ids come from the operator's own
    /// file, and a resume after 10,000 steps hashes each one more than once.
    pub records: FxHashMap<String, StepRecord>,
    pub rb_records: FxHashMap<String, StepRecord>,
    pub scope: Scope<'static>,
    pub cancel: CancellationToken,
    pub opts: ExecOptions,
    /// Main step → 0-based position; rollback step → position. Keyed by
    /// where the step starts in the file (steps are always this runbook's),
    /// which saves a copy of every step name.
    positions: FxHashMap<usize, usize>,
    rb_positions: FxHashMap<usize, usize>,
    frame: Option<Frame>,
    /// What readers see, kept between publishes (see [`RunSummary::update`]).
    summary: Option<RunSummary>,
}

/// From this many step records on, an executor frees them on a thread of
/// their own.
const FREE_IN_BACKGROUND: usize = 1_000;

impl Drop for Executor {
    /// Freeing the records of a 10,000-step run takes milliseconds (tens of
    /// thousands of small allocations) that nobody waits for: `runbook
    /// resume` would spend them between its last commit and its exit. The
    /// session (lock, store) is still released here, in order.
    fn drop(&mut self) {
        if self.records.len() + self.rb_records.len() < FREE_IN_BACKGROUND {
            return;
        }
        let records = (
            std::mem::take(&mut self.records),
            std::mem::take(&mut self.rb_records),
        );
        // If no thread can be started, the closure (and the records) are
        // simply dropped here.
        let _ = std::thread::Builder::new()
            .name("runbook-free".into())
            .spawn(move || drop(records));
    }
}

impl Executor {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: Engine,
        ctx: Arc<ActionContext>,
        out: Arc<Output>,
        source: Arc<str>,
        runbook: Arc<Runbook>,
        session: Option<Box<dyn RunSession>>,
        run: RunRecord,
        steps: Vec<StepRecord>,
        scope: Scope<'static>,
        cancel: CancellationToken,
        opts: ExecOptions,
    ) -> Self {
        let positions = runbook
            .steps()
            .enumerate()
            .map(|(i, s)| (s.span.start, i))
            .collect();
        let rb_positions = runbook
            .rollback
            .iter()
            .flat_map(|r| r.steps.iter())
            .enumerate()
            .map(|(i, s)| (s.span.start, i))
            .collect();
        // Straight into the maps (a resume after thousands of steps moves
        // each record once).
        let mut records = FxHashMap::with_capacity_and_hasher(steps.len(), Default::default());
        let mut rb_records = FxHashMap::default();
        for s in steps {
            let map = if s.rollback {
                &mut rb_records
            } else {
                &mut records
            };
            map.insert(s.id.clone(), s);
        }
        Executor {
            engine,
            ctx,
            out,
            source,
            runbook,
            session,
            run,
            records,
            rb_records,
            scope,
            cancel,
            opts,
            positions,
            rb_positions,
            frame: None,
            summary: None,
        }
    }

    // ---- store ----------------------------------------------------------

    fn stage_step(&mut self, rec: StepRecord) -> Result<(), StoreError> {
        if let Some(s) = self.session.as_mut() {
            s.put_step(&rec)?;
        }
        if rec.rollback {
            self.rb_records.insert(rec.id.clone(), rec);
        } else {
            self.records.insert(rec.id.clone(), rec);
        }
        Ok(())
    }

    /// Make everything staged durable (the run record is always included).
    pub fn commit(&mut self) -> Result<(), StoreError> {
        self.run.updated = now();
        if let Some(s) = self.session.as_mut() {
            s.put_run(&self.run)?;
            s.commit()?;
        }
        Ok(())
    }

    /// Replace the summary readers see.
    pub fn publish(&mut self) -> Result<(), StoreError> {
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        let summary = match &mut self.summary {
            Some(summary) => {
                summary.update(&self.run);
                summary
            }
            None => {
                let steps = self
                    .runbook
                    .steps()
                    .map(|s| (s.id.name.clone(), s.title.value.clone()))
                    .collect();
                self.summary.insert(RunSummary::of(&self.run, steps))
            }
        };
        session.publish(summary)
    }

    /// Commit, publish, make the journal durable: the end of an execution.
    fn settle(&mut self) -> Result<(), StoreError> {
        self.commit()?;
        self.publish()?;
        if let Some(s) = self.session.as_ref() {
            s.journal().sync()?;
        }
        self.out.finish();
        Ok(())
    }

    fn fingerprint(&self, step: &Step) -> String {
        runbook_dsl::step_fingerprint(step)
    }

    fn record(&self, step: &Step, phase: Phase) -> StepRecord {
        let map = match phase {
            Phase::Main => &self.records,
            Phase::Rollback => &self.rb_records,
        };
        map.get(&step.id.name).cloned().unwrap_or_else(|| {
            let index = match phase {
                Phase::Main => self.positions.get(&step.span.start),
                Phase::Rollback => self.rb_positions.get(&step.span.start),
            };
            // The fingerprint is filled in when the step starts or is skipped.
            let mut r = StepRecord::new(
                &step.id.name,
                &step.title.value,
                index.copied().unwrap_or(0),
                String::new(),
                step.once.is_some(),
            );
            r.rollback = phase == Phase::Rollback;
            r
        })
    }

    fn is_done(&self, step: &Step) -> bool {
        self.records
            .get(&step.id.name)
            .is_some_and(|r| r.status.is_done())
    }

    // ---- walking --------------------------------------------------------

    /// Run the main steps from the first one not done to the end.
    pub fn run_main(&mut self) -> Result<Outcome, StoreError> {
        let rb = self.runbook.clone();
        for item in &rb.items {
            let flow = match item {
                Item::Param(_) => Flow::Continue,
                Item::Let(l) => self.top_let(l)?,
                Item::Step(s) => self.step(s, Phase::Main, None)?,
                Item::Section(sec) => self.section(sec)?,
            };
            if let Flow::Stop(outcome) = flow {
                return Ok(outcome);
            }
        }
        self.run.status = RunStatus::Succeeded;
        self.run.error = None;
        self.run.waiting = None;
        self.out.event(EventKind::RunSucceeded);
        self.settle()?;
        Ok(Outcome::Succeeded)
    }

    /// Rebuild the scope as it stood after the last step that succeeded,
    /// without running anything: top-level lets evaluated, succeeded steps'
    /// bindings restored (for rollback).
    pub fn restore_scope(&mut self) -> Result<Option<Outcome>, StoreError> {
        let rb = self.runbook.clone();
        for item in &rb.items {
            let steps: Vec<&Step> = match item {
                Item::Let(l) => {
                    if let Flow::Stop(o) = self.top_let(l)? {
                        return Ok(Some(o));
                    }
                    continue;
                }
                Item::Step(s) => vec![s],
                Item::Section(sec) => sec.steps.iter().collect(),
                Item::Param(_) => continue,
            };
            for s in steps {
                self.restore_succeeded(&s.id.name, Phase::Main);
            }
        }
        Ok(None)
    }

    /// Put a succeeded step's bindings back in scope; `false` when the step
    /// is not done (succeeded or skipped). Borrows the record: resume passes
    /// thousands of them.
    fn restore_succeeded(&mut self, id: &str, phase: Phase) -> bool {
        let map = match phase {
            Phase::Main => &self.records,
            Phase::Rollback => &self.rb_records,
        };
        let Some(rec) = map.get(id) else {
            return false;
        };
        if rec.status == StepStatus::Succeeded {
            for (name, value) in &rec.bindings {
                self.scope
                    .push_dynamic(name.clone(), bindings::from_json(value));
            }
        }
        rec.status.is_done()
    }

    fn top_let(&mut self, l: &runbook_dsl::Let) -> Result<Flow, StoreError> {
        self.ctx.enter_step(self.cancel.child_token(), None);
        match self.eval(&l.value, l.span) {
            Ok(v) => {
                self.scope.push_dynamic(l.name.name.clone(), v);
                Ok(Flow::Continue)
            }
            Err(f) => self.fail_outside(f),
        }
    }

    fn section(&mut self, sec: &Section) -> Result<Flow, StoreError> {
        let pending = sec.steps.iter().any(|s| !self.is_done(s));
        let mut skip = None;
        if pending {
            if let Some(cond) = &sec.when {
                self.ctx.enter_step(self.cancel.child_token(), None);
                match self.eval_bool(cond, cond.span) {
                    Ok(true) => {}
                    Ok(false) => {
                        skip = Some(format!("section \"{}\": `when` is false", sec.title.value))
                    }
                    Err(f) => return self.fail_outside(f),
                }
            }
        }
        for s in &sec.steps {
            if let Flow::Stop(o) = self.step(s, Phase::Main, skip.as_deref())? {
                return Ok(Flow::Stop(o));
            }
        }
        Ok(Flow::Continue)
    }

    /// A failure outside any step (top-level let, section condition).
    fn fail_outside(&mut self, f: StepFailure) -> Result<Flow, StoreError> {
        let outcome = match f {
            StepFailure::Interrupted => {
                self.run.error = Some("interrupted".into());
                self.out.event(EventKind::RunInterrupted { step: None });
                Outcome::Interrupted { step: None }
            }
            StepFailure::Error(d) => {
                let d = d.redacted(self.out.redactor());
                self.run.error = Some(d.one_line());
                self.out.event(EventKind::RunFailed {
                    error: d.one_line(),
                });
                Outcome::Failed {
                    step: None,
                    diagnostic: d,
                }
            }
            StepFailure::Waiting { .. } => {
                let d = RunDiagnostic::new(
                    "runbook::run::confirm_outside_step",
                    "`confirm` is only allowed inside a step",
                );
                self.run.error = Some(d.one_line());
                Outcome::Failed {
                    step: None,
                    diagnostic: d,
                }
            }
        };
        self.run.status = RunStatus::Failed;
        self.settle()?;
        Ok(Flow::Stop(outcome))
    }

    fn skip(&mut self, step: &Step, phase: Phase, reason: &str) -> Result<Flow, StoreError> {
        let mut rec = self.record(step, phase);
        rec.fingerprint = self.fingerprint(step);
        rec.status = StepStatus::Skipped;
        rec.ended = Some(now());
        self.stage_step(rec)?;
        let (n, total) = self.position(step, phase);
        self.out
            .line(&format!("[{n}/{total}] skip {}: {reason}", step.id.name));
        self.out.event(EventKind::StepSkipped {
            step: step.id.name.clone(),
            reason: reason.to_string(),
        });
        Ok(Flow::Continue)
    }

    fn position(&self, step: &Step, phase: Phase) -> (usize, usize) {
        match phase {
            Phase::Main => (
                self.positions.get(&step.span.start).map_or(0, |p| p + 1),
                self.positions.len(),
            ),
            Phase::Rollback => (
                self.rb_positions.get(&step.span.start).map_or(0, |p| p + 1),
                self.rb_positions.len(),
            ),
        }
    }

    /// Run one step (with its retries), unless it is done already.
    fn step(
        &mut self,
        step: &Step,
        phase: Phase,
        section_skip: Option<&str>,
    ) -> Result<Flow, StoreError> {
        if self.restore_succeeded(&step.id.name, phase) {
            return Ok(Flow::Continue);
        }
        let id = step.id.name.clone();
        let rec = self.record(step, phase);
        if let Some(reason) = section_skip {
            return self.skip(step, phase, reason);
        }
        if let Some(cond) = &step.when {
            self.ctx.enter_step(self.cancel.child_token(), None);
            self.frame = Some(self.frame_for(step, phase, self.scope.len()));
            match self.eval_bool(cond, cond.span) {
                Ok(true) => {}
                Ok(false) => return self.skip(step, phase, "`when` is false"),
                Err(f) => {
                    let attempts = rec.attempts;
                    return self.finish_failed(step, phase, f, attempts, Instant::now());
                }
            }
        }
        let (n, total) = self.position(step, phase);
        let max_attempts = 1 + step.retry.as_ref().map_or(0, |r| r.count);
        let fingerprint = self.fingerprint(step);
        let prefix = if phase == Phase::Rollback {
            "rollback "
        } else {
            ""
        };
        loop {
            let mut rec = self.record(step, phase);
            rec.status = StepStatus::Running;
            rec.attempts += 1;
            rec.started = Some(now());
            rec.ended = None;
            rec.error = None;
            rec.interrupted = false;
            rec.fingerprint = fingerprint.clone();
            rec.index = n.saturating_sub(1);
            let attempt = rec.attempts;
            self.stage_step(rec)?;
            // The write-ahead point: durable `running` before any effect.
            self.commit()?;
            self.out.event(EventKind::StepStarted {
                step: id.clone(),
                index: n,
                title: self.out.r(&step.title.value),
                attempt,
            });
            let attempt_note = if attempt > 1 {
                format!(" (attempt {attempt})")
            } else {
                String::new()
            };
            self.out.line(&format!(
                "[{n}/{total}] {prefix}{id}: {}{attempt_note}",
                step.title.value
            ));
            self.out.set_step(Some((
                &id,
                format!("[{n}/{total}] {prefix}{id}: {}", step.title.value),
            )));

            let base = self.scope.len();
            let deadline = step
                .timeout
                .as_ref()
                .map(|t| Instant::now() + t.as_duration());
            self.ctx.enter_step(self.cancel.child_token(), deadline);
            self.frame = Some(self.frame_for(step, phase, base));
            let started = Instant::now();
            let result = self
                .run_block(&step.body, false)
                .and_then(|()| self.collect_bindings(step, base));
            self.out.set_step(None);
            match result {
                Ok(bound) => {
                    let mut rec = self.record(step, phase);
                    rec.status = StepStatus::Succeeded;
                    rec.ended = Some(now());
                    rec.seq = Some(self.run.next_seq);
                    self.run.next_seq += 1;
                    rec.bindings = bound;
                    self.run.approvals.retain(|a| a.step != id);
                    if self.run.waiting.as_ref().is_some_and(|w| w.step == id) {
                        self.run.waiting = None;
                    }
                    // Staged only: the next step's start (or the run's end) commits it.
                    self.stage_step(rec)?;
                    let took = started.elapsed();
                    self.out.event(EventKind::StepSucceeded {
                        step: id.clone(),
                        millis: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                    });
                    self.out
                        .line(&format!("[{n}/{total}] ok {id} ({})", human(took)));
                    return Ok(Flow::Continue);
                }
                Err(StepFailure::Error(d)) if attempt < max_attempts => {
                    let d = d.redacted(self.out.redactor());
                    let backoff = step
                        .retry
                        .as_ref()
                        .and_then(|r| r.backoff.as_ref())
                        .map(|b| b.as_duration())
                        .unwrap_or_default();
                    self.out.event(EventKind::StepFailed {
                        step: id.clone(),
                        error: d.one_line(),
                        interrupted: false,
                    });
                    self.out.event(EventKind::StepRetried {
                        step: id.clone(),
                        attempt: attempt + 1,
                        backoff_millis: u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    });
                    self.out.line(&format!(
                        "[{n}/{total}] attempt {attempt} of {id} failed: {}; retrying in {}",
                        d.one_line(),
                        human(backoff)
                    ));
                    self.scope.rewind(base);
                    self.ctx.enter_step(self.cancel.child_token(), None);
                    if self.ctx.block_on(tokio::time::sleep(backoff)).is_err() {
                        return self.finish_failed(
                            step,
                            phase,
                            StepFailure::Interrupted,
                            attempt,
                            started,
                        );
                    }
                }
                Err(f) => return self.finish_failed(step, phase, f, attempt, started),
            }
        }
    }

    fn frame_for(&self, step: &Step, phase: Phase, base: usize) -> Frame {
        Frame {
            step_id: step.id.name.clone(),
            phase,
            step_base: base,
            confirms: 0,
            undo_ordinals: undo_ordinals(step),
            timeout: step.timeout.as_ref().map(|t| t.text.clone()),
        }
    }

    /// Record a step's final failure, pause, or interruption.
    fn finish_failed(
        &mut self,
        step: &Step,
        phase: Phase,
        f: StepFailure,
        _attempt: u32,
        started: Instant,
    ) -> Result<Flow, StoreError> {
        let id = step.id.name.clone();
        let (n, total) = self.position(step, phase);
        let mut rec = self.record(step, phase);
        let outcome = match f {
            StepFailure::Waiting { key, question } => {
                // The step stays `running`: resume runs it again from its start.
                self.run.status = RunStatus::Waiting;
                self.run.waiting = Some(Waiting {
                    step: id.clone(),
                    key,
                    question: question.clone(),
                    approved: false,
                });
                self.out.event(EventKind::RunWaiting {
                    step: id.clone(),
                    question: question.clone(),
                });
                self.out
                    .line(&format!("[{n}/{total}] waiting {id}: {question}"));
                self.stage_step(rec)?;
                self.settle()?;
                return Ok(Flow::Stop(Outcome::Waiting { step: id, question }));
            }
            StepFailure::Interrupted => {
                rec.interrupted = true;
                rec.error = Some(StoredError {
                    code: "runbook::run::interrupted".into(),
                    message: "interrupted".into(),
                    span: None,
                });
                self.run.error = Some(format!("interrupted at step `{id}`"));
                self.out.event(EventKind::StepFailed {
                    step: id.clone(),
                    error: "interrupted".into(),
                    interrupted: true,
                });
                self.out.event(EventKind::RunInterrupted {
                    step: Some(id.clone()),
                });
                self.out.line(&format!("[{n}/{total}] interrupted {id}"));
                Outcome::Interrupted {
                    step: Some(id.clone()),
                }
            }
            StepFailure::Error(d) => {
                let d = d.redacted(self.out.redactor());
                rec.error = Some(StoredError {
                    code: d.code.clone(),
                    message: d.one_line(),
                    span: d.span.map(|s| (s.start, s.end)),
                });
                self.run.error = Some(format!("step `{id}`: {}", d.one_line()));
                self.out.event(EventKind::StepFailed {
                    step: id.clone(),
                    error: d.one_line(),
                    interrupted: false,
                });
                self.out.event(EventKind::RunFailed {
                    error: format!("step `{id}`: {}", d.one_line()),
                });
                self.out.line(&format!(
                    "[{n}/{total}] FAILED {id} ({}): {}",
                    human(started.elapsed()),
                    d.message
                ));
                Outcome::Failed {
                    step: Some(id.clone()),
                    diagnostic: d,
                }
            }
        };
        rec.status = StepStatus::Failed;
        rec.ended = Some(now());
        self.stage_step(rec)?;
        self.run.status = RunStatus::Failed;
        self.settle()?;
        Ok(Flow::Stop(outcome))
    }

    /// The step's own `let`s (top level of its body), as data.
    fn collect_bindings(
        &mut self,
        step: &Step,
        base: usize,
    ) -> Result<Vec<(String, serde_json::Value)>, StepFailure> {
        let mut out: Vec<(String, serde_json::Value)> = Vec::new();
        for stmt in &step.body.stmts {
            let runbook_dsl::StmtKind::Let(l) = &stmt.kind else {
                continue;
            };
            let name = &l.name.name;
            if out.iter().any(|(n, _)| n == name) {
                continue;
            }
            // The last binding of this name above the step's base.
            // `iter_raw` runs from the top of the scope without cloning: only
            // the entries above `base` are looked at (cost independent of how
            // many steps ran before).
            let value = self
                .scope
                .iter_raw()
                .take(self.scope.len().saturating_sub(base))
                .find(|(n, _, _)| *n == name.as_str())
                .map(|(_, _, v)| v.flatten_clone())
                .unwrap_or(Dynamic::UNIT);
            match bindings::to_json(name, &value, self.out.redactor()) {
                Ok(v) => out.push((name.clone(), v)),
                Err(e) => {
                    return Err(StepFailure::Error(
                        RunDiagnostic::new(
                            "runbook::run::unstorable_binding",
                            format!("step binding {e}"),
                        )
                        .at(l.span, "bound here")
                        .help(e.help()),
                    ))
                }
            }
        }
        Ok(out)
    }
}
