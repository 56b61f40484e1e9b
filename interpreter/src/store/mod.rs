//! Where runs are kept.
//!
//! # Resumability contract
//!
//! A [`RunSession`] is the only writer of a run and holds its lock for its
//! whole life. Writes are staged with [`RunSession::put_run`] /
//! [`RunSession::put_step`] and become durable together at
//! [`RunSession::commit`]: after `commit` returns, a crash of the process or
//! the machine loses none of them; before it, a crash loses all staged writes
//! since the previous commit, and nothing else. The executor relies on this:
//!
//! - a step is committed `running` before its first effect, so a crash during
//!   the step is seen on resume (the step runs again from its start, or, for a
//!   `once` step, the operator decides);
//! - a step is committed `succeeded` with its bindings after its last effect,
//!   together with the next step's `running` (one flush per step boundary);
//! - an `undo` is committed when it is registered, before the effect it undoes.
//!
//! Hence every effect may run again after a crash between it and the next
//! commit (at-least-once); a step that succeeded is never run again.
//!
//! Readers (`runs`, `status`, `log`) never take the lock, so they work while
//! a run is in progress: they read a summary the session publishes with
//! [`RunSession::publish`] and the append-only journal.
//!
//! Two implementations: [`sled_store::SledStore`] (the default: one operator,
//! one machine, file locks) and [`pg::PgStore`] (a team's shared PostgreSQL
//! database, leases instead of file locks). [`open_store`] is the one place
//! that picks between them.

pub mod lock;
pub mod pg;
pub mod private_fs;
pub mod sled_store;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::record::{RunRecord, RunStatus, StepRecord, Waiting};

pub use lock::Holder;
pub use pg::PgStore;
pub use sled_store::SledStore;

/// Where runs are kept, as named by `--state` / `RUNBOOK_STATE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSpec {
    /// A state directory (sled).
    Directory(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl StoreSpec {
    /// A `--state` value: a PostgreSQL URL, else a directory.
    pub fn parse(state: &str) -> StoreSpec {
        if state.starts_with("postgres://") || state.starts_with("postgresql://") {
            StoreSpec::Postgres(state.to_string())
        } else {
            StoreSpec::Directory(PathBuf::from(state))
        }
    }
}

/// Open the store `spec` names. A PostgreSQL store connects (and migrates
/// its schema) now, so a wrong URL fails before anything runs.
pub fn open_store(spec: &StoreSpec) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match spec {
        StoreSpec::Directory(dir) => Arc::new(SledStore::new(dir.clone())),
        StoreSpec::Postgres(url) => Arc::new(PgStore::connect(url)?),
    })
}

/// A store of runs.
pub trait Store: Send + Sync {
    /// Create a new run from `record` (its `id` must be fresh) and lock it.
    fn create(&self, record: &RunRecord) -> Result<Box<dyn RunSession>, StoreError>;
    /// Lock an existing run for writing (resume, approve, rollback). Refused
    /// with [`StoreError::Locked`] while another process holds it.
    fn open(&self, id: &str) -> Result<Box<dyn RunSession>, StoreError>;
    /// Whether a run with this id exists.
    fn exists(&self, id: &str) -> bool;
    /// Summaries of all runs, newest first. Takes no lock.
    fn list(&self) -> Result<Vec<RunSummary>, StoreError>;
    /// A run's published summary. Takes no lock.
    fn summary(&self, id: &str) -> Result<RunSummary, StoreError>;
    /// A run's journal, in order. Takes no lock.
    fn journal(&self, id: &str) -> Result<Vec<Event>, StoreError>;
    /// Who holds the run's lock, as recorded by the last holder, and whether
    /// that process is still alive. Takes no lock.
    fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError>;
}

