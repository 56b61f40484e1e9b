//! Support for the run-model tests: a scratch directory holding the runbook
//! files (where their `sh` steps write `out.txt`) and a state store, plus
//! waiting on conditions with deadlines and reading what the steps wrote.
//!
//! The store is a sled directory or a fresh PostgreSQL database
//! ([`StoreKind`]); [`both_stores!`] runs one test body against each.

#![allow(dead_code)] // each test file uses a different part

pub mod kube;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::{self, Cmd, Output};

/// Generous: machines are small and shared; nothing here should take long.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The lease TTL (seconds, `RUNBOOK_LEASE_TTL`) of PostgreSQL workspaces:
/// short, so a run whose runner was killed is free again a few seconds
/// later instead of the default 30.
pub const TEST_LEASE_TTL_SECS: u64 = 4;

/// Which state store a workspace's runs are kept in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded default: a directory (`--state DIR`).
    Sled,
    /// A fresh database on the test server (`--state postgres://…`).
    Postgres,
}

/// Generates `mod sled` and `mod postgres`, each holding one `#[test]` per
/// named body `fn NAME(ws: &Workspace)` of the calling file, which runs the
/// body against a fresh workspace of that store. nextest shows them as
/// `sled::NAME` and `postgres::NAME`.
///
/// ```ignore
/// fn a_run_succeeds(ws: &Workspace) { … }
/// run_support::both_stores!(a_run_succeeds);
/// ```
#[allow(unused_macros)]
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sled {
            $(
                #[test]
                fn $name() {
                    let ws = $crate::run_support::Workspace::with_store(
                        $crate::run_support::StoreKind::Sled,
                    );
                    super::$name(&ws);
                }
            )+
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let ws = $crate::run_support::Workspace::with_store(
                        $crate::run_support::StoreKind::Postgres,
                    );
                    super::$name(&ws);
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use both_stores;

/// A scratch directory for runbooks and their output, and a state store.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    /// The sled state directory. With PostgreSQL nothing is ever written
    /// there; use [`Workspace::state_arg`] for what `--state` gets.
    pub state: PathBuf,
    kind: StoreKind,
    /// The PostgreSQL database holding the state; dropped with the workspace.
    db: Option<pg_harness::TestDatabase>,
}

impl Workspace {
    /// A workspace with a sled store (the default store).
    pub fn new() -> Workspace {
        Workspace::with_store(StoreKind::Sled)
    }

