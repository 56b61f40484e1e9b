//! In-process cost of one `sh("true")`, against the floor of starting and
//! waiting for `/bin/sh -c true` with its output piped.
//!
//! `cargo bench -p runbook-stdlib --bench sh [-- CALLS]` prints p10, median
//! and p90 per call. Calls are made from a plain thread, as the interpreter
//! makes them, with a pause between them that stands for the step's
//! checkpoint (not timed): the next command's watcher starts in that pause.
//! Wall times on a shared machine move a lot; compare the two rows of one
//! run.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use runbook_stdlib::sh::ShOptions;
use runbook_stdlib::{ActionContext, KubeOptions, NullSink};

/// Stands for the checkpoint between two steps.
const BETWEEN_STEPS: Duration = Duration::from_millis(2);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls: usize = match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(n) => n.parse()?,
        None => 300,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ctx = ActionContext::new(
        rt.handle().clone(),
        Arc::new(NullSink),
        PathBuf::from("/"),
        false,
        KubeOptions::default(),
    );

    let floor = time(calls, || {
        let out = Command::new("/bin/sh")
            .args(["-c", "true"])
            .stdin(Stdio::null())
            .output()?;
        check(out.status.success())
    })?;
    // The same through tokio, from a thread outside the runtime: on the
    // runner's multi-thread runtime its reactor runs on a worker that then
    // wakes the calling thread; on a current-thread runtime the calling
    // thread polls the reactor itself.
    let hops = time(calls, || rt.block_on(tokio_true()))?;
    let local = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let no_hops = time(calls, || local.block_on(tokio_true()))?;
    let sh = time(calls, || {
        let map = runbook_stdlib::sh::sh(&ctx, "true", ShOptions::default())?;
        let code = map.get("code").and_then(|c| c.as_int().ok());
        check(code == Some(0))
    })?;
    println!("{calls} calls, µs per call         p10   median      p90");
    report("/bin/sh -c true (std, floor)", &floor);
    report("  tokio, multi-thread", &hops);
    report("  tokio, current-thread", &no_hops);
    report("sh(\"true\")", &sh);
    Ok(())
}

async fn tokio_true() -> Result<(), Box<dyn std::error::Error>> {
    let out = tokio::process::Command::new("/bin/sh")
        .args(["-c", "true"])
        .stdin(Stdio::null())
        .output()
        .await?;
    check(out.status.success())
}

fn check(ok: bool) -> Result<(), Box<dyn std::error::Error>> {
    if ok {
        Ok(())
    } else {
        Err("the command failed".into())
    }
}

fn time(
    calls: usize,
    mut call: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let mut took = Vec::with_capacity(calls);
    for _ in 0..calls {
        std::thread::sleep(BETWEEN_STEPS);
        let start = Instant::now();
        call()?;
        took.push(start.elapsed());
    }
    took.sort_unstable();
    Ok(took)
}

fn report(name: &str, sorted: &[Duration]) {
    let at = |q: f64| {
        let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(i).map_or(0, Duration::as_micros)
    };
    println!("{name:<30} {:>8} {:>8} {:>8}", at(0.1), at(0.5), at(0.9));
}
