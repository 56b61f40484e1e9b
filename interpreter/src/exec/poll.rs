//! `expect … [within D] [every D]` and `wait until … within D [every D]`.

use std::time::{Duration, Instant};

use runbook_dsl::{DurationLit, Expr, Span};
use runbook_stdlib::Interrupted;

use super::stmt::one_line;
use super::{Executor, StepFailure};
use crate::diagnostic::RunDiagnostic;
use crate::event::EventKind;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PollKind {
    Expect,
    WaitUntil,
}

/// Poll interval when `every` is not given: a tenth of the window, between
/// 100ms and 5s; 1s when there is no window.
fn default_every(window: Option<Duration>) -> Duration {
    window.map_or(Duration::from_secs(1), |w| {
        (w / 10).clamp(Duration::from_millis(100), Duration::from_secs(5))
    })
}

impl Executor {
    /// Poll `cond` until it holds or the deadline (the `within` window or the
    /// step's timeout, whichever comes first). Without either, it is checked
    /// once.
    pub(super) fn poll(
        &mut self,
        kind: PollKind,
        cond: &Expr,
        within: Option<&DurationLit>,
        every: Option<&DurationLit>,
        span: Span,
    ) -> Result<(), StepFailure> {
        let window = within.map(DurationLit::as_duration);
        let every = every
            .map(DurationLit::as_duration)
            .unwrap_or_else(|| default_every(window));
        let start = Instant::now();
        let own_deadline = window.map(|w| start + w);
        let step_deadline = self.ctx.deadline();
        let deadline = match (own_deadline, step_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let cut_by_step = step_deadline.is_some_and(|s| own_deadline.is_none_or(|o| s < o));
        let cmp = self.comparison(cond);
        let shown = one_line(&cond.text);
        let step = self.current_step_id();
        let mut polls = 0u32;
        loop {
            polls += 1;
            let (ok, observed) = match self.observe(cond, cmp.as_ref(), span) {
                // The step's deadline passing mid-evaluation is this
                // expectation not being met in time.
                Err(StepFailure::Error(d)) if d.code == "runbook::run::timeout" && cut_by_step => {
                    return Err(self.not_met(
                        kind,
                        cond,
                        within,
                        true,
                        "no value (the step's timeout elapsed)",
                        polls,
                    ));
                }
                // In a dry run the condition may fail only because an earlier
                // effect was not performed: report it and go on.
                Err(StepFailure::Error(d)) if self.opts.dry_run => {
                    let window =
                        within.map_or_else(|| "now".into(), |w| format!("up to {}", w.text));
                    self.out.line(&format!(
                        "  dry run: cannot check yet: {shown} ({}); would wait {window}",
                        d.message
                    ));
                    return Ok(());
                }
                other => other?,
            };
            let observed = self.out.r(&observed);
            self.out.event(EventKind::ExpectPolled {
                step: step.clone(),
                expr: self.out.r(&shown),
                ok,
                observed: observed.clone(),
            });
            if self.opts.verbose {
                self.out
                    .line(&format!("  poll {polls}: {shown} ({observed})"));
            }
            if ok {
                self.out.set_detail("");
                return Ok(());
            }
            if self.opts.dry_run {
                let window = within.map_or_else(|| "now".into(), |w| format!("up to {}", w.text));
                self.out.line(&format!(
                    "  dry run: not true yet: {shown} ({observed}); would wait {window}"
                ));
                return Ok(());
            }
            let waiting = match kind {
                PollKind::Expect => "expecting",
                PollKind::WaitUntil => "waiting until",
            };
            self.out
                .set_detail(&format!("{waiting} {shown} ({observed}) · poll {polls}"));
            let Some(deadline) = deadline else {
                return Err(self.not_met(kind, cond, within, false, &observed, polls));
            };
            let now = Instant::now();
            if now >= deadline {
                return Err(self.not_met(kind, cond, within, cut_by_step, &observed, polls));
            }
            match self
                .ctx
                .block_on(tokio::time::sleep(every.min(deadline - now)))
            {
                Ok(()) => {}
                Err(Interrupted::Cancelled) => return Err(StepFailure::Interrupted),
                Err(Interrupted::Timeout) => {
                    return Err(self.not_met(kind, cond, within, true, &observed, polls));
                }
            }
            if self.cancel.is_cancelled() {
                return Err(StepFailure::Interrupted);
            }
        }
    }

    fn not_met(
        &self,
        kind: PollKind,
        cond: &Expr,
        within: Option<&DurationLit>,
        by_step_timeout: bool,
        observed: &str,
        polls: u32,
    ) -> StepFailure {
        let what = match kind {
            PollKind::Expect => "expectation not met",
            PollKind::WaitUntil => "condition not met",
        };
        let when = if by_step_timeout {
            let t = self
                .frame
                .as_ref()
                .and_then(|f| f.timeout.clone())
                .unwrap_or_default();
            format!(" before the step's timeout ({t})")
        } else if let Some(w) = within {
            format!(" within {}", w.text)
        } else {
            String::new()
        };
        let code = match kind {
            PollKind::Expect => "runbook::run::expect_failed",
            PollKind::WaitUntil => "runbook::run::wait_timeout",
        };
        let help = if within.is_none() && !by_step_timeout {
            "checked once; add `within D` to poll until it holds".to_string()
        } else {
            format!(
                "last observed after {polls} poll(s); give it longer if the system is just slow"
            )
        };
        let label = if observed == "false" {
            "still false".to_string()
        } else {
            observed.to_string()
        };
        StepFailure::Error(
            RunDiagnostic::new(code, format!("{what}{when}: {}", one_line(&cond.text)))
                .at(cond.span, label)
                .help(help),
        )
    }
}
