//! The sled store: one commit log and one sled database per run, so that
//! the exclusive lock sled takes on a database only ever concerns one run's
//! runner.
//!
//! ```text
//! <state>/runs/<id>/lock          flock + holder (pid, host, since)
//! <state>/runs/<id>/commits.log   the durable truth: one checksummed frame per commit
//! <state>/runs/<id>/checkpoint/   sled: "run", "step/<id>", "rb/<id>" records (JSON) and
//!                                 "commit" (its position in the log); rebuilt from the log
//! <state>/runs/<id>/journal.jsonl append-only events, one JSON object per line
//! <state>/runs/<id>/summary.json  reader-facing summary, atomically replaced
//! ```
//!
//! A commit is durable once its frame is in the log (`commit_log`); sled is
//! the indexed copy resume reads, brought up to date from the log — or
//! rebuilt from it — when the run is opened (`recovery`).
//!
//! Readers (`runs`, `status`, `log`) never open the sled database: sled would
//! refuse (or, worse, block the runner from opening it). They read
//! `summary.json`, which the runner replaces by rename at every run status
//! change, and the journal, which only grows and whose last line may be
//! partial (ignored). Resume never reads either; the runner rebuilds the
//! summary from the records at every start.

mod commit_log;
mod recovery;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::event::Event;
use crate::record::{RunRecord, StepRecord, FORMAT_VERSION};

use crate::failpoint::Site;

use super::lock::{self, Holder, RunLock};
use super::{private_fs, Journal, RunSession, RunSummary, Store, StoreError};
use commit_log::{CommitLog, FrameKind, Write as LogWrite};

/// Runs kept under a state directory.
pub struct SledStore {
    root: PathBuf,
}

impl SledStore {
    /// A store rooted at `state_dir` (created with mode 0700 on first write).
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        SledStore {
            root: state_dir.into(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn runs_dir(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// The directory holding one run.
    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.runs_dir().join(id)
    }

    fn not_found(&self, id: &str) -> StoreError {
        StoreError::NotFound {
            id: id.to_string(),
            dir: self.runs_dir(),
        }
    }

    fn session(&self, id: &str, create: bool) -> Result<SledSession, StoreError> {
        let dir = self.run_dir(id);
        if create {
            private_fs::create_dir(&self.runs_dir()).map_err(io(&self.runs_dir()))?;
            match std::fs::DirBuilder::new().mode_private().create(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(StoreError::Io {
                        path: dir,
                        source: e,
                    })
                }
                Err(e) => return Err(io(&dir)(e)),
            }
        } else if !dir.is_dir() {
            return Err(self.not_found(id));
        }
        let lock = RunLock::acquire(id, &lock::lock_path(&dir))?;
        let db_path = dir.join("checkpoint");
        let log_path = dir.join(LOG_FILE);
        let (db, log, seq) = if create {
            // sled would create it with the umask's mode.
            private_fs::create_dir(&db_path).map_err(io(&db_path))?;
            let log = CommitLog::create(&log_path).map_err(io(&log_path))?;
            commit_log::sync_dir(&dir).map_err(io(&dir))?;
            let db = open_sled(&db_path).map_err(|e| sled_error(id, &db_path, e))?;
            (db, log, 0)
        } else {
            let opened = recovery::open(id, &dir, &db_path, &log_path)?;
            recovery::refresh_summary(&dir, &opened.0)?;
            opened
        };
        private_fs::restrict_files(&db_path).map_err(io(&db_path))?;
        let journal_path = dir.join("journal.jsonl");
        let journal = FileJournal::open(&journal_path).map_err(io(&journal_path))?;
        Ok(SledSession {
            id: id.to_string(),
            dir,
            db,
            db_path,
            log,
            seq,
            staged: Vec::new(),
            pending: Vec::new(),
            pending_at: None,
            pending_commits: 0,
            journal: Arc::new(journal),
            _lock: lock,
        })
    }
}

/// The name of the commit log in a run's directory.
const LOG_FILE: &str = "commits.log";

/// An `Io` error about `path`.
fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io { path, source }
}

