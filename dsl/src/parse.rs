//! Text → [`Runbook`]. (Placeholder API: the grammar lands with issue 2.)

use crate::ast::Runbook;
use crate::diagnostic::ParseError;

/// Parse a whole `.runbook` source. Syntax errors speak the language's words.
pub fn parse(source: &str) -> Result<Runbook, ParseError> {
    let _ = source;
    Err(ParseError::NotImplemented)
}
