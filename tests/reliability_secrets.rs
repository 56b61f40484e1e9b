//! Secrets never reach the state directory, the journal, stdout or stderr:
//! a secret param and a PostgreSQL connection URL with its password, seeded
//! raw, URL-encoded and split across output chunks, through `sh` stdout and
//! stderr, Rhai `print`/`debug`, a PostgreSQL error message, a Kubernetes
//! 404 naming it, a failed expectation's observed values, `--verbose`,
//! `status`, `log` and `runs`. Secrets that arrive in pieces too: split
//! across reads, percent-encoded by the command, cut inside a line too long
//! to buffer, a multi-line secret line by line, one with a trailing newline.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use common::Output;
use run_support::{contains, Workspace};

/// Long enough to split, with characters URL encoding changes.
const TOKEN: &str = "tk-9f3A/b+c=d@e!Zq71";

fn url_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every needle is absent from every output and every stored file.
#[track_caller]
fn assert_nowhere(ws: &Workspace, outputs: &[Output], needles: &[String]) {
    assert!(
        !run_support::files_under(&ws.state).is_empty(),
        "the run was stored"
    );
    for needle in needles {
        for o in outputs {
            assert!(
                !contains(&o.stdout_bytes, needle.as_bytes()),
                "{needle:?} in stdout:\n{}",
                o.stdout
            );
            assert!(
                !contains(&o.stderr_bytes, needle.as_bytes()),
                "{needle:?} in stderr:\n{}",
                o.stderr
            );
        }
        let leaked = ws.state_files_containing(needle.as_bytes());
        assert!(leaked.is_empty(), "{needle:?} is in {leaked:?}");
    }
}

/// Everything a reader can ask about run `id`.
fn readers(ws: &Workspace, id: &str) -> Vec<Output> {
    vec![
        ws.cmd(["status", id]).output(),
        ws.cmd(["status", id, "--json"]).output(),
        ws.cmd(["log", id]).output(),
        ws.cmd(["log", id, "--json"]).output(),
        ws.cmd(["runs", "--json"]).output(),
    ]
}

#[test]
fn secrets_and_the_database_password_never_leak() {
    let db = pg_harness::database("secrets").unwrap();
    let url = db.url();
    let password = db.server().password().map(str::to_string);
    let ws = Workspace::new();
    ws.reliability_fixture("secrets.runbook");
    let args = [
        "--param".to_string(),
        format!("token={TOKEN}"),
        "--param".to_string(),
        format!("token_encoded={}", url_encoded(TOKEN)),
        "--param".to_string(),
        format!("db_url={url}"),
        "--verbose".to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, id) = ws.run("secrets.runbook", &args);
    // The query step fails: PostgreSQL quotes the value it could not cast.
    out.assert_code(1);
    assert!(
        out.all().contains("invalid input syntax"),
        "the PostgreSQL error is shown (redacted): {}",
        out.all()
    );
    // The commands did get the real values: their output is redacted, not dropped.
    assert!(out.all().contains("raw ***"), "{}", out.all());

    let mut needles = vec![
        TOKEN.to_string(),
        url_encoded(TOKEN),
        url.clone(),
        url_encoded(&url),
    ];
    if let Some(pw) = password.filter(|p| p.len() >= 6) {
        needles.push(url_encoded(&pw));
        needles.push(pw);
    }
    let mut outputs = vec![out];
    outputs.extend(readers(&ws, &id));
    assert_nowhere(&ws, &outputs, &needles);
}

#[test]
fn a_failed_expectation_does_not_show_the_secret_it_observed() {
    let ws = Workspace::new();
    ws.reliability_fixture("secret_expect.runbook");
    let token = format!("token={TOKEN}");
    let (out, id) = ws.run("secret_expect.runbook", &["--param", &token, "--verbose"]);
    out.assert_code(1);
    assert!(
        out.all().contains("-suffix"),
        "the observed value is shown, redacted: {}",
        out.all()
    );
    let mut outputs = vec![out];
    outputs.extend(readers(&ws, &id));
    assert_nowhere(&ws, &outputs, &[TOKEN.to_string(), url_encoded(TOKEN)]);
}

#[test]
fn a_kubernetes_error_naming_the_secret_does_not_show_it() {
    // A lower-case, DNS-safe token: the API server quotes the name it did not find.
    let token = "tk-7c1e9a52b0d4f";
    let sim = kube_sim::KubeSim::start().unwrap();
    let ws = Workspace::new();
    ws.reliability_fixture("secret_kube.runbook");
    let kc = run_support::kube::kubeconfig_arg(&sim);
    let param = format!("token={token}");
    let (out, id) = ws.run(
        "secret_kube.runbook",
        &["--param", &param, "--kubeconfig", &kc, "--verbose"],
    );
    out.assert_code(1);
    assert!(
        out.all().contains("not found"),
        "the 404 is shown: {}",
        out.all()
    );
    assert!(
        sim.count_requests(|r| r.path.contains(token)) >= 1,
        "the request did name the secret"
    );
    let mut outputs = vec![out];
    outputs.extend(readers(&ws, &id));
    assert_nowhere(&ws, &outputs, &[token.to_string()]);
}

/// A three-line secret, e.g. a key file.
const KEY: &str = "kA1-first-line-of-key\nkB2-second-line-of-key\nkC3-third-line-of-key";
/// A secret read from a file usually ends in a newline; output shows it without.
const PADDED: &str = "pd-5e8Qz/w+trailing\n";

#[test]
fn secrets_arriving_in_pieces_are_still_redacted() {
    let ws = Workspace::new();
    ws.reliability_fixture("secret_split.runbook");
    let args = [
        "--param".to_string(),
        format!("token={TOKEN}"),
        "--param".to_string(),
        format!("key={KEY}"),
        "--param".to_string(),
        format!("padded={PADDED}"),
        "--verbose".to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, id) = ws.run("secret_split.runbook", &args);
    // The last step fails on purpose: its error output is shown.
    out.assert_code(1);
    let said = out.all();
    // The commands ran and printed (redacted) what they were given.
    for shown in ["out ***", "err ***", "url https://x/?t=***", "key:", "[***"] {
        assert!(said.contains(shown), "{shown:?} in:\n{said}");
    }
    assert!(said.contains("exited with code 3"), "{said}");

    let mut needles = vec![
        TOKEN.to_string(),
        url_encoded(TOKEN),
        url_encoded(TOKEN).to_lowercase(),
        PADDED.trim_end().to_string(),
        // Either half on its own: the long line must not be cut inside it.
        TOKEN[..10].to_string(),
        TOKEN[10..].to_string(),
    ];
    needles.extend(KEY.lines().map(str::to_string));
    let mut outputs = vec![out];
    outputs.extend(readers(&ws, &id));
    assert_nowhere(&ws, &outputs, &needles);
}
