//! The lint warnings: each with a stable code, a labelled span and a help
//! line that says how to fix it.

use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

/// A problem that does not stop a runbook from running but that a reviewer
/// would flag. Lint reports them; `--deny-warnings` makes them fail CI.
#[derive(Clone, Debug, Error, Diagnostic, PartialEq, Eq)]
pub enum LintWarning {
    #[error("step `{step}` changes things but registers no undo")]
    #[diagnostic(
        code(runbook::lint::missing_undo),
        severity(Warning),
        help(
            "register the compensation before the effect (`undo app.scale(before)`), or, when nothing \
             can be undone, say why above the step: `# lint:allow(missing_undo) <reason>`"
        )
    )]
    MissingUndo {
        step: String,
        #[label("this step has no `undo`")]
        span: SourceSpan,
        #[label("first effect")]
        effect: SourceSpan,
    },

    #[error("`expect` has no deadline and step `{step}` has no timeout")]
    #[diagnostic(
        code(runbook::lint::unbounded_expect),
        severity(Warning),
        help("add `within 5m` to the `expect`, or a `timeout 10m` to the step, so a stuck condition fails instead of hanging the run")
    )]
    UnboundedExpect {
        step: String,
        #[label("may wait forever")]
        span: SourceSpan,
    },

    #[error("param `{name}` is never used")]
    #[diagnostic(
        code(runbook::lint::unused_param),
        severity(Warning),
        help("use it in an expression or remove it; callers passing `--param {name}=…` expect it to matter")
    )]
    UnusedParam {
        name: String,
        #[label("declared here, used nowhere")]
        span: SourceSpan,
    },

    #[error("param `{name}` is interpolated into a shell command without quoting")]
    #[diagnostic(
        code(runbook::lint::unquoted_interpolation),
        severity(Warning),
        help("quote it with `shell_quote({name})` (in a template: `${{shell_quote({name})}}`) so a value with spaces or `;` cannot change the command")
    )]
    UnquotedInterpolation {
        name: String,
        #[label("the shell sees this value unquoted")]
        span: SourceSpan,
    },

    #[error("the runbook has no `{key}`")]
    #[diagnostic(
        code(runbook::lint::missing_metadata),
        severity(Warning),
        help("{help}")
    )]
    MissingMetadata {
        key: &'static str,
        help: &'static str,
        #[label("add `{key}` here")]
        span: SourceSpan,
    },

    #[error("`lint:allow` without a reason")]
    #[diagnostic(
        code(runbook::lint::allow_without_reason),
        severity(Warning),
        help("say why after the parenthesis, for the reviewer: `# lint:allow(missing_undo) a load test changes nothing`")
    )]
    AllowWithoutReason {
        #[label("why is this warning wrong here?")]
        span: SourceSpan,
    },

    #[error("`lint:allow` names no known lint: `{name}`")]
    #[diagnostic(
        code(runbook::lint::unknown_allow),
        severity(Warning),
        help("known lints: {known}")
    )]
    UnknownAllow {
        name: String,
        known: String,
        #[label("unknown lint")]
        span: SourceSpan,
    },
}

impl LintWarning {
    /// The short name used in `# lint:allow(NAME)` (the code without `runbook::lint::`).
    pub fn name(&self) -> &'static str {
        match self {
            LintWarning::MissingUndo { .. } => "missing_undo",
            LintWarning::UnboundedExpect { .. } => "unbounded_expect",
            LintWarning::UnusedParam { .. } => "unused_param",
            LintWarning::UnquotedInterpolation { .. } => "unquoted_interpolation",
            LintWarning::MissingMetadata { .. } => "missing_metadata",
            LintWarning::AllowWithoutReason { .. } => "allow_without_reason",
            LintWarning::UnknownAllow { .. } => "unknown_allow",
        }
    }

    /// The primary span, for sorting and suppression.
    pub fn span(&self) -> SourceSpan {
        match self {
            LintWarning::MissingUndo { span, .. }
            | LintWarning::UnboundedExpect { span, .. }
            | LintWarning::UnusedParam { span, .. }
            | LintWarning::UnquotedInterpolation { span, .. }
            | LintWarning::MissingMetadata { span, .. }
            | LintWarning::AllowWithoutReason { span }
            | LintWarning::UnknownAllow { span, .. } => *span,
        }
    }
}

/// Every lint name that `# lint:allow(…)` accepts.
pub const LINT_NAMES: &[&str] = &[
    "missing_undo",
    "unbounded_expect",
    "unused_param",
    "unquoted_interpolation",
    "missing_metadata",
];
