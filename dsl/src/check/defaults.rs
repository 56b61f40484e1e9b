//! Param defaults must have the param's type. A constant default (literals
//! and operators only) is evaluated, with limits, and its value's type
//! compared; a default that calls something (`env("X")`, `now()`) is only
//! known at run time and is accepted for any type.

use rhai::{ASTNode, Dynamic, AST};

use super::engine::eval_engine;
use super::error::CheckError;
use crate::ast::{Param, ParamType};
use crate::duration;

/// Check the default of `param`, compiled as `ast`.
pub(super) fn check(param: &Param, ast: &AST, errors: &mut Vec<CheckError>) {
    let Some(default) = &param.default else {
        return;
    };
    if !is_constant(ast) {
        return;
    }
    let evaluated = match literal_value(ast) {
        Some(value) => Ok(value),
        None => eval_engine().eval_ast::<Dynamic>(ast),
    };
    let value = match evaluated {
        Ok(v) => v,
        Err(e) => {
            errors.push(CheckError::RhaiSyntax {
                message: format!(
                    "the default of `{}` cannot be evaluated: {e}",
                    param.name.name
                ),
                span: default.span,
            });
            return;
        }
    };
    let mismatch = |found: String| CheckError::ParamDefaultType {
        name: param.name.name.clone(),
        expected: article(param.ty),
        found,
        help: example(param.ty),
        span: default.span,
    };
    let fits = match param.ty {
        ParamType::String | ParamType::Secret => value.is_string(),
        ParamType::Int => value.is_int(),
        ParamType::Float => value.is_float() || value.is_int(),
        ParamType::Bool => value.is_bool(),
        ParamType::List => value.is_array(),
        ParamType::Map => value.is_map(),
        ParamType::Duration => match value.clone().into_immutable_string() {
            Ok(text) => match duration::parse_millis(&text) {
                Ok(_) => true,
                Err(e) => {
                    errors.push(mismatch(format!("the string \"{text}\" ({e})")));
                    return;
                }
            },
            Err(_) => false,
        },
    };
    if !fits {
        errors.push(mismatch(describe(&value)));
    }
}

/// The value of a default that is one scalar literal (`5`, `"prod"`):
/// what evaluating it gives, without the evaluation engine, whose start-up
/// (Rhai's standard packages) cost a millisecond of every `runbook lint`.
fn literal_value(ast: &AST) -> Option<Dynamic> {
    match ast.statements() {
        [rhai::Stmt::Expr(expr)] => match expr.as_ref() {
            rhai::Expr::IntegerConstant(..)
            | rhai::Expr::FloatConstant(..)
            | rhai::Expr::CharConstant(..)
            | rhai::Expr::StringConstant(..)
            | rhai::Expr::BoolConstant(..) => expr.get_literal_value(None),
            _ => None,
        },
        _ => None,
    }
}

/// Literals and operators only: no variables, no calls that are not operators.
fn is_constant(ast: &AST) -> bool {
    ast.walk(&mut |path: &[ASTNode]| match path.last() {
        Some(ASTNode::Expr(rhai::Expr::FnCall(call, _))) => call.is_operator_call(),
        Some(ASTNode::Expr(
            rhai::Expr::Variable(..)
            | rhai::Expr::MethodCall(..)
            | rhai::Expr::ThisPtr(..)
            | rhai::Expr::Stmt(..),
        )) => false,
        _ => true,
    })
}

fn describe(value: &Dynamic) -> String {
    if value.is_string() {
        "a string".into()
    } else if value.is_int() {
        "an int".into()
    } else if value.is_float() {
        "a float".into()
    } else if value.is_bool() {
        "a bool".into()
    } else if value.is_array() {
        "a list".into()
    } else if value.is_map() {
        "a map".into()
    } else if value.is_unit() {
        "nothing (`()`)".into()
    } else {
        format!("a value of type {}", value.type_name())
    }
}

fn article(ty: ParamType) -> String {
    match ty {
        ParamType::Int => "an int".into(),
        other => format!("a {other}"),
    }
}

fn example(ty: ParamType) -> String {
    let sample = match ty {
        ParamType::String => "\"production\"",
        ParamType::Int => "5",
        ParamType::Float => "0.5",
        ParamType::Bool => "true",
        ParamType::Duration => "\"5m\" (a duration is written as a string)",
        ParamType::Secret => "env(\"DATABASE_URL\")",
        ParamType::List => "[\"a\", \"b\"]",
        ParamType::Map => "#{ app: \"web\" }",
    };
    format!("write a {ty} default such as {sample}, or read it at run time with env(\"NAME\")")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::check::compile_engine;
    use crate::signature::SignatureTable;

    /// What a literal's shortcut value and the engine's evaluation give, as
    /// (type, text); `None` for the shortcut when it does not apply.
    fn both(text: &str) -> (Option<(String, String)>, (String, String)) {
        let engine = compile_engine(&SignatureTable::default());
        let ast = engine.compile_expression(text).expect("a literal compiles");
        let shown = |v: Dynamic| (v.type_name().to_string(), v.to_string());
        let short = literal_value(&ast).map(shown);
        let full = shown(
            eval_engine()
                .eval_ast::<Dynamic>(&ast)
                .expect("a literal evaluates"),
        );
        (short, full)
    }

    #[test]
    fn only_scalar_literals_take_the_shortcut() {
        for text in ["5", "-5", "0.5", "true", "'x'", "\"prod\"", "\"5m\""] {
            let (short, full) = both(text);
            assert_eq!(short, Some(full), "{text}");
        }
        for text in ["1 + 2", "[1, 2]", "#{ a: 1 }", "`a${1}`", "()"] {
            let (short, _) = both(text);
            assert_eq!(short, None, "{text}");
        }
    }

    proptest! {
        #[test]
        fn a_literal_evaluates_to_its_shortcut_value(
            text in "-?[0-9]{1,18}|-?[0-9]{1,6}\\.[0-9]{1,6}|\"[a-z0-9 .:/-]{0,20}\"|true|false|'[a-z]'"
        ) {
            let (short, full) = both(&text);
            prop_assert_eq!(short, Some(full), "{}", text);
        }
    }
}
