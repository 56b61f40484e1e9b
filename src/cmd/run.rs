//! `runbook run|resume|status|runs|log|approve|rollback` (issue 3).
//! May be split into one file per subcommand.

use super::exit;
use crate::cli::{ApproveArgs, LogArgs, ResumeArgs, RollbackArgs, RunArgs, RunsArgs, StatusArgs};

fn not_built(what: &str) -> u8 {
    eprintln!("error: `runbook {what}` is not built yet");
    exit::USAGE
}

pub fn run(_a: RunArgs) -> u8 {
    not_built("run")
}
pub fn resume(_a: ResumeArgs) -> u8 {
    not_built("resume")
}
pub fn status(_a: StatusArgs) -> u8 {
    not_built("status")
}
pub fn runs(_a: RunsArgs) -> u8 {
    not_built("runs")
}
pub fn log(_a: LogArgs) -> u8 {
    not_built("log")
}
pub fn approve(_a: ApproveArgs) -> u8 {
    not_built("approve")
}
pub fn rollback(_a: RollbackArgs) -> u8 {
    not_built("rollback")
}
