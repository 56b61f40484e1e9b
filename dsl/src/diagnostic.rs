//! Diagnostics of the parse phase: one variant per kind of syntax error, each
//! with a stable `runbook::parse::…` code, a label on the exact span and a
//! help line. Messages use the language's words, never grammar rule names.
//! The source text is attached by the caller (`miette::Report::with_source_code`).

use crate::ast::Span;

/// A syntax error in a `.runbook` file. [`ParseError::span`] is the primary span.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum ParseError {
    /// Something other than a top-level item where one must start.
    #[error("expected a step, a section or a param, found {found}")]
    #[diagnostic(
        code(runbook::parse::expected_item),
        help("top-level lines start with `param`, `let`, `section`, `step`, `rollback` or the `runbook \"title\" {{ … }}` block")
    )]
    ExpectedItem {
        found: String,
        #[label("not a step, a section or a param")]
        span: Span,
    },

    /// Something other than a statement inside a step body.
    #[error("expected a statement or `}}`, found {found}")]
    #[diagnostic(
        code(runbook::parse::expected_statement),
        help("statements are `run`, `sh`, `let`, `assert`, `expect`, `wait until`, `confirm`, `note`, `undo`, `if` and `for`; to call a function write `run f(…)`")
    )]
    ExpectedStatement {
        found: String,
        #[label("not a statement")]
        span: Span,
    },

    /// Something other than a step inside a section or the rollback block.
    #[error("expected a step or `}}`, found {found}")]
    #[diagnostic(
        code(runbook::parse::expected_step),
        help("sections and the rollback block hold only steps: `step id \"title\" {{ … }}`")
    )]
    ExpectedStep {
        found: String,
        #[label("not a step")]
        span: Span,
    },

    /// A duration was required (`timeout`, `within`, `every`, `backoff`).
    #[error("expected a duration like 30s, 5m or 1h30m, found {found}")]
    #[diagnostic(
        code(runbook::parse::expected_duration),
        help("write a number followed by a unit: ms, s, m, h or d; units can be combined, largest first, as in 1h30m")
    )]
    ExpectedDuration {
        found: String,
        #[label("not a duration")]
        span: Span,
    },

    /// A keyword that takes an expression has none on its line.
    #[error("expected an expression after `{after}`, found {found}")]
    #[diagnostic(
        code(runbook::parse::expected_expression),
        help("the expression starts on the same line as `{after}`; it may continue over several lines while a bracket, string or template is open")
    )]
    ExpectedExpression {
        after: String,
        found: String,
        #[label("expression missing here")]
        span: Span,
    },

    /// Any other unexpected token; `expected` lists what would fit, in words.
    #[error("expected {expected}, found {found}")]
    #[diagnostic(
        code(runbook::parse::syntax),
        help("see the language reference in DESIGN.md; the token marked here does not fit at this place")
    )]
    Unexpected {
        expected: String,
        found: String,
        #[label("unexpected {found}")]
        span: Span,
    },

    /// A `(`, `[`, `{`, `#{` or `${` that is never closed.
    #[error("this `{open}` is never closed")]
    #[diagnostic(
        code(runbook::parse::unclosed_delimiter),
        help("add the matching `{close}`; everything after the opening bracket was read as part of it")
    )]
    UnclosedDelimiter {
        open: String,
        close: char,
        #[label("opened here")]
        span: Span,
    },

    /// A closing bracket that closes a different kind of bracket.
    #[error("`{close}` does not match the `{open}` it closes")]
    #[diagnostic(
        code(runbook::parse::mismatched_delimiter),
        help("close `{open}` with `{expected}` before this `{close}`")
    )]
    MismatchedDelimiter {
        open: String,
        close: char,
        expected: char,
        #[label("this `{open}`")]
        open_span: Span,
        #[label(primary, "closed by `{close}`")]
        span: Span,
    },

    /// A closing bracket with nothing open.
    #[error("unexpected `{close}`: nothing is open here")]
    #[diagnostic(
        code(runbook::parse::unexpected_delimiter),
        help("remove it, or add the opening bracket it was meant to close")
    )]
    UnexpectedDelimiter {
        close: char,
        #[label("nothing to close")]
        span: Span,
    },

    /// A `"…"` string without its closing quote on the same line, or a
    /// backtick template never closed.
    #[error("unterminated {what}")]
    #[diagnostic(
        code(runbook::parse::unterminated_string),
        help("close it with {close}; a \"…\" string ends on its line unless it is inside brackets, a `…` template may span lines")
    )]
    UnterminatedString {
        what: &'static str,
        close: &'static str,
        #[label("starts here")]
        span: Span,
    },

    /// Brackets and blocks nested deeper than the parser allows.
    #[error("nesting is deeper than {max} levels")]
    #[diagnostic(
        code(runbook::parse::too_deep),
        help("split the logic into several steps or `let` bindings")
    )]
    NestingTooDeep {
        max: usize,
        #[label("too deep")]
        span: Span,
    },

    /// `param name: type` with a type that does not exist.
    #[error("unknown param type `{found}`")]
    #[diagnostic(
        code(runbook::parse::unknown_param_type),
        help("param types are string, int, float, bool, duration, secret, list and map")
    )]
    UnknownParamType {
        found: String,
        #[label("not a param type")]
        span: Span,
    },

    /// A `#` comment inside an expression's brackets, where Rhai would see it.
    #[error("`#` comments cannot appear inside an expression")]
    #[diagnostic(
        code(runbook::parse::comment_in_expression),
        help("use a Rhai `//` comment inside brackets, or move the comment to its own line before the statement")
    )]
    CommentInExpression {
        #[label("inside an open bracket")]
        span: Span,
    },

    /// The same option twice (`timeout` on a step, `within` on an expect…).
    #[error("`{option}` is given twice")]
    #[diagnostic(code(runbook::parse::duplicate_option), help("keep one `{option}`"))]
    DuplicateOption {
        option: &'static str,
        #[label("first here")]
        first: Span,
        #[label(primary, "again here")]
        span: Span,
    },

    /// `wait until` without `within`.
    #[error("`wait until` needs a deadline")]
    #[diagnostic(
        code(runbook::parse::missing_deadline),
        help("add `within` and a duration, as in `wait until ready within 5m`")
    )]
    MissingDeadline {
        #[label("no `within`")]
        span: Span,
    },

    /// The `runbook "title" { … }` block is not first, or appears twice.
    #[error("the `runbook` block must come first, once")]
    #[diagnostic(
        code(runbook::parse::misplaced_metadata),
        help("move the `runbook \"title\" {{ … }}` block to the top of the file and keep a single one")
    )]
    MisplacedMetadata {
        #[label("here")]
        span: Span,
    },

    /// Something after the `rollback` block, or a second one.
    #[error("the `rollback` block must be the last thing in the file, once")]
    #[diagnostic(
        code(runbook::parse::misplaced_rollback),
        help("move this above the `rollback` block, or merge the rollback steps into one block")
    )]
    MisplacedRollback {
        #[label("after the rollback block")]
        span: Span,
        #[label("rollback block")]
        rollback: Span,
    },

    /// `retry N` with N out of range.
    #[error("retry count `{found}` is too large")]
    #[diagnostic(code(runbook::parse::retry_count), help("use at most {max} retries"))]
    RetryCount {
        found: String,
        max: u32,
        #[label("too large")]
        span: Span,
    },

    /// A `\x` escape in a DSL string (titles, metadata) that means nothing.
    #[error("unknown escape `{found}` in a string")]
    #[diagnostic(
        code(runbook::parse::bad_escape),
        help("known escapes are \\\" \\\\ \\n \\t and \\r")
    )]
    BadEscape {
        found: String,
        #[label("unknown escape")]
        span: Span,
    },
}

