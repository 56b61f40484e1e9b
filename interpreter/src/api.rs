//! Entry points: start, resume, approve and roll back runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::Diagnostic;
use rhai::{Engine, Scope};
use runbook_dsl::{CheckedRunbook, Param, Runbook};
use runbook_stdlib::{ActionContext, KubeOptions};
use tokio_util::sync::CancellationToken;

use crate::diagnostic::RunDiagnostic;
use crate::event::EventKind;
use crate::exec::{ExecOptions, Executor, Outcome};
use crate::output::{Display, Output};
use crate::params::{self, ResolvedParams};
use crate::plan::{self, Overrides};
use crate::record::{now, Approval, RunRecord, RunStatus, FORMAT_VERSION};
use crate::redact::Redactor;
use crate::run_id::new_run_id;
use crate::sink::RunSink;
use crate::store::{RunSession, RunSummary, Store, StoreError};

/// A runbook file, read and parsed (and checked) by the caller.
#[derive(Clone)]
pub struct Source {
    /// Absolute path (stored with the run; resume reads it again).
    pub path: PathBuf,
    pub text: Arc<str>,
    pub runbook: Arc<Runbook>,
}

impl Source {
    /// A runbook that passed the check pass.
    pub fn checked(path: PathBuf, text: Arc<str>, checked: CheckedRunbook) -> Self {
        Source::parsed(path, text, checked.runbook)
    }

    /// A parsed runbook.
    pub fn parsed(path: PathBuf, text: Arc<str>, runbook: Runbook) -> Self {
        Source {
            path,
            text,
            runbook: Arc::new(runbook),
        }
    }

    /// blake3 of the file's content (computed once, by the parser).
    pub fn hash(&self) -> String {
        self.runbook.source_hash.clone()
    }
}

/// How to run.
#[derive(Clone)]
pub struct Options {
    pub store: Arc<dyn Store>,
    /// `name=value` strings from `--param`.
    pub params: Vec<String>,
    pub yes: bool,
    pub dry_run: bool,
    pub verbose: bool,
    pub kube: KubeOptions,
    /// Standard input is a terminal (`confirm` prompts there).
    pub interactive: bool,
    /// Plain lines, a live status line, or nothing.
    pub display: Display,
}

/// How an execution ended.
#[derive(Debug)]
pub struct Finished {
    /// `None` for a dry run.
    pub run_id: Option<String>,
    pub outcome: Outcome,
    /// Nothing was executed (e.g. the run had already succeeded).
    pub nothing_to_do: bool,
}

/// The run did not start (or continue): each problem is a diagnostic; those
/// with spans point into the runbook file.
#[derive(Debug)]
pub struct Refused {
    pub problems: Vec<Box<dyn Diagnostic + Send + Sync + 'static>>,
}

impl Refused {
    fn one(d: impl Diagnostic + Send + Sync + 'static) -> Self {
        Refused {
            problems: vec![Box::new(d)],
        }
    }
    fn many<D: Diagnostic + Send + Sync + 'static>(ds: Vec<D>) -> Self {
        Refused {
            problems: ds.into_iter().map(|d| Box::new(d) as Box<_>).collect(),
        }
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::one(store_diagnostic(&e))
    }
}

/// A store error as a diagnostic.
pub fn store_diagnostic(e: &StoreError) -> RunDiagnostic {
    RunDiagnostic::new(e.code(), e.to_string()).help(e.help())
}

struct Prepared {
    ctx: Arc<ActionContext>,
    engine: Engine,
    out: Arc<Output>,
    redactor: Redactor,
}

fn prepare(src: &Source, opts: &Options) -> Prepared {
    let redactor = Redactor::new();
    let out = Output::new(redactor.clone(), opts.display);
    let base_dir = src
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let ctx = Arc::new(ActionContext::new(
        tokio::runtime::Handle::current(),
        Arc::new(RunSink::new(out.clone())),
        base_dir,
        opts.dry_run,
        opts.kube.clone(),
    ));
    let engine = crate::engine::build(ctx.clone());
    Prepared {
        ctx,
        engine,
        out,
        redactor,
    }
}

fn resolve_params(
    src: &Source,
    opts: &Options,
    p: &Prepared,
    previous: Option<&RunRecord>,
) -> Result<ResolvedParams, Refused> {
    let decls: Vec<&Param> = src.runbook.params().collect();
    params::resolve(
        &decls,
        &opts.params,
        previous.map(|r| &r.params),
        &p.engine,
        &p.redactor,
    )
    .map_err(Refused::many)
}

