//! Unknown functions and wrong argument counts, found by walking the Rhai AST
//! of a compiled expression and looking every call up in the stdlib
//! [`SignatureTable`] and Rhai's own built-ins.
//!
//! Module calls (`kube::pods(…)`) must be in the table. Free calls and
//! methods are unknown only when neither the table nor Rhai has the name and
//! no visible variable holds a function pointer of that name.

use rhai::{ASTNode, FnCallExpr, AST};

use super::engine::Builtins;
use super::error::CheckError;
use crate::ast::{Expr, Span};
use crate::rhai_map::rhai_span;
use crate::signature::{Signature, SignatureTable};

/// What a call site looks like, for the lookup.
enum Site {
    Module(String),
    Free,
    Method,
}

/// Check every call in `ast` (compiled from `expr`); `is_variable` says
/// whether a name is a variable visible at this point.
pub(super) fn check(
    ast: &AST,
    expr: &Expr,
    table: &SignatureTable,
    is_variable: &dyn Fn(&str) -> bool,
    errors: &mut Vec<CheckError>,
) {
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Expr(rhai::Expr::FnCall(call, pos))) => {
                if call.is_qualified() {
                    let module = call
                        .namespace
                        .path
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join("::");
                    let at = call.namespace.position();
                    check_call(
                        call,
                        Site::Module(module),
                        at,
                        expr,
                        table,
                        is_variable,
                        errors,
                    );
                } else {
                    check_call(call, Site::Free, *pos, expr, table, is_variable, errors);
                }
            }
            Some(ASTNode::Expr(rhai::Expr::MethodCall(call, pos))) => {
                check_call(call, Site::Method, *pos, expr, table, is_variable, errors);
            }
            _ => {}
        }
        true
    });
}

fn check_call(
    call: &FnCallExpr,
    site: Site,
    pos: rhai::Position,
    expr: &Expr,
    table: &SignatureTable,
    is_variable: &dyn Fn(&str) -> bool,
    errors: &mut Vec<CheckError>,
) {
    let name = call.name.as_str();
    // Operators and Rhai's internal calls (`index$get$`, closures) are not
    // written by the user as calls.
    if call.is_operator_call() || !is_identifier(name) || Builtins::is_keyword(name) {
        return;
    }
    let args = call.args.len();
    let builtins = Builtins::get();
    match site {
        Site::Module(module) => {
            let sigs: Vec<&Signature> = table.module_fn(&module, name).collect();
            let full = format!("{module}::{name}");
            let span = call_span(expr, pos, &full);
            if sigs.is_empty() {
                errors.push(CheckError::UnknownFunction {
                    help: module_help(table, &module),
                    name: full,
                    span,
                });
            } else if !sigs.iter().any(|s| s.accepts(args)) {
                errors.push(wrong_arity(full, &sigs, &[], args, span));
            }
        }
        Site::Free => {
            let sigs: Vec<&Signature> = table.free_fn(name).collect();
            let native = builtins.arities(name);
            if sigs.iter().any(|s| s.accepts(args)) || native.contains(&args) || is_variable(name) {
                return;
            }
            let span = call_span(expr, pos, name);
            if sigs.is_empty() && native.is_empty() {
                errors.push(CheckError::UnknownFunction {
                    name: name.to_string(),
                    help: "call a standard library function (`env`, `sh`, `kube::…`, `pg::…`), a Rhai built-in, or a closure bound with `let`".to_string(),
                    span,
                });
            } else {
                let counts: Vec<usize> = native.to_vec();
                errors.push(wrong_arity(name.to_string(), &sigs, &counts, args, span));
            }
        }
        Site::Method => {
            let methods: Vec<&Signature> = table.methods(name).collect();
            let free: Vec<&Signature> = table.free_fn(name).collect();
            // `x.f(a)` may call a free function `f(x, a)` too.
            let native: Vec<usize> = builtins
                .arities(name)
                .iter()
                .filter_map(|n| n.checked_sub(1))
                .collect();
            let ok = methods.iter().any(|s| s.accepts(args))
                || free.iter().any(|s| s.accepts(args + 1))
                || native.contains(&args);
            if ok {
                return;
            }
            let span = call_span(expr, pos, name);
            if methods.is_empty() && free.is_empty() && native.is_empty() {
                errors.push(CheckError::UnknownFunction {
                    name: format!(".{name}()"),
                    help: "no handle of the standard library and no Rhai type has this method; check the spelling".to_string(),
                    span,
                });
            } else {
                let mut counts = native;
                counts.extend(
                    free.iter().flat_map(|s| {
                        (s.min_args()..=s.max_args()).filter_map(|n| n.checked_sub(1))
                    }),
                );
                errors.push(wrong_arity(
                    format!(".{name}()"),
                    &methods,
                    &counts,
                    args,
                    span,
                ));
            }
        }
    }
}

fn wrong_arity(
    name: String,
    sigs: &[&Signature],
    other_counts: &[usize],
    found: usize,
    span: Span,
) -> CheckError {
    let mut counts: Vec<usize> = other_counts.to_vec();
    for s in sigs {
        counts.extend(s.min_args()..=s.max_args());
    }
    counts.sort_unstable();
    counts.dedup();
    let usage = if sigs.is_empty() {
        format!("{name} with {}", count_words(&counts))
    } else {
        sigs.iter()
            .map(|s| format!("`{}`", s.display()))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    CheckError::WrongArity {
        name,
        expected: count_words(&counts),
        found,
        usage,
        span,
    }
}

/// "no arguments", "1 argument", "1 or 2 arguments", "1, 2 or 3 arguments".
fn count_words(counts: &[usize]) -> String {
    let unit = if counts == [1] {
        "argument"
    } else {
        "arguments"
    };
    match counts {
        [] | [0] => "no arguments".to_string(),
        [one] => format!("{one} {unit}"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(usize::to_string).collect();
            format!("{} or {last} {unit}", init.join(", "))
        }
    }
}

fn module_help(table: &SignatureTable, module: &str) -> String {
    let mut names: Vec<&str> = table
        .functions
        .iter()
        .filter(|s| s.module == Some(module))
        .map(|s| s.name)
        .collect();
    names.sort_unstable();
    names.dedup();
    format!("module `{module}` has: {}", names.join(", "))
}

/// The span of the call's name (`kube::pods` for a module call).
fn call_span(expr: &Expr, pos: rhai::Position, written: &str) -> Span {
    let token = rhai_span(expr, pos);
    let rel = token.start.saturating_sub(expr.span.start);
    match expr.text.get(rel..) {
        Some(rest) if rest.starts_with(written) => {
            Span::new(token.start, token.start + written.len())
        }
        _ => token,
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
