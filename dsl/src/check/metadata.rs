//! The `runbook "title" { … }` block: known keys, each once, right shapes.

use std::collections::HashMap;

use super::error::CheckError;
use crate::ast::{MetaValue, Metadata, Span};

/// Severity words `severity` accepts.
pub const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

pub(super) fn check(meta: &Metadata, errors: &mut Vec<CheckError>) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for entry in &meta.entries {
        let key = entry.key.name.as_str();
        if let Some(first) = seen.get(key) {
            errors.push(CheckError::DuplicateMetadata {
                key: key.to_string(),
                first: *first,
                span: entry.key.span,
            });
            continue;
        }
        seen.insert(key, entry.key.span);
        let problem = match (key, &entry.value) {
            ("id" | "version" | "owner" | "summary", MetaValue::Str(_)) => None,
            ("id" | "version" | "owner" | "summary", _) => {
                Some(format!("`{key}` takes a quoted string, as in {key} \"…\""))
            }
            ("severity", MetaValue::Word(w)) => severity(&w.name),
            ("severity", MetaValue::Str(s)) => severity(&s.value),
            ("severity", MetaValue::List(_)) => severity(""),
            ("tags", MetaValue::List(_)) => None,
            ("tags", _) => {
                Some("`tags` takes a list of strings, as in tags [\"db\", \"scaling\"]".to_string())
            }
            _ => Some(format!("unknown metadata key `{key}`")),
        };
        if let Some(message) = problem {
            errors.push(CheckError::BadMetadata {
                message,
                span: entry.span,
            });
        }
    }
}

fn severity(word: &str) -> Option<String> {
    (!SEVERITIES.contains(&word)).then(|| {
        format!(
            "severity must be one of {}, not `{word}`",
            SEVERITIES.join(", ")
        )
    })
}
