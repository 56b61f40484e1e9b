//! `runbook resume RUN`: continue at the first step that has not succeeded.

use std::cell::RefCell;

use runbook_interpreter::Overrides;

use super::run_report;
use super::run_source::{self, Text};
use super::{run, run_state};
use crate::cli::ResumeArgs;

pub fn resume(a: ResumeArgs) -> u8 {
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
    let ov = Overrides {
        rerun: a.rerun,
        skip: a.skip,
        accept_changes: a.accept_changes,
    };
    let loader = |path: &std::path::Path| run_source::load(path, &mut text.borrow_mut());
    let result = rt.block_on(runbook_interpreter::resume(&id, loader, opts, ov));
    let text = text.into_inner();
    match result {
        Ok(f) => run_report::finished(f, &text, "resume"),
        Err(r) => run_report::refused(r, &text),
    }
}
