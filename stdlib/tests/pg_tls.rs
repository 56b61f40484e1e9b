//! TLS: `require` encrypts, `verify-full` checks the certificate against
//! `sslrootcert`, and an untrusted certificate is a clear error.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use common::{assert_mentions, assert_starts_with};
use pg_support::Pg;

/// Connects to the test database with extra URL parameters; whether the
/// session is encrypted, or the connect error.
fn ssl_in_use(params: &[(&str, &str)]) -> Result<bool, runbook_stdlib::ActionError> {
    let mut pg = Pg::new("tls");
    if let Err(why) = pg.db.server().tls() {
        panic!("the test server has no TLS: {why}");
    }
    let url = pg.db.url_with(params);
    pg.scope.push_constant("tls_url", url);
    pg.eval(
        "pg::connect(tls_url).scalar(\"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\")",
    )
    .map(|v| v.as_bool().unwrap())
}

#[test]
fn sslmode_require_and_prefer_encrypt_and_disable_does_not() {
    if !pg_harness::server().unwrap().is_throwaway() {
        return; // An external server's TLS setup is unknown.
    }
    assert!(ssl_in_use(&[("sslmode", "require")]).unwrap());
    assert!(ssl_in_use(&[]).unwrap(), "prefer is the default");
    assert!(!ssl_in_use(&[("sslmode", "disable")]).unwrap());
}

#[test]
fn verify_full_trusts_only_the_given_root() {
    let server = pg_harness::server().unwrap();
    let Ok(files) = server.tls() else { return };
    let ca = files.ca_cert.display().to_string();
    assert!(ssl_in_use(&[("sslmode", "verify-full"), ("sslrootcert", &ca)]).unwrap());
    assert!(ssl_in_use(&[("sslmode", "verify-ca"), ("sslrootcert", &ca)]).unwrap());

    let err = ssl_in_use(&[("sslmode", "verify-full")]).unwrap_err();
    assert_eq!(err.code, "runbook::run::pg::tls");
    assert_starts_with(
        &err.message,
        &format!("TLS with PostgreSQL at {}:{}", server.host(), server.port()),
    );
    assert_mentions(&err.message, "UnknownIssuer");
    assert!(err.help.unwrap().contains("sslrootcert"));
    // verify-ca skips only the host name: the chain is still checked.
    let err = ssl_in_use(&[("sslmode", "verify-ca")]).unwrap_err();
    assert_eq!(err.code, "runbook::run::pg::tls");
    assert_mentions(&err.message, "UnknownIssuer");

    let err = ssl_in_use(&[
        ("sslmode", "verify-full"),
        ("sslrootcert", "/nonexistent/ca.pem"),
    ])
    .unwrap_err();
    assert_eq!(err.code, "runbook::run::pg::tls");
    assert_mentions(&err.message, "/nonexistent/ca.pem");
}
