//! Shared by the stdlib test harnesses (`kube_common`, `pg_support`): the
//! runtime and action context each builds, and assertions on error messages
//! that print the whole message when they fail.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::Arc;

use runbook_stdlib::{ActionContext, EventSink, KubeOptions};
use tokio::runtime::Runtime;

/// A two-worker runtime (the test machines have two cores) and an action
/// context on it reporting to `sink`, with the temp dir as base dir.
pub fn runtime_and_context(
    sink: Arc<dyn EventSink>,
    dry_run: bool,
    kube: KubeOptions,
) -> (Runtime, Arc<ActionContext>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ctx = Arc::new(ActionContext::new(
        runtime.handle().clone(),
        sink,
        std::env::temp_dir(),
        dry_run,
        kube,
    ));
    (runtime, ctx)
}

/// Asserts that `message` contains `needle`.
#[track_caller]
pub fn assert_mentions(message: &str, needle: &str) {
    assert!(
        message.contains(needle),
        "expected {needle:?} in:\n{message}"
    );
}

/// Asserts that `message` contains `needle`, ignoring case (for OS error
/// texts such as "Connection refused", whose case varies).
#[track_caller]
pub fn assert_mentions_any_case(message: &str, needle: &str) {
    assert!(
        message.to_lowercase().contains(&needle.to_lowercase()),
        "expected {needle:?} (any case) in:\n{message}"
    );
}

/// Asserts that `message` starts with `prefix`.
#[track_caller]
pub fn assert_starts_with(message: &str, prefix: &str) {
    assert!(
        message.starts_with(prefix),
        "expected a message starting with {prefix:?}:\n{message}"
    );
}
