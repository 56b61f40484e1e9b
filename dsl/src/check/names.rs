//! The names visible at a point of the runbook.
//!
//! Rhai looks names up in a scope linearly, so a runbook whose steps bind
//! thousands of names would make every compile slow. The scope given to Rhai
//! for one expression therefore holds only the visible names that occur as
//! words in it ([`Names::used_in`]): enough for every lookup it can make.

use fxhash::FxHashSet;

#[derive(Clone, Default)]
pub(super) struct Names {
    /// Visible names in the order they were bound (each once).
    pushed: Vec<String>,
    set: FxHashSet<String>,
}

/// A point to [`Names::rewind`] to.
#[derive(Clone, Copy)]
pub(super) struct Mark(usize);

impl Names {
    pub(super) fn push(&mut self, name: &str) {
        if !self.set.contains(name) {
            self.set.insert(name.to_string());
            self.pushed.push(name.to_string());
        }
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// The visible names that occur as words in `text` (runs of
    /// alphanumeric characters and `_`), each once, in order of occurrence.
    pub(super) fn used_in<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut used: Vec<&str> = Vec::new();
        for word in words(text) {
            // A name starts with a letter or `_`: skip numbers early.
            let starts_name = !word.as_bytes()[0].is_ascii_digit();
            if starts_name && self.set.contains(word) && !used.contains(&word) {
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
    use super::*;

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
            names.push(n);
        }
        assert_eq!(names.used_in("f(ns, n, ns.n, é→1, 5ns)"), ["ns", "n", "é"]);
        let mark = names.mark();
        names.push("x");
        assert!(names.contains("x"));
        names.rewind(mark);
        assert!(!names.contains("x"));
        assert!(names.contains("ns"));
    }
}
