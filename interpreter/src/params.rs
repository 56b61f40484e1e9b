//! `--param name=value` parsed against the declared types, defaults
//! evaluated, secrets registered for redaction. Every mistake is reported
//! before anything runs.

use std::collections::BTreeMap;

use miette::Diagnostic;
use rhai::{Dynamic, Engine, Scope};
use runbook_dsl::{Param, ParamType, Span};

use crate::bindings;
use crate::record::StoredParam;
use crate::redact::{Redactor, MASK};

/// A param problem, found before the run starts.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
pub enum ParamError {
    #[error("`--param {arg}` is not NAME=VALUE")]
    #[diagnostic(
        code(runbook::param::malformed),
        help("write it as --param name=value")
    )]
    Malformed { arg: String },
    #[error("unknown param `{name}`")]
    #[diagnostic(code(runbook::param::unknown), help("{known}"))]
    Unknown { name: String, known: String },
    #[error("param `{name}` is given twice")]
    #[diagnostic(code(runbook::param::duplicate), help("keep one --param {name}=…"))]
    Duplicate { name: String },
    #[error("param `{name}` must be {expected}, got `{value}`")]
    #[diagnostic(code(runbook::param::wrong_type), help("{help}"))]
    WrongType {
        name: String,
        expected: String,
        value: String,
        help: String,
        #[label("declared {expected} here")]
        span: Span,
    },
    #[error("missing required param `{name}`")]
    #[diagnostic(code(runbook::param::missing), help("{help}"))]
    Missing {
        name: String,
        help: String,
        #[label("declared here without a default")]
        span: Span,
    },
    #[error("the default of param `{name}` failed: {detail}")]
    #[diagnostic(code(runbook::param::default_failed), help("{help}"))]
    Default {
        name: String,
        /// What went wrong: an action error's message, not its raw map.
        detail: String,
        /// The action error's own help (if any), then how to get past it.
        help: String,
        #[label("this default")]
        span: Span,
    },
    #[error("param `{name}` is fixed for this run (it was `{value}` when the run started)")]
    #[diagnostic(
        code(runbook::param::fixed),
        help("only secret params are given again on resume; start a new run to change `{name}`")
    )]
    Fixed { name: String, value: String },
}

/// Resolved params: values for the Rhai scope (in declaration order) and the
/// storable form (secrets masked).
#[derive(Debug, Clone, Default)]
pub struct ResolvedParams {
    pub values: Vec<(String, Dynamic)>,
    pub stored: BTreeMap<String, StoredParam>,
}

impl ResolvedParams {
    pub fn push_into(&self, scope: &mut Scope<'static>) {
        for (name, value) in &self.values {
            scope.push_dynamic(name.clone(), value.clone());
        }
    }
}