/// Exclusive, locked access to one run. Dropping it releases the lock.
pub trait RunSession: Send {
    fn id(&self) -> &str;
    /// The run record.
    fn load_run(&self) -> Result<RunRecord, StoreError>;
    /// All the run's step records (main and rollback steps). Separate from
    /// [`RunSession::load_run`] so that resume can decode them on a thread
    /// of their own while it parses the runbook.
    fn load_steps(&self) -> Result<Vec<StepRecord>, StoreError>;
    /// The run and all its step records.
    fn load(&self) -> Result<(RunRecord, Vec<StepRecord>), StoreError> {
        Ok((self.load_run()?, self.load_steps()?))
    }
    /// Stage the run record (durable at the next commit).
    fn put_run(&mut self, run: &RunRecord) -> Result<(), StoreError>;
    /// Stage a step record (durable at the next commit).
    fn put_step(&mut self, step: &StepRecord) -> Result<(), StoreError>;
    /// Make every staged write durable (one flush).
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Replace the summary readers see. Not a durability point: after a
    /// machine crash it may lag behind the last commit until the next start.
    fn publish(&mut self, summary: &RunSummary) -> Result<(), StoreError>;
    /// The run's journal, for appending.
    fn journal(&self) -> Arc<dyn Journal>;
    /// Cancelled when this session may have lost the run (a lease that
    /// could not be renewed, a lost connection): the executor then stops the
    /// step in flight, and the next commit fails, so no effect runs that
    /// could not be recorded. `None` for stores whose lock cannot be lost
    /// while the process lives (sled's `flock`).
    fn lease_lost(&self) -> Option<tokio_util::sync::CancellationToken> {
        None
    }
}

/// An append-only event list.
pub trait Journal: Send + Sync {
    /// Append one event. Failures are remembered and reported by
    /// [`Journal::take_error`] (sinks that cannot return errors use it).
    fn append(&self, event: &Event);
    /// The first append failure since the last call, if any.
    fn take_error(&self) -> Option<String>;
    /// Make the journal durable (at the end of a run or a pause).
    fn sync(&self) -> Result<(), StoreError>;
}

/// What readers see of a run without locking it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub format: u32,
    pub id: String,
    pub title: String,
    pub runbook_path: String,
    pub status: RunStatus,
    pub created: String,
    pub updated: String,
    /// `(id, title)` of every step, in file order.
    pub steps: Vec<(String, String)>,
    #[serde(default)]
    pub waiting: Option<Waiting>,
    #[serde(default)]
    pub error: Option<String>,
    /// A rollback has started.
    #[serde(default)]
    pub rolling_back: bool,
    /// Who started the run (user name), when recorded.
    #[serde(default)]
    pub started_by: Option<String>,
    /// The host the run was started on, when recorded.
    #[serde(default)]
    pub host: Option<String>,
    /// The step running (or last run) when the store knows it; stores that
    /// do not keep it leave `None` and readers fold it from the journal.
    #[serde(default)]
    pub current_step: Option<String>,
}

impl RunSummary {
    pub fn of(run: &RunRecord, steps: Vec<(String, String)>) -> Self {
        let mut summary = RunSummary {
            format: crate::record::FORMAT_VERSION,
            id: String::new(),
            title: String::new(),
            runbook_path: String::new(),
            status: run.status,
            created: String::new(),
            updated: String::new(),
            steps,
            waiting: None,
            error: None,
            rolling_back: false,
            started_by: None,
            host: None,
            current_step: None,
        };
        summary.update(run);
        summary
    }

    /// Take every field but the step list from `run` (a runner keeps one
    /// summary and updates it: the step list of a long runbook is the bulk
    /// of it and does not change during a run).
    pub fn update(&mut self, run: &RunRecord) {
        self.id.clone_from(&run.id);
        self.title.clone_from(&run.title);
        self.runbook_path.clone_from(&run.runbook_path);
        self.status = run.status;
        self.created.clone_from(&run.created);
        self.updated.clone_from(&run.updated);
        self.waiting.clone_from(&run.waiting);
        self.error.clone_from(&run.error);
        self.rolling_back = run.rollback.is_some();
        self.started_by.clone_from(&run.started_by);
        self.host.clone_from(&run.host);
    }
}

