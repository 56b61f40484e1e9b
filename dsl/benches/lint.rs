//! Lint throughput: parse + check + lint of generated runbooks.
//!
//! Prints (no assertions; targets from issue 2):
//! - MB/s on one core for one 10,000-step runbook (target ≥ 10 MB/s),
//!   with the share of parse, check and lint;
//! - parse time of the 10,001-step no-op runbook of `bench/run`'s resume
//!   workload;
//! - wall time for a directory of 1,000 runbooks of 100 lines linted on two
//!   threads, the way `runbook lint DIR` does (target < 0.5 s);
//! - with `RUNBOOK_BIN=path/to/runbook`, the wall time of the real binary on
//!   that directory (`bench/lint.sh` sets it to a release build).

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use runbook_dsl::lint::{lint_with, CallClasses};
use runbook_dsl::Checker;

/// One realistic step (about 10 lines), numbered.
fn step(out: &mut String, i: usize) {
    let _ = write!(
        out,
        r#"
  step scale-{i} "Scale replica set {i}" timeout 10m retry 2 backoff 10s {{
    let before_{i} = app.replicas()
    note `replicas before: ${{before_{i}}}`
    undo app.scale(before_{i})
    run app.scale(replicas + {m})
    expect app.rollout_complete() within 300s every 5s
    expect kube::pods(namespace, "app=flowengine").running() == replicas + {m} within 2m
    assert db.scalar("SELECT count(*) FROM pg_stat_activity") < 400 else "too many connections"
  }}
"#,
        m = i % 7
    );
}

/// A runbook with `steps` steps split into sections of 50.
fn runbook(steps: usize) -> String {
    let mut s = String::from(
        "runbook \"Generated\" {\n  id    \"RB-BENCH\"\n  owner \"bench\"\n}\n\n\
         param namespace: string = \"production\"\nparam replicas: int = 5\n\n\
         let app = kube::deployment(namespace, \"flowengine\")\nlet db = pg::connect(env(\"DB\"))\n",
    );
    for i in 0..steps {
        if i % 50 == 0 {
            if i > 0 {
                s.push_str("}\n");
            }
            let _ = write!(s, "\nsection \"Part {}\" {{", i / 50);
        }
        step(&mut s, i);
    }
    if steps > 0 {
        s.push_str("}\n");
    }
    s
}

/// `bench/harness/workloads.py`'s `resume_runbook`: `steps` no-op steps and
/// a confirmation.
fn noop_runbook(steps: usize) -> String {
    let mut s = String::from("runbook \"resume\" {\n  id    \"RB-BENCH\"\n  owner \"bench\"\n}\n");
    for i in 0..steps {
        let _ = write!(s, "\nstep s{i} \"no-op {i}\" {{\n  run 1\n}}\n");
    }
    s.push_str("\nstep gate \"Wait for the operator\" {\n  confirm \"Go on?\"\n}\n");
    s
}

struct Timings {
    parse: Duration,
    check: Duration,
    lint: Duration,
}

fn lint_once(text: &str, checker: &Checker<'_>, classes: &CallClasses, t: &mut Timings) -> usize {
    let start = Instant::now();
    let rb = runbook_dsl::parse(text).expect("the generated runbook parses");
    let parsed = Instant::now();
    let errors = checker.errors(&rb).len();
    let checked = Instant::now();
    let warnings = lint_with(&rb, classes).len();
    t.parse += parsed - start;
    t.check += checked - parsed;
    t.lint += checked.elapsed();
    errors + warnings
}

