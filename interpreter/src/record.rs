//! What the store keeps about a run: the run record and one record per step.
//! Run results are data: `status`, `log`, resume and rollback all read these.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the records' layout; a store written by a newer layout is
/// refused instead of being misread.
pub const FORMAT_VERSION: u32 = 1;

/// Status of a whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Running,
    Waiting,
    Failed,
    Succeeded,
    RolledBack,
}

impl RunStatus {
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Failed => "failed",
            RunStatus::Succeeded => "succeeded",
            RunStatus::RolledBack => "rolled-back",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Status of one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

impl StepStatus {
    pub fn name(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
    /// Succeeded or skipped: resume moves past it.
    pub fn is_done(self) -> bool {
        matches!(self, StepStatus::Succeeded | StepStatus::Skipped)
    }
}

impl std::fmt::Display for StepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A declared param's value as stored. Secret values are never stored:
/// `value` is `"***"` and `secret` is true; resume asks for them again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredParam {
    pub value: serde_json::Value,
    #[serde(default)]
    pub secret: bool,
}

/// The `confirm` a run is paused at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Waiting {
    pub step: String,
    /// Identifies the confirm inside the step (see `exec::confirm_key`).
    pub key: String,
    pub question: String,
    /// Set by `runbook approve`; `resume` then passes the confirm.
    #[serde(default)]
    pub approved: bool,
}

/// A recorded yes to a confirm, kept until its step succeeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub step: String,
    pub key: String,
    /// `"--yes"`, `"approve"` or `"terminal"`.
    pub by: String,
    pub at: String,
}

/// Progress of `runbook rollback` (present once a rollback has started).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RollbackState {
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
}

/// The run as a whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub format: u32,
    pub id: String,
    /// Absolute path of the `.runbook` file.
    pub runbook_path: String,
    pub title: String,
    /// blake3 of the file's content when the run started (or last accepted changes).
    pub hash: String,
    pub params: BTreeMap<String, StoredParam>,
    pub status: RunStatus,
    pub created: String,
    pub updated: String,
    #[serde(default)]
    pub waiting: Option<Waiting>,
    #[serde(default)]
    pub approvals: Vec<Approval>,
    #[serde(default)]
    pub rollback: Option<RollbackState>,
    /// The last failure, already redacted and rendered as text.
    #[serde(default)]
    pub error: Option<String>,
    /// Run-wide counter ordering step successes and undo registrations.
    pub next_seq: u64,
    /// Who started the run (user name); absent in runs started before it
    /// was recorded.
    #[serde(default)]
    pub started_by: Option<String>,
    /// The host the run was started on.
    #[serde(default)]
    pub host: Option<String>,
}

/// A registered compensation (`undo`), stored with its step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UndoRecord {
    /// Run-wide registration order; rollback runs undos by descending `seq`.
    pub seq: u64,
    /// Which `undo` statement of the step (pre-order position among the
    /// step's `undo` statements).
    pub ordinal: usize,
    /// The undo's source, for messages.
    pub text: String,
    /// Values of step-local names the undo may use (step lets, loop variables)
    /// at the moment it was registered.
    pub captures: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub done: bool,
}

/// A failure as stored: rendered text plus where it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredError {
    pub code: String,
    pub message: String,
    /// Byte span in the runbook file at the time of the failure.
    #[serde(default)]
    pub span: Option<(usize, usize)>,
}

/// One step of the run. Fields at their default are left out when stored
/// (every one has `serde(default)`): resume decodes one record per step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub format: u32,
    pub id: String,
    pub title: String,
    /// Position in the file (0-based) as of the last start/resume.
    pub index: usize,
    /// Fingerprint of the step's source when it last ran.
    pub fingerprint: String,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "is_false")]
    pub once: bool,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// Order of success among the run's steps (bindings are restored in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The step's `let`s, as JSON, in the order they were bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<(String, serde_json::Value)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undos: Vec<UndoRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StoredError>,
    /// Stopped by Ctrl-C or found `running` after a crash: its effects are unknown.
    #[serde(default, skip_serializing_if = "is_false")]
    pub interrupted: bool,
    /// Whether this is a step of the `rollback` block.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rollback: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl StepRecord {
    pub fn new(id: &str, title: &str, index: usize, fingerprint: String, once: bool) -> Self {
        StepRecord {
            format: FORMAT_VERSION,
            id: id.to_string(),
            title: title.to_string(),
            index,
            fingerprint,
            status: StepStatus::Pending,
            once,
            attempts: 0,
            started: None,
            ended: None,
            seq: None,
            bindings: Vec::new(),
            undos: Vec::new(),
            error: None,
            interrupted: false,
            rollback: false,
        }
    }
}

/// The user running this process: its login name, else `$USER`, else its uid.
pub fn current_user() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// The current time as RFC 3339 (UTC, milliseconds).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
