//! One module per subcommand; each returns the process exit code.

mod fmt;
mod lint;
mod run;

use crate::cli::{Cli, Command};

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    /// A run failed, or lint warnings were denied, or `fmt --check` found changes.
    pub const FAILED: u8 = 1;
    /// Usage error or lint error.
    pub const USAGE: u8 = 2;
    /// The run is paused at a `confirm`.
    pub const WAITING: u8 = 3;
}

pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Lint(args) => lint::lint(args),
        Command::Fmt(args) => fmt::fmt(args),
        Command::Run(args) => run::run(args),
        Command::Resume(args) => run::resume(args),
        Command::Status(args) => run::status(args),
        Command::Runs(args) => run::runs(args),
        Command::Log(args) => run::log(args),
        Command::Approve(args) => run::approve(args),
        Command::Rollback(args) => run::rollback(args),
    }
}
