//! `runbook run FILE`: lint-check, then start a run (or a dry run).

use std::io::IsTerminal;
use std::sync::Arc;

use runbook_interpreter::output::Display;
use runbook_interpreter::{Options, Store};
use runbook_stdlib::KubeOptions;

use super::run_report::{self, render};
use super::run_source::{self, Text};
use super::{exit, run_state};
use crate::cli::{ExecArgs, RunArgs};

/// Options shared by run, resume and rollback.
pub fn options(
    store: Arc<dyn Store>,
    params: &[String],
    exec: &ExecArgs,
    dry_run: bool,
) -> Options {
    Options {
        store,
        params: params.to_vec(),
        yes: exec.yes,
        dry_run,
        verbose: exec.verbose,
        kube: KubeOptions {
            context: exec.context.clone(),
            kubeconfig: exec.kubeconfig.clone(),
        },
        interactive: std::io::stdin().is_terminal(),
        display: if std::io::stdout().is_terminal() {
            Display::Live
        } else {
            Display::Plain
        },
    }
}

/// The async runtime runs are executed on (Rhai runs on its blocking pool).
pub fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Rhai recurses on the native stack (up to its call-level limit):
        // give the threads it runs on room for that even in debug builds.
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            exit::FAILED
        })
}

pub fn run(a: RunArgs) -> u8 {
    let store = match run_state::open(&a.state) {
        Ok(s) => s,
        Err(d) => {
            render(Box::new(d), &None);
            return exit::USAGE;
        }
    };
    let mut text: Text = None;
    let src = match run_source::load(&a.file, &mut text) {
        Ok(s) => s,
        Err(r) => return run_report::refused(r, &text),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let opts = options(store, &a.params, &a.exec, a.dry_run);
    match rt.block_on(runbook_interpreter::start(src, opts)) {
        Ok(f) => run_report::finished(f, &text, "resume"),
        Err(r) => run_report::refused(r, &text),
    }
}
