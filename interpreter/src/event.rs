//! The journal: an append-only list of what happened during a run, one event
//! per line. Everything in it is already redacted.

use serde::{Deserialize, Serialize};

pub use runbook_stdlib::OutputStream;

/// One journal entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// RFC 3339 time.
    pub at: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    pub fn now(kind: EventKind) -> Self {
        Event {
            at: crate::record::now(),
            kind,
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    RunStarted {
        runbook: String,
        title: String,
        hash: String,
        steps: usize,
    },
    RunResumed {
        pid: u32,
    },
    /// A runner took the run over from one whose lease had expired (it died
    /// or lost its store connection without releasing the run).
    RunTakenOver {
        /// The previous holder.
        pid: u32,
        host: String,
        /// When the previous holder took the run.
        since: String,
        /// When its lease expired.
        expired: String,
    },
    StepStarted {
        step: String,
        index: usize,
        title: String,
        attempt: u32,
    },
    StepSucceeded {
        step: String,
        millis: u64,
    },
    StepFailed {
        step: String,
        error: String,
        #[serde(default)]
        interrupted: bool,
    },
    StepRetried {
        step: String,
        attempt: u32,
        backoff_millis: u64,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    /// An operator decision on resume (`--rerun`, `--skip`, `--accept-changes`).
    StepOverride {
        step: String,
        action: String,
    },
    Output {
        step: Option<String>,
        stream: OutputStream,
        line: String,
    },
    Effect {
        step: Option<String>,
        action: String,
        description: String,
    },
    ExpectPolled {
        step: String,
        expr: String,
        ok: bool,
        observed: String,
    },
    Note {
        step: String,
        text: String,
    },
    ConfirmAsked {
        step: String,
        question: String,
    },
    ConfirmAnswered {
        step: String,
        question: String,
        yes: bool,
        /// `"--yes"`, `"approve"` or `"terminal"`.
        by: String,
    },
    UndoRegistered {
        step: String,
        text: String,
    },
    RollbackStarted,
    UndoStarted {
        step: String,
        text: String,
    },
    UndoDone {
        step: String,
        text: String,
    },
    UndoFailed {
        step: String,
        text: String,
        error: String,
    },
    RunWaiting {
        step: String,
        question: String,
    },
    RunFailed {
        error: String,
    },
    RunInterrupted {
        step: Option<String>,
    },
    RunSucceeded,
    RunRolledBack,
}
