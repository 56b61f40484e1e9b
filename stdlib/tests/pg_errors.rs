//! Failures an operator can act on: where the connection went, which user,
//! what the server said and where in the SQL — and never the password.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use std::sync::Arc;

use common::{assert_mentions, assert_mentions_any_case, assert_starts_with};
use pg_support::{located, Pg};
use runbook_stdlib::ActionError;

/// Every text an error shows.
fn texts(err: &ActionError) -> String {
    format!(
        "{} {} {:?}",
        err.message,
        err.help.clone().unwrap_or_default(),
        err.locate
    )
}

/// Connects with `url` in a fresh context; the error and the sink.
fn connect_error(url: &str) -> (ActionError, Arc<pg_support::RecordingSink>) {
    let mut pg = Pg::new("connect_errors");
    pg.scope.push_constant("bad_url", url.to_string());
    let err = pg.err("pg::connect(bad_url)");
    (err, pg.sink.clone())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn connection_refused_names_host_port_and_user_but_not_the_password() {
    let port = free_port();
    let (err, sink) = connect_error(&format!("postgres://ops:s3cr%40t@127.0.0.1:{port}/shop"));
    assert_eq!(err.code, "runbook::run::pg::connect");
    assert_starts_with(
        &err.message,
        &format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{port} as user \"ops\", database \"shop\": "
        ),
    );
    assert_mentions_any_case(&err.message, "refused");
    assert!(err.help.clone().unwrap().contains("host and port"));
    assert!(!texts(&err).contains("s3cr"), "{}", texts(&err));
    let secrets = sink.secrets.lock().unwrap().clone();
    assert!(
        secrets.contains(&"s3cr@t".to_string()) && secrets.contains(&"s3cr%40t".to_string()),
        "{secrets:?}"
    );
}

#[test]
fn a_wrong_password_is_an_auth_error_without_the_password() {
    let db = pg_harness::database("bad_password").unwrap();
    let server = db.server();
    let url = format!(
        "postgres://{}:wr%40ng%2Fpass@{}:{}/{}",
        server.user(),
        server.host(),
        server.port(),
        db.name()
    );
    let (err, _) = connect_error(&url);
    assert_eq!(err.code, "runbook::run::pg::auth");
    assert_mentions(
        &err.message,
        &format!("{}:{}", server.host(), server.port()),
    );
    assert_mentions(&err.message, "password authentication failed for user");
    assert_mentions(&err.message, "SQLSTATE 28P01");
    assert!(err.help.clone().unwrap().contains("user and password"));
    let shown = texts(&err);
    assert!(
        !shown.contains("wr@ng/pass") && !shown.contains("wr%40ng%2Fpass"),
        "{shown}"
    );
}

#[test]
fn an_unknown_database_or_host_is_named() {
    let db = pg_harness::database("unknown_db").unwrap();
    let (err, _) = connect_error(&db.url().replace(db.name(), "no_such_db"));
    assert_eq!(err.code, "runbook::run::pg::connect");
    assert_mentions(&err.message, "database \"no_such_db\" does not exist");

    let (err, _) = connect_error("postgres://ops:pw@no-such-host.invalid:5432/shop");
    assert_eq!(err.code, "runbook::run::pg::connect");
    assert_mentions(&err.message, "no-such-host.invalid:5432 as user \"ops\"");

    let (err, _) = connect_error("postgres://ops:hunter2@host:port/shop");
    assert_eq!(err.code, "runbook::run::pg::url");
    assert!(!texts(&err).contains("hunter2"));
}

