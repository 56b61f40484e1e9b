//! Operators between decimals and floats.
//!
//! `numeric` columns arrive as decimals, and Rhai only mixes decimals with
//! integers on its own: `pct_used < 67.5` would fail with "function not
//! found". These operators convert the float to a decimal (its shortest
//! exact form, `67.5`) and compute in decimal, so the result stays exact.

use rhai::{Engine, EvalAltResult, FLOAT};
use rust_decimal::Decimal;

fn to_decimal(f: FLOAT) -> Result<Decimal, Box<EvalAltResult>> {
    Decimal::try_from(f).map_err(|_| {
        format!("{f} cannot be compared with a decimal (not a finite number in range)").into()
    })
}

macro_rules! mixed {
    ($engine:ident, $op:literal, $out:ty, |$a:ident, $b:ident| $body:expr) => {
        $engine.register_fn(
            $op,
            |$a: Decimal, f: FLOAT| -> Result<$out, Box<EvalAltResult>> {
                let $b = to_decimal(f)?;
                $body
            },
        );
        $engine.register_fn(
            $op,
            |f: FLOAT, $b: Decimal| -> Result<$out, Box<EvalAltResult>> {
                let $a = to_decimal(f)?;
                $body
            },
        );
    };
}

/// Registers `== != < <= > >= + - * /` for (decimal, float) and (float, decimal).
pub(crate) fn register(engine: &mut Engine) {
    mixed!(engine, "==", bool, |a, b| Ok(a == b));
    mixed!(engine, "!=", bool, |a, b| Ok(a != b));
    mixed!(engine, "<", bool, |a, b| Ok(a < b));
    mixed!(engine, "<=", bool, |a, b| Ok(a <= b));
    mixed!(engine, ">", bool, |a, b| Ok(a > b));
    mixed!(engine, ">=", bool, |a, b| Ok(a >= b));
    mixed!(engine, "+", Decimal, |a, b| a
        .checked_add(b)
        .ok_or_else(overflow));
    mixed!(engine, "-", Decimal, |a, b| a
        .checked_sub(b)
        .ok_or_else(overflow));
    mixed!(engine, "*", Decimal, |a, b| a
        .checked_mul(b)
        .ok_or_else(overflow));
    mixed!(engine, "/", Decimal, |a, b| a
        .checked_div(b)
        .ok_or_else(|| "division by zero or overflow".into()));
}

fn overflow() -> Box<EvalAltResult> {
    "decimal overflow".into()
}
