//! TLS as `sslmode` says: encrypted with `require`, the certificate checked
//! with `verify-full`.

use std::time::Duration;

use runbook_interpreter::store::{PgStore, Store};

use super::{run_record, scalar};

/// Whether the store's readers' connection to `db` is encrypted.
fn reader_uses_tls(db: &pg_harness::TestDatabase) -> Option<String> {
    scalar(
        db,
        "SELECT s.ssl::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
         WHERE a.application_name = 'runbook' AND a.datname = current_database()",
    )
}

#[test]
fn sslmode_require_encrypts_the_connections() {
    let db = pg_harness::database("tls_require").unwrap();
    if db.server().tls().is_err() {
        return; // a server without TLS (no `openssl` to make certificates)
    }
    let store = PgStore::connect_with_ttl(
        &db.url_with(&[("sslmode", "require")]),
        Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(reader_uses_tls(&db).as_deref(), Some("true"));
    // Sessions use the same settings.
    let s = store
        .create(&run_record("r1", "2026-11-29T10:00:00.000Z"))
        .unwrap();
    assert_eq!(
        scalar(
            &db,
            "SELECT s.ssl::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = 'runbook r1' AND a.datname = current_database()",
        )
        .as_deref(),
        Some("true")
    );
    drop(s);
}

#[test]
fn sslmode_verify_full_checks_the_certificate() {
    let db = pg_harness::database("tls_verify").unwrap();
    let Ok(tls) = db.server().tls() else {
        return; // a server without TLS
    };
    let ca = tls.ca_cert.display().to_string();
    let trusted = db.url_with(&[("sslmode", "verify-full"), ("sslrootcert", &ca)]);
    let _store = PgStore::connect_with_ttl(&trusted, Duration::from_secs(30)).unwrap();
    assert_eq!(reader_uses_tls(&db).as_deref(), Some("true"));

    // The public roots do not know the test CA: refused, clearly.
    let untrusted = db.url_with(&[("sslmode", "verify-full")]);
    let Err(e) = PgStore::connect_with_ttl(&untrusted, Duration::from_secs(30)) else {
        panic!("a certificate from an unknown CA must be refused");
    };
    assert_eq!(e.code(), "runbook::store::unreachable");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
}
