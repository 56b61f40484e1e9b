//! Which state store the run commands use, and finding a run by id.

use std::sync::Arc;

use runbook_interpreter::store::{open_store, StoreSpec};
use runbook_interpreter::{RunDiagnostic, Store};

use crate::cli::StateArgs;

/// The store named by `--state` / `RUNBOOK_STATE` (a `postgres://` or
/// `postgresql://` URL selects the PostgreSQL store, anything else is a
/// state directory), else the default directory.
pub fn open(args: &StateArgs) -> Result<Arc<dyn Store>, RunDiagnostic> {
    let spec = match &args.state {
        Some(s) => StoreSpec::parse(s),
        None => StoreSpec::Directory(
            runbook_interpreter::state_dir::default_state_dir().ok_or_else(|| {
                RunDiagnostic::new(
                    "runbook::store::no_default",
                    "no state directory: neither XDG_STATE_HOME nor HOME is set",
                )
                .help("pass --state DIR or set RUNBOOK_STATE")
            })?,
        ),
    };
    open_store(&spec).map_err(|e| runbook_interpreter::api::store_diagnostic(&e))
}

/// The run `given` names: an exact id, or the one run whose id ends with it
/// (so `ab12` finds `20261129-0931-ab12`).
pub fn find_run(store: &dyn Store, given: &str) -> Result<String, RunDiagnostic> {
    if !runbook_interpreter::run_id::is_valid(given) {
        return Err(RunDiagnostic::new(
            "runbook::store::bad_id",
            format!("`{given}` is not a run id"),
        )
        .help("list runs with: runbook runs"));
    }
    if store.exists(given) {
        return Ok(given.to_string());
    }
    let runs = store
        .list()
        .map_err(|e| runbook_interpreter::api::store_diagnostic(&e))?;
    let matches: Vec<&str> = runs
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| id.ends_with(given))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(
            RunDiagnostic::new("runbook::store::not_found", format!("no run `{given}`"))
                .help("list runs with: runbook runs"),
        ),
        many => Err(RunDiagnostic::new(
            "runbook::store::ambiguous",
            format!("`{given}` matches several runs: {}", many.join(", ")),
        )
        .help("give more of the id")),
    }
}

/// The store and the run named on the command line, or the exit code after
/// the reason was rendered (for the commands that act on one existing run).
pub fn open_run(state: &StateArgs, given: &str) -> Result<(Arc<dyn Store>, String), u8> {
    let fail = |d: RunDiagnostic| {
        super::run_report::render(Box::new(d), &None);
        super::exit::USAGE
    };
    let store = open(state).map_err(fail)?;
    let id = find_run(&*store, given).map_err(fail)?;
    Ok((store, id))
}