/// Open (or create) a run's sled database.
///
/// The caller holds the run's lock, so no other runner can have this
/// database open. sled's own file lock can still be held for a moment by a
/// `Db` this process just dropped (sled's threads release their handles
/// after `drop` returns), e.g. when `approve` reopens a run. That lock is
/// waited out briefly instead of failing the command.
fn open_sled(path: &Path) -> sled::Result<sled::Db> {
    let deadline = std::time::Instant::now() + SLED_LOCK_WAIT;
    loop {
        match open_sled_once(path) {
            Err(sled::Error::Io(e))
                if is_sled_lock_conflict(&e) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// How long to wait for a just-dropped `Db` of this process to let go.
const SLED_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// sled 0.34 reports a held file lock as an `Other` error with this text.
fn is_sled_lock_conflict(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Other && e.to_string().contains("could not acquire lock")
}

fn open_sled_once(path: &Path) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(path)
        // sled's own cache: the store reads each record once per open, so
        // a large cache only adds to the runner's resident size.
        .cache_capacity(SLED_CACHE_BYTES)
        // Durability comes from the commit log; sled writes its buffers as
        // they fill and flushes when the session ends. A background flusher
        // would only add writes competing with the log's fdatasync.
        .flush_every_ms(None)
        .open()
}

/// sled's cache size (its default is 1 GiB).
const SLED_CACHE_BYTES: u64 = 512 * 1024;

/// `DirBuilder` with mode 0700, non-recursive (so "already exists" is seen).
trait PrivateDirBuilder {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateDirBuilder for std::fs::DirBuilder {
    fn mode_private(&mut self) -> &mut Self {
        use std::os::unix::fs::DirBuilderExt;
        self.mode(0o700)
    }
}

fn sled_error(id: &str, path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(source) => StoreError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => StoreError::Corrupt {
            id: id.to_string(),
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

impl Store for SledStore {
    fn create(&self, record: &RunRecord) -> Result<Box<dyn RunSession>, StoreError> {
        let mut s = self.session(&record.id, true)?;
        s.put_run(record)?;
        s.commit()?;
        Ok(Box::new(s))
    }

    fn open(&self, id: &str) -> Result<Box<dyn RunSession>, StoreError> {
        Ok(Box::new(self.session(id, false)?))
    }

    fn exists(&self, id: &str) -> bool {
        self.run_dir(id).exists()
    }

    fn list(&self) -> Result<Vec<RunSummary>, StoreError> {
        let dir = self.runs_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(StoreError::Io { path: dir, source }),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?;
            let Some(id) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !entry.path().is_dir() {
                continue;
            }
            // A run whose creation was cut short (killed before its first
            // commit) has no summary yet: it never started, list the others.
            if !entry.path().join("summary.json").exists() {
                continue;
            }
            out.push(self.summary(&id)?);
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    fn summary(&self, id: &str) -> Result<RunSummary, StoreError> {
        let dir = self.run_dir(id);
        if !dir.is_dir() {
            return Err(self.not_found(id));
        }
        let path = dir.join("summary.json");
        let bytes = std::fs::read(&path).map_err(|e| StoreError::Corrupt {
            id: id.to_string(),
            path: path.clone(),
            detail: format!("{e} (resuming the run rebuilds it)"),
        })?;
        let summary: RunSummary =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                id: id.to_string(),
                path: path.clone(),
                detail: e.to_string(),
            })?;
        check_format(id, summary.format)?;
        Ok(summary)
    }

    fn journal(&self, id: &str) -> Result<Vec<Event>, StoreError> {
        let dir = self.run_dir(id);
        if !dir.is_dir() {
            return Err(self.not_found(id));
        }
        let path = dir.join("journal.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(StoreError::Io { path, source }),
        };
        parse_journal(id, &path, &text)
    }

    fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError> {
        let path = lock::lock_path(&self.run_dir(id));
        lock::read_holder(&path).map_err(|source| StoreError::Io { path, source })
    }
}

/// Parse journal text. The last line may be partial (a write in progress or
/// cut by a crash) and is ignored; any other unreadable line is corruption.
pub fn parse_journal(id: &str, path: &Path, text: &str) -> Result<Vec<Event>, StoreError> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut events = Vec::new();
    for (n, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str(line).map_err(|e| StoreError::Corrupt {
            id: id.to_string(),
            path: path.to_path_buf(),
            detail: format!("line {}: {e}", n + 1),
        })?;
        events.push(event);
    }
    Ok(events)
}

fn check_format(id: &str, found: u32) -> Result<(), StoreError> {
    if found > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            id: id.to_string(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    Ok(())
}

struct SledSession {
    id: String,
    dir: PathBuf,
    /// The indexed copy of the commit log: what `load` reads.
    db: sled::Db,
    db_path: PathBuf,
    /// The durability point: one frame per commit.
    log: CommitLog,
    /// Sequence number of the last commit.
    seq: u64,
    /// Writes since the last commit, in order.
    staged: Vec<LogWrite>,
    /// Committed (durable in the log) but not yet given to sled, with the
    /// log position of the last of them.
    pending: Vec<LogWrite>,
    pending_at: Option<(u64, u64)>,
    pending_commits: u32,
    journal: Arc<FileJournal>,
    _lock: RunLock,
}

const RUN_KEY: &[u8] = b"run";
/// sled's position in the commit log: the sequence number and end offset of
/// the last frame applied to it, written in the same batch as the frame's
/// records.
const META_KEY: &[u8] = b"commit";
/// Compact the log at the end of a session once it is larger than this and
/// than [`COMPACT_FACTOR`] times its first frame (the last snapshot).
const COMPACT_MIN_BYTES: u64 = 8 * 1024 * 1024;
const COMPACT_FACTOR: u64 = 4;
/// Committed writes are given to sled in batches of this many commits (and
/// when the session ends): every batch makes sled write and
/// `sync_file_range` its buffers, I/O that would otherwise compete with the
/// commit log's `fdatasync` at every step. A crash loses at most the batch,
/// which the next open replays from the log.
const SLED_BATCH_COMMITS: u32 = 64;

fn step_key(step: &StepRecord) -> Vec<u8> {
    let prefix = if step.rollback { "rb/" } else { "step/" };
    format!("{prefix}{}", step.id).into_bytes()
}

/// [`META_KEY`]'s value.
fn encode_meta(seq: u64, end: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&seq.to_le_bytes());
    b[8..].copy_from_slice(&end.to_le_bytes());
    b
}

fn decode_meta(b: &[u8]) -> Option<(u64, u64)> {
    let seq = u64::from_le_bytes(b.get(..8)?.try_into().ok()?);
    let end = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
    Some((seq, end))
}

/// Every record in sled (not its log position): a snapshot's contents.
fn all_records(db: &sled::Db) -> impl Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>> + '_ {
    db.iter()
        .filter(|item| !matches!(item, Ok((k, _)) if &**k == META_KEY))
}

/// Rewrite the log at `path` as one snapshot of sled's records at commit
/// `seq`, and record the new log's end in sled.
fn snapshot(id: &str, db: &sled::Db, path: &Path, seq: u64) -> Result<CommitLog, StoreError> {
    let log =
        CommitLog::rewrite(path, seq, all_records(db)).map_err(|e| sled_error(id, path, e))?;
    db.insert(META_KEY, &encode_meta(seq, log.end()))
        .map_err(|e| sled_error(id, path, e))?;
    Ok(log)
}

impl SledSession {
    fn corrupt(&self, detail: String) -> StoreError {
        StoreError::Corrupt {
            id: self.id.clone(),
            path: self.db_path.clone(),
            detail,
        }
    }

    fn decode<T: serde::de::DeserializeOwned + Versioned>(
        &self,
        key: &[u8],
        bytes: &[u8],
    ) -> Result<T, StoreError> {
        #[derive(serde::Deserialize)]
        struct Format {
            #[serde(default)]
            format: u32,
        }
        // One parse in the normal case (resume reads thousands of these).
        // When it fails, the format alone, so that a newer layout is
        // reported as such rather than as a record that does not parse.
        match serde_json::from_slice::<T>(bytes) {
            Ok(record) => {
                check_format(&self.id, record.format())?;
                Ok(record)
            }
            Err(e) => {
                if let Ok(f) = serde_json::from_slice::<Format>(bytes) {
                    check_format(&self.id, f.format)?;
                }
                Err(self.corrupt(format!("record `{}`: {e}", String::from_utf8_lossy(key))))
            }
        }
    }

    fn stage(&mut self, key: Vec<u8>, value: Vec<u8>) {
        // The executor stages the run record at every commit: keep the last.
        self.staged.retain(|(k, _)| *k != key);
        self.staged.push((key, value));
    }

    /// Give sled the committed writes it has not seen, in one atomic batch
    /// with their log position.
    fn apply_pending(&mut self) -> Result<(), StoreError> {
        let Some((seq, end)) = self.pending_at.take() else {
            return Ok(());
        };
        let mut batch = sled::Batch::default();
        for (k, v) in std::mem::take(&mut self.pending) {
            batch.insert(k, v);
        }
        batch.insert(META_KEY, &encode_meta(seq, end));
        self.pending_commits = 0;
        self.db
            .apply_batch(batch)
            .map_err(|e| sled_error(&self.id, &self.db_path, e))?;
        crate::failpoint::reach(Site::SledApplied);
        Ok(())
    }

    /// A record as committed: from the writes sled has not seen yet, else
    /// from sled.
    fn committed(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some((_, v)) = self.pending.iter().find(|(k, _)| k == key) {
            return Ok(Some(v.clone()));
        }
        self.db
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| sled_error(&self.id, &self.db_path, e))
    }

    /// Replace the log by one snapshot of every record when it has grown
    /// well past the state it describes, so that it stays proportional to
    /// the run (and a rebuild from it stays quick).
    fn compact_if_large(&mut self) -> Result<(), StoreError> {
        let len = self.log.end();
        let base = self
            .log
            .first()
            .ok()
            .flatten()
            .map_or(0, |f| f.end - f.start);
        if len <= crate::failpoint::compact_min_bytes(COMPACT_MIN_BYTES)
            || len <= COMPACT_FACTOR * base
            || self.seq == 0
        {
            return Ok(());
        }
        self.compact()
    }

    fn compact(&mut self) -> Result<(), StoreError> {
        self.apply_pending()?;
        let path = self.log.path().to_path_buf();
        self.log = snapshot(&self.id, &self.db, &path, self.seq)?;
        Ok(())
    }
}

/// Records that carry their layout's format version.
trait Versioned {
    fn format(&self) -> u32;
}

impl Versioned for RunRecord {
    fn format(&self) -> u32 {
        self.format
    }
}

impl Versioned for StepRecord {
    fn format(&self) -> u32 {
        self.format
    }
}

impl RunSession for SledSession {
    fn id(&self) -> &str {
        &self.id
    }

    fn load_run(&self) -> Result<RunRecord, StoreError> {
        let run_bytes = self
            .committed(RUN_KEY)?
            .ok_or_else(|| self.corrupt("the run record is missing".into()))?;
        self.decode(RUN_KEY, &run_bytes)
    }

    fn load_steps(&self) -> Result<Vec<StepRecord>, StoreError> {
        let err = |e| sled_error(&self.id, &self.db_path, e);
        let is_step = |k: &[u8]| k.starts_with(b"step/") || k.starts_with(b"rb/");
        let mut steps = Vec::new();
        for prefix in [&b"step/"[..], &b"rb/"[..]] {
            for item in self.db.scan_prefix(prefix) {
                let (k, v) = item.map_err(err)?;
                if !self.pending.iter().any(|(p, _)| *p == *k) {
                    steps.push(self.decode::<StepRecord>(&k, &v)?);
                }
            }
        }
        for (k, v) in self.pending.iter().filter(|(k, _)| is_step(k)) {
            steps.push(self.decode::<StepRecord>(k, v)?);
        }
        Ok(steps)
    }

    fn put_run(&mut self, run: &RunRecord) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(run).map_err(|e| self.corrupt(e.to_string()))?;
        self.stage(RUN_KEY.to_vec(), bytes);
        Ok(())
    }

    fn put_step(&mut self, step: &StepRecord) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(step).map_err(|e| self.corrupt(e.to_string()))?;
        self.stage(step_key(step), bytes);
        Ok(())
    }

    /// One frame appended to the commit log and `fdatasync`ed: the one
    /// flush of the step boundary. sled gets the same writes later, in
    /// batches, unflushed; if they are lost, the next open replays them from
    /// the log.
    fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(e) = self.journal.take_error() {
            return Err(StoreError::Io {
                path: self.journal.path.clone(),
                source: std::io::Error::other(e),
            });
        }
        crate::failpoint::checkpoint_write(); // test builds only: crash enumeration
        let writes = std::mem::take(&mut self.staged);
        if writes.is_empty() {
            return Ok(());
        }
        let seq = self.seq + 1;
        let frame = self
            .log
            .append(FrameKind::Commit, seq, &writes)
            .map_err(io(self.log.path()))?;
        self.seq = seq;
        crate::failpoint::reach(Site::LogSynced);
        for (k, v) in writes {
            self.pending.retain(|(p, _)| *p != k);
            self.pending.push((k, v));
        }
        self.pending_at = Some((seq, frame.end));
        self.pending_commits += 1;
        if self.pending_commits >= crate::failpoint::sled_batch_commits(SLED_BATCH_COMMITS) {
            self.apply_pending()?;
        }
        Ok(())
    }

    fn publish(&mut self, summary: &RunSummary) -> Result<(), StoreError> {
        let path = self.dir.join("summary.json");
        let bytes = serde_json::to_vec(summary).map_err(|e| self.corrupt(e.to_string()))?;
        private_fs::replace(&path, &bytes).map_err(|source| StoreError::Io { path, source })
    }

    fn journal(&self) -> Arc<dyn Journal> {
        self.journal.clone()
    }
}

