//! The names visible at a point of the runbook, as the Rhai scope that
//! strict-variables compilation checks against.
//!
//! Each name is held once (shadowing does not matter for "is it defined"),
//! which keeps the scope small when many steps bind the same names.

use std::collections::HashSet;

#[derive(Clone, Default)]
pub(super) struct Names {
    scope: rhai::Scope<'static>,
    /// The names in `scope`, in push order (same length as `scope`).
    pushed: Vec<String>,
    set: HashSet<String>,
}

/// A point to [`Names::rewind`] to.
#[derive(Clone, Copy)]
pub(super) struct Mark(usize);

impl Names {
    pub(super) fn push(&mut self, name: &str) {
        if self.set.insert(name.to_string()) {
            self.scope
                .push_dynamic(name.to_string(), rhai::Dynamic::UNIT);
            self.pushed.push(name.to_string());
        }
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.set.contains(name)
    }

    pub(super) fn scope(&self) -> &rhai::Scope<'static> {
        &self.scope
    }

    pub(super) fn mark(&self) -> Mark {
        Mark(self.pushed.len())
    }

    /// Forget every name pushed since `mark`.
    pub(super) fn rewind(&mut self, mark: Mark) {
        for name in self.pushed.drain(mark.0..) {
            self.set.remove(&name);
        }
        self.scope.rewind(mark.0);
    }
}
