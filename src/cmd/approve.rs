//! `runbook approve RUN`: answer yes to the confirm a waiting run is paused at.

use super::run_report;
use super::{exit, run_state};
use crate::cli::ApproveArgs;

pub fn approve(a: ApproveArgs) -> u8 {
    let (store, id) = match run_state::open_run(&a.state, &a.run) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let waiting_rollback = store.summary(&id).map(|s| s.rolling_back).unwrap_or(false);
    match runbook_interpreter::approve(&*store, &id) {
        Ok(a) => {
            println!("approved: {}", a.question);
            let verb = if waiting_rollback {
                "rollback"
            } else {
                "resume"
            };
            println!("continue with: runbook {verb} {id}");
            exit::OK
        }
        Err(r) => run_report::refused(r, &None),
    }
}
