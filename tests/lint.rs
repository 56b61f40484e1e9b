//! `runbook lint` through the real binary.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{repo_root, runbook};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const META: &str = "runbook \"T\" {\n  id    \"RB-T\"\n  owner \"sre\"\n}\n\n";

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn repository_runbooks_and_accept_fixtures_are_clean_even_with_denied_warnings() {
    let out = runbook([
        "lint",
        "--deny-warnings",
        "runbooks",
        "tests/fixtures/accept",
    ])
    .current_dir(repo_root())
    .output();
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("0 errors, 0 warnings"),
        "{}",
        out.stderr
    );
}

#[test]
fn every_reject_fixture_reports_the_code_in_its_header() {
    let dir = repo_root().join("tests/fixtures/reject");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 3);
    for fixture in fixtures {
        let text = std::fs::read_to_string(&fixture).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("a `# expect: CODE` header");
        let out = runbook(["lint", "--format", "json", "--deny-warnings"])
            .arg(fixture.display().to_string())
            .output();
        let codes: Vec<String> = json_lines(&out.stdout)
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect();
        assert!(
            codes.iter().any(|c| c == expected),
            "{}: expected {expected}, got {codes:?}",
            fixture.display()
        );
        let wanted_exit = if expected.starts_with("runbook::lint::") {
            1
        } else {
            2
        };
        assert_eq!(
            out.code,
            Some(wanted_exit),
            "{}: {}",
            fixture.display(),
            out.stderr
        );
    }
}

#[test]
fn all_problems_of_all_files_are_reported_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.runbook",
        &format!(
            "{META}step a \"A\" timeout 1m {{\n  note `${{nope}}`\n  note `${{also_nope}}`\n}}\n"
        ),
    );
    write(dir.path(), "nested/b.runbook", "stepp b \"B\" {\n}\n");
    write(
        dir.path(),
        "nested/c.runbook",
        &format!("{META}param unused: int = 1\n"),
    );
    write(dir.path(), "notes.md", "not a runbook");
    let out = runbook(["lint", "--format", "json"])
        .arg(dir.path().display().to_string())
        .output()
        .code_is(2);
    let found: Vec<(String, String)> = json_lines(&out.stdout)
        .iter()
        .map(|d| {
            let file = Path::new(d["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, d["code"].as_str().unwrap().to_string())
        })
        .collect();
    let expected = [
        ("a.runbook", "runbook::check::unknown_variable"),
        ("a.runbook", "runbook::check::unknown_variable"),
        ("b.runbook", "runbook::parse::expected_item"),
        ("c.runbook", "runbook::lint::unused_param"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    assert_eq!(found, expected);
    assert!(
        out.stderr.contains("linted 3 files: 3 errors, 1 warning"),
        "{}",
        out.stderr
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "w.runbook",
        &format!("{META}param unused: int = 1\n"),
    );
    let out = runbook(["lint", &file]).output().code_is(0);
    assert!(
        out.stdout.contains("param `unused` is never used"),
        "{}",
        out.stdout
    );
    runbook(["lint", "--deny-warnings", &file])
        .output()
        .code_is(1);
}

#[test]
fn json_gives_positions_severity_code_message_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "w.runbook",
        &format!("{META}param unused: int = 1\n"),
    );
    let out = runbook(["lint", "--format", "json", &file])
        .output()
        .code_is(0);
    let diagnostics = json_lines(&out.stdout);
    assert_eq!(
        diagnostics,
        [serde_json::json!({
            "file": file,
            "line": 6,
            "column": 7,
            "end": { "line": 6, "column": 13 },
            "severity": "warning",
            "code": "runbook::lint::unused_param",
            "message": "param `unused` is never used",
            "help": "use it in an expression or remove it; callers passing `--param unused=…` expect it to matter",
        })]
    );
}

#[test]
fn github_format_is_one_workflow_command_per_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "g.runbook",
        &format!("{META}step s \"S\" timeout 1m {{\n  note `${{nope}}`\n}}\n"),
    );
    let out = runbook(["lint", "--format", "github", &file])
        .output()
        .code_is(2);
    let expected = format!(
        "::error file={file},line=7,col=11,endLine=7,endColumn=15,title=runbook%3A%3Acheck%3A%3Aunknown_variable::unknown variable `nope`%0Ahelp: "
    );
    assert!(out.stdout.starts_with(&expected), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1);
}

#[test]
fn human_format_names_the_file_and_points_at_the_span() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "h.runbook",
        &format!("{META}param unused: int = 1\n"),
    );
    let out = runbook(["lint", "h.runbook"])
        .current_dir(dir.path())
        .output()
        .code_is(0);
    let expected = "\
runbook::lint::unused_param

  ⚠ param `unused` is never used
   ╭─[h.runbook:6:7]
 5 │ 
 6 │ param unused: int = 1
   ·       ───┬──
   ·          ╰── declared here, used nowhere
   ╰────
  help: use it in an expression or remove it; callers passing `--param unused=…` expect it to
        matter
";
    assert_eq!(out.stdout, expected);
}

#[test]
fn unreadable_inputs_are_errors_and_the_other_files_are_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.runbook",
        &format!("{META}param unused: int = 1\n"),
    );
    let latin1 = dir.path().join("latin1.runbook");
    std::fs::write(&latin1, b"runbook \"caf\xe9\" {\n}\n").unwrap();
    let missing = dir.path().join("missing.runbook");
    let out = runbook(["lint", "--format", "json", &good])
        .arg(latin1.display().to_string())
        .arg(missing.display().to_string())
        .output()
        .code_is(2);
    let codes: Vec<String> = json_lines(&out.stdout)
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "runbook::lint::unused_param",
            "runbook::io::not_utf8",
            "runbook::io::not_found"
        ]
    );
    assert!(
        out.stdout.contains("invalid byte at offset 12"),
        "{}",
        out.stdout
    );
}
