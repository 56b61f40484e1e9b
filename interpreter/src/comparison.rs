//! Splitting a condition at its top-level comparison, so a failed
//! `expect a == b` can show `left: 3, right: 5`.

use std::ops::Range;

use rhai::{Engine, Expr as RExpr, Stmt};

/// `left OP right` of a condition whose outermost operator is a comparison;
/// ranges are byte ranges of the condition's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub left: Range<usize>,
    pub op: &'static str,
    pub right: Range<usize>,
}

const OPS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];

/// Split `text` (a Rhai expression) at its top-level comparison operator,
/// using Rhai's own parse so precedence and strings are handled exactly.
pub fn split(engine: &Engine, text: &str) -> Option<Comparison> {
    let ast = engine.compile_expression(text).ok()?;
    let (name, pos) = match ast.statements() {
        [Stmt::Expr(e)] => match e.as_ref() {
            RExpr::FnCall(f, pos) if f.args.len() == 2 => (f.name.as_str(), *pos),
            _ => return None,
        },
        [Stmt::FnCall(f, pos)] if f.args.len() == 2 => (f.name.as_str(), *pos),
        _ => return None,
    };
    let op = OPS.into_iter().find(|o| *o == name)?;
    let offset = byte_offset(text, pos.line()?, pos.position()?)?;
    if !text.get(offset..)?.starts_with(op) {
        return None;
    }
    let left = trimmed(text, 0..offset);
    let right = trimmed(text, offset + op.len()..text.len());
    if left.is_empty() || right.is_empty() {
        return None;
    }
    Some(Comparison { left, op, right })
}

fn trimmed(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let start = r.start + (s.len() - s.trim_start().len());
    let end = r.end - (s.len() - s.trim_end().len());
    start..end.max(start)
}

/// Byte offset of a 1-based line and character column.
fn byte_offset(text: &str, line: usize, col: usize) -> Option<usize> {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            let within: usize = l
                .chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return Some(offset + within);
        }
        offset += l.len();
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn parts(text: &str) -> Option<(&str, &'static str, &str)> {
        let c = split(&Engine::new(), text)?;
        Some((&text[c.left], c.op, &text[c.right]))
    }

    #[test]
    fn splits_top_level_comparisons_only() {
        assert_eq!(
            parts("pods.count() == replicas + 1"),
            Some(("pods.count()", "==", "replicas + 1"))
        );
        assert_eq!(
            parts("a(\"x == y\") >= 3"),
            Some(("a(\"x == y\")", ">=", "3"))
        );
        assert_eq!(parts("a == 1 && b == 2"), None);
        assert_eq!(parts("ready()"), None);
    }

    #[test]
    fn splits_across_lines() {
        assert_eq!(
            parts("count(\n  \"a\"\n)\n  < limit"),
            Some(("count(\n  \"a\"\n)", "<", "limit"))
        );
    }
}
