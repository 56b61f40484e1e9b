//! Diagnostics of the check pass: a parsed runbook that the interpreter
//! would refuse. Stable `runbook::check::…` codes, labelled spans, help.

use crate::ast::Span;

/// A problem found by [`crate::check`]. [`CheckError::span`] is the primary span.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum CheckError {
    /// Rhai could not compile an expression.
    #[error("invalid expression: {message}")]
    #[diagnostic(
        code(runbook::check::rhai_syntax),
        help("expressions are Rhai; fix the expression at the marked place")
    )]
    RhaiSyntax {
        message: String,
        #[label("here")]
        span: Span,
    },

    /// A name that is neither a param nor a binding visible here.
    #[error("unknown variable `{name}`")]
    #[diagnostic(
        code(runbook::check::unknown_variable),
        help("declare it with `param {name}: …` or `let {name} = …` before this point; a step's `let` is visible in later steps only")
    )]
    UnknownVariable {
        name: String,
        #[label("not defined here")]
        span: Span,
    },

    /// A binding name Rhai reserves (`use`, `fn`, `import`…): it could
    /// never be referenced.
    #[error("`{name}` is reserved by Rhai and cannot name a binding")]
    #[diagnostic(
        code(runbook::check::reserved_name),
        help("pick another name (for `use`, perhaps `usage`)")
    )]
    ReservedName {
        name: String,
        #[label("reserved word")]
        span: Span,
    },

    /// `mod::f(…)` with a module the standard library does not have.
    #[error("unknown module `{name}`")]
    #[diagnostic(
        code(runbook::check::unknown_module),
        help("the standard library modules are: {known}")
    )]
    UnknownModule {
        name: String,
        known: String,
        #[label("no such module")]
        span: Span,
    },

    /// A call to a function or method that exists nowhere.
    #[error("unknown function `{name}`")]
    #[diagnostic(code(runbook::check::unknown_function), help("{help}"))]
    UnknownFunction {
        name: String,
        help: String,
        #[label("not a standard library or Rhai function")]
        span: Span,
    },

    /// A known function called with a number of arguments it does not take.
    #[error("`{name}` takes {expected}, not {found}")]
    #[diagnostic(code(runbook::check::wrong_arity), help("call it as {usage}"))]
    WrongArity {
        name: String,
        expected: String,
        found: usize,
        usage: String,
        #[label("{found} argument(s) here")]
        span: Span,
    },

    /// Two steps with the same id (ids are unique across the whole file).
    #[error("step id `{id}` is used twice")]
    #[diagnostic(
        code(runbook::check::duplicate_step_id),
        help("step ids name checkpoints and must be unique in the file, rollback steps included; rename one")
    )]
    DuplicateStepId {
        id: String,
        #[label("first used here")]
        first: Span,
        #[label(primary, "used again here")]
        span: Span,
    },

    /// A param declared twice.
    #[error("param `{name}` is declared twice")]
    #[diagnostic(
        code(runbook::check::duplicate_param),
        help("remove or rename one of them")
    )]
    DuplicateParam {
        name: String,
        #[label("first declared here")]
        first: Span,
        #[label(primary, "declared again here")]
        span: Span,
    },

    /// A top-level `let` that redefines a param or another top-level `let`.
    #[error("`{name}` is already defined at the top level")]
    #[diagnostic(
        code(runbook::check::duplicate_binding),
        help(
            "top-level names are params and lets that every step sees; give this one its own name"
        )
    )]
    DuplicateBinding {
        name: String,
        #[label("first defined here")]
        first: Span,
        #[label(primary, "defined again here")]
        span: Span,
    },

    /// A duration that is malformed, too large, or zero where zero is useless.
    #[error("bad duration `{text}`: {reason}")]
    #[diagnostic(
        code(runbook::check::bad_duration),
        help(
            "write units largest first, each once, as in 1h30m or 250ms; use a duration above zero"
        )
    )]
    BadDuration {
        text: String,
        reason: String,
        #[label("bad duration")]
        span: Span,
    },

    /// A param default whose value does not have the param's type.
    #[error("default of param `{name}` is {found}, not {expected}")]
    #[diagnostic(code(runbook::check::param_default_type), help("{help}"))]
    ParamDefaultType {
        name: String,
        expected: String,
        found: String,
        help: String,
        #[label("{found}")]
        span: Span,
    },

    /// The same key twice in the `runbook { … }` block.
    #[error("metadata `{key}` is given twice")]
    #[diagnostic(code(runbook::check::duplicate_metadata), help("keep one `{key}`"))]
    DuplicateMetadata {
        key: String,
        #[label("first here")]
        first: Span,
        #[label(primary, "again here")]
        span: Span,
    },

    /// A key the `runbook { … }` block does not know, or a value of the wrong shape.
    #[error("{message}")]
    #[diagnostic(
        code(runbook::check::bad_metadata),
        help("metadata keys: id, version, owner, summary (strings), severity (low, medium, high or critical), tags (a list of strings)")
    )]
    BadMetadata {
        message: String,
        #[label("here")]
        span: Span,
    },
}

impl CheckError {
    /// The primary span: where the problem is, in bytes of the source.
    pub fn span(&self) -> Span {
        match self {
            CheckError::RhaiSyntax { span, .. }
            | CheckError::UnknownVariable { span, .. }
            | CheckError::ReservedName { span, .. }
            | CheckError::UnknownModule { span, .. }
            | CheckError::UnknownFunction { span, .. }
            | CheckError::WrongArity { span, .. }
            | CheckError::DuplicateStepId { span, .. }
            | CheckError::DuplicateParam { span, .. }
            | CheckError::DuplicateBinding { span, .. }
            | CheckError::BadDuration { span, .. }
            | CheckError::ParamDefaultType { span, .. }
            | CheckError::DuplicateMetadata { span, .. }
            | CheckError::BadMetadata { span, .. } => *span,
        }
    }

    /// The stable code, as in `runbook::check::unknown_variable`.
    pub fn code_str(&self) -> String {
        miette::Diagnostic::code(self)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }
}
