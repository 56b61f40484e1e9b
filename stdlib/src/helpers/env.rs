//! `env(name)` and `env(name, default)`.

use rhai::{EvalAltResult, FuncRegistration, ImmutableString};

use crate::{ActionError, Class, Signature};

pub(super) fn register(engine: &mut rhai::Engine) {
    FuncRegistration::new("env")
        .with_volatility(true)
        .register_into_engine(
            engine,
            |name: ImmutableString| -> Result<String, Box<EvalAltResult>> {
                match lookup(&name).map_err(ActionError::into_rhai)? {
                    Some(value) => Ok(value),
                    None => Err(ActionError::new(
                        "runbook::run::env::unset",
                        format!("environment variable `{name}` is not set"),
                    )
                    .with_help(format!(
                        "set it before running, or give a default: env(\"{name}\", \"…\")"
                    ))
                    .into_rhai()),
                }
            },
        );
    FuncRegistration::new("env")
        .with_volatility(true)
        .register_into_engine(
            engine,
            |name: ImmutableString,
             default: ImmutableString|
             -> Result<String, Box<EvalAltResult>> {
                Ok(lookup(&name)
                    .map_err(ActionError::into_rhai)?
                    .unwrap_or_else(|| default.to_string()))
            },
        );
}

/// The variable's value; `None` when unset; an error when it is not UTF-8.
fn lookup(name: &str) -> Result<Option<String>, ActionError> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ActionError::new(
            "runbook::run::env::not_unicode",
            format!("environment variable `{name}` is not valid UTF-8"),
        )),
    }
}

pub(super) fn signatures() -> Vec<Signature> {
    vec![Signature {
        module: None,
        name: "env",
        receiver: None,
        params: &["name", "default"],
        optional: 1,
        class: Class::Read,
        doc: "The value of an environment variable; without a default, an unset variable is an error naming it.",
    }]
}
