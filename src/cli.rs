//! Command-line arguments (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "runbook",
    version,
    about = "Operational runbooks as code: lint, run, resume, roll back."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check runbooks for errors and warnings.
    Lint(LintArgs),
    /// Rewrite runbooks in the canonical layout.
    Fmt(FmtArgs),
    /// Start a new run of a runbook.
    Run(RunArgs),
    /// Continue a stopped, failed or waiting run where it stopped.
    Resume(ResumeArgs),
    /// Show one run, or the latest runs.
    Status(StatusArgs),
    /// List runs.
    Runs(RunsArgs),
    /// Show a run's journal.
    Log(LogArgs),
    /// Answer yes to the confirmation a waiting run is paused at.
    Approve(ApproveArgs),
    /// Undo a run's succeeded steps in reverse order, then its rollback block.
    Rollback(RollbackArgs),
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files or directories (searched recursively for *.runbook).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Exit 1 when there are warnings.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Human,
    Json,
    Github,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Do not write; list files that would change and exit 1 if any.
    #[arg(long)]
    pub check: bool,
}

/// Options shared by every command that touches the run store.
#[derive(Args, Debug, Clone)]
pub struct StateArgs {
    /// State store directory (default: $XDG_STATE_HOME/runbook or ~/.local/state/runbook).
    #[arg(long, env = "RUNBOOK_STATE", global = true)]
    pub state: Option<String>,
}

/// Options for commands that execute steps.
#[derive(Args, Debug, Clone)]
pub struct ExecArgs {
    /// Answer yes to every `confirm` (recorded in the journal).
    #[arg(long)]
    pub yes: bool,
    /// Kubernetes context to use (default: the kubeconfig's current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Kubeconfig file (default: $KUBECONFIG or ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Print more detail (expression values, every poll).
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    pub file: PathBuf,
    /// Set a param: --param name=value (repeatable).
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Evaluate reads, print each effect instead of performing it; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    pub run: String,
    /// Give a secret param again (secrets are never stored): --param name=value.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Run this interrupted `once` step again.
    #[arg(long, value_name = "STEP")]
    pub rerun: Vec<String>,
    /// Mark this interrupted `once` step as done without running it.
    #[arg(long, value_name = "STEP")]
    pub skip: Vec<String>,
    /// Resume even though succeeded steps changed in the file.
    #[arg(long)]
    pub accept_changes: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    pub run: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Args, Debug)]
pub struct RunsArgs {
    /// Only runs with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Only runs of this runbook (path or title).
    #[arg(long)]
    pub runbook: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    pub run: String,
    /// One JSON event per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Args, Debug)]
pub struct ApproveArgs {
    pub run: String,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    pub run: String,
    /// Give a secret param again (secrets are never stored): --param name=value.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Roll back even though steps with undos changed in the file.
    #[arg(long)]
    pub accept_changes: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
    #[command(flatten)]
    pub state: StateArgs,
}
