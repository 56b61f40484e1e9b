//! A full disk stops the run before its next effect, with a clear error, and
//! the run resumes once space is free. The store is on a small tmpfs (we run
//! as root in CI; where `mount` is not permitted the test says so and
//! returns), filled while a step holds.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use run_support::Workspace;

/// A tmpfs mounted at a directory, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(dir.to_path_buf())),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: no mount command: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fill the filesystem holding `dir` with `filler` until a write fails.
fn fill(filler: &Path) {
    let mut f = std::fs::File::create(filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    // The last bytes: anything smaller than a chunk that still fits.
    for size in [4096usize, 512, 64, 1] {
        while f.write_all(&chunk[..size]).is_ok() {}
    }
}

#[test]
fn a_full_store_stops_before_the_next_effect_and_resumes_once_freed() {
    let ws = Workspace::new();
    let Some(_mount) = Tmpfs::mount(&ws.state, "16m") else {
        return;
    };
    ws.reliability_fixture("fills_disk.runbook");
    let mut runner = ws.spawn("runner", &["run", "fills_disk.runbook"]);
    let id = runner.wait_run_id();
    ws.wait_until("step hold runs", || ws.lines("out.txt") == ["one", "hold"]);

    let filler = ws.state.join("filler");
    fill(&filler);
    ws.touch("release");
    let code = runner.wait();
    let said = runner.output();
    // A store error (exit 2), or the step failing on its journal (exit 1).
    assert!(
        matches!(code, Some(1) | Some(2)),
        "the run stops with an error ({code:?}):\n{said}"
    );
    assert!(
        said.contains("No space left on device"),
        "says why:\n{said}"
    );
    assert!(!said.contains("panicked"), "{said}");
    assert_eq!(
        ws.lines("out.txt"),
        ["one", "hold"],
        "no effect after the failed checkpoint"
    );

    std::fs::remove_file(&filler).unwrap();
    let out = ws.cmd(["resume", &id]).output();
    out.assert_code(0);
    let lines = ws.lines("out.txt");
    // `hold` may run again (its success was not recorded), the rest once.
    assert!(
        lines == ["one", "hold", "three", "four"]
            || lines == ["one", "hold", "hold", "three", "four"],
        "{lines:?}"
    );
}
