//! Compiled expressions, shared by every runbook a [`super::Checker`] checks.
//!
//! Runbooks repeat expressions (`app.rollout_complete()`, the same query in
//! every step), and Rhai compilation is most of the check pass. The result of
//! a compile depends only on the text and on which of its words are visible
//! names, so that pair is the key. Spans are not cached: errors are mapped to
//! the expression at hand each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What compiling one text gave.
pub(super) type Compiled = Arc<Result<rhai::AST, rhai::ParseError>>;

/// Entries kept before the cache starts over (bounds a long-lived checker).
const MAX_ENTRIES: usize = 50_000;

#[derive(Default)]
pub(super) struct CompileCache {
    map: Mutex<HashMap<String, Compiled>>,
}

impl CompileCache {
    /// The cached result for `key`, or `compile()`'s, remembered.
    pub(super) fn get_or_compile(
        &self,
        key: String,
        compile: impl FnOnce() -> Result<rhai::AST, rhai::ParseError>,
    ) -> Compiled {
        if let Some(hit) = self.lock().get(&key) {
            return hit.clone();
        }
        // Compile outside the lock so threads do not wait on each other.
        let compiled: Compiled = Arc::new(compile());
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, compiled.clone());
        compiled
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Compiled>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
