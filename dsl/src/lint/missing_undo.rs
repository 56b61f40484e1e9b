//! `missing_undo`: a step that changes things but cannot be rolled back.

use super::walk::{stmt_exprs, walk_block, StmtContext};
use super::{Input, LintWarning};
use crate::ast::{Stmt, StmtKind};
use crate::signature::Class;

/// Rollback steps are clean-up themselves and are not checked. Effects after
/// a `confirm` are the operator's decision and do not count, nor do `run`s
/// of reads only.
pub(crate) fn check(input: &Input<'_>, out: &mut Vec<LintWarning>) {
    for step in input.rb.steps() {
        let mut has_undo = false;
        let mut first_effect = None;
        walk_block(&step.body, StmtContext::default(), &mut |stmt, ctx| {
            if matches!(stmt.kind, StmtKind::Undo(_)) {
                has_undo = true;
            }
            if !ctx.in_undo && !ctx.gated && first_effect.is_none() && is_effect(input, stmt) {
                first_effect = Some(stmt.span);
            }
        });
        if let (false, Some(effect)) = (has_undo, first_effect) {
            out.push(LintWarning::MissingUndo {
                step: step.id.name.clone(),
                span: step.id.span.into(),
                effect: effect.into(),
            });
        }
    }
}

fn is_effect(input: &Input<'_>, stmt: &Stmt) -> bool {
    match &stmt.kind {
        StmtKind::Sh(_) => true,
        // `run` says "this is an action"; believe it unless every call in it
        // is a known read.
        StmtKind::Run(expr) => {
            let calls = &input.facts(expr).calls;
            calls.is_empty()
                || calls
                    .iter()
                    .any(|c| input.classes.class_of(c) != Some(Class::Read))
        }
        _ => stmt_exprs(stmt).into_iter().any(|expr| {
            input
                .facts(expr)
                .calls
                .iter()
                .any(|c| input.classes.class_of(c) == Some(Class::Effect))
        }),
    }
}
