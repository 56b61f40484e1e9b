//! DSL string literals (titles, metadata values): `"…"` → its value.

use crate::ast::Span;
use crate::diagnostic::ParseError;

/// Unescape the quoted `text` found at byte `start` of the source.
pub(super) fn unescape(text: &str, start: usize) -> Result<String, ParseError> {
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        let escaped = chars.next().map(|(_, e)| e);
        match escaped {
            Some('"') => value.push('"'),
            Some('\\') => value.push('\\'),
            Some('n') => value.push('\n'),
            Some('t') => value.push('\t'),
            Some('r') => value.push('\r'),
            other => {
                let at = start + 1 + i;
                let len = 1 + other.map_or(0, char::len_utf8);
                return Err(ParseError::BadEscape {
                    found: format!("\\{}", other.map(String::from).unwrap_or_default()),
                    span: Span::new(at, at + len),
                });
            }
        }
    }
    Ok(value)
}
