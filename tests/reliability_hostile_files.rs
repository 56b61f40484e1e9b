//! Files that are not runbooks are refused with a clear error by every
//! command that reads them, before anything runs or is stored: invalid
//! UTF-8, NUL bytes; a NUL inside a command fails the step, not the runner.
//! (Parser-level nasties are in dsl/tests/regressions.rs.)

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

fn write_bytes(ws: &Workspace, name: &str, bytes: &[u8]) {
    std::fs::write(ws.path(name), bytes).unwrap();
}

#[test]
fn invalid_utf8_is_refused_by_lint_fmt_and_run() {
    let ws = Workspace::new();
    write_bytes(
        &ws,
        "latin1.runbook",
        b"runbook \"Caf\xe9\" {\n  id \"x\"\n  owner \"o\"\n}\n",
    );
    for args in [
        vec!["lint", "latin1.runbook"],
        vec!["fmt", "latin1.runbook"],
        vec!["fmt", "--check", "latin1.runbook"],
        vec!["run", "latin1.runbook"],
    ] {
        let out = ws.cmd(&args).output();
        out.assert_code(2);
        assert!(out.all().contains("UTF-8"), "{args:?}: {}", out.all());
        assert!(!out.all().contains("panicked"), "{args:?}: {}", out.all());
    }
    // fmt never rewrote it, run stored nothing.
    assert_eq!(
        std::fs::read(ws.path("latin1.runbook")).unwrap(),
        b"runbook \"Caf\xe9\" {\n  id \"x\"\n  owner \"o\"\n}\n"
    );
    assert!(ws.stored_runs().is_empty());
}

#[test]
fn nul_bytes_between_items_are_a_syntax_error() {
    let ws = Workspace::new();
    write_bytes(
        &ws,
        "nul.runbook",
        b"step s \"S\" {\n  note \"x\"\n}\n\0\0\0\n",
    );
    for args in [["lint", "nul.runbook"], ["run", "nul.runbook"]] {
        let out = ws.cmd(args).output();
        out.assert_code(2);
        assert!(
            out.all().contains("runbook::parse::"),
            "{args:?}: {}",
            out.all()
        );
        assert!(
            out.all().contains("nul.runbook:4:1"),
            "points at the NUL: {}",
            out.all()
        );
    }
    assert!(ws.stored_runs().is_empty());
}

#[test]
fn a_nul_byte_in_a_command_fails_the_step_cleanly() {
    let ws = Workspace::new();
    write_bytes(
        &ws,
        "nul.runbook",
        b"runbook \"T\" {\n  id \"x\"\n  owner \"o\"\n}\n\n# lint:allow(missing_undo) t\nstep s \"S\" {\n  sh \"echo a\0b > out.txt\"\n}\n",
    );
    let (out, id) = ws.run("nul.runbook", &[]);
    out.assert_code(1);
    assert!(out.all().contains("nul byte"), "{}", out.all());
    assert!(ws.lines("out.txt").is_empty(), "nothing ran");
    let status = ws.cmd(["status", &id]).output();
    status.assert_code(0);
    assert!(status.stdout.contains("failed"), "{}", status.stdout);
}
