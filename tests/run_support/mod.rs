//! Support for the run-model tests: a scratch directory holding the runbook
//! files (where their `sh` steps write `out.txt`) and a state store, plus
//! waiting on conditions with deadlines and reading what the steps wrote.

#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::{self, Cmd, Output};

/// Generous: machines are small and shared; nothing here should take long.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A scratch directory for runbooks and their output, and a state store.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub state: PathBuf,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        Workspace { dir, state }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Copy `tests/fixtures/run/<name>` into the workspace.
    pub fn fixture(&self, name: &str) -> PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/run")
            .join(name);
        let text =
            std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        self.write(name, &text)
    }

    /// Copy `tests/fixtures/reliability/<name>` into the workspace.
    pub fn reliability_fixture(&self, name: &str) -> PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/reliability")
            .join(name);
        let text =
            std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        self.write(name, &text)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Replace `from` by `to` in a workspace file (to change a runbook between runs).
    pub fn edit(&self, name: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path(name)).unwrap();
        assert!(text.contains(from), "{name} has no {from:?}");
        self.write(name, &text.replacen(from, to, 1));
    }

    pub fn touch(&self, name: &str) {
        std::fs::write(self.path(name), "").unwrap();
    }

    /// `runbook ARGS` in the workspace, with the store in `RUNBOOK_STATE`.
    pub fn cmd<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        common::runbook(args)
            .env("RUNBOOK_STATE", &self.state)
            .current_dir(self.dir.path())
    }

    /// `runbook run FILE EXTRA…`, returning the output and the run id it printed.
    pub fn run(&self, file: &str, extra: &[&str]) -> (Output, String) {
        let out = self.cmd(["run", file]).args(extra).output();
        let id = run_id(&out.all()).unwrap_or_else(|| panic!("no run id printed:\n{}", out.all()));
        (out, id)
    }

    /// Start `runbook ARGS` in the background, output going to `<tag>.stdout`
    /// and `<tag>.stderr` in the workspace.
    pub fn spawn(&self, tag: &str, args: &[&str]) -> Runner {
        let stdout = self.path(&format!("{tag}.stdout"));
        let stderr = self.path(&format!("{tag}.stderr"));
        let child = self.cmd(args).spawn_logged(&stdout, &stderr);
        Runner {
            child,
            stdout,
            stderr,
        }
    }

    /// The lines of a workspace file (empty if it does not exist yet).
    pub fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path(name))
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Wait until `cond` holds, or panic naming `what` at the deadline.
    pub fn wait_until(&self, what: &str, mut cond: impl FnMut() -> bool) {
        wait_until(what, &mut cond)
    }

    /// Every file under the state directory whose bytes contain `needle`.
    pub fn state_files_containing(&self, needle: &[u8]) -> Vec<PathBuf> {
        files_under(&self.state)
            .into_iter()
            .filter(|p| {
                std::fs::read(p)
                    .map(|b| contains(&b, needle))
                    .unwrap_or(false)
            })
            .collect()
    }

    /// Whether the store holds any run: `runbook runs --json` lists none and
    /// nothing under the state directory mentions a run.
    pub fn stored_runs(&self) -> Vec<serde_json::Value> {
        let out = self.cmd(["runs", "--json"]).output();
        out.assert_code(0);
        parse_json_list(&out.stdout)
    }
}

/// Wait until `cond` holds, or panic naming `what` at [`DEADLINE`].
pub fn wait_until(what: &str, cond: &mut dyn FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A `runbook` process running in the background.
pub struct Runner {
    pub child: Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Runner {
    pub fn output(&self) -> String {
        let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        format!("{out}{err}")
    }

    /// The run id, once the runner has printed it.
    pub fn wait_run_id(&self) -> String {
        let mut id = None;
        wait_until("the runner prints its run id", &mut || {
            id = run_id(&self.output());
            id.is_some()
        });
        id.unwrap_or_default()
    }

    /// `kill -9`, and wait until the process is gone. The exit code if it
    /// had already exited on its own, `None` if the kill ended it.
    pub fn kill9(&mut self) -> Option<i32> {
        let _ = self.child.kill();
        self.child.wait().ok().and_then(|s| s.code())
    }

    /// Wait for a normal exit; its code.
    pub fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("the runner did not finish:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // Never leave a runner behind a failed assertion.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The id in the runner's `run <ID> started` line.
pub fn run_id(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("run ")?;
        let (id, tail) = rest.split_once(' ')?;
        tail.starts_with("started").then(|| id.to_string())
    })
}

/// A JSON array, or JSON lines, as a list of values.
pub fn parse_json_list(text: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(text.trim()) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(other) => vec![other],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect(),
    }
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A small seeded generator (splitmix64), so a failing trial can be replayed
/// with the seed it printed.
pub struct Rng(u64);

impl Rng {
    /// From `RUNBOOK_TEST_SEED` when set, else from the clock; printed.
    pub fn from_env_or_clock(label: &str) -> Rng {
        let seed = std::env::var("RUNBOOK_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0x5eed)
            });
        eprintln!("{label}: seed {seed} (replay with RUNBOOK_TEST_SEED={seed})");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}