/// Resolve `args` (`name=value` strings) against `decls`.
///
/// `previous` is the stored params of the run being resumed: its values are
/// reused; only secret params may (and must) be given again, or come from
/// their default. Secret values are added to `redactor`.
pub fn resolve(
    decls: &[&Param],
    args: &[String],
    previous: Option<&BTreeMap<String, StoredParam>>,
    engine: &Engine,
    redactor: &Redactor,
) -> Result<ResolvedParams, Vec<ParamError>> {
    let mut errors = Vec::new();
    let mut given: BTreeMap<String, String> = BTreeMap::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            errors.push(ParamError::Malformed { arg: arg.clone() });
            continue;
        };
        let name = name.trim().to_string();
        if !decls.iter().any(|d| d.name.name == name) {
            let known: Vec<&str> = decls.iter().map(|d| d.name.name.as_str()).collect();
            errors.push(ParamError::Unknown {
                known: if known.is_empty() {
                    "this runbook declares no params".into()
                } else {
                    format!("declared params: {}", known.join(", "))
                },
                name,
            });
            continue;
        }
        if given.insert(name.clone(), value.to_string()).is_some() {
            errors.push(ParamError::Duplicate { name });
        }
    }
    // Secrets given on the command line are masked even in our own errors.
    for d in decls {
        if d.ty == ParamType::Secret {
            if let Some(v) = given.get(&d.name.name) {
                redactor.add(v);
            }
        }
    }

    let mut out = ResolvedParams::default();
    let mut scope = Scope::new();
    for decl in decls {
        let name = &decl.name.name;
        let stored_prev = previous.and_then(|p| p.get(name)).filter(|p| !p.secret);
        let value = if let Some(prev) = stored_prev {
            if let Some(v) = given.get(name) {
                let shown = prev.value.to_string();
                let same = parse_value(decl, v)
                    .ok()
                    .map(|d| bindings::from_json(&prev.value).to_string() == d.to_string());
                if same != Some(true) {
                    errors.push(ParamError::Fixed {
                        name: name.clone(),
                        value: shown,
                    });
                    continue;
                }
            }
            bindings::from_json(&prev.value)
        } else if let Some(text) = given.get(name) {
            match parse_value(decl, text) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        } else if let Some(default) = &decl.default {
            match engine.eval_expression_with_scope::<Dynamic>(
                &mut scope,
                &runbook_dsl::rhai_source(default),
            ) {
                Ok(v) => match check_default(decl, v) {
                    Ok(v) => v,
                    Err(detail) => {
                        errors.push(ParamError::Default {
                            name: name.clone(),
                            detail,
                            help: default_help(name, None),
                            span: default.span,
                        });
                        continue;
                    }
                },
                Err(e) => {
                    // Stdlib failures travel through Rhai as a map: show
                    // their message and help, never the map itself.
                    let (detail, action_help) = match runbook_stdlib::ActionError::from_rhai(&e) {
                        Some(a) => (a.message, a.help),
                        None => (e.to_string(), None),
                    };
                    let help = default_help(name, action_help.as_deref());
                    errors.push(ParamError::Default {
                        name: name.clone(),
                        detail: redactor.redact(&detail).into_owned(),
                        help: redactor.redact(&help).into_owned(),
                        span: default.span,
                    });
                    continue;
                }
            }
        } else {
            let help = if previous.is_some() && decl.ty == ParamType::Secret {
                format!("secret params are never stored: give it again with --param {name}=…")
            } else {
                format!("pass --param {name}=<{}>", decl.ty)
            };
            errors.push(ParamError::Missing {
                name: name.clone(),
                help,
                span: decl.span,
            });
            continue;
        };
        let stored = if decl.ty == ParamType::Secret {
            redactor.add(&value.to_string());
            StoredParam {
                value: serde_json::Value::String(MASK.into()),
                secret: true,
            }
        } else {
            StoredParam {
                value: bindings::to_json(name, &value, &Redactor::new())
                    .unwrap_or(serde_json::Value::Null),
                secret: false,
            }
        };
        scope.push_dynamic(name.clone(), value.clone());
        out.values.push((name.clone(), value));
        out.stored.insert(name.clone(), stored);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        // Error texts may quote a value: mask secrets in them.
        for e in &mut errors {
            if let ParamError::WrongType { value, .. } = e {
                *value = redactor.redact(value).into_owned();
            }
        }
        Err(errors)
    }
}

/// Help for a failed default: the failure's own advice first.
fn default_help(name: &str, action_help: Option<&str>) -> String {
    let bypass = format!("pass --param {name}=… or fix the default");
    match action_help {
        Some(h) => format!("{h}; or {bypass}"),
        None => bypass,
    }
}

fn wrong(decl: &Param, value: &str, help: &str) -> ParamError {
    ParamError::WrongType {
        name: decl.name.name.clone(),
        expected: article(decl.ty),
        value: value.to_string(),
        help: help.to_string(),
        span: decl.ty_span,
    }
}

fn article(ty: ParamType) -> String {
    match ty {
        ParamType::Int => "an int".into(),
        other => format!("a {other}"),
    }
}

