//! `json::parse`, `json::to_string`, `yaml::parse`, `yaml::parse_all`,
//! `yaml::to_string`: structured text to Rhai values and back.

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Module};
use serde::Deserialize;

use crate::{ActionError, Class, Signature};

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn register(engine: &mut rhai::Engine) {
    let mut json = Module::new();
    json.set_native_fn("parse", |s: ImmutableString| -> RhaiResult<Dynamic> {
        json_parse(&s).map_err(ActionError::into_rhai)
    });
    json.set_native_fn("to_string", |v: Dynamic| -> RhaiResult<String> {
        serde_json::to_string(&v).map_err(|e| unrepresentable("JSON", &v, &e).into_rhai())
    });
    engine.register_static_module("json", json.into());

    let mut yaml = Module::new();
    yaml.set_native_fn("parse", |s: ImmutableString| -> RhaiResult<Dynamic> {
        let mut docs = yaml_documents(&s).map_err(ActionError::into_rhai)?;
        Ok(match docs.len() {
            0 => Dynamic::UNIT,
            1 => docs.remove(0),
            _ => Dynamic::from_array(docs),
        })
    });
    yaml.set_native_fn("parse_all", |s: ImmutableString| -> RhaiResult<Array> {
        yaml_documents(&s).map_err(ActionError::into_rhai)
    });
    yaml.set_native_fn("to_string", |v: Dynamic| -> RhaiResult<String> {
        serde_yaml::to_string(&v).map_err(|e| unrepresentable("YAML", &v, &e).into_rhai())
    });
    engine.register_static_module("yaml", yaml.into());
}

/// Parse JSON text into Rhai values (objects → maps, arrays → arrays; integers
/// beyond 64 bits become decimals).
pub(crate) fn json_parse(text: &str) -> Result<Dynamic, ActionError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ActionError::new(
            "runbook::run::json::parse",
            format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    to_rhai(&value, "JSON")
}

/// Every document of a YAML stream, in order.
pub(crate) fn yaml_documents(text: &str) -> Result<Array, ActionError> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            let value = serde_yaml::Value::deserialize(doc).map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!(" at line {} column {}", l.line(), l.column()))
                    .unwrap_or_default();
                ActionError::new(
                    "runbook::run::yaml::parse",
                    format!("invalid YAML{at}: {e}"),
                )
            })?;
            to_rhai(&value, "YAML")
        })
        .collect()
}

fn to_rhai<T: serde::Serialize>(value: &T, format: &str) -> Result<Dynamic, ActionError> {
    rhai::serde::to_dynamic(value).map_err(|e| {
        ActionError::new(
            "runbook::run::data::convert",
            format!("this {format} has no Rhai equivalent: {e}"),
        )
        .with_help(
            "Rhai map keys are strings; YAML keys that are numbers or lists cannot be represented",
        )
    })
}

fn unrepresentable(format: &str, value: &Dynamic, e: &dyn std::fmt::Display) -> ActionError {
    ActionError::new(
        "runbook::run::data::convert",
        format!("a {} cannot be written as {format}: {e}", value.type_name()),
    )
    .with_help("only strings, numbers, bools, (), arrays and maps can be serialized")
}

pub(super) fn signatures() -> Vec<Signature> {
    let read = |module, name, params: &'static [&'static str], doc| {
        Signature::module_fn(module, name, params, Class::Read).with_doc(doc)
    };
    vec![
        read(
            "json",
            "parse",
            &["text"],
            "Parse JSON text into maps, arrays and scalars.",
        ),
        read(
            "json",
            "to_string",
            &["value"],
            "Serialize a value as compact JSON.",
        ),
        read(
            "yaml",
            "parse",
            &["text"],
            "Parse YAML text: one document gives its value, several give an array of them.",
        ),
        read(
            "yaml",
            "parse_all",
            &["text"],
            "Parse a YAML stream into an array with one value per document.",
        ),
        read(
            "yaml",
            "to_string",
            &["value"],
            "Serialize a value as YAML.",
        ),
    ]
}
