//! A crash failpoint for the deterministic crash-enumeration test
//! (`tests/reliability_crash_enumeration.rs`, SQLite's method): the process
//! aborts at its Nth checkpoint commit, N taken from
//! `RUNBOOK_FAILPOINT_CRASH_AT`.
//!
//! Only compiled with the `failpoints` cargo feature. The root package turns
//! that feature on through a dev-dependency, so the binary `cargo test`
//! builds for its end-to-end tests has it and a `cargo build`/`cargo install`
//! binary does not (see docs/reliability.md). Without the feature the hook is
//! an empty inline function: the shipped binary never reads the variable.

/// The environment variable naming the commit to abort at (1 = the first).
pub const CRASH_AT_ENV: &str = "RUNBOOK_FAILPOINT_CRASH_AT";

/// Called at the checkpoint-write site, before the write is made durable, so
/// that an abort at commit N leaves the store as of commit N-1 while every
/// effect made since then has happened: the worst case resume must handle.
#[cfg(feature = "failpoints")]
pub fn checkpoint_write() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static CRASH_AT: OnceLock<Option<u64>> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);

    let crash_at = CRASH_AT.get_or_init(|| {
        std::env::var(CRASH_AT_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
    });
    if let Some(n) = *crash_at {
        let this = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
        if this == n {
            // stderr is unbuffered: the test sees which write it died at.
            eprintln!("failpoint: aborting at checkpoint write {n}");
            std::process::abort();
        }
    }
}

/// Without the `failpoints` feature: nothing, compiled away.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn checkpoint_write() {}
