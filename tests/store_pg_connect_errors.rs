//! The PostgreSQL state store refuses a connection it cannot make clearly,
//! at start: an unreachable server, a missing database, a wrong password, a
//! malformed URL — exit 2, the store's diagnostic, no panic, no password
//! shown, nothing run.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::{flat, Workspace};

/// `runbook ARGS --state URL` (run, runs, status) must be refused with exit
/// 2, mentioning every `needle` and never the URL's `password`.
fn refused_at_start(url: &str, password: &str, needles: &[&str]) {
    let ws = Workspace::new();
    ws.fixture("three_steps.runbook");
    ws.touch("gate");
    let commands: [&[&str]; 3] = [
        &["run", "three_steps.runbook"],
        &["runs"],
        &["status", "20261129-0000-abcd"],
    ];
    for args in commands {
        let out = common::runbook(args)
            .arg("--state")
            .arg(url)
            .current_dir(ws.dir.path())
            .output();
        out.assert_code(2);
        let said = flat(&out.all());
        assert!(
            said.contains("cannot connect to the state store"),
            "{args:?}: {said}"
        );
        for needle in needles {
            assert!(said.contains(needle), "{args:?}: {needle:?} in {said}");
        }
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert!(!said.contains(password), "{args:?}: password shown: {said}");
        assert!(
            run_support::run_id(&said).is_none(),
            "a run started: {said}"
        );
    }
    assert!(!ws.path("out.txt").exists(), "a step ran");
}

/// The test server's password (a throwaway server always has one).
fn password(server: &pg_harness::Server) -> &str {
    server.password().unwrap_or("no password")
}

#[test]
fn an_unreachable_server_is_refused_at_start() {
    let server = pg_harness::server().unwrap();
    // Port 1 on the loopback: nothing listens, the connection is refused.
    let url = server
        .url("postgres", &[])
        .replace(&format!(":{}/", server.port()), ":1/");
    assert!(url.contains(":1/"), "{url}");
    refused_at_start(&url, password(server), &["127.0.0.1:1", "***"]);
}

#[test]
fn a_missing_database_is_refused_at_start() {
    let server = pg_harness::server().unwrap();
    let url = server.url("runbook_no_such_database", &[]);
    refused_at_start(
        &url,
        password(server),
        &["runbook_no_such_database", "does not exist"],
    );
}

#[test]
fn a_wrong_password_is_refused_at_start() {
    let db = pg_harness::database("wrong_password").unwrap();
    let server = db.server();
    let url = format!(
        "postgres://{}:not-the-password@{}:{}/{}",
        server.user(),
        server.host(),
        server.port(),
        db.name()
    );
    refused_at_start(&url, "not-the-password", &["password"]);
}

#[test]
fn a_malformed_url_is_refused_without_its_password() {
    let ws = Workspace::new();
    ws.fixture("three_steps.runbook");
    let out = common::runbook(["run", "three_steps.runbook"])
        .arg("--state")
        .arg("postgres://ops:hunter2-pw@db.example:notaport/runs")
        .current_dir(ws.dir.path())
        .output();
    out.assert_code(2);
    let said = flat(&out.all());
    assert!(said.contains("runbook::store::config"), "{said}");
    assert!(
        said.contains("invalid state store URL postgres://ops:***@db.example:notaport/runs"),
        "{said}"
    );
    assert!(!said.contains("hunter2-pw"), "password shown: {said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(!ws.path("out.txt").exists(), "a step ran");
}
