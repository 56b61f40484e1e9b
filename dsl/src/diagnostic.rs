//! Diagnostics of the parse phase. (Placeholder: issue 2 fills it.)

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ParseError {
    #[error("the parser is not built yet")]
    #[diagnostic(code(runbook::parse::unimplemented))]
    NotImplemented,
}
