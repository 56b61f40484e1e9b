//! Crash failpoints for the deterministic crash-enumeration test
//! (`tests/reliability_crash_enumeration.rs`, SQLite's method): the process
//! aborts the Nth time it reaches a chosen write point of the store, N taken
//! from `RUNBOOK_FAILPOINT_CRASH_AT`, the point from
//! `RUNBOOK_FAILPOINT_SITE` (default `before-append`: the Nth checkpoint
//! commit, before anything of it is written).
//!
//! Only compiled with the `failpoints` cargo feature. The root package turns
//! that feature on through a dev-dependency, so the binary `cargo test`
//! builds for its end-to-end tests has it and a `cargo build`/`cargo install`
//! binary does not (see docs/reliability.md). Without the feature every hook
//! is an empty inline function: the shipped binary never reads the variables.

/// The environment variable naming the occurrence to abort at (1 = the first).
pub const CRASH_AT_ENV: &str = "RUNBOOK_FAILPOINT_CRASH_AT";
/// The environment variable naming the write point ([`Site::name`]).
pub const SITE_ENV: &str = "RUNBOOK_FAILPOINT_SITE";

/// Test builds: the commit-log size above which a session compacts the log
/// at its end, so the crash test reaches the compaction's write points with
/// a small run (`RUNBOOK_FAILPOINT_COMPACT_BYTES=1`).
pub const COMPACT_BYTES_ENV: &str = "RUNBOOK_FAILPOINT_COMPACT_BYTES";

/// The write points of a commit and of a log compaction, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// A checkpoint commit begins: nothing of it is written. The store is as
    /// of the previous commit while every effect since has happened: the
    /// worst case resume must handle.
    BeforeAppend,
    /// Half of the commit's log frame is written: a torn append, never
    /// acknowledged, which the next open must cut off.
    TornAppend,
    /// The frame is written, not yet `fdatasync`ed (a process crash keeps
    /// it: the page cache has it).
    LogWritten,
    /// The frame is durable; sled has not seen the commit.
    LogSynced,
    /// sled got a batch of commits, in memory, unflushed: lost with the
    /// process.
    SledApplied,
    /// A compaction wrote and synced the new log, not yet renamed over the
    /// old one.
    CompactWritten,
    /// The new log replaced the old one; the directory is not yet synced.
    CompactRenamed,
}

impl Site {
    /// Every site, in the order a commit (then a compaction) reaches them.
    pub const ALL: [Site; 7] = [
        Site::BeforeAppend,
        Site::TornAppend,
        Site::LogWritten,
        Site::LogSynced,
        Site::SledApplied,
        Site::CompactWritten,
        Site::CompactRenamed,
    ];

    /// The value of `RUNBOOK_FAILPOINT_SITE` selecting it.
    pub fn name(self) -> &'static str {
        match self {
            Site::BeforeAppend => "before-append",
            Site::TornAppend => "torn-append",
            Site::LogWritten => "log-written",
            Site::LogSynced => "log-synced",
            Site::SledApplied => "sled-applied",
            Site::CompactWritten => "compact-written",
            Site::CompactRenamed => "compact-renamed",
        }
    }
}

#[cfg(feature = "failpoints")]
mod armed {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    use super::{Site, CRASH_AT_ENV, SITE_ENV};

    /// The armed site and occurrence, read once.
    fn armed() -> Option<(Site, u64)> {
        static ARMED: OnceLock<Option<(Site, u64)>> = OnceLock::new();
        *ARMED.get_or_init(|| {
            let n = std::env::var(CRASH_AT_ENV)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)?;
            let site = match std::env::var(SITE_ENV) {
                Ok(name) => Site::ALL.into_iter().find(|s| s.name() == name.trim())?,
                Err(_) => Site::BeforeAppend,
            };
            Some((site, n))
        })
    }

    /// Whether this occurrence of `site` is the one to crash at.
    pub fn fires(site: Site) -> Option<u64> {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let (armed_site, n) = armed()?;
        if armed_site != site {
            return None;
        }
        (COUNT.fetch_add(1, Ordering::SeqCst) + 1 == n).then_some(n)
    }

    pub fn abort(site: Site, n: u64) -> ! {
        // stderr is unbuffered: the test sees where the process died.
        eprintln!(
            "failpoint: aborting at checkpoint write {n} ({})",
            site.name()
        );
        std::process::abort();
    }
}

/// Abort here if `site` is armed and this is its Nth occurrence.
#[cfg(feature = "failpoints")]
pub fn reach(site: Site) {
    if let Some(n) = armed::fires(site) {
        armed::abort(site, n);
    }
}

/// The commit-log append: at [`Site::TornAppend`], write the first half of
/// `frame` at `offset` and abort, as a crash in the middle of the write would.
#[cfg(feature = "failpoints")]
pub fn log_append(file: &std::fs::File, offset: u64, frame: &[u8]) {
    use std::os::unix::fs::FileExt;
    if let Some(n) = armed::fires(Site::TornAppend) {
        // Best effort: if even this write fails, the crash is a clean one.
        let _ = file.write_all_at(&frame[..frame.len() / 2], offset);
        armed::abort(Site::TornAppend, n);
    }
}

/// The compaction threshold: `default`, or [`COMPACT_BYTES_ENV`]'s value.
#[cfg(feature = "failpoints")]
pub fn compact_min_bytes(default: u64) -> u64 {
    std::env::var(COMPACT_BYTES_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Without the `failpoints` feature: always `default`.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn compact_min_bytes(default: u64) -> u64 {
    default
}

/// Test builds: how many commits the sled store gathers before giving them
/// to sled (`RUNBOOK_FAILPOINT_SLED_BATCH`), so the crash test reaches
/// [`Site::SledApplied`] several times in a small run.
pub const SLED_BATCH_ENV: &str = "RUNBOOK_FAILPOINT_SLED_BATCH";

/// The sled batch size: `default`, or [`SLED_BATCH_ENV`]'s value.
#[cfg(feature = "failpoints")]
pub fn sled_batch_commits(default: u32) -> u32 {
    std::env::var(SLED_BATCH_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Without the `failpoints` feature: always `default`.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn sled_batch_commits(default: u32) -> u32 {
    default
}

/// The start of a checkpoint commit ([`Site::BeforeAppend`]).
#[inline(always)]
pub fn checkpoint_write() {
    reach(Site::BeforeAppend);
}

/// Without the `failpoints` feature: nothing, compiled away.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn reach(_site: Site) {}

/// Without the `failpoints` feature: nothing, compiled away.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn log_append(_file: &std::fs::File, _offset: u64, _frame: &[u8]) {}
