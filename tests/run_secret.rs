//! A secret param never reaches the store, the journal or the terminal, even
//! when a command echoes it, a note shows it or an error message contains
//! it; it is not stored, so a resume asks for it again.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use common::Output;
use run_support::{contains, Workspace};

run_support::both_stores!(
    a_secret_param_is_never_written_or_shown,
    a_step_binding_holding_a_secret_is_refused_without_showing_it,
);

const TOKEN: &str = "s3cr3t-Tok3n-4f9a1c";

fn assert_not_shown(outputs: &[Output]) {
    for o in outputs {
        assert!(
            !contains(&o.stdout_bytes, TOKEN.as_bytes()),
            "in stdout: {}",
            o.stdout
        );
        assert!(
            !contains(&o.stderr_bytes, TOKEN.as_bytes()),
            "in stderr: {}",
            o.stderr
        );
    }
}

fn assert_not_stored(ws: &Workspace, id: &str) {
    assert!(ws.store_holds_anything(), "the run was stored");
    // The search finds what the store does hold, so finding no secret means something.
    assert!(
        !ws.stored_places_containing(id).is_empty(),
        "the run id {id} is nowhere in the store"
    );
    let leaked = ws.stored_places_containing(TOKEN);
    assert!(leaked.is_empty(), "the secret is in {leaked:?}");
}

fn a_secret_param_is_never_written_or_shown(ws: &Workspace) {
    ws.fixture("secret.runbook");
    let token_param = format!("token={TOKEN}");
    let (out, id) = ws.run("secret.runbook", &["--param", &token_param]);
    out.assert_code(1);
    // The command itself did get the real value.
    assert_eq!(ws.lines("token.txt"), [TOKEN]);
    assert!(
        out.all().contains("the token *** was rejected"),
        "redacted, not dropped: {}",
        out.all()
    );

    let mut shown = vec![
        ws.cmd(["status", &id]).output(),
        ws.cmd(["status", &id, "--json"]).output(),
        ws.cmd(["log", &id]).output(),
        ws.cmd(["log", &id, "--json"]).output(),
        ws.cmd(["runs", "--json"]).output(),
    ];
    for o in &shown {
        o.assert_code(0);
    }
    assert!(
        shown[2].stdout.contains("token is ***"),
        "the echoed line is kept, redacted: {}",
        shown[2].stdout
    );
    assert!(
        shown[2].stdout.contains("Bearer ***"),
        "the note is kept, redacted: {}",
        shown[2].stdout
    );
    shown.push(out);
    assert_not_shown(&shown);
    assert_not_stored(ws, &id);

    // Not stored, so not restored: resuming needs it again.
    ws.edit(
        "secret.runbook",
        "assert token == \"\"",
        "assert token != \"\"",
    );
    let without = ws.cmd(["resume", &id]).output();
    without.assert_code(2);
    assert!(
        without.stderr.contains("--param token="),
        "{}",
        without.stderr
    );
    let with = ws.cmd(["resume", &id, "--param", &token_param]).output();
    with.assert_code(0);
    assert_not_shown(&[without, with]);
    assert_not_stored(ws, &id);
}

fn a_step_binding_holding_a_secret_is_refused_without_showing_it(ws: &Workspace) {
    ws.write(
        "bind.runbook",
        "runbook \"Bind\" {\n  id \"T-RUN-BIND\"\n  owner \"tests\"\n}\n\nparam token: secret\n\n\
         step bind \"Keep a copy\" {\n  let header = `Bearer ${token}`\n}\n",
    );
    let (out, id) = ws.run("bind.runbook", &["--param", &format!("token={TOKEN}")]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("header"),
        "names the binding: {}",
        out.stderr
    );
    assert_not_shown(&[out]);
    assert_not_stored(ws, &id);
}