/// Store failures. Each names what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no run `{id}` in {}", dir.display())]
    NotFound { id: String, dir: PathBuf },
    #[error("run `{id}` is in use by {holder}")]
    Locked { id: String, holder: String },
    #[error("the state of run `{id}` is unreadable ({}): {detail}", path.display())]
    Corrupt {
        id: String,
        path: PathBuf,
        detail: String,
    },
    #[error(
        "run `{id}` was written by a newer runbook (format {found}, this one reads {supported})"
    )]
    NewerFormat {
        id: String,
        found: u32,
        supported: u32,
    },
    #[error("state store error at {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The store could not be reached or logged into at start.
    #[error("cannot connect to the state store {url}: {detail}")]
    Unreachable {
        /// The URL with its password replaced by `***`.
        url: String,
        detail: String,
        /// What to check, depending on the failure.
        hint: String,
    },
    /// A statement failed (including a connection lost outside a run).
    #[error("state store error at {url}: {detail}")]
    Database { url: String, detail: String },
    /// This runner no longer holds the run: its lease expired or was taken
    /// over, or the connection holding it broke. Nothing more is recorded.
    #[error("lost the lease on run `{id}`: {detail}")]
    LeaseLost { id: String, detail: String },
    /// The database's schema was migrated by a newer runbook.
    #[error(
        "the state store {url} has schema version {found}, newer than this runbook knows ({supported})"
    )]
    NewerSchema {
        url: String,
        found: i32,
        supported: i32,
    },
    /// A store setting is invalid (`--state` URL, `RUNBOOK_LEASE_TTL`).
    #[error("{detail}")]
    Config { detail: String, hint: String },
}

impl StoreError {
    /// Stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "runbook::store::not_found",
            StoreError::Locked { .. } => "runbook::store::locked",
            StoreError::Corrupt { .. } => "runbook::store::corrupt",
            StoreError::NewerFormat { .. } => "runbook::store::newer_format",
            StoreError::Io { .. } => "runbook::store::io",
            StoreError::Unreachable { .. } => "runbook::store::unreachable",
            StoreError::Database { .. } => "runbook::store::database",
            StoreError::LeaseLost { .. } => "runbook::store::lease_lost",
            StoreError::NewerSchema { .. } => "runbook::store::newer_schema",
            StoreError::Config { .. } => "runbook::store::config",
        }
    }

    /// How to get past it.
    pub fn help(&self) -> String {
        match self {
            StoreError::NotFound { .. } => "list runs with: runbook runs".into(),
            StoreError::Locked { .. } => {
                "wait for that runner to finish, or stop it; a run whose runner died is free again at once (state directory) or once its lease expires (PostgreSQL, RUNBOOK_LEASE_TTL)".into()
            }
            StoreError::Corrupt { path, .. } => format!(
                "the run cannot be resumed from this state; inspect or move {} away (nothing was changed)",
                path.display()
            ),
            StoreError::NewerFormat { .. } => "use the runbook version that started this run".into(),
            StoreError::Io { .. } => "check the state directory's permissions and free space (--state / RUNBOOK_STATE)".into(),
            StoreError::Unreachable { hint, .. } | StoreError::Config { hint, .. } => hint.clone(),
            StoreError::Database { .. } => {
                "check that the PostgreSQL server is up and reachable; a run stopped by this resumes with: runbook resume RUN".into()
            }
            StoreError::LeaseLost { id, .. } => format!(
                "nothing ran after the lease was lost; see who holds the run with `runbook status {id}`, and continue it with `runbook resume {id}` once the store is reachable"
            ),
            StoreError::NewerSchema { .. } => {
                "use a runbook at least as new as the one that migrated this database (nothing was changed)".into()
            }
        }
    }
}
