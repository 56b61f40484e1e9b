//! `runbook lint` (issue 2).

use super::exit;
use crate::cli::LintArgs;

pub fn lint(_args: LintArgs) -> u8 {
    eprintln!("error: lint is not built yet");
    exit::USAGE
}
