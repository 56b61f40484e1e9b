//! The Rhai engines of the check pass: one that only compiles (strict
//! variables, the stdlib modules present as names), one that evaluates
//! constant param defaults, both with limits so no input can hang or
//! exhaust a check; and the table of Rhai's own built-in functions.

use std::collections::HashMap;
use std::sync::OnceLock;

use rhai::{Engine, Module, OptimizationLevel};

use crate::signature::SignatureTable;

/// Limits applied to every engine of the check pass.
pub mod limits {
    /// Operations one evaluation may perform (param defaults only).
    pub const MAX_OPERATIONS: u64 = 100_000;
    /// Nested function calls.
    pub const MAX_CALL_LEVELS: usize = 32;
    /// Expression nesting at top level.
    pub const MAX_EXPR_DEPTH: usize = 64;
    /// Expression nesting inside closures.
    pub const MAX_FUNCTION_EXPR_DEPTH: usize = 32;
    /// Largest string (bytes) a check may build.
    pub const MAX_STRING_SIZE: usize = 1 << 20;
    /// Largest array a check may build.
    pub const MAX_ARRAY_SIZE: usize = 100_000;
    /// Largest map a check may build.
    pub const MAX_MAP_SIZE: usize = 100_000;
}

/// Rhai keyword functions: handled by Rhai itself, any number of arguments,
/// never listed in the function metadata.
const KEYWORD_FUNCTIONS: [&str; 10] = [
    "print",
    "debug",
    "type_of",
    "eval",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_var",
    "is_def_fn",
];

fn apply_limits(engine: &mut Engine) {
    engine
        .set_max_operations(limits::MAX_OPERATIONS)
        .set_max_call_levels(limits::MAX_CALL_LEVELS)
        .set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_FUNCTION_EXPR_DEPTH)
        .set_max_string_size(limits::MAX_STRING_SIZE)
        .set_max_array_size(limits::MAX_ARRAY_SIZE)
        .set_max_map_size(limits::MAX_MAP_SIZE);
}

/// A Rhai engine for compile-time checks of runbook expressions: strict
/// variables (an unknown name is a compile error), no optimisation (the AST
/// keeps every call as written, for the call checks), limits on, and every
/// module of `table` registered as an empty module so `kube::x(…)` compiles
/// while `kub::x(…)` is reported as an unknown module.
pub fn compile_engine(table: &SignatureTable) -> Engine {
    let mut engine = Engine::new_raw();
    apply_limits(&mut engine);
    engine.set_strict_variables(true);
    engine.set_optimization_level(OptimizationLevel::None);
    for module in table.modules() {
        engine.register_static_module(module, Module::new().into());
    }
    engine
}

/// A shared engine with Rhai's standard packages and limits, for evaluating
/// constant param defaults (no stdlib actions: a default with a call is not
/// evaluated at check time).
pub(crate) fn eval_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut engine = Engine::new();
        apply_limits(&mut engine);
        engine.set_optimization_level(OptimizationLevel::None);
        // Defaults are constants: printing from one is never intended.
        engine.on_print(|_| {}).on_debug(|_, _, _| {});
        engine
    })
}

/// Rhai's built-in functions by name, with every number of parameters each
/// takes (a method call `x.f(a)` is `f(x, a)`: two parameters).
pub(crate) struct Builtins {
    arities: HashMap<String, Vec<usize>>,
}

impl Builtins {
    pub(crate) fn get() -> &'static Builtins {
        static BUILTINS: OnceLock<Builtins> = OnceLock::new();
        BUILTINS.get_or_init(|| {
            let engine = Engine::new();
            let mut arities: HashMap<String, Vec<usize>> = HashMap::new();
            let found = engine.collect_fn_metadata(
                None,
                |info| Some((info.metadata.name.to_string(), info.metadata.num_params)),
                true,
            );
            for (name, n) in found {
                let list = arities.entry(name).or_default();
                if !list.contains(&n) {
                    list.push(n);
                }
            }
            Builtins { arities }
        })
    }

    /// Whether `name` is a keyword function (any arity).
    pub(crate) fn is_keyword(name: &str) -> bool {
        KEYWORD_FUNCTIONS.contains(&name)
    }

    /// Parameter counts `name` is defined with; empty if it is not a built-in.
    pub(crate) fn arities(&self, name: &str) -> &[usize] {
        self.arities.get(name).map_or(&[], Vec::as_slice)
    }
}
