//! A secret param never reaches the store, the journal or the terminal, even
//! when a command echoes it, a note shows it, a step binding holds it or an
//! error message contains it.

mod common;
mod run_support;

use run_support::{contains, Workspace};

const TOKEN: &str = "s3cr3t-Tok3n-4f9a1c";

#[test]
fn a_secret_param_is_never_written_or_shown() {
    let ws = Workspace::new();
    ws.fixture("secret.runbook");
    let (out, id) = ws.run("secret.runbook", &["--param", &format!("token={TOKEN}")]);
    out.assert_code(1);
    // The command itself did get the real value.
    assert_eq!(ws.lines("token.txt"), [TOKEN]);
    assert!(out.all().contains("***"), "redacted, not dropped: {}", out.all());

    let mut shown = vec![out];
    shown.push(ws.cmd(["status", &id]).output());
    shown.push(ws.cmd(["status", &id, "--json"]).output());
    shown.push(ws.cmd(["log", &id]).output());
    shown.push(ws.cmd(["log", &id, "--json"]).output());
    shown.push(ws.cmd(["runs", "--json"]).output());
    for o in &shown[1..] {
        o.assert_code(0);
    }
    for o in &shown {
        assert!(!contains(&o.stdout_bytes, TOKEN.as_bytes()), "in stdout: {}", o.stdout);
        assert!(!contains(&o.stderr_bytes, TOKEN.as_bytes()), "in stderr: {}", o.stderr);
    }
    let log = ws.cmd(["log", &id]).output();
    assert!(log.stdout.contains("token is ***"), "the echoed line is kept, redacted: {}", log.stdout);

    assert!(!run_support::files_under(&ws.state).is_empty(), "the run was stored");
    let leaked = ws.state_files_containing(TOKEN.as_bytes());
    assert!(leaked.is_empty(), "the secret is in {leaked:?}");
}
