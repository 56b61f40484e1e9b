//! The formatter: one canonical layout for `.runbook` files.
//!
//! Layout: two-space indent; one blank line around steps and sections and
//! between kinds of top-level item; elsewhere a single blank line is kept
//! where the author left one; metadata values aligned; step options in the
//! order `timeout, retry/backoff, when, once`; `expect` clauses as
//! `within, every`. Rhai expressions are printed verbatim, continuation
//! lines included, because re-indenting a multi-line string would change its
//! value. Every comment is kept: own-line comments stay above the node that
//! follows them, trailing comments stay at the end of their line (aligned
//! with their neighbours').
//!
//! [`format_source`] re-parses its own output and refuses to return text
//! whose meaning (the span-free [`Runbook::shape`]) or comments differ.

mod layout;
mod printer;

use crate::ast::Runbook;
use crate::diagnostic::ParseError;
use crate::parse::parse;

/// Why a source could not be formatted.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FormatError {
    /// The input does not parse; it is never rewritten.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(#[from] ParseError),

    /// The formatter produced text with another meaning. A bug in the
    /// formatter; the file is left as it is.
    #[error("formatting would change the meaning of this file ({what})")]
    #[diagnostic(
        code(runbook::fmt::unstable),
        help("the file was not changed; please report this with the file attached")
    )]
    ChangedMeaning { what: &'static str },
}

/// Format a whole source: parse, print, and verify the result.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let rb = parse(source)?;
    let out = format_runbook(&rb, source);
    let again = parse(&out).map_err(|_| FormatError::ChangedMeaning {
        what: "the output does not parse",
    })?;
    if again.shape() != rb.shape() {
        return Err(FormatError::ChangedMeaning {
            what: "the syntax tree differs",
        });
    }
    let texts = |r: &Runbook| {
        r.comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect::<Vec<_>>()
    };
    if texts(&again) != texts(&rb) {
        return Err(FormatError::ChangedMeaning {
            what: "comments were lost or reordered",
        });
    }
    Ok(out)
}

/// Print a parsed runbook in the canonical layout. `source` must be the text
/// `rb` was parsed from (comments and literals are copied from it).
pub fn format_runbook(rb: &Runbook, source: &str) -> String {
    let mut printer =
        printer::Printer::new(source, &rb.comments, &crate::lint::walk::all_exprs(rb));
    layout::runbook(&mut printer, rb);
    printer.finish()
}
