//! Opening a run's state: the commit log is the truth, sled the indexed copy
//! brought up to date from it.
//!
//! | sled | log | outcome |
//! | --- | --- | --- |
//! | at the log's last frame | any | used as is (one frame of the log read) |
//! | behind | frames after sled's | the missing frames replayed (the normal case after a crash: sled is never flushed synchronously) |
//! | missing, unopenable, or without its position | frames | moved aside as `checkpoint.corrupt-<time>` (evidence kept), rebuilt from the whole log, warning printed |
//! | ahead | fewer frames | the log lost acknowledged frames (damage): rewritten as a snapshot of sled, warning printed |
//! | has records | missing or empty | a store from before the log, or a deleted log: rewritten as a snapshot of sled |
//! | missing or unopenable | missing or empty | refused: nothing to resume from |
//!
//! A frame that fails its checksum before the end of the log, or a gap in the
//! sequence numbers, is refused ([`StoreError::Corrupt`]) rather than
//! skipped: replaying around it would resume from a state that never was.

use std::path::{Path, PathBuf};

use super::commit_log::{CommitLog, Frame, FrameInfo, FrameKind, LogError};
use super::{
    decode_meta, encode_meta, io, open_sled, sled_error, snapshot, StoreError, META_KEY, RUN_KEY,
};
use crate::record::FORMAT_VERSION;

/// sled, the log positioned after its last frame, and the last sequence number.
pub(super) fn open(
    id: &str,
    dir: &Path,
    db_path: &Path,
    log_path: &Path,
) -> Result<(sled::Db, CommitLog, u64), StoreError> {
    let log_err = |e: LogError| match e {
        LogError::Corrupt { offset, detail } => StoreError::Corrupt {
            id: id.to_string(),
            path: log_path.to_path_buf(),
            detail: format!("byte {offset}: {detail}"),
        },
        LogError::NewerFormat { found } => StoreError::NewerFormat {
            id: id.to_string(),
            found,
            supported: FORMAT_VERSION,
        },
        LogError::Io(source) => StoreError::Io {
            path: log_path.to_path_buf(),
            source,
        },
    };
    CommitLog::remove_leftover(log_path).map_err(io(log_path))?;

    // sled first: its position tells the log where reading may start.
    let sled = if db_path.is_dir() {
        match open_sled(db_path) {
            Ok(db) => match db.get(META_KEY) {
                Ok(meta) => Sled::Open(db, meta.as_deref().and_then(decode_meta)),
                Err(e) => Sled::Unusable(e.to_string()),
            },
            Err(sled::Error::Io(source)) => {
                return Err(StoreError::Io {
                    path: db_path.to_path_buf(),
                    source,
                })
            }
            Err(e) => Sled::Unusable(e.to_string()),
        }
    } else {
        Sled::Missing
    };
    let hint = match &sled {
        Sled::Open(_, meta) => *meta,
        _ => None,
    };
    let log = if log_path.exists() {
        let (log, report) = CommitLog::open(log_path, hint).map_err(log_err)?;
        if report.torn_bytes > 0 {
            // A crash during an append: that commit never returned.
            eprintln!(
                "note: run {id}: removed the last {} byte(s) of the commit log, a write cut short by a crash",
                report.torn_bytes
            );
        }
        Some(log)
    } else {
        None
    };
    let log = match log {
        Some(log) => match log.last() {
            Some(last) => Log::Frames(log, last),
            None => Log::Empty(Some(log)),
        },
        None => Log::Empty(None),
    };

    match (sled, log) {
        (Sled::Open(db, meta), Log::Frames(log, last)) => {
            let at = meta.map_or(0, |(seq, _)| seq);
            if at == last.seq {
                return Ok((db, log, at));
            }
            if at < last.seq {
                // The normal case after a crash.
                let start = match meta {
                    Some((seq, end)) if log.frame_end_is(seq, end).map_err(log_err)? => end,
                    _ => 0,
                };
                // Records without a log position cannot come from this log
                // (sled only gets records with their position): say so.
                let foreign = meta.is_none()
                    && db
                        .contains_key(RUN_KEY)
                        .map_err(|e| sled_error(id, db_path, e))?;
                let frames = log.frames_from(start).map_err(log_err)?;
                replay(id, &db, &frames, at, log_path, db_path)?;
                if foreign {
                    warn(
                        id,
                        &format!(
                            "the checkpoint database had records but no commit position; rebuilt it from the commit log ({} commit(s))",
                            last.seq
                        ),
                    );
                }
                return Ok((db, log, last.seq));
            }
            // sled has commits the log does not: they were acknowledged, so
            // the log lost them.
            warn(
                id,
                &format!(
                    "the commit log ends at commit {} but the checkpoint database has commit {at}; the log was rewritten from the database",
                    last.seq
                ),
            );
            let log = snapshot(id, &db, log_path, at)?;
            Ok((db, log, at))
        }
        (sled, Log::Frames(log, last)) => {
            let why = match &sled {
                Sled::Missing => "is missing".to_string(),
                Sled::Unusable(e) => format!("cannot be opened ({e})"),
                Sled::Open(..) => "is unusable".to_string(),
            };
            drop(sled);
            // Read (and check) the whole log before touching anything.
            let frames = log.frames_from(0).map_err(log_err)?;
            let aside = move_aside(dir, db_path)?;
            crate::store::private_fs::create_dir(db_path).map_err(io(db_path))?;
            let db = open_sled(db_path).map_err(|e| sled_error(id, db_path, e))?;
            replay(id, &db, &frames, 0, log_path, db_path)?;
            let kept = aside.map_or(String::new(), |p| {
                format!("; the damaged copy is kept in {}", p.display())
            });
            warn(
                id,
                &format!(
                    "the checkpoint database {why}; rebuilt it from the commit log ({} commit(s)){kept}",
                    last.seq
                ),
            );
            Ok((db, log, last.seq))
        }
        (Sled::Open(db, meta), Log::Empty(log)) => {
            let has_run = db
                .contains_key(RUN_KEY)
                .map_err(|e| sled_error(id, db_path, e))?;
            let at = meta.map_or(0, |(seq, _)| seq);
            if !has_run {
                // A run whose creation was cut short: `load` says so.
                let log = match log {
                    Some(log) => log,
                    None => CommitLog::create(log_path).map_err(io(log_path))?,
                };
                return Ok((db, log, at));
            }
            if meta.is_some() {
                warn(
                    id,
                    "the commit log is missing or empty; it was rewritten from the checkpoint database",
                );
            }
            // Else a store from before the commit log: start its log.
            let log = snapshot(id, &db, log_path, at)?;
            Ok((db, log, at))
        }
        (Sled::Missing, Log::Empty(_)) => Err(StoreError::Corrupt {
            id: id.to_string(),
            path: db_path.to_path_buf(),
            detail:
                "the checkpoint database is missing, and there is no commit log to rebuild it from"
                    .into(),
        }),
        (Sled::Unusable(e), Log::Empty(_)) => Err(StoreError::Corrupt {
            id: id.to_string(),
            path: db_path.to_path_buf(),
            detail: format!("{e} (and there is no commit log to rebuild it from)"),
        }),
    }
}

