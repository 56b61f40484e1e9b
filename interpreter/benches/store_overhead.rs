//! Per-step overhead of the two stores side by side (printed, not
//! asserted): the same run of no-op steps, checkpointed in a sled state
//! directory and in PostgreSQL (pg-harness: a local throwaway server, or
//! `RUNBOOK_TEST_DATABASE_URL`). Each step boundary is one durable commit:
//! an `fdatasync` for sled, one transaction (lease check + writes, one
//! WAL flush) for PostgreSQL.
//!
//! `cargo bench -p runbook-interpreter --bench store_overhead`

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runbook_interpreter::output::Display;
use runbook_interpreter::store::{PgStore, SledStore, Store};
use runbook_interpreter::{Options, Outcome, Source};

const STEPS: usize = 500;

fn runbook(steps: usize) -> String {
    let mut s = String::from("runbook \"bench\" {\n  id \"B\"\n  owner \"bench\"\n}\n\n");
    for i in 0..steps {
        s.push_str(&format!(
            "step s{i} \"no-op {i}\" {{\n  let n = {i}\n}}\n\n"
        ));
    }
    s
}

fn source(path: &Path, steps: usize) -> Source {
    let text = runbook(steps);
    std::fs::write(path, &text).expect("write runbook");
    let rb = runbook_dsl::parse(&text).expect("bench runbook parses");
    Source::parsed(path.to_path_buf(), text.into(), rb)
}

fn options(store: Arc<dyn Store>) -> Options {
    Options {
        store,
        params: Vec::new(),
        yes: false,
        dry_run: false,
        verbose: false,
        kube: Default::default(),
        interactive: false,
        display: Display::Quiet,
    }
}

/// Time a run of `steps` steps, best of three.
fn timed(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    store: &Arc<dyn Store>,
    steps: usize,
) -> Duration {
    (0..3)
        .map(|_| {
            let src = source(&dir.join("bench.runbook"), steps);
            let started = Instant::now();
            let finished = rt
                .block_on(runbook_interpreter::start(src, options(store.clone())))
                .unwrap_or_else(|r| panic!("bench run refused: {:?}", r.problems));
            assert_eq!(finished.outcome, Outcome::Succeeded);
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Per-step cost: the difference between a long and a one-step run, so the
/// fixed costs (session open, lease, first publish) are left out.
fn per_step(rt: &tokio::runtime::Runtime, dir: &Path, store: &Arc<dyn Store>) -> Duration {
    let long = timed(rt, dir, store, STEPS + 1);
    let short = timed(rt, dir, store, 1);
    long.saturating_sub(short) / u32::try_from(STEPS).unwrap_or(u32::MAX)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let sled: Arc<dyn Store> = Arc::new(SledStore::new(dir.path().join("state")));
    let db = pg_harness::database("bench_store").expect("a PostgreSQL server (pg-harness)");
    let pg: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url()).expect("connect"));
    let sled_step = per_step(&rt, dir.path(), &sled);
    let pg_step = per_step(&rt, dir.path(), &pg);
    println!("per-step overhead ({STEPS} no-op steps, best of 3, one durable commit per step):");
    println!("  sled        {:>8.3} ms", sled_step.as_secs_f64() * 1e3);
    // The throwaway test server runs with fsync off: say which kind of
    // server the figure is for.
    let setting = |name: &str| {
        db.query_column(&format!("SHOW {name}"))
            .ok()
            .and_then(|v| v.into_iter().next().flatten())
            .unwrap_or_else(|| "?".into())
    };
    println!(
        "  postgresql  {:>8.3} ms  (server: fsync={}, synchronous_commit={}; set {} for a durable server)",
        pg_step.as_secs_f64() * 1e3,
        setting("fsync"),
        setting("synchronous_commit"),
        pg_harness::DATABASE_URL_ENV
    );
}
