//! State is private to the operator: after a run, a failure, a resume and a
//! rollback, every directory under the state directory (and the directory
//! itself) has mode 0700 and every file 0600 — even under a permissive
//! umask, since sled and the journal would otherwise inherit it.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use run_support::Workspace;

/// `runbook ARGS` under `umask 000`, through a shell (no unsafe pre_exec).
fn under_open_umask(ws: &Workspace, args: &[&str]) -> common::Output {
    let mut line = String::from("umask 000; exec \"$0\"");
    for n in 1..=args.len() {
        line.push_str(&format!(" \"${n}\""));
    }
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(line)
        .arg(common::bin())
        .args(args)
        .env("RUNBOOK_STATE", &ws.state)
        .env("NO_COLOR", "1")
        .current_dir(ws.dir.path());
    let out = cmd.output().unwrap();
    common::Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout_bytes: out.stdout,
        stderr_bytes: out.stderr,
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

fn every_entry(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            every_entry(&path, out);
        }
    }
}

#[test]
fn every_state_file_is_0600_and_every_directory_0700() {
    let ws = Workspace::new();
    ws.reliability_fixture("rollback_crash.runbook");
    let first = under_open_umask(&ws, &["run", "rollback_crash.runbook"]);
    first.assert_code(1);
    let id = run_support::run_id(&first.all()).unwrap();
    under_open_umask(&ws, &["resume", &id]).assert_code(1);
    under_open_umask(&ws, &["rollback", &id]).assert_code(0);
    under_open_umask(&ws, &["status", &id]).assert_code(0);

    assert_eq!(mode(&ws.state), 0o700, "the state directory");
    let mut entries = Vec::new();
    every_entry(&ws.state, &mut entries);
    assert!(
        entries.iter().any(|p| p.ends_with("journal.jsonl")),
        "the run was stored: {entries:?}"
    );
    let wrong: Vec<String> = entries
        .iter()
        .filter_map(|p| {
            let meta = std::fs::symlink_metadata(p).unwrap();
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            let got = mode(p);
            (got != want).then(|| format!("{} is {got:o}, not {want:o}", p.display()))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