/// Bring `summary.json` in line with the run record when a crash came
/// between a commit and the summary's replacement (for instance the commit
/// that finished the run): `resume` of a finished run does not publish
/// again, so `status` would show the state before the crash. Only the run's
/// own fields are replaced; a missing or unreadable summary is left to
/// `status` to report and to the next publish to rebuild.
pub(super) fn refresh_summary(dir: &Path, db: &sled::Db) -> Result<(), StoreError> {
    let Ok(Some(bytes)) = db.get(RUN_KEY) else {
        return Ok(()); // `load` reports it
    };
    let Ok(run) = serde_json::from_slice::<crate::record::RunRecord>(&bytes) else {
        return Ok(());
    };
    let path = dir.join("summary.json");
    let Ok(text) = std::fs::read(&path) else {
        return Ok(());
    };
    if summary_is_current(&text, &run) {
        return Ok(());
    }
    let Ok(serde_json::Value::Object(mut summary)) = serde_json::from_slice(&text) else {
        return Ok(());
    };
    let fields = [
        ("status", serde_json::to_value(run.status)),
        ("updated", serde_json::to_value(&run.updated)),
        ("waiting", serde_json::to_value(&run.waiting)),
        ("error", serde_json::to_value(&run.error)),
        (
            "rolling_back",
            Ok(serde_json::Value::Bool(run.rollback.is_some())),
        ),
    ];
    let mut changed = false;
    for (name, value) in fields {
        let Ok(value) = value else { return Ok(()) };
        if summary.get(name) != Some(&value) {
            summary.insert(name.to_string(), value);
            changed = true;
        }
    }
    if !changed {
        return Ok(());
    }
    let bytes = serde_json::to_vec_pretty(&summary).map_err(|e| StoreError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    crate::store::private_fs::replace(&path, &bytes).map_err(io(&path))
}

/// Whether the summary's run fields already match `run` (the usual case):
/// read without building the step list, which is the bulk of the file.
fn summary_is_current(text: &[u8], run: &crate::record::RunRecord) -> bool {
    #[derive(serde::Deserialize)]
    struct RunFields {
        status: crate::record::RunStatus,
        updated: String,
        #[serde(default)]
        waiting: Option<crate::record::Waiting>,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        rolling_back: bool,
    }
    serde_json::from_slice::<RunFields>(text).is_ok_and(|f| {
        f.status == run.status
            && f.updated == run.updated
            && f.waiting == run.waiting
            && f.error == run.error
            && f.rolling_back == run.rollback.is_some()
    })
}

/// The log as found.
enum Log {
    /// Missing (`None`) or without a complete frame.
    Empty(Option<CommitLog>),
    /// With its last frame.
    Frames(CommitLog, FrameInfo),
}

/// sled as found.
enum Sled {
    Missing,
    Unusable(String),
    /// With its log position, if it has one.
    Open(sled::Db, Option<(u64, u64)>),
}

/// Apply the frames after commit `at`, each in one batch with its position.
/// The first must continue `at` (or be a snapshot), and so on: a gap means
/// commits are missing from the log.
fn replay(
    id: &str,
    db: &sled::Db,
    frames: &[Frame],
    mut at: u64,
    log_path: &Path,
    db_path: &Path,
) -> Result<(), StoreError> {
    for frame in frames {
        let info = frame.info;
        if info.seq <= at && info.kind == FrameKind::Commit {
            continue;
        }
        if info.kind == FrameKind::Commit && info.seq != at + 1 {
            return Err(StoreError::Corrupt {
                id: id.to_string(),
                path: log_path.to_path_buf(),
                detail: format!(
                    "commit {} follows commit {at} at byte {}: commits are missing",
                    info.seq, info.start
                ),
            });
        }
        let mut batch = sled::Batch::default();
        for (k, v) in &frame.writes {
            batch.insert(k.as_slice(), v.as_slice());
        }
        batch.insert(META_KEY, &encode_meta(info.seq, info.end));
        db.apply_batch(batch)
            .map_err(|e| sled_error(id, db_path, e))?;
        at = info.seq;
    }
    // Replayed once: keep sled's copy so the next open need not.
    db.flush().map_err(|e| sled_error(id, db_path, e))?;
    Ok(())
}

/// Rename a damaged database out of the way, never deleting it.
fn move_aside(dir: &Path, db_path: &Path) -> Result<Option<PathBuf>, StoreError> {
    if !db_path.exists() {
        return Ok(None);
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut target = dir.join(format!("checkpoint.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = dir.join(format!("checkpoint.corrupt-{stamp}-{n}"));
    }
    std::fs::rename(db_path, &target).map_err(io(db_path))?;
    super::commit_log::sync_dir(dir).map_err(io(dir))?;
    Ok(Some(target))
}

/// Recovery is never silent: the operator sees what was repaired.
fn warn(id: &str, what: &str) {
    eprintln!("warning: run {id}: {what}");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::PathBuf;

    use super::super::commit_log::{CommitLog, FrameKind};
    use crate::record::{RunRecord, StepRecord, StepStatus};
    use crate::store::{SledStore, Store, StoreError};

    fn run(id: &str) -> RunRecord {
        serde_json::from_value(serde_json::json!({
            "format": crate::record::FORMAT_VERSION,
            "id": id, "runbook_path": "/x.runbook", "title": "X", "hash": "h",
            "params": {}, "status": "running",
            "created": "2026-11-29T00:00:00Z", "updated": "2026-11-29T00:00:00Z",
            "next_seq": 0
        }))
        .unwrap()
    }

    fn succeeded(id: &str) -> StepRecord {
        let mut s = StepRecord::new(id, id, 0, "fp".into(), false);
        s.status = StepStatus::Succeeded;
        s
    }

    /// A run `r` with steps `a` and `b` committed (three commits).
    fn store_with_run() -> (tempfile::TempDir, SledStore, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::new(dir.path());
        {
            let mut s = store.create(&run("r")).unwrap();
            for id in ["a", "b"] {
                s.put_step(&succeeded(id)).unwrap();
                s.commit().unwrap();
            }
        }
        let run_dir = store.run_dir("r");
        (dir, store, run_dir)
    }

    fn step_ids(store: &SledStore) -> Vec<String> {
        let (_, steps) = store.open("r").unwrap().load().unwrap();
        let mut ids: Vec<_> = steps.into_iter().map(|s| s.id).collect();
        ids.sort();
        ids
    }

    /// Append a commit to the log behind sled's back, as if the runner had
    /// died right after making it durable.
    fn append_behind_sleds_back(run_dir: &std::path::Path, seq: u64, step: &str) {
        let (mut log, _) = CommitLog::open(&run_dir.join("commits.log"), None).unwrap();
        let bytes = serde_json::to_vec(&succeeded(step)).unwrap();
        log.append(
            FrameKind::Commit,
            seq,
            &[(format!("step/{step}").into_bytes(), bytes)],
        )
        .unwrap();
    }

    fn corrupt_dirs(run_dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(run_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("checkpoint.corrupt-"))
            .collect()
    }

    #[test]
    fn commits_sled_never_saw_are_replayed_from_the_log() {
        let (_d, store, run_dir) = store_with_run();
        append_behind_sleds_back(&run_dir, 4, "c");
        assert_eq!(step_ids(&store), ["a", "b", "c"]);
        // And the session goes on numbering after it; what it committed
        // is seen before sled has it (sled gets commits in batches).
        {
            let mut s = store.open("r").unwrap();
            let mut d = succeeded("d");
            s.put_step(&d).unwrap();
            s.commit().unwrap();
            d.attempts = 2;
            s.put_step(&d).unwrap();
            s.commit().unwrap();
            let (_, steps) = s.load().unwrap();
            assert_eq!(steps.iter().filter(|s| s.id == "d").count(), 1);
            assert!(steps.iter().any(|s| s.id == "d" && s.attempts == 2));
        }
        assert_eq!(step_ids(&store), ["a", "b", "c", "d"]);
    }

    #[test]
    fn a_missing_or_garbled_database_is_rebuilt_and_the_damaged_one_kept() {
        let (_d, store, run_dir) = store_with_run();
        std::fs::remove_dir_all(run_dir.join("checkpoint")).unwrap();
        assert_eq!(step_ids(&store), ["a", "b"]);
        assert!(corrupt_dirs(&run_dir).is_empty(), "nothing to keep");

        // Every file of sled's directory overwritten with garbage.
        for entry in walk(&run_dir.join("checkpoint")) {
            std::fs::write(&entry, b"not a sled file at all, not at all").unwrap();
        }
        assert_eq!(step_ids(&store), ["a", "b"]);
        assert_eq!(corrupt_dirs(&run_dir).len(), 1, "the damaged copy is kept");
    }

    fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn damage_in_the_middle_of_the_log_is_refused_when_it_is_needed() {
        let (_d, store, run_dir) = store_with_run();
        let log_path = run_dir.join("commits.log");
        let (log, _) = CommitLog::open(&log_path, None).unwrap();
        let second = log.frames_from(0).unwrap()[1].info;
        let mut bytes = std::fs::read(&log_path).unwrap();
        bytes[(second.start + 50) as usize] ^= 0x01;
        std::fs::write(&log_path, &bytes).unwrap();
        // sled is up to date: the damaged frame is not read.
        assert_eq!(step_ids(&store), ["a", "b"]);
        // Without sled, the log must be replayed whole: refused, not skipped.
        std::fs::remove_dir_all(run_dir.join("checkpoint")).unwrap();
        let err = store.open("r").err().unwrap();
        assert!(
            matches!(&err, StoreError::Corrupt { path, .. } if path == &log_path),
            "{err:?}"
        );
    }

    #[test]
    fn a_lost_log_is_rewritten_from_the_database() {
        let (_d, store, run_dir) = store_with_run();
        let log_path = run_dir.join("commits.log");
        std::fs::remove_file(&log_path).unwrap();
        assert_eq!(step_ids(&store), ["a", "b"]);
        // The new log is a snapshot: the database can be rebuilt from it.
        std::fs::remove_dir_all(run_dir.join("checkpoint")).unwrap();
        assert_eq!(step_ids(&store), ["a", "b"]);
        // A log cut short of acknowledged commits (sled ahead) likewise.
        std::fs::write(&log_path, b"").unwrap();
        assert_eq!(step_ids(&store), ["a", "b"]);
    }

    #[test]
    fn a_compacted_log_holds_the_whole_state() {
        let (_d, store, run_dir) = store_with_run();
        {
            let mut s = store.open("r").unwrap();
            // Forces a compaction at the end of the session.
            let mut big = succeeded("big");
            big.bindings = vec![("x".into(), serde_json::json!("y".repeat(9 << 20)))];
            s.put_step(&big).unwrap();
            s.commit().unwrap();
            s.put_step(&succeeded("after")).unwrap();
            s.commit().unwrap();
        }
        let log_path = run_dir.join("commits.log");
        let (log, _) = CommitLog::open(&log_path, None).unwrap();
        let frames = log.frames_from(0).unwrap();
        assert_eq!(frames.len(), 1, "one snapshot frame");
        assert_eq!(
            (frames[0].info.kind, frames[0].info.seq),
            (FrameKind::Snapshot, 5)
        );
        std::fs::remove_dir_all(run_dir.join("checkpoint")).unwrap();
        assert_eq!(step_ids(&store), ["a", "after", "b", "big"]);
        // A leftover of a compaction cut short is removed, the log kept.
        std::fs::write(run_dir.join("commits.log.new"), b"half").unwrap();
        append_behind_sleds_back(&run_dir, 6, "c");
        assert_eq!(step_ids(&store), ["a", "after", "b", "big", "c"]);
        assert!(!run_dir.join("commits.log.new").exists());
    }
}
