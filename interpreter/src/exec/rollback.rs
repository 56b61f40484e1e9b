//! `runbook rollback RUN`: registered undos in reverse registration order,
//! each checkpointed, then the `rollback` block's steps. Killed halfway, it
//! continues where it stopped when run again.

use std::time::Instant;

use runbook_dsl::{Step, UndoBody};

use super::undo::find_undo;
use super::{Executor, Flow, Outcome, Phase, StepFailure};
use crate::bindings;
use crate::diagnostic::RunDiagnostic;
use crate::event::EventKind;
use crate::output::human;
use crate::record::{now, RollbackState, RunStatus, Waiting};
use crate::store::StoreError;

impl Executor {
    /// Run the rollback. The scope must already be restored
    /// ([`Executor::restore_scope`]).
    pub fn run_rollback(&mut self) -> Result<Outcome, StoreError> {
        if self.run.rollback.is_none() {
            self.run.rollback = Some(RollbackState {
                started: now(),
                finished: None,
            });
            self.out.event(EventKind::RollbackStarted);
        }
        let mut pending: Vec<(u64, String, usize)> = self
            .records
            .values()
            .flat_map(|r| {
                r.undos
                    .iter()
                    .filter(|u| !u.done)
                    .map(move |u| (u.seq, r.id.clone(), u.ordinal))
            })
            .collect();
        pending.sort_by_key(|p| std::cmp::Reverse(p.0));
        let total = pending.len();
        if total == 0 {
            self.out.line("no undos to run");
        }
        let rb = self.runbook.clone();
        for (i, (seq, step_id, ordinal)) in pending.into_iter().enumerate() {
            let step = rb.steps().find(|s| s.id.name == step_id);
            let body = step.and_then(|s| find_undo(s, ordinal));
            let (Some(step), Some(body)) = (step, body) else {
                let d = RunDiagnostic::new(
                    "runbook::rollback::undo_missing",
                    format!("the undo #{ordinal} of step `{step_id}` is no longer in the file"),
                )
                .help("restore the step in the file (the run recorded its undos by position in the step)");
                return self.rollback_failed(&step_id, "", d);
            };
            if let Flow::Stop(o) = self.run_undo(step, body, seq, i + 1, total)? {
                return Ok(o);
            }
        }
        if let Some(rollback) = &rb.rollback {
            for s in &rollback.steps {
                if let Flow::Stop(o) = self.step(s, Phase::Rollback, None)? {
                    return Ok(o);
                }
            }
        }
        self.run.status = RunStatus::RolledBack;
        self.run.waiting = None;
        self.run.error = None;
        if let Some(r) = self.run.rollback.as_mut() {
            r.finished = Some(now());
        }
        self.out.event(EventKind::RunRolledBack);
        self.settle()?;
        Ok(Outcome::RolledBack)
    }

    fn run_undo(
        &mut self,
        step: &Step,
        body: &UndoBody,
        seq: u64,
        n: usize,
        total: usize,
    ) -> Result<Flow, StoreError> {
        let step_id = step.id.name.clone();
        let Some(undo) = self
            .records
            .get(&step_id)
            .and_then(|r| r.undos.iter().find(|u| u.seq == seq))
            .cloned()
        else {
            return Ok(Flow::Continue);
        };
        let text = undo.text.clone();
        self.out
            .line(&format!("[undo {n}/{total}] {step_id}: {text}"));
        self.out.event(EventKind::UndoStarted {
            step: step_id.clone(),
            text: text.clone(),
        });
        let base = self.scope.len();
        for (name, value) in &undo.captures {
            self.scope
                .push_dynamic(name.clone(), bindings::from_json(value));
        }
        let deadline = step
            .timeout
            .as_ref()
            .map(|t| Instant::now() + t.as_duration());
        self.ctx.enter_step(self.cancel.child_token(), deadline);
        let mut frame = self.frame_for(step, Phase::Rollback, base);
        frame.step_id = format!("undo:{step_id}");
        self.frame = Some(frame);
        self.out.set_step(Some((
            &step_id,
            format!("[undo {n}/{total}] {step_id}: {text}"),
        )));
        let started = Instant::now();
        let result = match body {
            UndoBody::Expr(e) => self.eval(e, e.span).map(drop),
            UndoBody::Block(b) => self.run_block(b, true),
        };
        self.out.set_step(None);
        self.scope.rewind(base);
        match result {
            Ok(()) => {
                if let Some(mut rec) = self.records.get(&step_id).cloned() {
                    if let Some(u) = rec.undos.iter_mut().find(|u| u.seq == seq) {
                        u.done = true;
                    }
                    self.stage_step(rec)?;
                }
                self.run
                    .approvals
                    .retain(|a| a.step != format!("undo:{step_id}"));
                // Each undo is its own checkpoint.
                self.commit()?;
                self.out.event(EventKind::UndoDone {
                    step: step_id.clone(),
                    text,
                });
                self.out.line(&format!(
                    "[undo {n}/{total}] ok ({})",
                    human(started.elapsed())
                ));
                Ok(Flow::Continue)
            }
            Err(StepFailure::Error(d)) => Ok(Flow::Stop(self.rollback_failed(&step_id, &text, d)?)),
            Err(StepFailure::Interrupted) => {
                self.run.status = RunStatus::Failed;
                self.run.error = Some(format!("rollback interrupted at an undo of `{step_id}`"));
                self.out.event(EventKind::RunInterrupted {
                    step: Some(step_id.clone()),
                });
                self.settle()?;
                Ok(Flow::Stop(Outcome::Interrupted {
                    step: Some(step_id),
                }))
            }
            Err(StepFailure::Waiting { key, question }) => {
                self.run.status = RunStatus::Waiting;
                self.run.waiting = Some(Waiting {
                    step: format!("undo:{step_id}"),
                    key,
                    question: question.clone(),
                    approved: false,
                });
                self.out.event(EventKind::RunWaiting {
                    step: format!("undo:{step_id}"),
                    question: question.clone(),
                });
                self.settle()?;
                Ok(Flow::Stop(Outcome::Waiting {
                    step: format!("undo:{step_id}"),
                    question,
                }))
            }
        }
    }

    fn rollback_failed(
        &mut self,
        step_id: &str,
        text: &str,
        d: RunDiagnostic,
    ) -> Result<Outcome, StoreError> {
        let d = d.redacted(self.out.redactor());
        self.run.status = RunStatus::Failed;
        self.run.error = Some(format!("undo of `{step_id}` failed: {}", d.one_line()));
        self.out.event(EventKind::UndoFailed {
            step: step_id.to_string(),
            text: text.to_string(),
            error: d.one_line(),
        });
        self.out
            .line(&format!("[undo] FAILED {step_id}: {}", d.message));
        self.settle()?;
        Ok(Outcome::Failed {
            step: Some(step_id.to_string()),
            diagnostic: d,
        })
    }
}
