//! Compile outcomes, shared by every runbook a [`super::Checker`] checks.
//!
//! Runbooks repeat expressions (`app.rollout_complete()`, the same query in
//! every step), and Rhai compilation is most of the check pass. The result of
//! a compile depends only on the text and on which of its words are visible
//! names, so that pair is the key. Spans are not cached: errors are mapped to
//! the expression at hand each time.
//!
//! Most expressions compile and call only known functions: for those only
//! that fact is kept, not the Rhai AST. Holding tens of thousands of ASTs
//! made a large file's lint spend much of its time in the allocator.

use std::sync::{Arc, Mutex};

use fxhash::FxHashMap;

/// What compiling one text gave.
pub(super) enum Outcome {
    /// It compiled, and the call check found nothing, asking only about names
    /// the key fixes: it would find nothing again.
    Clean,
    /// It compiled; its calls must be checked at each use.
    Compiled(rhai::AST),
    /// Rhai rejected it.
    Failed(rhai::ParseError),
}

/// Entries kept before the cache starts over (bounds a long-lived checker).
const MAX_ENTRIES: usize = 50_000;

#[derive(Default)]
pub(super) struct CompileCache {
    map: Mutex<FxHashMap<String, Arc<Outcome>>>,
    /// Binding names, and whether Rhai accepts each as a variable.
    usable_names: Mutex<FxHashMap<String, bool>>,
}

/// The cache key of a text compiled with the visible names `used`.
pub(super) fn key(used: &[&str], source: &str) -> String {
    let names: usize = used.iter().map(|n| n.len() + 1).sum();
    let mut key = String::with_capacity(names + 1 + source.len());
    for (i, name) in used.iter().enumerate() {
        if i > 0 {
            key.push(',');
        }
        key.push_str(name);
    }
    key.push('\u{0}');
    key.push_str(source);
    key
}

impl CompileCache {
    pub(super) fn get(&self, key: &str) -> Option<Arc<Outcome>> {
        self.lock().get(key).cloned()
    }

    /// Remember `outcome` for `key`. Threads compile outside the lock, so two
    /// may insert the same key: both outcomes are the same.
    pub(super) fn insert(&self, key: String, outcome: Outcome) {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, Arc::new(outcome));
    }

    /// Whether the binding name `name` is usable from Rhai, as `compute`
    /// decides the first time.
    pub(super) fn usable_name(&self, name: &str, compute: impl FnOnce() -> bool) -> bool {
        let lock = || {
            self.usable_names
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some(usable) = lock().get(name) {
            return *usable;
        }
        let usable = compute();
        let mut names = lock();
        if names.len() >= MAX_ENTRIES {
            names.clear();
        }
        names.insert(name.to_string(), usable);
        usable
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<String, Arc<Outcome>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
