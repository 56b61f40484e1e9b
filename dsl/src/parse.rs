//! Text → [`Runbook`].
//!
//! A linear delimiter pre-pass (`delimiters`: nesting cap, unclosed brackets
//! and strings reported where they open), then the fast path (`fast`: a
//! hand-written recognizer of the grammar that builds the AST directly). When
//! the fast path cannot answer (a syntax or conversion error), the pest
//! grammar (`grammar.pest`, the specification) parses again and `convert`
//! turns its pairs into the AST or reports the error; `convert` and
//! `statements` are the only code that sees pest types.

mod convert;
mod delimiters;
mod fast;
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
    match fast::parse(source) {
        Some(rb) => Ok(rb),
        None => with_grammar(source),
    }
}

/// The pest path: what [`parse`] gives when the fast path cannot answer, and
/// what the fast path is tested against.
fn with_grammar(source: &str) -> Result<Runbook, ParseError> {
    let file = RunbookParser::parse(Rule::file, source)
        .map_err(|e| syntax_error::translate(source, &e))?;
    convert::runbook(source, file)
}
