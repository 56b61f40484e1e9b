//! Reading a `postgres://` state URL and opening connections from it.
//!
//! The URL's password never appears in a message: [`Target::redacted`] is
//! what errors name (`postgres://user:***@host/db`), and every error text
//! from the driver is scrubbed of the password before it is kept.
//!
//! The URL is read, and its TLS connector built, by the same code the `pg`
//! actions use (`runbook_stdlib::pg::connect_options`), so `sslmode`
//! (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`) and
//! `sslrootcert` mean the same for the state store as for a runbook's own
//! database connections.

use std::time::Duration;

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
        let redacted = redact(url);
        let options = runbook_stdlib::pg::connect_options(url).map_err(|e| {
            let secrets = runbook_stdlib::pg::connect_options_secrets(url);
            StoreError::Config {
                detail: format!(
                    "invalid state store URL {redacted}: {}",
                    scrub(&e.message, &secrets)
                ),
                hint: "use --state postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=disable|prefer|require|verify-ca|verify-full]".into(),
            }
        })?;
        let runbook_stdlib::pg::ConnectOptions {
            mut config,
            tls,
            secrets,
        } = options;
        // The `pg` actions allow 30 s to connect; a state store that does not
        // answer should fail `runbook run` sooner, unless the URL says.
        if !url.contains("connect_timeout") {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A peer that vanished (network cut, host gone) is noticed in
        // seconds rather than after the kernel's two-hour default.
        config.keepalives_idle(Duration::from_secs(5));
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

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "***"))
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
    fn an_unknown_sslmode_is_refused_without_the_password() {
        let Err(e) = Target::parse("postgres://ops:hunter2@db/runs?sslmode=verify-some") else {
            panic!("an unknown sslmode must be refused");
        };
        let text = e.to_string();
        assert!(text.contains("verify-some"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_malformed_url_is_refused_without_the_password() {
        let Err(e) = Target::parse("postgres://ops:hunter2@db:notaport/runs") else {
            panic!("a bad port must be refused");
        };
        let text = e.to_string();
        assert!(text.contains("***"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
