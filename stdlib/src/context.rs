//! What an action sees of the run it is part of.
//!
//! The interpreter builds one [`ActionContext`] per run and hands it to
//! [`crate::register_all`]; actions capture an `Arc<ActionContext>`. Rhai
//! evaluation happens on a blocking thread (never on a tokio worker), so an
//! action runs its async work with [`ActionContext::block_on`], which also
//! honours cancellation and the current step's deadline.
//!
//! Resumability contract: an action may be run again after a crash that
//! happened between its effect and the checkpoint that records it. Effects
//! should therefore be idempotent where the API allows it (scale to N, apply,
//! set env), and actions that are not (`sh "pg_dump …"`) belong in `once` steps.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::eval_clock::EvalClock;

/// Where actions report what they do. Implemented by the interpreter, which
/// redacts secrets, writes the journal and prints to the terminal.
pub trait EventSink: Send + Sync {
    /// A line of output from a child process (`sh`), as it arrives.
    fn output(&self, stream: OutputStream, line: &str);
    /// In dry run: an effect that was not performed (or was performed by the
    /// server in dry-run mode), described for the operator.
    fn dry_run_effect(&self, action: &str, description: &str);
    /// An effect that was performed, for the journal (`scaled deployment/x to 5`).
    fn effect(&self, action: &str, description: &str);
    /// A value that must never be shown (a password found inside a URL, a
    /// token): the sink redacts it from everything it records from now on.
    fn add_secret(&self, secret: &str);
    /// Where a producer that must cut a long stream into pieces (a line
    /// too long to buffer) may cut `text` so that no secret is split
    /// between two pieces, which would be redacted one by one. The default
    /// (no secrets known) cuts anywhere.
    fn safe_cut(&self, text: &[u8]) -> usize {
        text.len()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// A sink that drops everything: for tests and for lint-time evaluation.
pub struct NullSink;

impl EventSink for NullSink {
    fn output(&self, _: OutputStream, _: &str) {}
    fn dry_run_effect(&self, _: &str, _: &str) {}
    fn effect(&self, _: &str, _: &str) {}
    fn add_secret(&self, _: &str) {}
}

/// Kubernetes connection options from the command line.
#[derive(Clone, Debug, Default)]
pub struct KubeOptions {
    /// `--context`; `None` uses the kubeconfig's current context.
    pub context: Option<String>,
    /// `--kubeconfig`; `None` uses `KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
}

/// The run-wide context every action shares.
pub struct ActionContext {
    /// Print effects instead of performing them; reads still happen.
    pub dry_run: bool,
    /// The directory of the `.runbook` file: `sh` runs there, `file()` reads
    /// relative to it.
    pub base_dir: PathBuf,
    pub kube: KubeOptions,
    pub events: Arc<dyn EventSink>,
    runtime: tokio::runtime::Handle,
    step: Mutex<StepScope>,
    /// Time of the Rhai evaluation in progress; actions pause it while they
    /// wait (see [`crate::eval_clock`]).
    pub eval_clock: EvalClock,
}

#[derive(Clone)]
struct StepScope {
    cancel: CancellationToken,
    deadline: Option<Instant>,
}

/// Why an action stopped before it finished.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Interrupted {
    #[error("the step's timeout elapsed")]
    Timeout,
    #[error("the run was cancelled")]
    Cancelled,
}

impl ActionContext {
    pub fn new(
        runtime: tokio::runtime::Handle,
        events: Arc<dyn EventSink>,
        base_dir: PathBuf,
        dry_run: bool,
        kube: KubeOptions,
    ) -> Self {
        ActionContext {
            dry_run,
            base_dir,
            kube,
            events,
            runtime,
            step: Mutex::new(StepScope {
                cancel: CancellationToken::new(),
                deadline: None,
            }),
            eval_clock: EvalClock::default(),
        }
    }

    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Called by the interpreter when a step (or an undo) starts: actions run
    /// from now on are cancelled by `cancel` and stop at `deadline`.
    pub fn enter_step(&self, cancel: CancellationToken, deadline: Option<Instant>) {
        if let Ok(mut s) = self.step.lock() {
            *s = StepScope { cancel, deadline };
        }
    }

    /// The current step's cancellation token (for child processes and queries
    /// that need their own clean-up on cancel).
    pub fn cancel_token(&self) -> CancellationToken {
        self.step
            .lock()
            .map(|s| s.cancel.clone())
            .unwrap_or_default()
    }

    /// The current step's deadline, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.step.lock().ok().and_then(|s| s.deadline)
    }

    /// Whether the action should stop now (checked by long loops).
    pub fn interrupted(&self) -> Option<Interrupted> {
        let scope = self.step.lock().ok()?.clone();
        if scope.cancel.is_cancelled() {
            return Some(Interrupted::Cancelled);
        }
        match scope.deadline {
            Some(d) if Instant::now() >= d => Some(Interrupted::Timeout),
            _ => None,
        }
    }

    /// Run a future to completion from the (blocking) Rhai thread, stopping
    /// early on cancellation or the step deadline. Dropping the future is the
    /// cancellation; actions that must clean up on the server (a query cancel
    /// request, a child process group) watch [`Self::cancel_token`] or the
    /// deadline themselves and return their own error.
    pub fn block_on<F: Future>(&self, fut: F) -> Result<F::Output, Interrupted> {
        let scope = match self.step.lock() {
            Ok(s) => s.clone(),
            Err(_) => return Err(Interrupted::Cancelled),
        };
        // Waiting on the world is not evaluation time.
        let _paused = self.eval_clock.pause();
        self.runtime.block_on(async move {
            let sleep = async {
                match scope.deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                out = fut => Ok(out),
                _ = scope.cancel.cancelled() => Err(Interrupted::Cancelled),
                _ = sleep => Err(Interrupted::Timeout),
            }
        })
    }
}
