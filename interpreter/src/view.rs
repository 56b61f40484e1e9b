//! What `status` shows: the published summary plus each step's state folded
//! from the journal. Reads without locking, so it works while a run is in
//! progress.

use serde::Serialize;

use crate::event::EventKind;
use crate::record::{RunStatus, StepStatus, Waiting};
use crate::store::{Holder, Store, StoreError};

/// One step as readers see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    pub id: String,
    pub title: String,
    pub status: StepStatus,
    pub attempts: u32,
    pub millis: Option<u64>,
    pub error: Option<String>,
    /// A step of the `rollback` block.
    pub rollback: bool,
}

/// A run as readers see it (`status --json` prints it).
#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    pub id: String,
    pub title: String,
    pub runbook_path: String,
    pub status: RunStatus,
    pub created: String,
    pub updated: String,
    pub waiting: Option<Waiting>,
    pub error: Option<String>,
    pub rolling_back: bool,
    /// `status`, except that `running` whose runner is gone is `interrupted`.
    pub state: String,
    pub holder: Option<Holder>,
    pub steps: Vec<StepView>,
    pub undos_done: usize,
}

/// Build the view of run `id`.
pub fn view(store: &dyn Store, id: &str) -> Result<RunView, StoreError> {
    let summary = store.summary(id)?;
    let journal = store.journal(id)?;
    let holder = store.holder(id)?;
    let mut steps: Vec<StepView> = summary
        .steps
        .iter()
        .map(|(id, title)| StepView {
            id: id.clone(),
            title: title.clone(),
            status: StepStatus::Pending,
            attempts: 0,
            millis: None,
            error: None,
            rollback: false,
        })
        .collect();
    let mut undos_done = 0;
    let mut in_rollback = false;
    for e in journal {
        let find =
            |steps: &mut Vec<StepView>, id: &str, title: Option<&str>, rollback: bool| -> usize {
                if let Some(i) = steps
                    .iter()
                    .position(|s| s.id == id && s.rollback == rollback)
                {
                    return i;
                }
                steps.push(StepView {
                    id: id.to_string(),
                    title: title.unwrap_or_default().to_string(),
                    status: StepStatus::Pending,
                    attempts: 0,
                    millis: None,
                    error: None,
                    rollback,
                });
                steps.len() - 1
            };
        match e.kind {
            EventKind::RollbackStarted => in_rollback = true,
            EventKind::StepStarted {
                step,
                title,
                attempt,
                ..
            } => {
                let i = find(&mut steps, &step, Some(&title), in_rollback);
                steps[i].status = StepStatus::Running;
                steps[i].attempts = attempt;
                steps[i].error = None;
            }
            EventKind::StepSucceeded { step, millis } => {
                let i = find(&mut steps, &step, None, in_rollback);
                steps[i].status = StepStatus::Succeeded;
                steps[i].millis = Some(millis);
            }
            EventKind::StepFailed { step, error, .. } => {
                let i = find(&mut steps, &step, None, in_rollback);
                steps[i].status = StepStatus::Failed;
                steps[i].error = Some(error);
            }
            EventKind::StepSkipped { step, .. } => {
                let i = find(&mut steps, &step, None, in_rollback);
                steps[i].status = StepStatus::Skipped;
            }
            EventKind::StepOverride { step, action } => {
                let i = find(&mut steps, &step, None, false);
                match action.as_str() {
                    "rerun" => steps[i].status = StepStatus::Pending,
                    "skip" => steps[i].status = StepStatus::Skipped,
                    _ => {}
                }
            }
            EventKind::UndoDone { .. } => undos_done += 1,
            _ => {}
        }
    }
    let alive = holder.as_ref().and_then(|h| h.alive);
    // Only a live runner holds a run; the file keeps the last one's name.
    let holder = holder.filter(|h| h.alive != Some(false) && summary.status == RunStatus::Running);
    let state = match summary.status {
        RunStatus::Running if alive == Some(false) => "interrupted".to_string(),
        s => s.name().to_string(),
    };
    Ok(RunView {
        id: summary.id,
        title: summary.title,
        runbook_path: summary.runbook_path,
        status: summary.status,
        created: summary.created,
        updated: summary.updated,
        waiting: summary.waiting,
        error: summary.error,
        rolling_back: summary.rolling_back,
        state,
        holder,
        steps,
        undos_done,
    })
}
