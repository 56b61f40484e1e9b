//! Expressions that need no Rhai compile: a plain `"…"` string literal has
//! no names and no calls, and Rhai accepts every one (see the tests). Notes,
//! confirmations and assertion messages are mostly such literals, and a
//! compile costs far more than this look.

/// Longest literal taken as is; far below the compile engine's string limit.
const MAX_LEN: usize = 4096;

/// Whether `text` is one double-quoted string without escapes or line breaks.
pub(super) fn is_plain_string(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 2
        && bytes.len() <= MAX_LEN
        && bytes[0] == b'"'
        && bytes[bytes.len() - 1] == b'"'
        && !bytes[1..bytes.len() - 1]
            .iter()
            .any(|b| matches!(b, b'"' | b'\\' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::signature::SignatureTable;

    fn rhai_accepts(text: &str) -> bool {
        let engine = crate::check::compile_engine(&SignatureTable::default());
        engine.compile_expression(text).is_ok()
    }

    #[test]
    fn only_whole_plain_literals_qualify() {
        for yes in [
            "\"\"",
            "\"part 5 is low\"",
            "\"${x} #{ 'a' `b` é → \t\"",
            "\"\u{0}\"",
        ] {
            assert!(is_plain_string(yes), "{yes}");
            assert!(rhai_accepts(yes), "{yes}");
        }
        for no in [
            "\"",
            "x",
            "\"a\" + b",
            "\"a\\n\"",
            "\"a\nb\"",
            "`a`",
            "\"a\" \"b\"",
            "'a'",
        ] {
            assert!(!is_plain_string(no), "{no}");
        }
        assert!(!is_plain_string(&format!("\"{}\"", "a".repeat(MAX_LEN))));
    }

    proptest! {
        #[test]
        fn rhai_accepts_every_plain_literal(body in "[^\"\\\\\\n\\r]{0,64}") {
            let text = format!("\"{body}\"");
            prop_assert!(is_plain_string(&text));
            prop_assert!(rhai_accepts(&text), "{text}");
        }
    }
}