/// Parse a command-line value as the declared type.
pub fn parse_value(decl: &Param, text: &str) -> Result<Dynamic, ParamError> {
    let t = text.trim();
    match decl.ty {
        ParamType::String | ParamType::Secret => Ok(Dynamic::from(text.to_string())),
        ParamType::Int => t
            .parse::<i64>()
            .map(Dynamic::from_int)
            .map_err(|_| wrong(decl, text, "write a whole number, e.g. 5")),
        ParamType::Float => t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Dynamic::from_float)
            .ok_or_else(|| wrong(decl, text, "write a number, e.g. 0.75")),
        ParamType::Bool => match t {
            "true" | "yes" | "on" | "1" => Ok(Dynamic::from_bool(true)),
            "false" | "no" | "off" | "0" => Ok(Dynamic::from_bool(false)),
            _ => Err(wrong(decl, text, "write true or false")),
        },
        ParamType::Duration => parse_duration_millis(t)
            .and_then(duration_value)
            .ok_or_else(|| {
                wrong(
                    decl,
                    text,
                    "write a duration such as 300s, 5m, 1h30m or 250ms",
                )
            }),
        ParamType::List => {
            if t.starts_with('[') {
                match serde_json::from_str::<serde_json::Value>(t) {
                    Ok(v @ serde_json::Value::Array(_)) => Ok(bindings::from_json(&v)),
                    _ => Err(wrong(
                        decl,
                        text,
                        "write a JSON array, e.g. [\"a\", \"b\"], or a,b",
                    )),
                }
            } else if t.is_empty() {
                Ok(Dynamic::from_array(Vec::new()))
            } else {
                Ok(Dynamic::from_array(
                    t.split(',')
                        .map(|s| Dynamic::from(s.trim().to_string()))
                        .collect(),
                ))
            }
        }
        ParamType::Map => match serde_json::from_str::<serde_json::Value>(t) {
            Ok(v @ serde_json::Value::Object(_)) => Ok(bindings::from_json(&v)),
            _ => Err(wrong(decl, text, "write a JSON object, e.g. {\"a\": 1}")),
        },
    }
}

/// Check (and convert) a default value against the declared type.
fn check_default(decl: &Param, v: Dynamic) -> Result<Dynamic, String> {
    let got = v.type_name();
    let bad = || format!("it is a {got}, the param is {}", article(decl.ty));
    match decl.ty {
        ParamType::String | ParamType::Secret if v.is_string() => Ok(v),
        ParamType::Int if v.is_int() => Ok(v),
        ParamType::Float if v.is_float() => Ok(v),
        ParamType::Float if v.is_int() => {
            Ok(Dynamic::from_float(v.as_int().map_err(|_| bad())? as f64))
        }
        ParamType::Bool if v.is_bool() => Ok(v),
        ParamType::List if v.is_array() => Ok(v),
        ParamType::Map if v.is_map() => Ok(v),
        ParamType::Duration if v.is_string() => parse_duration_millis(&v.to_string())
            .and_then(duration_value)
            .ok_or_else(|| format!("`{v}` is not a duration such as 300s, 5m or 1h30m")),
        _ => Err(bad()),
    }
}

/// A duration param's value: seconds, as the stdlib's `duration("5m")` and
/// `sleep(secs)` use them; an int when whole, else a float (`250ms` → 0.25).
fn duration_value(millis: u64) -> Option<Dynamic> {
    if millis % 1000 == 0 {
        i64::try_from(millis / 1000).ok().map(Dynamic::from_int)
    } else {
        Some(Dynamic::from_float(millis as f64 / 1000.0))
    }
}

/// `300s`, `5m`, `1h30m`, `250ms`, `2d` → milliseconds (the DSL's own rules).
pub fn parse_duration_millis(text: &str) -> Option<u64> {
    runbook_dsl::duration::parse_millis(text.trim()).ok()
}
