//! `shell_quote(s)`: make a value safe to interpolate into an `sh` command.

use rhai::{FuncRegistration, ImmutableString};

use crate::{Class, Signature};

pub(super) fn register(engine: &mut rhai::Engine) {
    FuncRegistration::new("shell_quote")
        .register_into_engine(engine, |s: ImmutableString| -> String { shell_quote(&s) });
}

/// POSIX shell quoting: words made only of safe characters stay as they are
/// (readable journals: `--replicas=5`); anything else is wrapped in single
/// quotes, each `'` written as `'\''`. The empty string becomes `''`.
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./=:,@%+".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub(super) fn signatures() -> Vec<Signature> {
    vec![Signature {
        module: None,
        name: "shell_quote",
        receiver: None,
        params: &["text"],
        optional: 0,
        class: Class::Read,
        doc: "Quote text for a POSIX shell, for interpolating params into `sh` commands.",
    }]
}
