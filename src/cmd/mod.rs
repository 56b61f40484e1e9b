//! One module per subcommand; each returns the process exit code.

mod approve;
mod files;
mod fmt;
mod lint;
mod log;
mod report;
mod resume;
mod rollback;
mod run;
mod run_report;
mod run_source;
mod run_state;
mod status;
mod stdout;

use crate::cli::{Cli, Command};

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    /// A run failed, or lint warnings were denied, or `fmt --check` found changes.
    pub const FAILED: u8 = 1;
    /// Usage error, lint error, or run state that cannot be used (in use,
    /// corrupt, written by a newer version): nothing ran.
    pub const USAGE: u8 = 2;
    /// The run is paused at a `confirm`.
    pub const WAITING: u8 = 3;
}

pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Lint(args) => lint::lint(args),
        Command::Fmt(args) => fmt::fmt(args),
        Command::Run(args) => run::run(args),
        Command::Resume(args) => resume::resume(args),
        Command::Status(args) => status::status(args),
        Command::Runs(args) => status::runs(args),
        Command::Log(args) => log::log(args),
        Command::Approve(args) => approve::approve(args),
        Command::Rollback(args) => rollback::rollback(args),
    }
}
