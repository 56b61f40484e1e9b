//! `runbook fmt` through the real binary.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{repo_root, runbook};

const MESSY: &str = "runbook \"T\" {\nid \"RB-T\"\n    owner \"sre\"   # who to call\n}\nstep s \"S\" once timeout 1m {\n        note \"hi\"\n}\n";
const CANONICAL: &str = "runbook \"T\" {\n  id    \"RB-T\"\n  owner \"sre\"  # who to call\n}\n\nstep s \"S\" timeout 1m once {\n  note \"hi\"\n}\n";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn fmt_rewrites_in_place_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "m.runbook", MESSY);
    let out = runbook(["fmt", "m.runbook"])
        .current_dir(dir.path())
        .output()
        .code_is(0);
    assert!(out.stderr.contains("formatted m.runbook"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), CANONICAL);
    let again = runbook(["fmt", "m.runbook"])
        .current_dir(dir.path())
        .output()
        .code_is(0);
    assert_eq!(again.stderr, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), CANONICAL);
    // Nothing else is left behind in the directory (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn check_lists_files_that_would_change_without_touching_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "messy.runbook", MESSY);
    write(dir.path(), "clean.runbook", CANONICAL);
    let out = runbook(["fmt", "--check", "messy.runbook", "clean.runbook"])
        .current_dir(dir.path())
        .output()
        .code_is(1);
    assert_eq!(out.stdout, "would reformat messy.runbook\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.runbook")).unwrap(),
        MESSY
    );
    runbook(["fmt", "--check", "clean.runbook"])
        .current_dir(dir.path())
        .output()
        .code_is(0);
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_never_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "step s \"S\" {\n   note (\n}\n";
    let file = write(dir.path(), "broken.runbook", broken);
    let messy = write(dir.path(), "messy.runbook", MESSY);
    let out = runbook(["fmt", "broken.runbook", "messy.runbook"])
        .current_dir(dir.path())
        .output()
        .code_is(2);
    assert!(out.stderr.contains("broken.runbook:"), "{}", out.stderr);
    assert!(out.stderr.contains("runbook::parse::"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
    // The other file was still formatted.
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), CANONICAL);
}

#[cfg(unix)]
#[test]
fn rewriting_keeps_the_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "m.runbook", MESSY);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    runbook(["fmt"])
        .arg(file.display().to_string())
        .output()
        .code_is(0);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn repository_runbooks_are_formatted_and_keep_their_meaning() {
    runbook(["fmt", "--check", "runbooks", "tests/fixtures/accept"])
        .current_dir(repo_root())
        .output()
        .code_is(0);
    for dir in ["runbooks", "tests/fixtures/accept"] {
        for entry in walk(&repo_root().join(dir)) {
            let source = std::fs::read_to_string(&entry).unwrap();
            let formatted = runbook_dsl::fmt::format_source(&source).unwrap();
            let before = runbook_dsl::parse(&source).unwrap();
            let after = runbook_dsl::parse(&formatted).unwrap();
            assert_eq!(before.shape(), after.shape(), "{}", entry.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "runbook") {
            out.push(path);
        }
    }
    out
}