/// Start a new run of `src` (or a dry run: nothing stored).
pub async fn start(src: Source, opts: Options) -> Result<Finished, Refused> {
    let p = prepare(&src, &opts);
    let params = resolve_params(&src, &opts, &p, None)?;
    let mut scope = Scope::new();
    params.push_into(&mut scope);
    let title = src
        .runbook
        .meta
        .as_ref()
        .map(|m| m.title.value.clone())
        .unwrap_or_else(|| src.path.display().to_string());
    let mut run = RunRecord {
        format: FORMAT_VERSION,
        id: String::new(),
        runbook_path: src.path.display().to_string(),
        title: title.clone(),
        hash: src.hash(),
        params: params.stored.clone(),
        status: RunStatus::Running,
        created: now(),
        updated: now(),
        waiting: None,
        approvals: Vec::new(),
        rollback: None,
        error: None,
        next_seq: 0,
        started_by: Some(crate::record::current_user()),
        host: Some(crate::store::lock::host_name()),
    };
    let steps = src.runbook.steps().count();
    let session = if opts.dry_run {
        p.out.line(&format!(
            "dry run of {title} ({steps} steps): effects are printed, nothing is stored"
        ));
        None
    } else {
        let mut session = create(&*opts.store, &mut run)?;
        // Readers can see the run before its id is announced.
        let list = src
            .runbook
            .steps()
            .map(|s| (s.id.name.clone(), s.title.value.clone()))
            .collect();
        session.publish(&RunSummary::of(&run, list))?;
        p.out.set_journal(session.journal());
        p.out
            .line(&format!("run {} started: {title} ({steps} steps)", run.id));
        p.out.event(EventKind::RunStarted {
            runbook: run.runbook_path.clone(),
            title: p.out.r(&title),
            hash: run.hash.clone(),
            steps,
        });
        Some(session)
    };
    let run_id = (!opts.dry_run).then(|| run.id.clone());
    let mut exec = Executor::new(
        p.engine,
        p.ctx,
        p.out,
        src.text.clone(),
        src.runbook.clone(),
        session,
        run,
        Vec::new(),
        scope,
        CancellationToken::new(),
        exec_options(&opts),
    );
    exec.publish()?;
    let outcome = execute(exec, Executor::run_main).await?;
    Ok(Finished {
        run_id,
        outcome,
        nothing_to_do: false,
    })
}

fn exec_options(opts: &Options) -> ExecOptions {
    ExecOptions {
        yes: opts.yes,
        dry_run: opts.dry_run,
        interactive: opts.interactive,
        verbose: opts.verbose,
    }
}

/// Create the run with a fresh id (retrying on the rare id collision).
fn create(store: &dyn Store, run: &mut RunRecord) -> Result<Box<dyn RunSession>, StoreError> {
    let mut last = None;
    for _ in 0..8 {
        run.id = new_run_id();
        if store.exists(&run.id) {
            continue;
        }
        match store.create(run) {
            Ok(s) => return Ok(s),
            Err(StoreError::Io { source, path })
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                last = Some(StoreError::Io { source, path });
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| StoreError::Io {
        path: PathBuf::from(&run.id),
        source: std::io::Error::other("could not find a free run id"),
    }))
}

/// Run `f` on a blocking thread (Rhai never runs on the async workers),
/// cancelling the run on SIGINT/SIGTERM, and when the store says the run
/// may no longer be this process's (a lost lease): the step in flight stops
/// and the next commit fails, so no effect runs that could not be recorded.
async fn execute(
    mut exec: Executor,
    f: fn(&mut Executor) -> Result<Outcome, StoreError>,
) -> Result<Outcome, Refused> {
    let cancel = exec.cancel.clone();
    let lease_lost = exec.session.as_ref().and_then(|s| s.lease_lost());
    let signals = tokio::spawn(async move {
        let lost = async {
            match lease_lost {
                Some(t) => t.cancelled().await,
                None => std::future::pending::<()>().await,
            }
        };
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
            _ = lost => {}
        }
        cancel.cancel();
    });
    let result = tokio::task::spawn_blocking(move || f(&mut exec)).await;
    signals.abort();
    match result {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => Err(e.into()),
        Err(join) => Err(Refused::one(RunDiagnostic::new(
            "runbook::run::internal",
            format!("the run stopped unexpectedly: {join}"),
        ))),
    }
}

/// A locked run with its records and its file.
type Opened = (
    Box<dyn RunSession>,
    RunRecord,
    Vec<crate::record::StepRecord>,
    Source,
);

