//! `unbounded_expect`: an `expect` that can poll forever.

use super::walk::{all_steps, walk_block, StmtContext};
use super::{Input, LintWarning};
use crate::ast::StmtKind;

/// `wait until` always has a `within` (the grammar requires it), so only
/// `expect` without `within` in a step without `timeout` is unbounded.
pub(crate) fn check(input: &Input<'_>, out: &mut Vec<LintWarning>) {
    for step in all_steps(input.rb).filter(|s| s.timeout.is_none()) {
        walk_block(&step.body, StmtContext::default(), &mut |stmt, _| {
            if let StmtKind::Expect { within: None, .. } = &stmt.kind {
                out.push(LintWarning::UnboundedExpect {
                    step: step.id.name.clone(),
                    span: stmt.span.into(),
                });
            }
        });
    }
}
