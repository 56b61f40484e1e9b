//! Text → [`Runbook`].
//!
//! Three stages: a linear delimiter pre-pass (`delimiters`: nesting cap,
//! unclosed brackets and strings reported where they open), the pest grammar
//! (`grammar.pest`), and the conversion of pest pairs into the AST
//! (`convert`), the one place that sees pest types.

mod convert;
mod delimiters;
mod grammar;
mod statements;
mod strings;
mod syntax_error;

use pest::Parser as _;

use crate::ast::Runbook;
use crate::diagnostic::ParseError;
use grammar::{Rule, RunbookParser};

pub use delimiters::MAX_NESTING;

/// Parse a whole `.runbook` source. Syntax errors speak the language's words
/// and carry the exact span; the first error stops the parse.
pub fn parse(source: &str) -> Result<Runbook, ParseError> {
    delimiters::check(source)?;
    let file = RunbookParser::parse(Rule::file, source)
        .map_err(|e| syntax_error::translate(source, &e))?;
    convert::runbook(source, file)
}