impl Drop for SledSession {
    fn drop(&mut self) {
        // Best effort, under the lock: what sled does not get now, the next
        // open replays; a failed compaction leaves the old log, complete.
        if let Err(e) = self.apply_pending() {
            eprintln!("warning: run {}: {e}", self.id);
        }
        if let Err(e) = self.compact_if_large() {
            eprintln!(
                "warning: run {}: the commit log was not compacted: {e}",
                self.id
            );
        }
        // The next open finds sled up to date. Not needed for correctness.
        // Flushed before it is dropped, so that sled's own threads have let
        // go of its files (and their lock) when the session is gone: the
        // next session of this process may open the run at once.
        let _ = self.db.flush();
        // Tearing down a large database (sled walks and frees its whole
        // page cache) takes milliseconds nobody waits for: `runbook resume`
        // of a 10,000-step run would spend them before exiting. Its data is
        // flushed; a thread holds the last handle and drops it. A session
        // of this process opening the run meanwhile waits for sled's lock
        // (`open_sled`); small runs keep dropping it here.
        if self.log.end() >= BACKGROUND_TEARDOWN_BYTES {
            let db = self.db.clone();
            let _ = std::thread::Builder::new()
                .name("runbook-sled-close".into())
                .spawn(move || drop(db));
        }
    }
}

