//! Secret values are replaced by `***` in everything the run records or shows.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

/// What secrets are replaced with.
pub const MASK: &str = "***";

/// The run's set of secret values. Cheap to clone; shared by the terminal
/// output, the journal sink and the checkpoint writer.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Never show `secret` from now on. Empty values are ignored (they would
    /// mask everything).
    pub fn add(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        if let Ok(mut s) = self.secrets.write() {
            if !s.iter().any(|x| x == secret) {
                s.push(secret.to_string());
                // Longest first, so a secret containing another is masked whole.
                s.sort_by_key(|x| std::cmp::Reverse(x.len()));
            }
        }
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Ok(secrets) = self.secrets.read() else {
            return Cow::Borrowed(MASK);
        };
        let mut out = Cow::Borrowed(text);
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), MASK));
            }
        }
        out
    }

    /// Whether `text` contains a secret.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.secrets
            .read()
            .map(|s| s.iter().any(|x| text.contains(x.as_str())))
            .unwrap_or(true)
    }
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values themselves.
        let n = self.secrets.read().map(|s| s.len()).unwrap_or(0);
        write!(f, "Redactor({n} secrets)")
    }
}
