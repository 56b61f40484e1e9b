//! The options map of `sh(cmd, #{ … })`.

use rhai::{Dynamic, Map};

use crate::ActionError;

/// What `sh(cmd, #{ env, stdin, check })` may set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShOptions {
    /// Extra environment variables, on top of the runner's environment.
    pub env: Vec<(String, String)>,
    /// Text written to the command's standard input (otherwise `/dev/null`).
    pub stdin: Option<String>,
    /// Fail with `runbook::run::sh::failed` on a non-zero exit instead of
    /// returning the map (what the statement form does).
    pub check: bool,
}

const KNOWN: &str = "env, stdin, check";

impl ShOptions {
    /// Read the options map a runbook passed; unknown keys and wrong types
    /// are errors, so a typo (`#{ chek: true }`) does not go unnoticed.
    pub fn from_map(map: &Map) -> Result<ShOptions, ActionError> {
        let mut opts = ShOptions::default();
        for (key, value) in map {
            match key.as_str() {
                "env" => opts.env = env_pairs(value)?,
                "stdin" => {
                    let text = value
                        .clone()
                        .into_immutable_string()
                        .map_err(|ty| wrong_type("stdin", "a string", ty))?;
                    opts.stdin = Some(text.to_string());
                }
                "check" => {
                    opts.check = value
                        .as_bool()
                        .map_err(|ty| wrong_type("check", "a bool", ty))?
                }
                other => {
                    return Err(ActionError::new(
                        "runbook::run::sh::options",
                        format!("`sh` has no option `{other}`"),
                    )
                    .with_help(format!("the options are: {KNOWN}")))
                }
            }
        }
        Ok(opts)
    }
}

fn env_pairs(value: &Dynamic) -> Result<Vec<(String, String)>, ActionError> {
    let map = value
        .read_lock::<Map>()
        .ok_or_else(|| wrong_type("env", "a map of names to values", value.type_name()))?;
    map.iter()
        .map(|(name, v)| {
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(ActionError::new(
                    "runbook::run::sh::options",
                    format!("`{name}` is not a valid environment variable name"),
                )
                .with_help("names must be non-empty and contain neither `=` nor NUL"));
            }
            // Strings are passed as they are; numbers and bools as Rhai prints them.
            let text = match v.read_lock::<rhai::ImmutableString>() {
                Some(s) => s.to_string(),
                None => v.to_string(),
            };
            Ok((name.to_string(), text))
        })
        .collect()
}

fn wrong_type(option: &str, expected: &str, got: &str) -> ActionError {
    ActionError::new(
        "runbook::run::sh::options",
        format!("`sh` option `{option}` must be {expected}, not {got}"),
    )
}
