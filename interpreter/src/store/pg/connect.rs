//! Reading a `postgres://` state URL and opening connections from it.
//!
//! The URL's password never appears in a message: [`Target::redacted`] is
//! what errors name (`postgres://user:***@host/db`), and every error text
//! from the driver is scrubbed of the password before it is kept.
//!
//! TLS follows `sslmode` as libpq does: `disable` (plain), `prefer` (the
//! default) and `require` (encrypted, certificate not checked), and
//! `verify-full` (chain and host name checked against `sslrootcert`, or the
//! Mozilla roots). tokio-postgres only knows the first three, so `verify-*`
//! and `sslrootcert` are taken out of the URL here.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// Without a `connect_timeout` in the URL: a host that drops packets must
/// not hold `runbook run` for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the store connects, shared by every connection it opens.
#[derive(Clone)]
pub(crate) struct Target {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    /// The URL as messages show it.
    pub redacted: String,
    /// The password as written and as decoded, scrubbed from driver errors.
    secrets: Vec<String>,
}

impl Target {
    /// Parse `url` (a `postgres://` or `postgresql://` URL).
    pub fn parse(url: &str) -> Result<Target, StoreError> {
        let secrets = secrets(url);
        let redacted = redact(url);
        let bad = |detail: String| {
            StoreError::Config {
            detail: format!("invalid state store URL {redacted}: {detail}"),
            hint: "use --state postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=disable|prefer|require|verify-full]".into(),
        }
        };
        let (stripped, mode, root) = take_tls_options(url);
        let mut config = tokio_postgres::Config::from_str(&stripped)
            .map_err(|e| bad(scrub(&e.to_string(), &secrets)))?;
        let verify = match mode.as_deref() {
            None | Some("prefer") | Some("require") | Some("disable") => false,
            Some("verify-full") => true,
            Some(other) => {
                return Err(bad(format!(
                    "sslmode={other} is not supported for the state store (use disable, prefer, require or verify-full)"
                )))
            }
        };
        match mode.as_deref() {
            Some("disable") => config.ssl_mode(SslMode::Disable),
            Some("require") | Some("verify-full") => config.ssl_mode(SslMode::Require),
            _ => config.ssl_mode(SslMode::Prefer),
        };
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A peer that vanished (network cut, host gone) is noticed in
        // seconds rather than after the kernel's two-hour default.
        config.keepalives_idle(Duration::from_secs(5));
        let tls = connector(verify, root.as_deref()).map_err(bad)?;
        Ok(Target {
            config,
            tls,
            redacted,
            secrets,
        })
    }

    /// Remove the password from a message.
    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }

    /// Open one connection, named `application_name` on the server (so an
    /// operator can find it in `pg_stat_activity`). Its driver task runs on
    /// the caller's runtime; `closed` is cancelled when it ends.
    pub async fn connect(
        &self,
        application_name: &str,
        closed: tokio_util::sync::CancellationToken,
    ) -> Result<Client, StoreError> {
        let mut config = self.config.clone();
        config.application_name(application_name);
        let (client, connection) = config
            .connect(self.tls.clone())
            .await
            .map_err(|e| self.unreachable(&e))?;
        tokio::spawn(async move {
            // The client's next call reports the error; what matters here is
            // that the session learns at once that its connection is gone.
            let _ = connection.await;
            closed.cancel();
        });
        Ok(client)
    }

    /// A connection failure at start, with what to check.
    fn unreachable(&self, e: &tokio_postgres::Error) -> StoreError {
        let code = e.code();
        let hint = if code == Some(&SqlState::INVALID_PASSWORD)
            || code == Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
        {
            "check the user name and password in the state URL (--state / RUNBOOK_STATE)"
        } else if code == Some(&SqlState::INVALID_CATALOG_NAME) {
            "create the database first (runbook creates its tables, not the database): CREATE DATABASE …"
        } else {
            "check that the PostgreSQL server is running and reachable at the URL's host and port (--state / RUNBOOK_STATE)"
        };
        StoreError::Unreachable {
            url: self.redacted.clone(),
            detail: self.describe(e),
            hint: hint.into(),
        }
    }

    /// A driver error as one line: the server's message when it sent one,
    /// with the password scrubbed.
    pub fn describe(&self, e: &tokio_postgres::Error) -> String {
        let text = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    let more = s.to_string();
                    if !text.contains(&more) {
                        text = format!("{text}: {more}");
                    }
                    source = s.source();
                }
                text
            }
        };
        self.scrub(&text)
    }

    /// A statement failure as a store error.
    pub fn database(&self, e: &tokio_postgres::Error) -> StoreError {
        StoreError::Database {
            url: self.redacted.clone(),
            detail: self.describe(e),
        }
    }
}

/// `url` with the password (in the user info or a `password=` parameter)
/// replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".into();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| {
                    if kv.starts_with("password=") {
                        "password=***".to_string()
                    } else {
                        kv.to_string()
                    }
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The password(s) in `url`, raw and percent-decoded.
fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                found.push(password.to_string());
            }
        }
        if let Some((_, query)) = rest.split_once('?') {
            found.extend(
                query
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("password="))
                    .map(str::to_string),
            );
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    // Longest first, so a password containing another is replaced whole.
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found.dedup();
    found
}

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` without `sslmode` and `sslrootcert`, and their values.
fn take_tls_options(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None, None);
    };
    let mut mode = None;
    let mut root = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            if let Some(v) = kv.strip_prefix("sslmode=") {
                mode = Some(percent_decode(v));
                false
            } else if let Some(v) = kv.strip_prefix("sslrootcert=") {
                root = Some(percent_decode(v));
                false
            } else {
                !kv.is_empty()
            }
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, mode, root)
}

/// The rustls connector: certificate checked only with `verify-full`.
fn connector(verify: bool, root: Option<&str>) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let config = if verify {
        let mut roots = RootCertStore::empty();
        match root {
            None | Some("system") => {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|c| c.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!("no usable CA certificate in sslrootcert {path}"));
                }
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

/// `sslmode=prefer`/`require`: encrypted, any certificate (as libpq does);
/// handshake signatures are still checked.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords_in_user_info_and_query() {
        assert_eq!(
            redact("postgres://ops:s3cr%40t@db.example:5432/runs?sslmode=require"),
            "postgres://ops:***@db.example:5432/runs?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://db/runs?user=ops&password=hunter2"),
            "postgresql://db/runs?user=ops&password=***"
        );
        assert_eq!(redact("postgres://ops@db/runs"), "postgres://ops@db/runs");
    }

    #[test]
    fn secrets_include_the_decoded_password() {
        let s = secrets("postgres://ops:s3cr%40t@db/runs");
        assert!(s.contains(&"s3cr%40t".to_string()));
        assert!(s.contains(&"s3cr@t".to_string()));
    }

    #[test]
    fn unsupported_sslmode_is_refused_without_the_password() {
        let Err(e) = Target::parse("postgres://ops:hunter2@db/runs?sslmode=verify-ca") else {
            panic!("verify-ca must be refused");
        };
        let text = e.to_string();
        assert!(text.contains("verify-ca"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn tls_options_are_taken_out_of_the_url() {
        let (url, mode, root) =
            take_tls_options("postgres://db/x?sslmode=verify-full&sslrootcert=%2Fca.pem&user=a");
        assert_eq!(url, "postgres://db/x?user=a");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
    }
}