impl ParseError {
    /// The primary span: where the error is, in bytes of the source.
    pub fn span(&self) -> Span {
        match self {
            ParseError::ExpectedItem { span, .. }
            | ParseError::ExpectedStatement { span, .. }
            | ParseError::ExpectedStep { span, .. }
            | ParseError::ExpectedDuration { span, .. }
            | ParseError::ExpectedExpression { span, .. }
            | ParseError::Unexpected { span, .. }
            | ParseError::UnclosedDelimiter { span, .. }
            | ParseError::MismatchedDelimiter { span, .. }
            | ParseError::UnexpectedDelimiter { span, .. }
            | ParseError::UnterminatedString { span, .. }
            | ParseError::NestingTooDeep { span, .. }
            | ParseError::UnknownParamType { span, .. }
            | ParseError::CommentInExpression { span }
            | ParseError::DuplicateOption { span, .. }
            | ParseError::MissingDeadline { span }
            | ParseError::MisplacedMetadata { span }
            | ParseError::MisplacedRollback { span, .. }
            | ParseError::RetryCount { span, .. }
            | ParseError::BadEscape { span, .. } => *span,
        }
    }

    /// The stable code, as in `runbook::parse::expected_item`.
    pub fn code_str(&self) -> String {
        miette::Diagnostic::code(self)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }
}
