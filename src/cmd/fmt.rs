//! `runbook fmt` (issue 2).

use super::exit;
use crate::cli::FmtArgs;

pub fn fmt(_args: FmtArgs) -> u8 {
    eprintln!("error: fmt is not built yet");
    exit::USAGE
}
