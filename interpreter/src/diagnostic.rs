//! Run-time diagnostics: what failed, where in the file, and what to do.
//! The file's source is attached by the CLI (`miette::Report::with_source_code`).

use miette::{Diagnostic, LabeledSpan};
use rhai::EvalAltResult;
use runbook_dsl::{Expr, Span};
use runbook_stdlib::ActionError;

use crate::redact::Redactor;

/// A failure during a run, at a span of the runbook.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDiagnostic {
    /// Stable code, `runbook::run::…` or an action's own code.
    pub code: String,
    pub message: String,
    pub span: Option<Span>,
    /// Text of the label at `span`.
    pub label: String,
    pub help: Option<String>,
}

impl RunDiagnostic {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        RunDiagnostic {
            code: code.to_string(),
            message: message.into(),
            span: None,
            label: String::new(),
            help: None,
        }
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.span = Some(span);
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic with secrets masked.
    pub fn redacted(mut self, r: &Redactor) -> Self {
        self.message = r.redact(&self.message).into_owned();
        self.label = r.redact(&self.label).into_owned();
        self.help = self.help.map(|h| r.redact(&h).into_owned());
        self
    }

    /// One line: `message (label)`, for the journal and the store.
    pub fn one_line(&self) -> String {
        if self.label.is_empty() {
            self.message.clone()
        } else {
            format!("{} ({})", self.message, self.label)
        }
    }
}

impl std::fmt::Display for RunDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunDiagnostic {}

impl Diagnostic for RunDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        let label = (!self.label.is_empty()).then(|| self.label.clone());
        Some(Box::new(std::iter::once(LabeledSpan::new(
            label,
            span.start,
            span.len(),
        ))))
    }
}

/// Turn a Rhai evaluation error of `expr` (part of the statement at
/// `stmt_span`) into a diagnostic. Action errors keep their code and help and
/// point inside the expression when they can (`locate`).
pub fn from_rhai(err: &EvalAltResult, expr: &Expr, stmt_span: Span) -> RunDiagnostic {
    if let Some(action) = ActionError::from_rhai(err) {
        let span = action
            .locate
            .as_ref()
            .and_then(|(needle, offset)| locate(expr, needle, *offset))
            .unwrap_or(expr.span);
        let mut d = RunDiagnostic::new(&action.code, action.message.clone()).at(span, "here");
        d.help = action.help;
        return d;
    }
    let inner = innermost(err);
    let span = Some(runbook_dsl::rhai_span(expr, inner.position()))
        .filter(|s| !s.is_empty())
        .unwrap_or(if expr.span.is_empty() {
            stmt_span
        } else {
            expr.span
        });
    if crate::engine::is_eval_time_exceeded(inner) {
        let limit = crate::engine::limits::EVAL_TIME.as_secs();
        return RunDiagnostic::new(
            "runbook::run::limit::eval_time",
            format!("this expression computed for more than {limit}s"),
        )
        // The whole expression: where in it the clock ran out says little.
        .at(
            if expr.span.is_empty() {
                stmt_span
            } else {
                expr.span
            },
            format!("still evaluating after {limit}s"),
        )
        .help(
            "an expression may compute for 10s (time its actions wait does not count); \
             move heavy work into `sh`, or compute less",
        );
    }
    let (code, help) = match inner {
        EvalAltResult::ErrorVariableNotFound(..) => (
            "runbook::run::unknown_variable",
            Some("define it with `let` (top level or in an earlier step) or declare it as a param"),
        ),
        EvalAltResult::ErrorFunctionNotFound(..) => (
            "runbook::run::unknown_function",
            Some("check the name and the number and types of the arguments"),
        ),
        EvalAltResult::ErrorTooManyOperations(..)
        | EvalAltResult::ErrorDataTooLarge(..)
        | EvalAltResult::ErrorStackOverflow(..)
        | EvalAltResult::ErrorTooManyModules(..) => (
            "runbook::run::limit",
            Some("expressions run with limits (operations, call depth, sizes); simplify this one"),
        ),
        _ => ("runbook::run::eval", None),
    };
    let mut d = RunDiagnostic::new(code, describe(inner)).at(span, "here");
    d.help = help.map(str::to_string);
    d
}

fn innermost(err: &EvalAltResult) -> &EvalAltResult {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => innermost(inner),
        other => other,
    }
}

/// Rhai's message without its trailing `(line x, position y)`: the span says it.
fn describe(err: &EvalAltResult) -> String {
    match err {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        other => {
            let text = other.to_string();
            match text.rfind(" (line ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            }
        }
    }
}

/// The span of the char at `offset` (0-based, chars) after `needle` starts
/// inside `expr`'s text.
fn locate(expr: &Expr, needle: &str, offset: usize) -> Option<Span> {
    let at = expr.text.find(needle)?;
    let rest = &expr.text[at..];
    let (byte, ch) = rest.char_indices().nth(offset)?;
    let start = expr.span.start + at + byte;
    Some(Span::new(start, start + ch.len_utf8()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn an_action_error_points_inside_a_multi_line_string_of_the_expression() {
        // As written in the file: a multi-line SQL string (rhai_source lowers
        // its newlines, the action sees the real text).
        let file = "run db.execute(\"SELECT 1;\n  SELEC 2\")";
        let start = file.find("db.").unwrap();
        let expr = Expr {
            text: file[start..].to_string(),
            span: Span::new(start, file.len()),
        };
        let sql = "SELECT 1;\n  SELEC 2";
        let err = ActionError::new(
            "runbook::run::pg::syntax",
            "syntax error at or near \"SELEC\"",
        )
        .with_help("check the SQL")
        .locate(sql, 12)
        .into_rhai();
        let d = from_rhai(&err, &expr, Span::new(0, file.len()));
        assert_eq!(d.code, "runbook::run::pg::syntax");
        assert_eq!(d.help.as_deref(), Some("check the SQL"));
        let span = d.span.unwrap();
        assert_eq!(&file[span.start..], "SELEC 2\")");
        assert_eq!(span.len(), 1);
    }

    #[test]
    fn an_action_error_whose_text_is_not_in_the_expression_points_at_the_expression() {
        let expr = Expr {
            text: "db.execute(q)".into(),
            span: Span::new(10, 23),
        };
        let err = ActionError::new("c", "m")
            .locate("SELECT nope", 3)
            .into_rhai();
        assert_eq!(
            from_rhai(&err, &expr, Span::new(0, 30)).span,
            Some(expr.span)
        );
    }
}
