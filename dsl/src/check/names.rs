//! The names visible at a point of the runbook.
//!
//! Rhai looks names up in a scope linearly, so a runbook whose steps bind
//! thousands of names would make every compile slow. The scope given to Rhai
//! for one expression therefore holds only the visible names that occur as
//! words in it ([`Names::used_in`]): enough for every lookup it can make.

use fxhash::FxHashMap;

#[derive(Clone, Default)]
pub(super) struct Names {
    /// Visible names in the order they were bound (each once).
    pushed: Vec<String>,
    /// Each visible name, and whether Rhai takes it as a variable.
    set: FxHashMap<String, bool>,
}

/// A point to [`Names::rewind`] to.
#[derive(Clone, Copy)]
pub(super) struct Mark(usize);

impl Names {
    /// Make `name` visible; `usable`: whether Rhai takes it as a variable.
    pub(super) fn push(&mut self, name: &str, usable: bool) {
        if !self.set.contains_key(name) {
            self.set.insert(name.to_string(), usable);
            self.pushed.push(name.to_string());
        }
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.set.contains_key(name)
    }

    /// Whether `name` is visible and Rhai takes it as a variable.
    pub(super) fn contains_usable(&self, name: &str) -> bool {
        self.set.get(name).copied().unwrap_or(false)
    }

    /// The visible names that occur as words in `text` (runs of
    /// alphanumeric characters and `_`), each once, in order of occurrence.
    pub(super) fn used_in<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut used: Vec<&str> = Vec::new();
        for word in words(text) {
            // A name starts with a letter or `_`: skip numbers early.
            let starts_name = !word.as_bytes()[0].is_ascii_digit();
            if starts_name && self.set.contains_key(word) && !used.contains(&word) {
                used.push(word);
            }
        }
        used
    }

    pub(super) fn mark(&self) -> Mark {
        Mark(self.pushed.len())
    }

    /// Forget every name bound since `mark`.
    pub(super) fn rewind(&mut self, mark: Mark) {
        for name in self.pushed.drain(mark.0..) {
            self.set.remove(&name);
        }
    }
}

/// Whether Rhai takes `name` as a variable, when that is known without a
/// compile: `None` when it is not. A name (as the grammar spells one) of ASCII letters, digits and `_`
/// with a digit in it is none of Rhai's keywords and reserved words (none has
/// a digit), so it is a variable exactly when Rhai calls it a valid
/// identifier. Generated and numbered names (`before_3`) are all distinct,
/// and a compile each was a tenth of a large file's check.
pub(super) fn usable_without_compile(name: &str) -> Option<bool> {
    // The DSL's names: an ASCII letter or `_`, then letters, digits, `_`.
    let word = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let digit = name.bytes().any(|b| b.is_ascii_digit());
    (word && digit).then(|| rhai::is_valid_identifier(name))
}

/// The non-empty runs of `char::is_alphanumeric` characters and `_` in
/// `text`, scanning ASCII bytewise.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let mut start = None;
        while i < bytes.len() {
            let (is_word, len) = word_char_at(text, i);
            match (is_word, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    let word = &text[s..i];
                    i += len;
                    return Some(word);
                }
                _ => {}
            }
            i += len;
        }
        start.map(|s| &text[s..])
    })
}

/// Whether the char at byte `i` belongs to a word, and its length.
fn word_char_at(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes()[i];
    if b.is_ascii() {
        return (b.is_ascii_alphanumeric() || b == b'_', 1);
    }
    match text[i..].chars().next() {
        Some(c) => (c.is_alphanumeric(), c.len_utf8()),
        None => (false, 1),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::signature::SignatureTable;

    /// The rule the shortcut stands for: `name` compiles alone with `name`
    /// in scope.
    fn rhai_takes_as_variable(name: &str) -> bool {
        let engine = crate::check::compile_engine(&SignatureTable::default());
        let mut scope = rhai::Scope::new();
        scope.push_dynamic(name, rhai::Dynamic::UNIT);
        engine.compile_expression_with_scope(&scope, name).is_ok()
    }

    #[test]
    fn numbered_names_are_decided_without_compile() {
        for (name, usable) in [
            ("wanted_0", true),
            ("a1", true),
            ("_a1", true),
            ("_1", false),
        ] {
            assert_eq!(usable_without_compile(name), Some(usable), "{name}");
            assert_eq!(rhai_takes_as_variable(name), usable, "{name}");
        }
        for name in ["if", "this", "print", "is_def_var", "x", "é1", "a-1", "9a"] {
            assert_eq!(usable_without_compile(name), None, "{name}");
        }
    }

    proptest! {
        #[test]
        fn the_shortcut_agrees_with_rhai(
            name in "[A-Za-z_0-9]{1,12}|(if|fn|let|this|print|is_def_var|true|Fn|_)[0-9_]{0,3}"
        ) {
            if let Some(usable) = usable_without_compile(&name) {
                prop_assert_eq!(usable, rhai_takes_as_variable(&name), "{}", name);
            }
        }
    }

    #[test]
    fn words_split_like_char_is_alphanumeric() {
        for text in [
            "",
            "a",
            "kube::pods(ns, \"app=x\").len() > n_1 + 2",
            "é→x_é9 ü",
            "→",
            "a→",
            "  x  ",
            "0x1f + 1e5",
        ] {
            let expected: Vec<&str> = text
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(words(text).collect::<Vec<_>>(), expected, "{text}");
        }
    }

    #[test]
    fn used_names_are_visible_words_once_each() {
        let mut names = Names::default();
        for n in ["ns", "n", "é"] {
            names.push(n, true);
        }
        assert_eq!(names.used_in("f(ns, n, ns.n, é→1, 5ns)"), ["ns", "n", "é"]);
        let mark = names.mark();
        names.push("x", false);
        assert!(names.contains("x"));
        assert!(!names.contains_usable("x"));
        assert!(names.contains_usable("ns"));
        names.rewind(mark);
        assert!(!names.contains("x"));
        assert!(names.contains("ns"));
    }
}
