//! How actions report failures to the interpreter.
//!
//! An action fails by returning a Rhai runtime error whose value is the map
//! made by [`ActionError::into_rhai`]; the interpreter turns it back with
//! [`ActionError::from_rhai`] and renders a diagnostic at the statement's span
//! (or, with `locate`, at a position inside a string literal of the
//! statement, e.g. the caret inside an SQL text).

use rhai::{Dynamic, EvalAltResult, Map, Position};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionError {
    /// Stable code, e.g. `runbook::run::kube::not_found`.
    pub code: String,
    /// What went wrong, with the object/host/user it concerns (never a secret).
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Point inside the expression's source: find `needle` (e.g. the SQL text)
    /// in the expression and add `offset` chars (0-based).
    pub locate: Option<(String, usize)>,
}

impl ActionError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ActionError {
            code: code.into(),
            message: message.into(),
            help: None,
            locate: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn locate(mut self, needle: impl Into<String>, offset: usize) -> Self {
        self.locate = Some((needle.into(), offset));
        self
    }

    pub fn into_rhai(self) -> Box<EvalAltResult> {
        let mut m = Map::new();
        m.insert("__action_error".into(), true.into());
        m.insert("code".into(), self.code.into());
        m.insert("message".into(), self.message.into());
        if let Some(h) = self.help {
            m.insert("help".into(), h.into());
        }
        if let Some((needle, offset)) = self.locate {
            m.insert("locate_text".into(), needle.into());
            m.insert("locate_offset".into(), (offset as rhai::INT).into());
        }
        Box::new(EvalAltResult::ErrorRuntime(
            Dynamic::from_map(m),
            Position::NONE,
        ))
    }

    /// Recover an action error from anywhere inside a Rhai error chain
    /// (Rhai wraps errors raised inside function calls).
    pub fn from_rhai(err: &EvalAltResult) -> Option<ActionError> {
        match err {
            EvalAltResult::ErrorRuntime(value, _) => {
                let map = value.read_lock::<Map>()?;
                if !map.contains_key("__action_error") {
                    return None;
                }
                let get = |k: &str| map.get(k).map(|v| v.to_string());
                Some(ActionError {
                    code: get("code").unwrap_or_default(),
                    message: get("message").unwrap_or_default(),
                    help: get("help"),
                    locate: match (map.get("locate_text"), map.get("locate_offset")) {
                        (Some(t), Some(o)) => Some((
                            t.to_string(),
                            o.as_int()
                                .ok()
                                .and_then(|o| usize::try_from(o).ok())
                                .unwrap_or(0),
                        )),
                        _ => None,
                    },
                })
            }
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => ActionError::from_rhai(inner),
            _ => None,
        }
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ActionError {}
