//! `unused_param`: a param no expression reads.

use std::collections::HashSet;

use super::{Input, LintWarning};

pub(crate) fn check(input: &Input<'_>, out: &mut Vec<LintWarning>) {
    let used: HashSet<&str> = input
        .exprs
        .iter()
        .flat_map(|e| input.facts(e).refs.iter().map(|(name, _)| *name))
        .collect();
    for param in input.rb.params() {
        if !used.contains(param.name.name.as_str()) {
            out.push(LintWarning::UnusedParam {
                name: param.name.name.clone(),
                span: param.name.span.into(),
            });
        }
    }
}
