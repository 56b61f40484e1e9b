//! Statement semantics inside a step.

use rhai::Dynamic;
use runbook_dsl::{Block, Else, Expr, Span, Stmt, StmtKind};
use runbook_stdlib::Interrupted;

use super::{Executor, StepFailure};
use crate::comparison::{self, Comparison};
use crate::diagnostic::{self, RunDiagnostic};
use crate::event::EventKind;

/// Longest value shown in messages and the journal.
const SHOWN_VALUE_CHARS: usize = 200;

impl Executor {
    /// Run `block`'s statements. `nested` blocks (if/for/undo bodies) scope
    /// their `let`s; a step's own body does not (its lets are its bindings).
    pub(super) fn run_block(&mut self, block: &Block, nested: bool) -> Result<(), StepFailure> {
        let base = self.scope.len();
        for stmt in &block.stmts {
            self.run_stmt(stmt)?;
        }
        if nested {
            self.scope.rewind(base);
        }
        Ok(())
    }

    fn run_stmt(&mut self, stmt: &Stmt) -> Result<(), StepFailure> {
        self.check_interrupted(stmt.span)?;
        let span = stmt.span;
        match &stmt.kind {
            StmtKind::Let(l) => {
                let v = self.eval(&l.value, span)?;
                self.scope.push_dynamic(l.name.name.clone(), v);
            }
            StmtKind::Run(e) => {
                // The action's value is not needed; its effect is.
                let _ = self.eval(e, span)?;
            }
            StmtKind::Sh(e) => self.sh(e, span)?,
            StmtKind::Assert { cond, message } => self.assert(cond, message.as_ref(), span)?,
            StmtKind::Expect {
                cond,
                within,
                every,
            } => self.poll(
                super::poll::PollKind::Expect,
                cond,
                within.as_ref(),
                every.as_ref(),
                span,
            )?,
            StmtKind::WaitUntil {
                cond,
                within,
                every,
            } => self.poll(
                super::poll::PollKind::WaitUntil,
                cond,
                Some(within),
                every.as_ref(),
                span,
            )?,
            StmtKind::Confirm(e) => self.confirm(e, span)?,
            StmtKind::Note(e) => {
                let raw = self.eval_text(e, span)?;
                let text = self.out.r(&raw);
                self.out.line(&format!("  note: {text}"));
                let step = self.current_step_id();
                self.out.event(EventKind::Note { step, text });
            }
            StmtKind::Undo(body) => self.register_undo(stmt, body)?,
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.eval_bool(cond, span)? {
                    self.run_block(then, true)?;
                } else {
                    match otherwise {
                        Some(Else::Block(b)) => self.run_block(b, true)?,
                        Some(Else::If(s)) => self.run_stmt(s)?,
                        None => {}
                    }
                }
            }
            StmtKind::For { var, iter, body } => {
                for (n, item) in self.iterate(iter, span)?.enumerate() {
                    if n >= crate::engine::limits::MAX_LOOP_ITERATIONS {
                        return Err(StepFailure::Error(
                            RunDiagnostic::new(
                                "runbook::run::limit",
                                format!(
                                    "`for` ran more than {} times",
                                    crate::engine::limits::MAX_LOOP_ITERATIONS
                                ),
                            )
                            .at(iter.span, "over this")
                            .help("loop over fewer items, or split the work into steps"),
                        ));
                    }
                    let base = self.scope.len();
                    self.scope.push_dynamic(var.name.clone(), item);
                    let r = self.run_block(body, true);
                    self.scope.rewind(base);
                    r?;
                    self.check_interrupted(span)?;
                }
            }
        }
        Ok(())
    }

    pub(super) fn current_step_id(&self) -> String {
        self.frame
            .as_ref()
            .map(|f| f.step_id.clone())
            .unwrap_or_default()
    }

    /// Stop between statements on Ctrl-C or when the step's time is up.
    fn check_interrupted(&self, span: Span) -> Result<(), StepFailure> {
        if self.cancel.is_cancelled() {
            return Err(StepFailure::Interrupted);
        }
        match self.ctx.interrupted() {
            Some(Interrupted::Cancelled) => Err(StepFailure::Interrupted),
            Some(Interrupted::Timeout) => Err(self.timeout_failure(span)),
            None => Ok(()),
        }
    }

    pub(super) fn timeout_failure(&self, span: Span) -> StepFailure {
        let (step, t) = self
            .frame
            .as_ref()
            .map(|f| (f.step_id.clone(), f.timeout.clone().unwrap_or_default()))
            .unwrap_or_default();
        StepFailure::Error(
            RunDiagnostic::new(
                "runbook::run::timeout",
                format!("step `{step}` timed out after {t}"),
            )
            .at(span, "running when the timeout elapsed")
            .help("raise the step's `timeout`, or find out why this takes longer than expected"),
        )
    }

    /// Evaluate a Rhai expression in the run's scope.
    pub(super) fn eval(&mut self, e: &Expr, stmt_span: Span) -> Result<Dynamic, StepFailure> {
        let text = runbook_dsl::rhai_source(e);
        let _timed = self.ctx.eval_clock.start();
        match self
            .engine
            .eval_expression_with_scope::<Dynamic>(&mut self.scope, &text)
        {
            Ok(v) => Ok(v),
            Err(err) => Err(self.failure(&err, e, stmt_span)),
        }
    }

    /// Classify an evaluation error: Ctrl-C and timeouts win over whatever
    /// error the interrupted action reported.
    pub(super) fn failure(
        &self,
        err: &rhai::EvalAltResult,
        e: &Expr,
        stmt_span: Span,
    ) -> StepFailure {
        if self.cancel.is_cancelled() {
            return StepFailure::Interrupted;
        }
        match self.ctx.interrupted() {
            Some(Interrupted::Cancelled) => StepFailure::Interrupted,
            Some(Interrupted::Timeout) => self.timeout_failure(stmt_span),
            None => StepFailure::Error(diagnostic::from_rhai(err, e, stmt_span)),
        }
    }

    pub(super) fn eval_bool(&mut self, e: &Expr, stmt_span: Span) -> Result<bool, StepFailure> {
        let v = self.eval(e, stmt_span)?;
        v.as_bool().map_err(|_| {
            StepFailure::Error(
                RunDiagnostic::new(
                    "runbook::run::not_a_bool",
                    format!("`{}` must be true or false", one_line(&e.text)),
                )
                .at(
                    e.span,
                    format!("this is a {} ({})", v.type_name(), show(&v)),
                )
                .help("compare it to something, e.g. `x == 5` or `list.len() > 0`"),
            )
        })
    }

    /// A value as text (strings as they are, anything else as Rhai prints it).
    pub(super) fn eval_text(&mut self, e: &Expr, stmt_span: Span) -> Result<String, StepFailure> {
        Ok(self.eval(e, stmt_span)?.to_string())
    }

    /// Evaluate a condition; for a top-level comparison, its two sides
    /// separately so the observed values can be shown. Returns whether it
    /// holds and what was observed.
    pub(super) fn observe(
        &mut self,
        cond: &Expr,
        cmp: Option<&Comparison>,
        stmt_span: Span,
    ) -> Result<(bool, String), StepFailure> {
        let Some(c) = cmp else {
            let ok = self.eval_bool(cond, stmt_span)?;
            return Ok((ok, format!("{ok}")));
        };
        // `c` indexes the Rhai text; it is the file's text unless multi-line
        // strings were lowered, in which case sides point at the whole condition.
        let text = runbook_dsl::rhai_source(cond);
        let exact = text.as_ref() == cond.text;
        let side = |r: &std::ops::Range<usize>| Expr {
            text: text[r.clone()].to_string(),
            span: if exact {
                Span::new(cond.span.start + r.start, cond.span.start + r.end)
            } else {
                cond.span
            },
        };
        let (left_e, right_e) = (side(&c.left), side(&c.right));
        let left = self.eval(&left_e, stmt_span)?;
        let right = self.eval(&right_e, stmt_span)?;
        let observed = format!("left: {}, right: {}", show(&left), show(&right));
        let base = self.scope.len();
        self.scope.push_dynamic("__runbook_left", left);
        self.scope.push_dynamic("__runbook_right", right);
        let timed = self.ctx.eval_clock.start();
        let r = self.engine.eval_expression_with_scope::<Dynamic>(
            &mut self.scope,
            &format!("__runbook_left {} __runbook_right", c.op),
        );
        drop(timed);
        self.scope.rewind(base);
        let v = r.map_err(|err| {
            StepFailure::Error(
                diagnostic::from_rhai(
                    &err,
                    &Expr {
                        text: String::new(),
                        span: cond.span,
                    },
                    stmt_span,
                )
                .help(format!("could not compare {observed}")),
            )
        })?;
        Ok((v.as_bool().unwrap_or(false), observed))
    }

    /// The top-level comparison of a condition, if it is one.
    pub(super) fn comparison(&self, cond: &Expr) -> Option<Comparison> {
        comparison::split(&self.engine, &runbook_dsl::rhai_source(cond))
    }

    fn assert(
        &mut self,
        cond: &Expr,
        message: Option<&Expr>,
        span: Span,
    ) -> Result<(), StepFailure> {
        let cmp = self.comparison(cond);
        let (ok, observed) = self.observe(cond, cmp.as_ref(), span)?;
        if ok {
            return Ok(());
        }
        let msg = match message {
            Some(m) => self.eval_text(m, span)?,
            None => format!("assertion failed: {}", one_line(&cond.text)),
        };
        let label = if cmp.is_some() {
            observed
        } else {
            "is false".into()
        };
        Err(StepFailure::Error(
            RunDiagnostic::new("runbook::run::assert_failed", msg).at(cond.span, label),
        ))
    }

    /// `sh "cmd"`: run the stdlib `sh` and fail on a non-zero exit.
    fn sh(&mut self, e: &Expr, span: Span) -> Result<(), StepFailure> {
        let cmd = self.eval_text(e, span)?;
        let base = self.scope.len();
        self.scope
            .push_dynamic("__runbook_sh_command", Dynamic::from(cmd));
        let r = self
            .engine
            .eval_expression_with_scope::<Dynamic>(&mut self.scope, "sh(__runbook_sh_command)");
        self.scope.rewind(base);
        // Positions refer to the wrapper call, not the file: point at the command.
        let v = r.map_err(|err| {
            self.failure(
                &err,
                &Expr {
                    text: String::new(),
                    span: e.span,
                },
                span,
            )
        })?;
        let Some(map) = v.read_lock::<rhai::Map>() else {
            return Ok(());
        };
        let code = map.get("code").and_then(|c| c.as_int().ok()).unwrap_or(0);
        if code == 0 {
            return Ok(());
        }
        let stderr = map.get("stderr").map(|s| s.to_string()).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let mut d = RunDiagnostic::new(
            "runbook::run::sh_failed",
            format!("command exited with code {code}"),
        )
        .at(e.span, "this command");
        if !tail.is_empty() {
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            d = d.help(format!("its last error output:\n{}", tail.join("\n")));
        }
        Err(StepFailure::Error(d))
    }

    /// The items of a `for`, lazily (a range is never materialized).
    fn iterate(
        &mut self,
        iter: &Expr,
        span: Span,
    ) -> Result<Box<dyn Iterator<Item = Dynamic>>, StepFailure> {
        let v = self.eval(iter, span)?;
        if v.is_array() {
            return Ok(Box::new(v.into_array().unwrap_or_default().into_iter()));
        }
        if let Some(r) = v.clone().try_cast::<std::ops::Range<rhai::INT>>() {
            return Ok(Box::new(r.map(Dynamic::from_int)));
        }
        if let Some(r) = v.clone().try_cast::<std::ops::RangeInclusive<rhai::INT>>() {
            return Ok(Box::new(r.map(Dynamic::from_int)));
        }
        Err(StepFailure::Error(
            RunDiagnostic::new(
                "runbook::run::not_iterable",
                format!("cannot loop over a {}", v.type_name()),
            )
            .at(iter.span, "this value")
            .help("`for` loops over an array or a range such as 0..3"),
        ))
    }
}

/// A value for messages: strings quoted, long values cut.
pub(super) fn show(v: &Dynamic) -> String {
    let s = if v.is_string() {
        format!("{:?}", v.to_string())
    } else {
        v.to_string()
    };
    if s.chars().count() > SHOWN_VALUE_CHARS {
        let cut: String = s.chars().take(SHOWN_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Expression text on one line, for messages.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
