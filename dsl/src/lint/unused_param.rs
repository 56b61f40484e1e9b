//! `unused_param`: a param no expression reads.

use super::{Input, LintWarning};
use crate::ast::Param;

pub(crate) fn check(input: &Input<'_>, out: &mut Vec<LintWarning>) {
    // Few params, many references: strike params off as they are seen and
    // stop as soon as every one has been used.
    let mut unused: Vec<&Param> = input.rb.params().collect();
    'exprs: for expr in &input.exprs {
        for (name, _) in &input.facts(expr).refs {
            unused.retain(|p| p.name.name != *name);
            if unused.is_empty() {
                break 'exprs;
            }
        }
    }
    for param in unused {
        out.push(LintWarning::UnusedParam {
            name: param.name.name.clone(),
            span: param.name.span.into(),
        });
    }
}
