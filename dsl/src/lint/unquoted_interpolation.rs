//! `unquoted_interpolation`: a param pasted into a shell command as is.

use std::collections::HashSet;
use std::ops::Range;

use super::expr_facts::{CallKind, ExprFacts};
use super::walk::{all_steps, walk_block, StmtContext};
use super::{in_expr, Input, LintWarning};
use crate::ast::{Expr, ParamType, StmtKind};

/// Numbers and booleans are checked when the param is parsed and cannot
/// carry shell syntax; every other type can.
fn can_carry_shell_syntax(ty: ParamType) -> bool {
    !matches!(ty, ParamType::Int | ParamType::Float | ParamType::Bool)
}

pub(crate) fn check(input: &Input<'_>, out: &mut Vec<LintWarning>) {
    let risky: HashSet<&str> = input
        .rb
        .params()
        .filter(|p| can_carry_shell_syntax(p.ty))
        .map(|p| p.name.name.as_str())
        .collect();
    if risky.is_empty() {
        return;
    }
    // `sh` statements: every template in the command.
    let mut sh_commands = HashSet::new();
    for step in all_steps(input.rb) {
        walk_block(&step.body, StmtContext::default(), &mut |stmt, _| {
            if let StmtKind::Sh(expr) = &stmt.kind {
                sh_commands.insert(expr.span);
            }
        });
    }
    // Elsewhere: templates passed straight to `sh(…)`.
    for expr in input.exprs.iter().copied() {
        check_expr(input, expr, sh_commands.contains(&expr.span), &risky, out);
    }
}

fn check_expr(
    input: &Input<'_>,
    expr: &Expr,
    is_sh_command: bool,
    risky: &HashSet<&str>,
    out: &mut Vec<LintWarning>,
) {
    let facts = input.facts(expr);
    let runs_shell = is_sh_command || facts.calls.iter().any(|c| c.name == "sh");
    if !runs_shell {
        return; // no command here for a param to be pasted into
    }
    let quoted: Vec<_> = facts
        .calls
        .iter()
        .filter(|c| c.name == "shell_quote")
        .map(|c| c.args.clone())
        .collect();
    for template in facts
        .templates
        .iter()
        .filter(|t| is_sh_command || t.sh_argument)
    {
        for interpolation in &template.interpolations {
            let unquoted = facts.refs.iter().find(|(name, at)| {
                interpolation.inner.contains(&at.start)
                    && risky.contains(name)
                    && !quoted.iter().any(|q| q.contains(&at.start))
            });
            if let Some((name, _)) = unquoted {
                out.push(LintWarning::UnquotedInterpolation {
                    name: name.to_string(),
                    span: in_expr(expr, interpolation.range.clone()),
                });
            }
        }
    }
    concatenated(facts, expr, is_sh_command, risky, out);
}

/// `sh "kubectl -n " + namespace`: a param joined into the command as is.
/// A param passed to a function (`shell_quote(ns)`, `cmd_for(ns)`) or
/// interpolated (checked above) is not reported here.
fn concatenated(
    facts: &ExprFacts<'_>,
    expr: &Expr,
    is_sh_command: bool,
    risky: &HashSet<&str>,
    out: &mut Vec<LintWarning>,
) {
    let mut commands: Vec<Range<usize>> = facts
        .calls
        .iter()
        .filter(|c| c.name == "sh" && c.kind == CallKind::Free)
        .map(|c| c.args.clone())
        .collect();
    if is_sh_command {
        commands.push(0..expr.text.len());
    }
    for command in commands {
        let passed_to_function = |at: usize| {
            facts.calls.iter().any(|c| {
                c.args != command && command.contains(&c.range.start) && c.args.contains(&at)
            })
        };
        let in_template = |at: usize| facts.templates.iter().any(|t| t.range.contains(&at));
        let joined = facts.refs.iter().find(|(name, at)| {
            command.contains(&at.start)
                && risky.contains(name)
                && !passed_to_function(at.start)
                && !in_template(at.start)
        });
        if let Some((name, at)) = joined {
            out.push(LintWarning::UnquotedInterpolation {
                name: name.to_string(),
                span: in_expr(expr, at.clone()),
            });
        }
    }
}
