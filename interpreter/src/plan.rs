//! Before a resume or rollback touches anything: has the file changed under
//! steps that already ran, and what about `once` steps whose effects are
//! unknown?

use fxhash::FxHashMap;

use miette::Diagnostic;
use runbook_dsl::{Runbook, Span};

use crate::event::EventKind;
use crate::record::{RunRecord, StepRecord, StepStatus};

/// Why a resume (or rollback) is refused.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum PlanError {
    #[error("step `{step}` changed in the file since it succeeded")]
    #[diagnostic(
        code(runbook::resume::changed_step),
        help("its recorded result may no longer match the file: check the change, then pass --accept-changes (or start a new run)")
    )]
    Changed {
        step: String,
        #[label("this step is not what ran")]
        span: Span,
    },
    #[error("step `{step}` succeeded in this run but is no longer in the file")]
    #[diagnostic(
        code(runbook::resume::removed_step),
        help("put it back, or resume with --accept-changes to go on without it")
    )]
    Removed { step: String },
    #[error("step `{step}` is marked `once` and was interrupted: its effects are unknown")]
    #[diagnostic(
        code(runbook::resume::once_interrupted),
        help("check what it did, then resume with --rerun {step} to run it again, or --skip {step} to treat it as done")
    )]
    OnceInterrupted {
        step: String,
        #[label("interrupted while running")]
        span: Span,
    },
    #[error("--{flag} {step}: {reason}")]
    #[diagnostic(
        code(runbook::resume::bad_override),
        help("--rerun/--skip are for interrupted `once` steps")
    )]
    BadOverride {
        flag: &'static str,
        step: String,
        reason: String,
    },
}

/// Operator decisions given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub rerun: Vec<String>,
    pub skip: Vec<String>,
    pub accept_changes: bool,
}

/// Whether a step's effects are unknown: it was running when the process
/// died, or was stopped by Ctrl-C — not a run paused at its `confirm`.
fn interrupted(rec: &StepRecord, run: &RunRecord) -> bool {
    let paused_here = run.waiting.as_ref().is_some_and(|w| w.step == rec.id);
    (rec.status == StepStatus::Running && !paused_here)
        || (rec.status == StepStatus::Failed && rec.interrupted)
}

/// What [`plan`] decided.
#[derive(Debug, Default)]
pub struct Decisions {
    /// Journal events describing the decisions.
    pub events: Vec<EventKind>,
    /// Positions in the records of those the decisions changed: only these
    /// need writing back (resume after thousands of steps must not compare
    /// or copy every record to find them).
    pub changed: Vec<usize>,
}

/// Check `records` against the current file (`same_file`: its hash is the
/// run's), apply overrides to them, and return the decisions (journal events
/// and the records they changed). `check_once` is false
/// for rollback (it does not re-run steps).
pub fn plan(
    runbook: &Runbook,
    same_file: bool,
    run: &RunRecord,
    records: &mut [StepRecord],
    ov: &Overrides,
    check_once: bool,
) -> Result<Decisions, Vec<PlanError>> {
    let steps: FxHashMap<&str, &runbook_dsl::Step> =
        runbook.steps().map(|s| (s.id.name.as_str(), s)).collect();
    let mut errors = Vec::new();
    let mut events = Vec::new();
    let mut changed = Vec::new();
    for (flag, list) in [("rerun", &ov.rerun), ("skip", &ov.skip)] {
        for name in list.iter() {
            let rec = records.iter().find(|r| !r.rollback && r.id == *name);
            let reason = match (steps.get(name.as_str()), rec) {
                (None, _) => Some("no such step in the file".to_string()),
                (Some(_), Some(r)) if r.once && interrupted(r, run) => None,
                (Some(_), Some(r)) => Some(format!(
                    "it is {}, not an interrupted `once` step",
                    r.status
                )),
                (Some(_), None) => Some("it has not run yet".to_string()),
            };
            if let Some(reason) = reason {
                errors.push(PlanError::BadOverride {
                    flag,
                    step: name.clone(),
                    reason,
                });
            }
        }
    }
    for (at, rec) in records.iter_mut().enumerate().filter(|(_, r)| !r.rollback) {
        let Some(step) = steps.get(rec.id.as_str()) else {
            if rec.status == StepStatus::Succeeded && !ov.accept_changes {
                errors.push(PlanError::Removed {
                    step: rec.id.clone(),
                });
            }
            continue;
        };
        let has_pending_undos = rec.undos.iter().any(|u| !u.done);
        // The same file (same hash) cannot have changed steps.
        if !same_file && (rec.status == StepStatus::Succeeded || (!check_once && has_pending_undos))
        {
            let now = runbook_dsl::step_fingerprint(step);
            if now != rec.fingerprint {
                if ov.accept_changes {
                    rec.fingerprint = now;
                    changed.push(at);
                    events.push(EventKind::StepOverride {
                        step: rec.id.clone(),
                        action: "accepted changes".into(),
                    });
                } else {
                    errors.push(PlanError::Changed {
                        step: rec.id.clone(),
                        span: Span::new(step.span.start, step.id.span.end),
                    });
                }
            }
        }
        if check_once && step.once.is_some() && interrupted(rec, run) {
            if ov.rerun.contains(&rec.id) {
                rec.status = StepStatus::Pending;
                rec.interrupted = false;
                changed.push(at);
                events.push(EventKind::StepOverride {
                    step: rec.id.clone(),
                    action: "rerun".into(),
                });
            } else if ov.skip.contains(&rec.id) {
                rec.status = StepStatus::Skipped;
                rec.interrupted = false;
                changed.push(at);
                events.push(EventKind::StepOverride {
                    step: rec.id.clone(),
                    action: "skip".into(),
                });
            } else {
                errors.push(PlanError::OnceInterrupted {
                    step: rec.id.clone(),
                    span: Span::new(step.span.start, step.id.span.end),
                });
            }
        }
    }
    if errors.is_empty() {
        changed.dedup();
        Ok(Decisions { events, changed })
    } else {
        Err(errors)
    }
}
