//! `runbook status [RUN]` and `runbook runs`: read without locking, so they
//! work while a run is in progress.

use runbook_interpreter::event::EventKind;
use runbook_interpreter::record::{RunStatus, StepStatus};
use runbook_interpreter::store::RunSummary;
use runbook_interpreter::view::{self, RunView};
use runbook_interpreter::Store;

use super::run_report::render;
use super::{exit, run_state};
use crate::cli::{RunsArgs, StatusArgs};

pub fn status(a: StatusArgs) -> u8 {
    let store = match run_state::open(&a.state) {
        Ok(s) => s,
        Err(d) => {
            render(Box::new(d), &None);
            return exit::USAGE;
        }
    };
    let id = match &a.run {
        Some(given) => match run_state::find_run(&*store, given) {
            Ok(id) => id,
            Err(d) => {
                render(Box::new(d), &None);
                return exit::USAGE;
            }
        },
        None => match store.list() {
            Ok(runs) => match runs.first() {
                Some(r) => r.id.clone(),
                None => {
                    println!("no runs yet");
                    return exit::OK;
                }
            },
            Err(e) => return store_error(&e),
        },
    };
    let v = match view::view(&*store, &id) {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    if a.json {
        match serde_json::to_string_pretty(&v) {
            Ok(s) => super::stdout::print(&format!("{s}\n")),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::FAILED;
            }
        }
    } else {
        super::stdout::print(&human(&v));
    }
    exit::OK
}

/// A run or store that cannot be read (corrupt, newer format, missing) is a
/// state error: exit 2, as `resume` and `rollback` refuse it.
fn store_error(e: &runbook_interpreter::StoreError) -> u8 {
    render(
        Box::new(runbook_interpreter::api::store_diagnostic(e)),
        &None,
    );
    exit::USAGE
}

fn human(v: &RunView) -> String {
    let s = v;
    let mut out = format!("run {}: {}\n  runbook: {}\n", s.id, s.title, s.runbook_path);
    let mut state = v.state.clone();
    if s.status == RunStatus::Running {
        if let Some(h) = &v.holder {
            if h.alive != Some(false) {
                state = format!("{state} (pid {} on {} since {})", h.pid, h.host, h.since);
            }
        }
    }
    if s.rolling_back && s.status != RunStatus::RolledBack {
        state.push_str(", rolling back");
    }
    out.push_str(&format!(
        "  status:  {state}\n  started: {}\n  updated: {}\n",
        s.created, s.updated
    ));
    if let Some(w) = &s.waiting {
        if w.approved {
            out.push_str(&format!(
                "  approved: {} (continue with: runbook resume {})\n",
                w.question, s.id
            ));
        } else {
            out.push_str(&format!(
                "  waiting: {} (approve with: runbook approve {})\n",
                w.question, s.id
            ));
        }
    }
    if let Some(e) = &s.error {
        out.push_str(&format!("  error:   {e}\n"));
    }
    if v.state == "interrupted" {
        out.push_str(&format!(
            "  the runner is gone; resume with: runbook resume {}\n",
            s.id
        ));
    }
    let width = v.steps.iter().map(|st| st.id.len()).max().unwrap_or(0);
    out.push_str("steps:\n");
    for st in &v.steps {
        let mark = match st.status {
            StepStatus::Succeeded => "ok",
            StepStatus::Failed => "FAILED",
            StepStatus::Running => "running",
            StepStatus::Skipped => "skipped",
            StepStatus::Pending => "pending",
        };
        let prefix = if st.rollback { "rollback " } else { "" };
        let mut line = format!("  {mark:<8} {prefix}{:<width$}  {}", st.id, st.title);
        if let Some(ms) = st.millis {
            line.push_str(&format!("  ({ms}ms)"));
        }
        if st.attempts > 1 {
            line.push_str(&format!("  attempts: {}", st.attempts));
        }
        if let Some(e) = &st.error {
            line.push_str(&format!("\n           {e}"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if v.undos_done > 0 {
        out.push_str(&format!("undos run: {}\n", v.undos_done));
    }
    out
}

pub fn runs(a: RunsArgs) -> u8 {
    let store = match run_state::open(&a.state) {
        Ok(s) => s,
        Err(d) => {
            render(Box::new(d), &None);
            return exit::USAGE;
        }
    };
    if let Some(wanted) = &a.status {
        if !STATUSES.contains(&wanted.as_str()) {
            render(
                Box::new(
                    runbook_interpreter::RunDiagnostic::new(
                        "runbook::runs::bad_status",
                        format!("`{wanted}` is not a run status"),
                    )
                    .help(format!("use one of: {}", STATUSES.join(", "))),
                ),
                &None,
            );
            return exit::USAGE;
        }
    }
    let runs = match store.list() {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    let mut runs: Vec<RunSummary> = runs
        .into_iter()
        .filter(|r| a.status.as_ref().is_none_or(|s| r.status.name() == s))
        .filter(|r| {
            a.runbook
                .as_ref()
                .is_none_or(|f| r.runbook_path.contains(f.as_str()) || r.title.contains(f.as_str()))
        })
        .collect();
    for r in &mut runs {
        r.current_step = current_step(&*store, r);
    }
    if a.json {
        match serde_json::to_string_pretty(&runs) {
            Ok(s) => super::stdout::print(&format!("{s}\n")),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::FAILED;
            }
        }
        return exit::OK;
    }
    if runs.is_empty() {
        println!("no runs");
    }
    super::stdout::print(&table(&runs));
    exit::OK
}

/// Every run status, as `--status` takes them.
const STATUSES: [&str; 5] = ["running", "waiting", "failed", "succeeded", "rolled-back"];

/// The step a run is at: the store's when it keeps one, else (state
/// directories) the waiting step or the last step started, from the
/// journal. A run that is over is at no step.
fn current_step(store: &dyn Store, r: &RunSummary) -> Option<String> {
    if matches!(r.status, RunStatus::Succeeded | RunStatus::RolledBack) {
        return None;
    }
    if let Some(step) = &r.current_step {
        return Some(step.clone());
    }
    if let Some(w) = &r.waiting {
        return Some(w.step.clone());
    }
    let journal = store.journal(&r.id).ok()?;
    journal.iter().rev().find_map(|e| match &e.kind {
        EventKind::StepStarted { step, .. } | EventKind::StepFailed { step, .. } => {
            Some(step.clone())
        }
        _ => None,
    })
}

/// One line per run, columns aligned.
fn table(runs: &[RunSummary]) -> String {
    let rows: Vec<[String; 6]> = runs
        .iter()
        .map(|r| {
            let who = match (&r.started_by, &r.host) {
                (Some(u), Some(h)) => format!("{u}@{h}"),
                (Some(u), None) => u.clone(),
                (None, Some(h)) => format!("@{h}"),
                (None, None) => "-".into(),
            };
            [
                r.id.clone(),
                r.status.name().to_string(),
                r.current_step.clone().unwrap_or_else(|| "-".into()),
                r.created.clone(),
                who,
                r.title.clone(),
            ]
        })
        .collect();
    let mut widths = [0usize; 6];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
