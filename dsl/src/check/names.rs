//! The names visible at a point of the runbook.
//!
//! Rhai looks names up in a scope linearly, so a runbook whose steps bind
//! thousands of names would make every compile slow. The scope given to Rhai
//! for one expression therefore holds only the visible names that occur as
//! words in it ([`Names::used_in`]): enough for every lookup it can make.

use std::collections::HashSet;

#[derive(Clone, Default)]
pub(super) struct Names {
    /// Visible names in the order they were bound (each once).
    pushed: Vec<String>,
    set: HashSet<String>,
}

/// A point to [`Names::rewind`] to.
#[derive(Clone, Copy)]
pub(super) struct Mark(usize);

impl Names {
    pub(super) fn push(&mut self, name: &str) {
        if self.set.insert(name.to_string()) {
            self.pushed.push(name.to_string());
        }
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    /// The visible names that occur as words in `text`, each once.
    pub(super) fn used_in<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut used: Vec<&str> = Vec::new();
        let words = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty());
        for word in words {
            if self.set.contains(word) && !used.contains(&word) {
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
