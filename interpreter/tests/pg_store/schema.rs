//! Schema management and connection errors.

use std::time::Duration;

use runbook_interpreter::store::{PgStore, StoreError};

use super::{scalar, store};

#[test]
fn migrations_apply_once_and_are_idempotent() {
    let (db, first) = store("schema_idem");
    drop(first);
    // A second (and third) start finds the schema current and changes nothing.
    for _ in 0..2 {
        PgStore::connect_with_ttl(&db.url(), Duration::from_secs(30)).unwrap();
    }
    let versions = db
        .query_column("SELECT version::text FROM runbook_schema_migrations ORDER BY 1")
        .unwrap();
    assert_eq!(
        versions,
        vec![Some(PgStore::schema_version().to_string())],
        "one row per migration"
    );
    let tables = db
        .query_column(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_name LIKE 'runbook_%' ORDER BY 1",
        )
        .unwrap();
    let tables: Vec<String> = tables.into_iter().flatten().collect();
    assert_eq!(
        tables,
        [
            "runbook_journal",
            "runbook_leases",
            "runbook_runs",
            "runbook_schema_migrations",
            "runbook_steps"
        ]
    );
}

#[test]
fn concurrent_first_starts_do_not_race() {
    let db = pg_harness::database("schema_race").unwrap();
    let url = db.url();
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                PgStore::connect_with_ttl(&url, Duration::from_secs(30)).map(|_| ())
            })
        })
        .collect();
    for s in starts {
        s.join().unwrap().unwrap();
    }
    assert_eq!(
        scalar(&db, "SELECT count(*)::text FROM runbook_schema_migrations").as_deref(),
        Some("1")
    );
}

#[test]
fn a_newer_schema_is_refused_without_any_change() {
    let (db, s) = store("schema_newer");
    drop(s);
    db.batch_execute("INSERT INTO runbook_schema_migrations (version) VALUES (999)")
        .unwrap();
    let before = scalar(
        &db,
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM runbook_schema_migrations",
    );
    let Err(e) = PgStore::connect_with_ttl(&db.url(), Duration::from_secs(30)) else {
        panic!("a schema newer than the binary must be refused");
    };
    assert_eq!(e.code(), "runbook::store::newer_schema");
    assert!(matches!(e, StoreError::NewerSchema { found: 999, .. }));
    let text = e.to_string();
    assert!(text.contains("999"), "{text}");
    assert!(
        !text.contains(db.server().password().unwrap_or("\u{0}")),
        "{text}"
    );
    let after = scalar(
        &db,
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM runbook_schema_migrations",
    );
    assert_eq!(before, after);
}

#[test]
fn an_unreachable_server_is_a_clear_error_without_the_password() {
    let url = "postgres://runner:hunter2@127.0.0.1:1/runs?connect_timeout=5";
    let Err(e) = PgStore::connect(url) else {
        panic!("nothing listens on port 1");
    };
    assert_eq!(e.code(), "runbook::store::unreachable");
    let text = format!("{e} {}", e.help());
    assert!(
        text.contains("postgres://runner:***@127.0.0.1:1/runs"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("reachable"), "{text}");
}

#[test]
fn a_wrong_password_says_so_without_showing_it() {
    let server = pg_harness::server().unwrap();
    if server.password().is_none() {
        return; // an external server without password authentication
    }
    let db = pg_harness::database("schema_pw").unwrap();
    let url = format!(
        "postgres://{}:not-the-password@{}:{}/{}",
        server.user(),
        server.host(),
        server.port(),
        db.name()
    );
    assert!(url.contains("not-the-password"), "{url}");
    let Err(e) = PgStore::connect(&url) else {
        panic!("a wrong password must be refused");
    };
    assert_eq!(e.code(), "runbook::store::unreachable");
    let text = format!("{e} {}", e.help());
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(text.contains("password"), "{text}");
}
