//! Between an [`Expr`] as written in the `.runbook` file and the text Rhai
//! compiles, and back from Rhai positions to file spans.
//!
//! The two texts differ in one way only: inside brackets the DSL lets a
//! `"…"` string run over several lines (SQL in `db.query("…")`), which Rhai
//! does not. [`rhai_source`] writes each such line break as the escape `\n`;
//! [`rhai_span`] undoes that shift when it maps a Rhai position back. Compile
//! `rhai_source(expr)`, never `expr.text`, so that errors map correctly.

use std::borrow::Cow;

use crate::ast::{Expr, Span};

/// The Rhai source text of `expr` (see the module docs).
pub fn rhai_source(expr: &Expr) -> Cow<'_, str> {
    match lower(&expr.text) {
        Some((text, _)) => Cow::Owned(text),
        None => Cow::Borrowed(&expr.text),
    }
}

/// The byte span in the `.runbook` file of the token at `pos`, a Rhai
/// line/column inside the compiled text of `expr`. A position Rhai did not
/// give ([`rhai::Position::NONE`]) maps to the whole expression.
pub fn rhai_span(expr: &Expr, pos: rhai::Position) -> Span {
    let (Some(line), Some(column)) = (pos.line(), pos.position()) else {
        return expr.span;
    };
    let lowered = lower(&expr.text);
    let (text, inserted): (&str, &[usize]) = match &lowered {
        Some((t, ins)) => (t.as_str(), ins.as_slice()),
        None => (expr.text.as_str(), &[]),
    };
    let at = offset_of(text, line, column);
    // Every escape written before `at` made the Rhai text one byte longer.
    let shift = inserted.iter().take_while(|&&i| i <= at).count();
    let start = at.saturating_sub(shift).min(expr.text.len());
    let len = token_len(&expr.text[start..]);
    Span::new(expr.span.start + start, expr.span.start + start + len)
}

/// Byte offset of Rhai's 1-based `line` and `column` (in characters) in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut line_start = 0;
    for _ in 1..line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[line_start..];
    let line_len = line_text.find('\n').unwrap_or(line_text.len());
    let within = line_text[..line_len]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_len, |(i, _)| i);
    line_start + within
}

/// Length of the token starting `rest`: a name, or one character.
fn token_len(rest: &str) -> usize {
    let word = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if word > 0 {
        word
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    }
}

/// Rewrite raw line breaks inside `"…"` strings as escapes. `None` when there
/// are none (the common case); otherwise the new text and, for each escape,
/// the index in the new text of the byte it added.
fn lower(text: &str) -> Option<(String, Vec<usize>)> {
    if !text.contains('"') || !text.contains(['\n', '\r']) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 8);
    let mut inserted = Vec::new();
    // Brace depth of each `${ … }` we are inside; empty = plain code.
    let mut interps: Vec<usize> = Vec::new();
    let mut in_template = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_template {
            match c {
                b'`' if bytes.get(i + 1) == Some(&b'`') => {
                    out.extend_from_slice(b"``");
                    i += 2;
                    continue;
                }
                b'`' => in_template = false,
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    out.extend_from_slice(b"${");
                    interps.push(0);
                    in_template = false;
                    i += 2;
                    continue;
                }
                b'\\' if bytes.get(i + 1) == Some(&b'$') => {
                    out.extend_from_slice(b"\\$");
                    i += 2;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                out.push(c);
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => break,
                        b'\\' => {
                            out.push(b'\\');
                            if let Some(&n) = bytes.get(i + 1) {
                                out.push(n);
                            }
                            i += 2;
                            continue;
                        }
                        b'\n' | b'\r' => {
                            out.push(b'\\');
                            inserted.push(out.len());
                            out.push(if bytes[i] == b'\n' { b'n' } else { b'r' });
                        }
                        b => out.push(b),
                    }
                    i += 1;
                }
                if i < bytes.len() {
                    out.push(b'"');
                    i += 1;
                }
                continue;
            }
            b'`' => in_template = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find(['\n', '\r']).map_or(bytes.len(), |e| i + e);
                out.extend_from_slice(&bytes[i..end]);
                i = end;
                continue;
            }
            b'\'' => {
                // A char literal may hold a `"`: copy it whole.
                let end = char_literal_end(bytes, i);
                out.extend_from_slice(&bytes[i..end]);
                i = end;
                continue;
            }
            b'{' => {
                if let Some(depth) = interps.last_mut() {
                    *depth += 1;
                }
            }
            b'}' => match interps.last_mut() {
                Some(0) => {
                    interps.pop();
                    in_template = true;
                }
                Some(depth) => *depth -= 1,
                None => {}
            },
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    if inserted.is_empty() {
        return None;
    }
    // Only ASCII bytes were added or changed, so the text stays UTF-8.
    String::from_utf8(out).ok().map(|s| (s, inserted))
}

fn char_literal_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from + 1;
    if bytes.get(i) == Some(&b'\\') {
        i += 2;
    } else {
        i += 1;
    }
    while i < bytes.len() && bytes[i] != b'\'' && bytes[i] != b'\n' {
        i += 1;
    }
    if bytes.get(i) == Some(&b'\'') {
        i + 1
    } else {
        from + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str, at: usize) -> Expr {
        Expr {
            text: text.to_string(),
            span: Span::new(at, at + text.len()),
        }
    }

    #[test]
    fn single_line_text_is_unchanged() {
        let e = expr(r#"f("a\nb", 'x')"#, 0);
        assert!(matches!(rhai_source(&e), Cow::Borrowed(_)));
    }

    #[test]
    fn line_breaks_in_strings_become_escapes() {
        let e = expr("q(\"a\n  b\") + `x\ny`", 10);
        assert_eq!(rhai_source(&e), "q(\"a\\n  b\") + `x\ny`");
    }

    #[test]
    fn positions_after_an_escape_map_back() {
        let text = "q(\"a\n  b\", zz)";
        let e = expr(text, 100);
        // In the Rhai text everything is on line 1; `zz` is at column 13.
        let span = rhai_span(&e, rhai::Position::new(1, 13));
        assert_eq!(&text[span.start - 100..span.end - 100], "zz");
    }

    #[test]
    fn positions_on_later_lines_map_back() {
        let text = "f(1,\n   bad)";
        let e = expr(text, 7);
        let span = rhai_span(&e, rhai::Position::new(2, 4));
        assert_eq!(span, Span::new(7 + 8, 7 + 11));
    }
}