    /// A workspace whose runs are kept in a store of `kind`: a directory in
    /// the workspace, or a new database on the test PostgreSQL server.
    pub fn with_store(kind: StoreKind) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let db = match kind {
            StoreKind::Sled => None,
            StoreKind::Postgres => Some(
                pg_harness::database("state")
                    .unwrap_or_else(|e| panic!("no PostgreSQL server for the state store: {e}")),
            ),
        };
        Workspace {
            dir,
            state,
            kind,
            db,
        }
    }

    /// Another fresh workspace with the same kind of store.
    pub fn fresh(&self) -> Workspace {
        Workspace::with_store(self.kind)
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    pub fn is_sled(&self) -> bool {
        self.kind == StoreKind::Sled
    }

    /// What `--state` / `RUNBOOK_STATE` names: the directory or the URL.
    pub fn state_arg(&self) -> String {
        match &self.db {
            Some(db) => db.url(),
            None => self.state.to_str().unwrap().to_string(),
        }
    }

    /// The PostgreSQL database of the store. Panics for a sled workspace.
    pub fn database(&self) -> &pg_harness::TestDatabase {
        self.db
            .as_ref()
            .expect("a PostgreSQL workspace (Workspace::with_store(StoreKind::Postgres))")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Copy `tests/fixtures/run/<name>` into the workspace.
    pub fn fixture(&self, name: &str) -> PathBuf {
        self.copy_fixture("run", name)
    }

    /// Copy `tests/fixtures/reliability/<name>` into the workspace.
    pub fn reliability_fixture(&self, name: &str) -> PathBuf {
        self.copy_fixture("reliability", name)
    }

    /// Copy `tests/fixtures/<folder>/<name>` into the workspace.
    fn copy_fixture(&self, folder: &str, name: &str) -> PathBuf {
        let src = common::repo_root()
            .join("tests/fixtures")
            .join(folder)
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

    /// `runbook ARGS` in the workspace, with the store in `RUNBOOK_STATE`
    /// (and, for PostgreSQL, a short lease: [`TEST_LEASE_TTL_SECS`]).
    pub fn cmd<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let cmd = common::runbook(args)
            .env("RUNBOOK_STATE", self.state_arg())
            .current_dir(self.dir.path());
        match self.kind {
            StoreKind::Sled => cmd,
            StoreKind::Postgres => cmd.env("RUNBOOK_LEASE_TTL", TEST_LEASE_TTL_SECS.to_string()),
        }
    }

    /// `runbook ARGS` on a run whose runner was just `kill -9`ed. sled: at
    /// once (the kernel released the dead runner's lock). PostgreSQL: the
    /// dead runner's lease lives on until it expires, so again while the
    /// command is refused because the run is held (and never longer than
    /// [`DEADLINE`]).
    pub fn after_kill(&self, args: &[&str]) -> Output {
        let mut out = self.cmd(args).output();
        if self.is_sled() {
            return out;
        }
        let deadline = Instant::now() + DEADLINE;
        while refused_as_held(&out) {
            assert!(
                Instant::now() < deadline,
                "{args:?} still refused after {DEADLINE:?}:\n{}",
                out.all()
            );
            std::thread::sleep(Duration::from_millis(200));
            out = self.cmd(args).output();
        }
        out
    }

    /// Like [`Workspace::spawn`], for a `resume` of a run whose runner was
    /// just `kill -9`ed: with PostgreSQL, started again while refused
    /// because the dead runner's lease has not expired yet. Returns once the
    /// runner holds the run (it said `resumed`) or exited for another reason.
    pub fn spawn_after_kill(&self, tag: &str, args: &[&str]) -> Runner {
        let deadline = Instant::now() + DEADLINE;
        for attempt in 0.. {
            let mut runner = self.spawn(&format!("{tag}.{attempt}"), args);
            if self.is_sled() {
                return runner;
            }
            let mut exit = None;
            wait_until("the resume proceeds or exits", &mut || {
                exit = runner.child.try_wait().unwrap();
                exit.is_some() || runner.output().contains(" resumed")
            });
            let refused =
                exit.is_some_and(|s| s.code() == Some(2)) && is_held_refusal(&runner.output());
            if !refused {
                return runner;
            }
            assert!(
                Instant::now() < deadline,
                "{args:?} still refused after {DEADLINE:?}:\n{}",
                runner.output()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        unreachable!("the loop returns or panics")
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
        self.spawn_cmd(tag, self.cmd(args))
    }

    /// Start `cmd` (from [`Workspace::cmd`], with extra settings) in the
    /// background, like [`Workspace::spawn`].
    pub fn spawn_cmd(&self, tag: &str, cmd: Cmd) -> Runner {
        let stdout = self.path(&format!("{tag}.stdout"));
        let stderr = self.path(&format!("{tag}.stderr"));
        let child = cmd.spawn_logged(&stdout, &stderr);
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

    /// Every file under the sled state directory whose bytes contain
    /// `needle` (sled only: see [`Workspace::stored_places_containing`]).
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

    /// Where the store holds `needle`, whatever the store: the paths of
    /// sled files containing its bytes, or `TABLE (N rows)` for PostgreSQL
    /// tables with rows whose text (bytea as hex) contains it.
    pub fn stored_places_containing(&self, needle: &str) -> Vec<String> {
        let Some(db) = &self.db else {
            return self
                .state_files_containing(needle.as_bytes())
                .iter()
                .map(|p| p.display().to_string())
                .collect();
        };
        let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
        self.tables()
            .into_iter()
            .filter_map(|table| {
                let count = db
                    .query_column(&format!(
                        "SELECT count(*) FROM {table} AS t \
                         WHERE strpos(t::text, {}) > 0 OR strpos(t::text, '{hex}') > 0",
                        sql_literal(needle)
                    ))
                    .unwrap();
                let n: u64 = count[0].as_deref().unwrap_or("0").parse().unwrap();
                (n > 0).then(|| format!("{table} ({n} rows)"))
            })
            .collect()
    }

    /// Whether the store holds anything at all: a file under the sled
    /// directory, or a row in a PostgreSQL table other than the schema's
    /// migration bookkeeping (which any command may create).
    pub fn store_holds_anything(&self) -> bool {
        let Some(db) = &self.db else {
            return !files_under(&self.state).is_empty();
        };
        self.tables()
            .iter()
            .filter(|t| {
                let name = t.rsplit('.').next().unwrap_or(t);
                !name.contains("migration") && !name.contains("schema")
            })
            .any(|table| {
                let rows = db
                    .query_column(&format!("SELECT 1 FROM {table} LIMIT 1"))
                    .unwrap();
                !rows.is_empty()
            })
    }

    /// The PostgreSQL store's tables, as quoted `schema.table` names.
    fn tables(&self) -> Vec<String> {
        self.database()
            .query_column(
                "SELECT format('%I.%I', table_schema, table_name) \
                 FROM information_schema.tables \
                 WHERE table_type = 'BASE TABLE' \
                   AND table_schema NOT IN ('pg_catalog', 'information_schema') \
                 ORDER BY 1",
            )
            .unwrap()
            .into_iter()
            .flatten()
            .collect()
    }

    /// The runs `runbook runs --json` lists.
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

/// `text` without miette's frame and line breaks (it wraps long messages),
/// for "is it said" checks.
pub fn flat(text: &str) -> String {
    text.replace(['│', '·'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `out` is a refusal because another runner holds the run.
pub fn refused_as_held(out: &Output) -> bool {
    out.code == Some(2) && is_held_refusal(&out.stderr)
}

/// Whether `text` says the run is held by another runner (the store's
/// `runbook::store::locked` diagnostic).
pub fn is_held_refusal(text: &str) -> bool {
    text.contains("runbook::store::locked")
}

/// `text` as a SQL string literal.
fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A runbook of `n` steps `s1`…`sN`, each appending its name to `out.txt`:
/// the witness of which steps ran, how often, in which order.
pub fn numbered_steps_runbook(n: usize) -> String {
    let mut text = format!("runbook \"{n} steps\" {{\n  id \"T-STEPS\"\n  owner \"tests\"\n}}\n");
    for k in 1..=n {
        text.push_str(&format!(
            "\nstep s{k} \"Step {k}\" {{\n  sh \"echo s{k} >> out.txt\"\n}}\n"
        ));
    }
    text
}

/// The step numbers a [`numbered_steps_runbook`] wrote to `out.txt`.
pub fn steps_written(ws: &Workspace) -> Vec<usize> {
    ws.lines("out.txt")
        .iter()
        .map(|l| {
            l.strip_prefix('s')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("bad line {l:?}"))
        })
        .collect()
}

/// Checks the witness of a run of `steps` numbered steps that was stopped
/// several times and resumed to the end: every step ran, in order, and a
/// step ran more than once only if it was running at a stop. `stops` holds,
/// for each stop, the last step written when it was seen; the step running
/// then is that one or up to `slack` steps after it (a line landing just as
/// the runner died).
pub fn assert_only_interrupted_steps_repeated(
    label: &str,
    written: &[usize],
    steps: usize,
    stops: &[usize],
    slack: usize,
) {
    let mut collapsed = written.to_vec();
    collapsed.dedup();
    assert_eq!(
        collapsed,
        (1..=steps).collect::<Vec<_>>(),
        "{label}: lines out of order or missing: {written:?} (stops after {stops:?})"
    );
    let mut seen = std::collections::BTreeMap::new();
    for step in written {
        *seen.entry(*step).or_insert(0) += 1;
    }
    for (step, count) in seen {
        if count == 1 {
            continue;
        }
        let running_at_a_stop = stops.iter().any(|&k| (k..=k + slack).contains(&step));
        assert!(
            running_at_a_stop && count <= 1 + stops.len(),
            "{label}: step s{step} ran {count} times; stops after {stops:?}; lines {written:?}"
        );
    }
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