#[test]
fn the_connection_password_never_reaches_errors_or_events() {
    let mut pg = Pg::new("secrets");
    let server = pg.db.server();
    let password = server.password().map(str::to_string);
    let url = pg.db.url();
    let mut shown = Vec::new();
    for script in [
        "db.query(\"SELECT nope\")",
        "db.execute(\"UPDATE missing SET x = 1\")",
        "db.scalar(\"SELECT $1::int4\", \"seven\")",
        "db.query_one(\"SELECT 1 WHERE false\")",
    ] {
        shown.push(texts(&pg.err(script)));
    }
    pg.run("db.execute(\"CREATE TABLE t (x int)\")");
    shown.extend(pg.sink.events().into_iter().map(|e| format!("{e:?}")));
    shown.push(pg.ok("db.to_string()").into_string().unwrap());
    let Some(password) = password else { return };
    let encoded: String = url
        .split("://")
        .nth(1)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .split(':')
        .nth(1)
        .unwrap()
        .into();
    assert_ne!(password, encoded, "the harness password needs URL encoding");
    for text in &shown {
        assert!(
            !text.contains(&password) && !text.contains(&encoded),
            "{text}"
        );
    }
    let secrets = pg.sink.secrets.lock().unwrap().clone();
    assert!(
        secrets.contains(&password) && secrets.contains(&encoded),
        "{secrets:?}"
    );
}

#[test]
fn sql_errors_carry_sqlstate_hint_and_the_offending_position() {
    let mut pg = Pg::new("sql_errors");
    pg.setup("CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, 10)");
    let err = pg.err("db.query(\"SELECT id, totl FROM orders\")");
    assert_eq!(err.code, "runbook::run::pg::sql");
    assert_eq!(
        err.message,
        "column \"totl\" does not exist (SQLSTATE 42703)"
    );
    assert!(
        err.help.clone().unwrap().contains("total"),
        "the server's hint: {:?}",
        err.help
    );
    assert_starts_with(&located(&err), "totl FROM orders");

    // Across lines, the offset still lands on the token (the interpreter
    // turns it into the runbook's line and column).
    let err = pg.err("db.query(`SELECT id,\n       sum(total)\n  FROM orderz\n GROUP BY id`)");
    assert_eq!(
        err.message,
        "relation \"orderz\" does not exist (SQLSTATE 42P01)"
    );
    assert!(
        located(&err).starts_with("orderz\n GROUP BY id"),
        "{:?}",
        located(&err)
    );

    let err = pg.err("db.execute(\"SELEC 1\")");
    assert_eq!(
        err.message,
        "syntax error at or near \"SELEC\" (SQLSTATE 42601)"
    );
    assert_eq!(err.locate, Some(("SELEC 1".to_string(), 0)));

    let err = pg.err("db.execute(\"UPDATE orders SET total = 1; UPDATE orders SET total = 2\")");
    assert_mentions(&err.message, "SQLSTATE 42601");
    assert!(err.help.unwrap().contains("one call per statement"));

    // DETAIL goes to the help.
    let err = pg.err("db.execute(\"INSERT INTO orders VALUES ($1, 5)\", 1)");
    assert_eq!(
        err.message,
        "duplicate key value violates unique constraint \"orders_pkey\" (SQLSTATE 23505)"
    );
    assert_eq!(err.help.as_deref(), Some("Key (id)=(1) already exists."));
}

/// The seed restarts PostgreSQL after `ALTER SYSTEM`; the handle must not
/// stay dead afterwards. A statement in flight is never retried, but the next
/// one gets a new session.
#[test]
fn a_session_the_server_ended_is_replaced_for_the_next_statement() {
    let mut pg = Pg::new("reconnect");
    let pid = pg
        .ok("db.scalar(\"SELECT pg_backend_pid()\")")
        .as_int()
        .unwrap();
    pg.setup(&format!("SELECT pg_terminate_backend({pid})"));
    let mut failures = Vec::new();
    pg_support::eventually(
        std::time::Duration::from_secs(30),
        "a new session",
        || match pg.eval("db.scalar(\"SELECT pg_backend_pid()\")") {
            Ok(new_pid) => {
                assert_ne!(new_pid.as_int().unwrap(), pid);
                true
            }
            Err(err) => {
                failures.push(err);
                false
            }
        },
    );
    // At most the statement that met the dead session fails, saying so.
    assert!(failures.len() <= 1, "{failures:?}");
    for err in failures {
        let lost = err.code == "runbook::run::pg::connection_lost"
            || err.message.contains("SQLSTATE 57P01");
        assert!(lost, "{err:?}");
    }
}
