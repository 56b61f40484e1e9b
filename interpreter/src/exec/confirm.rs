//! `confirm "question"`: a manual gate.
//!
//! Answered, in order, by: an answer recorded earlier in this run (`runbook
//! approve`, or a `--yes`/terminal answer of an earlier attempt), `--yes`, a
//! prompt when standard input is a terminal. With none of these the run
//! pauses: status `waiting`, and the CLI exits 3.

use std::io::{BufRead, IsTerminal, Write};

use runbook_dsl::{Expr, Span};
use runbook_stdlib::Interrupted;

use super::{Executor, StepFailure};
use crate::diagnostic::RunDiagnostic;
use crate::event::EventKind;
use crate::record::{now, Approval};

/// Identifies a confirm within a step: its order of execution in the step
/// and a hash of the question (so a changed question is asked again).
pub fn confirm_key(step: &str, nth: usize, question: &str) -> String {
    let hash = blake3::hash(question.as_bytes()).to_hex();
    format!("{step}:{nth}:{}", &hash[..12])
}

impl Executor {
    pub(super) fn confirm(&mut self, e: &Expr, span: Span) -> Result<(), StepFailure> {
        let question = self.eval_text(e, span)?;
        let shown = self.out.r(&question);
        let step = self.current_step_id();
        let nth = self.frame.as_mut().map_or(0, |f| {
            f.confirms += 1;
            f.confirms - 1
        });
        let key = confirm_key(&step, nth, &question);
        if let Some(a) = self.run.approvals.iter().find(|a| a.key == key) {
            let by = a.by.clone();
            self.out.line(&format!("  confirm: {shown} → yes ({by})"));
            self.out.event(EventKind::ConfirmAnswered {
                step,
                question: shown,
                yes: true,
                by,
            });
            return Ok(());
        }
        if self.opts.dry_run {
            self.out.line(&format!("  dry run: would ask: {shown}"));
            return Ok(());
        }
        self.out.event(EventKind::ConfirmAsked {
            step: step.clone(),
            question: shown.clone(),
        });
        let by = if self.opts.yes {
            self.out.line(&format!("  confirm: {shown} → yes (--yes)"));
            "--yes"
        } else if self.opts.interactive {
            let yes = self.prompt(&shown)?;
            if !yes {
                self.out.event(EventKind::ConfirmAnswered {
                    step,
                    question: shown.clone(),
                    yes: false,
                    by: "terminal".into(),
                });
                return Err(StepFailure::Error(
                    RunDiagnostic::new("runbook::run::declined", format!("declined: {shown}"))
                        .at(span, "answered no here")
                        .help("resume the run to be asked again, or undo it with: runbook rollback RUN"),
                ));
            }
            "terminal"
        } else {
            return Err(StepFailure::Waiting {
                key,
                question: shown,
            });
        };
        self.run.approvals.push(Approval {
            step: step.clone(),
            key,
            by: by.into(),
            at: now(),
        });
        self.out.event(EventKind::ConfirmAnswered {
            step,
            question: shown,
            yes: true,
            by: by.into(),
        });
        Ok(())
    }

    /// Ask on the terminal. The read happens on its own thread so Ctrl-C and
    /// the step's timeout still stop the run while the prompt is open.
    fn prompt(&self, question: &str) -> Result<bool, StepFailure> {
        let mut err = std::io::stderr();
        let _ = write!(err, "? {question} [y/N] ");
        let _ = err.flush();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let stdin = std::io::stdin();
            let ok = stdin.is_terminal() && stdin.lock().read_line(&mut line).is_ok();
            let _ = tx.send(ok.then_some(line));
        });
        match self.ctx.block_on(rx) {
            Ok(Ok(Some(line))) => {
                let a = line.trim().to_ascii_lowercase();
                Ok(a == "y" || a == "yes")
            }
            Ok(_) => Ok(false),
            Err(Interrupted::Cancelled) => Err(StepFailure::Interrupted),
            Err(Interrupted::Timeout) => Err(self.timeout_failure(Span::default())),
        }
    }
}
