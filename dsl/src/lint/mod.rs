//! Lint: warnings about runbooks that parse and check but that a reviewer
//! would flag. Pure functions over the AST: no I/O, no Rhai compilation.
//!
//! Each pass is an independent module returning warnings; [`lint`] runs them
//! all, drops the ones an `# lint:allow(name) reason` comment waives, and
//! sorts the rest by position. Errors are the check pass's job
//! ([`crate::check`]); lint never fails.

mod allow;
mod calls;
pub mod expr_facts;
mod missing_metadata;
mod missing_undo;
mod unbounded_expect;
mod unquoted_interpolation;
mod unused_param;
pub mod walk;
mod warning;

pub use calls::CallClasses;
pub use warning::{LintWarning, LINT_NAMES};

use crate::ast::{Expr, Runbook, Span};
use crate::signature::SignatureTable;
use expr_facts::ExprFacts;

/// What every pass gets: the tree, the call classes and each expression's
/// facts (scanned once, shared by the passes).
pub(crate) struct Input<'a> {
    pub rb: &'a Runbook,
    pub classes: &'a CallClasses,
    /// Every expression of the file, in source order.
    pub exprs: Vec<&'a Expr>,
    /// Each expression's facts, sorted by the expression's span.
    facts: Vec<(Span, ExprFacts<'a>)>,
}

impl<'a> Input<'a> {
    /// The facts of an expression of this runbook.
    pub fn facts(&self, expr: &Expr) -> &ExprFacts<'a> {
        static EMPTY: ExprFacts<'static> = ExprFacts {
            refs: Vec::new(),
            calls: Vec::new(),
            templates: Vec::new(),
        };
        match self
            .facts
            .binary_search_by_key(&expr.span, |(span, _)| *span)
        {
            Ok(i) => &self.facts[i].1,
            Err(_) => &EMPTY,
        }
    }
}

/// All lint warnings of a parsed runbook, in source order.
pub fn lint(rb: &Runbook, table: &SignatureTable) -> Vec<LintWarning> {
    lint_with(rb, &CallClasses::new(table))
}

/// [`lint`] with a pre-built index of the table, for linting many files.
pub fn lint_with(rb: &Runbook, classes: &CallClasses) -> Vec<LintWarning> {
    let exprs = walk::all_exprs(rb);
    let mut facts: Vec<_> = exprs
        .iter()
        .map(|e| (e.span, ExprFacts::scan(&e.text)))
        .collect();
    facts.sort_unstable_by_key(|(span, _)| *span);
    let input = Input {
        rb,
        classes,
        exprs,
        facts,
    };
    let mut warnings = Vec::new();
    missing_undo::check(&input, &mut warnings);
    unbounded_expect::check(&input, &mut warnings);
    unused_param::check(&input, &mut warnings);
    unquoted_interpolation::check(&input, &mut warnings);
    missing_metadata::check(&input, &mut warnings);
    let mut warnings = allow::apply(rb, warnings);
    warnings.sort_by_key(|w| (w.span().offset(), w.name()));
    warnings
}

/// A span of the file, from a range inside an expression's text.
pub(crate) fn in_expr(expr: &Expr, range: std::ops::Range<usize>) -> miette::SourceSpan {
    (expr.span.start + range.start, range.len()).into()
}
