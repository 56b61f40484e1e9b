//! `runbook rollback RUN`: run the registered undos in reverse order, then
//! the `rollback` block. Run it again to continue a rollback that stopped.

use std::cell::RefCell;

use super::run_report;
use super::run_source::{self, Text};
use super::{run, run_state};
use crate::cli::RollbackArgs;

pub fn rollback(a: RollbackArgs) -> u8 {
    let (store, id) = match run_state::open_run(&a.state, &a.run) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let rt = match run::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let text: RefCell<Text> = RefCell::new(None);
    let opts = run::options(store, &a.params, &a.exec, false);
    let loader = |path: &std::path::Path| run_source::load(path, &mut text.borrow_mut());
    let result = rt.block_on(runbook_interpreter::rollback(
        &id,
        loader,
        opts,
        a.accept_changes,
    ));
    let text = text.into_inner();
    match result {
        Ok(f) => run_report::finished(f, &text, "rollback"),
        Err(r) => run_report::refused(r, &text),
    }
}
