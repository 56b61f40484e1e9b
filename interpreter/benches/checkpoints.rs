//! Figures for the run model (printed, not asserted):
//!
//! - the cost of one fsync on this disk;
//! - per-step overhead of 1,000 no-op steps with durable checkpoints (and
//!   the same run as a dry run, which stores nothing, for comparison);
//! - resuming a run with 10,000 succeeded steps up to its next step, and
//!   the store's share of it (open + load of the 10,000 records);
//! - peak RSS of a 10,000-step run (measured first, so it is that run's peak).
//!
//! `cargo bench -p runbook-interpreter --bench checkpoints`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use runbook_interpreter::output::Display;
use runbook_interpreter::{Options, Outcome, Overrides, Refused, SledStore, Source, Store};

fn runbook(steps: usize, fail_last: bool) -> String {
    let mut s = String::from("runbook \"bench\" {\n  id \"B\"\n  owner \"bench\"\n}\n\n");
    for i in 0..steps {
        s.push_str(&format!(
            "step s{i} \"no-op {i}\" {{\n  let n = {i}\n}}\n\n"
        ));
    }
    if fail_last {
        s.push_str("step last \"fails until fixed\" {\n  assert n < 0 else \"stop here\"\n}\n");
    }
    s
}

fn source(path: &Path, text: &str) -> Source {
    std::fs::write(path, text).expect("write runbook");
    let rb = runbook_dsl::parse(text).expect("bench runbook parses");
    Source::parsed(path.to_path_buf(), text.into(), rb)
}

fn options(state: &Path, dry_run: bool) -> Options {
    Options {
        store: Arc::new(SledStore::new(state)),
        params: Vec::new(),
        yes: false,
        dry_run,
        verbose: false,
        kube: Default::default(),
        interactive: false,
        display: Display::Quiet,
    }
}

/// One 128-byte write + `fdatasync`: appending (the file grows, so metadata
/// is synced too) and overwriting in place in a preallocated file (as sled's
/// log segments are written).
fn fsync_cost(dir: &Path) -> (Duration, Duration) {
    use std::os::unix::fs::FileExt;
    let n = 200;
    let mut f = std::fs::File::create(dir.join("fsync-append")).expect("probe file");
    let start = Instant::now();
    for _ in 0..n {
        f.write_all(&[b'x'; 128]).expect("write");
        f.sync_data().expect("fsync");
    }
    let append = start.elapsed() / n;
    let f = std::fs::File::create(dir.join("fsync-inplace")).expect("probe file");
    f.write_all_at(&vec![0u8; 128 * n as usize], 0)
        .expect("preallocate");
    f.sync_all().expect("fsync");
    let start = Instant::now();
    for i in 0..n {
        f.write_all_at(&[b'x'; 128], 128 * u64::from(i))
            .expect("write");
        f.sync_data().expect("fsync");
    }
    (append, start.elapsed() / n)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // 10,000 steps first: the process's peak RSS is then this run's.
    let big: PathBuf = dir.path().join("big.runbook");
    let text = runbook(10_000, true);
    let rss_before = peak_rss_kib().unwrap_or(0);
    let parse_start = Instant::now();
    let src = source(&big, &text);
    let parse = parse_start.elapsed();
    let rss_parsed = peak_rss_kib().unwrap_or(0);
    let state = dir.path().join("state-big");
    let start = Instant::now();
    let done = rt
        .block_on(runbook_interpreter::start(src, options(&state, false)))
        .expect("run starts");
    let big_run = start.elapsed();
    let rss = peak_rss_kib().unwrap_or(0);
    let id = done.run_id.expect("a stored run");
    assert!(
        matches!(done.outcome, Outcome::Failed { .. }),
        "the last step stops the run"
    );

    // Resume: everything up to the failing step is restored, not re-run.
    // Once with the file read and parsed (what `runbook resume` does), once
    // with it already parsed (the interpreter's own share).
    let loader = |p: &Path| -> Result<Source, Refused> {
        let text = std::fs::read_to_string(p).expect("read runbook");
        Ok(source(p, &text))
    };
    let start = Instant::now();
    let done = rt
        .block_on(runbook_interpreter::resume(
            &id,
            loader,
            options(&state, false),
            Overrides::default(),
        ))
        .expect("resume starts");
    let resume = start.elapsed();
    assert!(matches!(done.outcome, Outcome::Failed { .. }));
    let parsed = source(&big, &text);
    let start = Instant::now();
    let done = rt
        .block_on(runbook_interpreter::resume(
            &id,
            move |_: &Path| -> Result<Source, Refused> { Ok(parsed) },
            options(&state, false),
            Overrides::default(),
        ))
        .expect("resume starts");
    let resume_parsed = start.elapsed();
    assert!(matches!(done.outcome, Outcome::Failed { .. }));

    // The store's share: lock, open sled, check the commit log's last frame,
    // decode the 10,000 records.
    let store = SledStore::new(&state);
    let start = Instant::now();
    let session = store.open(&id).expect("the run opens");
    let (_, records) = session.load().expect("the run loads");
    let store_load = start.elapsed();
    assert!(records.len() > 10_000, "{} records", records.len());
    drop(session);
    let log_bytes = std::fs::metadata(store.run_dir(&id).join("commits.log"))
        .map(|m| m.len())
        .unwrap_or(0);

    // 1,000 no-op steps, stored vs dry run.
    let small = dir.path().join("small.runbook");
    let text = runbook(1_000, false);
    let state = dir.path().join("state-small");
    let src = source(&small, &text);
    let fsync_before = fsync_cost(dir.path());
    let start = Instant::now();
    let done = rt
        .block_on(runbook_interpreter::start(
            src.clone(),
            options(&state, false),
        ))
        .expect("run starts");
    let stored = start.elapsed() / 1_000;
    assert_eq!(done.outcome, Outcome::Succeeded);
    let start = Instant::now();
    rt.block_on(runbook_interpreter::start(src, options(&state, true)))
        .expect("dry run starts");
    let dry = start.elapsed() / 1_000;
    let fsync = fsync_cost(dir.path());

    println!(
        "fdatasync of a 128 B write on this disk:        in place {} / appending {} (before the runs: {} / {})",
        us(fsync.1),
        us(fsync.0),
        us(fsync_before.1),
        us(fsync_before.0)
    );
    println!(
        "per step, 1,000 no-op steps, checkpointed:     {}",
        us(stored)
    );
    println!("per step, same steps, dry run (no store):      {}", us(dry));
    println!(
        "checkpoint overhead per step:                  {} ({:.2}x one in-place fdatasync)",
        us(stored.saturating_sub(dry)),
        stored.saturating_sub(dry).as_secs_f64() / fsync.1.as_secs_f64()
    );
    println!(
        "10,000-step run (10,001 steps, last fails):    {:.2} s",
        big_run.as_secs_f64()
    );
    println!(
        "  parse of its 10,001-step file:                {:.1} ms",
        parse.as_secs_f64() * 1e3
    );
    println!(
        "resume of 10,000 succeeded steps to the next:  {:.1} ms incl. reading and parsing the file, {:.1} ms from a parsed file",
        resume.as_secs_f64() * 1e3,
        resume_parsed.as_secs_f64() * 1e3
    );
    println!(
        "  of which the store opening and loading it:   {:.1} ms (commit log: {:.1} MiB)",
        store_load.as_secs_f64() * 1e3,
        log_bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "peak RSS of the 10,000-step run:               {:.1} MiB (before it {:.1} MiB; after parsing its file {:.1} MiB)",
        rss as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        rss_parsed as f64 / 1024.0
    );
}