/// Load a run for resume/rollback: lock it, read its records, load its file.
fn open_for_exec(
    store: &dyn Store,
    id: &str,
    loader: impl FnOnce(&Path) -> Result<Source, Refused>,
) -> Result<Opened, Refused> {
    let session = store.open(id)?;
    let run = session.load_run()?;
    let (session, steps, src) = steps_and_source(session, &run, loader)?;
    Ok((session, run, steps, src))
}

/// A locked run's session, its step records and its file.
type StepsAndSource = (Box<dyn RunSession>, Vec<crate::record::StepRecord>, Source);

/// The run's step records and its file, read side by side: the records are
/// decoded on a thread of their own while this one reads, parses and checks
/// the file (after 10,000 steps each takes tens of milliseconds). A store
/// error is reported before a problem in the file, as when they were read
/// one after the other.
fn steps_and_source(
    session: Box<dyn RunSession>,
    run: &RunRecord,
    loader: impl FnOnce(&Path) -> Result<Source, Refused>,
) -> Result<StepsAndSource, Refused> {
    let stopped = |what: &str| {
        Refused::one(RunDiagnostic::new(
            "runbook::run::internal",
            format!("reading the run's step records {what}"),
        ))
    };
    std::thread::scope(|scope| {
        let records = std::thread::Builder::new()
            .name("runbook-load".into())
            .spawn_scoped(scope, move || {
                let steps = session.load_steps();
                (session, steps)
            })
            .map_err(|e| stopped(&format!("could not start: {e}")))?;
        let src = loader(Path::new(&run.runbook_path));
        let (session, steps) = records
            .join()
            .map_err(|_| stopped("stopped unexpectedly"))?;
        Ok((session, steps?, src?))
    })
}

/// A run picked up again (resume, rollback), planned against its file: its
/// engine and output, its params in scope, the plan's decisions journaled.
struct Replanned {
    p: Prepared,
    scope: Scope<'static>,
    /// Positions of the step records the plan changed.
    changed: Vec<usize>,
}

/// Plan a reopened run against its file (refusing changed steps and
/// interrupted `once` steps unless overridden), resolve its params and
/// journal the decisions. `check_once` is false for rollback.
fn replan(
    src: &Source,
    opts: &Options,
    session: &dyn RunSession,
    run: &RunRecord,
    steps: &mut [crate::record::StepRecord],
    ov: &Overrides,
    check_once: bool,
) -> Result<Replanned, Refused> {
    let same_file = src.hash() == run.hash;
    let decisions =
        plan::plan(&src.runbook, same_file, run, steps, ov, check_once).map_err(Refused::many)?;
    let p = prepare(src, opts);
    let params = resolve_params(src, opts, &p, Some(run))?;
    let mut scope = Scope::new();
    params.push_into(&mut scope);
    p.out.set_journal(session.journal());
    for d in decisions.events {
        p.out.event(d);
    }
    Ok(Replanned {
        p,
        scope,
        changed: decisions.changed,
    })
}

/// The executor of a run picked up again (resume, rollback): save only the
/// step records the plan changed (overrides, accepted changes), then make the
/// run's new starting state durable and visible before the first step.
fn reopened_executor(
    r: Replanned,
    src: &Source,
    mut session: Box<dyn RunSession>,
    run: RunRecord,
    steps: Vec<crate::record::StepRecord>,
    opts: &Options,
) -> Result<Executor, Refused> {
    for s in r.changed.iter().filter_map(|&at| steps.get(at)) {
        session.put_step(s)?;
    }
    let mut exec = Executor::new(
        r.p.engine,
        r.p.ctx,
        r.p.out,
        src.text.clone(),
        src.runbook.clone(),
        Some(session),
        run,
        steps,
        r.scope,
        CancellationToken::new(),
        exec_options(opts),
    );
    exec.commit()?;
    exec.publish()?;
    Ok(exec)
}