fn main() {
    let table = support::table();
    let checker = Checker::new(&table);
    let classes = CallClasses::new(&table);

    // `--profile [STEPS]`: one pass over one file and nothing else, for
    // `valgrind --tool=callgrind target/release/deps/lint-… --profile`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--profile") {
        let steps = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000);
        let text = runbook(steps);
        let mut t = Timings {
            parse: Duration::ZERO,
            check: Duration::ZERO,
            lint: Duration::ZERO,
        };
        let problems = lint_once(&text, &checker, &classes, &mut t);
        println!("{steps} steps, {} bytes, {problems} problem(s)", text.len());
        return;
    }

    // One big file, one core.
    let big = runbook(10_000);
    let mb = big.len() as f64 / 1e6;
    let mut t = Timings {
        parse: Duration::ZERO,
        check: Duration::ZERO,
        lint: Duration::ZERO,
    };
    let problems = lint_once(&big, &checker, &classes, &mut t); // warm-up, and a sanity check
    assert_eq!(problems, 0, "the generated runbook should be clean");
    let rounds = 3;
    t = Timings {
        parse: Duration::ZERO,
        check: Duration::ZERO,
        lint: Duration::ZERO,
    };
    for _ in 0..rounds {
        lint_once(&big, &checker, &classes, &mut t);
    }
    let total = (t.parse + t.check + t.lint).as_secs_f64() / rounds as f64;
    println!(
        "10,000-step runbook: {:.2} MB, {} lines",
        mb,
        big.lines().count()
    );
    println!(
        "  one core: {:.1} MB/s ({:.0} ms per pass; target ≥ 10 MB/s)",
        mb / total,
        total * 1e3
    );
    for (name, d) in [("parse", t.parse), ("check", t.check), ("lint", t.lint)] {
        let secs = d.as_secs_f64() / rounds as f64;
        println!(
            "    {name:<5} {:>6.0} ms  {:>5.1} MB/s  {:>3.0}%",
            secs * 1e3,
            mb / secs,
            100.0 * secs / total
        );
    }

    // The resume workload of `bench/run`: parsing is most of a resume's
    // CPU before the first step runs.
    let noop = noop_runbook(10_000);
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let rb = runbook_dsl::parse(&noop).expect("the no-op runbook parses");
        best = best.min(start.elapsed());
        assert_eq!(rb.steps().count(), 10_001);
    }
    println!(
        "parse of a 10,001-step no-op runbook ({:.2} MB, the resume workload): {:.1} ms",
        noop.len() as f64 / 1e6,
        best.as_secs_f64() * 1e3
    );

    // A directory of 1,000 files of about 100 lines, two threads.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let small = runbook(9);
    let lines = small.lines().count();
    for i in 0..1000 {
        std::fs::write(dir.path().join(format!("rb-{i:04}.runbook")), &small)
            .expect("write a runbook");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a thread pool");
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let problems: usize = pool.install(|| {
            let mut paths: Vec<_> = std::fs::read_dir(dir.path())
                .expect("read the directory")
                .map(|e| e.expect("a directory entry").path())
                .collect();
            paths.sort();
            paths
                .par_iter()
                .map(|p| {
                    let text = std::fs::read_to_string(p).expect("read a runbook");
                    let mut t = Timings {
                        parse: Duration::ZERO,
                        check: Duration::ZERO,
                        lint: Duration::ZERO,
                    };
                    lint_once(&text, &checker, &classes, &mut t)
                })
                .sum()
        });
        assert_eq!(problems, 0);
        best = best.min(start.elapsed());
    }
    println!(
        "1,000 runbooks of {lines} lines: {:.0} ms on 2 threads, in process (target < 500 ms)",
        best.as_secs_f64() * 1e3
    );

    if let Some(bin) = std::env::var_os("RUNBOOK_BIN") {
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let start = Instant::now();
            let status = std::process::Command::new(&bin)
                .arg("lint")
                .arg(dir.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .env("RAYON_NUM_THREADS", "2")
                .status()
                .expect("run the runbook binary");
            best = best.min(start.elapsed());
            println!("  `runbook lint DIR` exit status: {status}");
        }
        println!(
            "1,000 runbooks through `runbook lint DIR`: {:.0} ms wall (target < 500 ms)",
            best.as_secs_f64() * 1e3
        );
    }
}