/// From this size of the commit log on, sled is closed on a thread.
const BACKGROUND_TEARDOWN_BYTES: u64 = 1024 * 1024;

/// The journal as a file opened for appending: each event is one `write` of
/// one line, so concurrent readers see whole lines (plus at most one partial
/// last line).
struct FileJournal {
    path: PathBuf,
    file: Mutex<File>,
    error: Mutex<Option<String>>,
}

impl FileJournal {
    fn open(path: &Path) -> std::io::Result<FileJournal> {
        Ok(FileJournal {
            path: path.to_path_buf(),
            file: Mutex::new(private_fs::open_append(path)?),
            error: Mutex::new(None),
        })
    }

    fn remember(&self, e: String) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(e);
        }
    }
}

impl Journal for FileJournal {
    fn append(&self, event: &Event) {
        let mut line = match serde_json::to_vec(event) {
            Ok(l) => l,
            Err(e) => return self.remember(e.to_string()),
        };
        line.push(b'\n');
        match self.file.lock() {
            Ok(mut f) => {
                if let Err(e) = f.write_all(&line) {
                    self.remember(e.to_string());
                }
            }
            Err(_) => self.remember("journal lock poisoned".into()),
        }
    }

    fn take_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    fn sync(&self) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: self.path.clone(),
            source,
        };
        let f = self
            .file
            .lock()
            .map_err(|_| io(std::io::Error::other("journal lock poisoned")))?;
        f.sync_data().map_err(io)
    }
}