/// Continue a run at the first step that has not succeeded.
pub async fn resume(
    id: &str,
    loader: impl FnOnce(&Path) -> Result<Source, Refused>,
    opts: Options,
    ov: Overrides,
) -> Result<Finished, Refused> {
    let session = opts.store.open(id)?;
    let mut run = session.load_run()?;
    match run.status {
        RunStatus::Succeeded => {
            println!("run {id} already succeeded");
            return Ok(Finished {
                run_id: Some(id.to_string()),
                outcome: Outcome::Succeeded,
                nothing_to_do: true,
            });
        }
        RunStatus::RolledBack => {
            return Err(Refused::one(
                RunDiagnostic::new(
                    "runbook::resume::rolled_back",
                    format!("run {id} was rolled back"),
                )
                .help("start a new run: runbook run FILE"),
            ))
        }
        _ if run.rollback.is_some() => {
            return Err(Refused::one(
                RunDiagnostic::new(
                    "runbook::resume::rolling_back",
                    format!("run {id} is being rolled back"),
                )
                .help(format!("continue the rollback with: runbook rollback {id}")),
            ))
        }
        _ => {}
    }
    let (session, mut steps, src) = steps_and_source(session, &run, loader)?;
    let r = replan(&src, &opts, &*session, &run, &mut steps, &ov, true)?;
    run.hash = src.hash();
    run.status = RunStatus::Running;
    run.error = None;
    run.waiting = None;
    let done: fxhash::FxHashSet<&str> = steps
        .iter()
        .filter(|r| !r.rollback && r.status.is_done())
        .map(|r| r.id.as_str())
        .collect();
    let next = src
        .runbook
        .steps()
        .enumerate()
        .find(|(_, s)| !done.contains(s.id.name.as_str()))
        .map(|(i, s)| (i + 1, s.id.name.clone()));
    let total = src.runbook.steps().count();
    match &next {
        Some((n, step)) => {
            r.p.out
                .line(&format!("run {id} resumed at step {n}/{total} ({step})"))
        }
        None => {
            r.p.out
                .line(&format!("run {id} resumed: every step is done"))
        }
    }
    r.p.out.event(EventKind::RunResumed {
        pid: std::process::id(),
    });
    let exec = reopened_executor(r, &src, session, run, steps, &opts)?;
    let outcome = execute(exec, Executor::run_main).await?;
    Ok(Finished {
        run_id: Some(id.to_string()),
        outcome,
        nothing_to_do: false,
    })
}

/// What `approve` answered.
#[derive(Debug, Clone)]
pub struct Approved {
    pub step: String,
    pub question: String,
}

/// Record yes for the `confirm` a waiting run is paused at.
pub fn approve(store: &dyn Store, id: &str) -> Result<Approved, Refused> {
    let mut session = store.open(id)?;
    let mut run = session.load_run()?;
    let Some(waiting) = run
        .waiting
        .clone()
        .filter(|_| run.status == RunStatus::Waiting)
    else {
        return Err(Refused::one(
            RunDiagnostic::new(
                "runbook::approve::not_waiting",
                format!(
                    "run {id} is not waiting for a confirmation (it is {})",
                    run.status
                ),
            )
            .help(format!("see where it stands with: runbook status {id}")),
        ));
    };
    if !run.approvals.iter().any(|a| a.key == waiting.key) {
        run.approvals.push(Approval {
            step: waiting.step.clone(),
            key: waiting.key.clone(),
            by: "approve".into(),
            at: now(),
        });
    }
    if let Some(w) = run.waiting.as_mut() {
        w.approved = true;
    }
    run.updated = now();
    session
        .journal()
        .append(&crate::event::Event::now(EventKind::ConfirmAnswered {
            step: waiting.step.clone(),
            question: waiting.question.clone(),
            yes: true,
            by: "approve".into(),
        }));
    session.put_run(&run)?;
    session.commit()?;
    let mut summary = store.summary(id)?;
    summary.waiting = run.waiting.clone();
    summary.updated = run.updated.clone();
    session.publish(&summary)?;
    Ok(Approved {
        step: waiting.step,
        question: waiting.question,
    })
}

/// Run the registered undos in reverse order, then the `rollback` block.
pub async fn rollback(
    id: &str,
    loader: impl FnOnce(&Path) -> Result<Source, Refused>,
    opts: Options,
    accept_changes: bool,
) -> Result<Finished, Refused> {
    let (session, mut run, mut steps, src) = open_for_exec(&*opts.store, id, loader)?;
    if run.status == RunStatus::RolledBack {
        println!("run {id} is already rolled back");
        return Ok(Finished {
            run_id: Some(id.to_string()),
            outcome: Outcome::RolledBack,
            nothing_to_do: true,
        });
    }
    let ov = Overrides {
        accept_changes,
        ..Overrides::default()
    };
    let r = replan(&src, &opts, &*session, &run, &mut steps, &ov, false)?;
    let resumed = run.rollback.is_some();
    run.status = RunStatus::Running;
    run.error = None;
    run.waiting = None;
    r.p.out.line(&format!(
        "run {id}: {} rollback",
        if resumed { "continuing" } else { "starting" }
    ));
    let exec = reopened_executor(r, &src, session, run, steps, &opts)?;
    let outcome = execute(exec, |e| match e.restore_scope()? {
        Some(o) => Ok(o),
        None => e.run_rollback(),
    })
    .await?;
    Ok(Finished {
        run_id: Some(id.to_string()),
        outcome,
        nothing_to_do: false,
    })
}
