//! Reading a connection string (`postgres://…` URL or `key=value` pairs):
//! the secrets in it, the TLS mode, and what to name in messages.
//!
//! tokio-postgres understands `sslmode=disable|prefer|require` only; libpq's
//! `verify-ca`/`verify-full` and `sslrootcert` are taken out here and handled
//! by [`super::tls`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};

use super::errors;
use crate::ActionError;

/// How the connection is protected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TlsMode {
    /// `sslmode=disable`.
    Disable,
    /// `prefer` (the default) and `require`: encrypted, certificate not
    /// checked, as libpq does.
    Encrypt,
    /// `verify-ca`: the chain must lead to a trusted root; any host name.
    VerifyCa(Roots),
    /// `verify-full`: the chain and the host name are checked.
    VerifyFull(Roots),
}

/// Which certificate authorities `verify-*` trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Roots {
    /// `sslrootcert=PATH`: the PEM certificates in that file.
    File(PathBuf),
    /// No `sslrootcert`, or `sslrootcert=system`: the Mozilla root set.
    Public,
}

/// Who and where a connection goes, for messages (never the password).
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub hosts: String,
    pub user: String,
    pub dbname: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} as user \"{}\", database \"{}\"",
            self.hosts, self.user, self.dbname
        )
    }
}

/// A parsed connection string (tokio-postgres' `Debug` hides the password).
#[derive(Debug)]
pub(crate) struct ConnectSpec {
    pub config: tokio_postgres::Config,
    pub tls: TlsMode,
    pub target: Target,
}

/// Default connect timeout when the URL sets none: without one, a host that
/// drops packets would hold a step without a timeout for minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The password as written in `url` and as decoded, to be redacted. Found by
/// hand so that it is known even when the rest of the string is invalid.
pub(crate) fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(rest) = strip_scheme(url) {
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
    } else {
        found.extend(
            key_values(url)
                .filter(|(k, _)| *k == "password")
                .map(|(_, v)| v.to_string()),
        );
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    found.sort();
    found.dedup();
    found
}

/// Parses `url`, keeping libpq's TLS options tokio-postgres does not know.
pub(crate) fn parse(url: &str) -> Result<ConnectSpec, ActionError> {
    let mut mode = None::<String>;
    let mut root = None::<String>;
    let mut take = |key: &str, value: &str| match key {
        "sslmode" if value.starts_with("verify-") => {
            mode = Some(value.to_string());
            true
        }
        "sslrootcert" => {
            root = Some(value.to_string());
            true
        }
        _ => false,
    };
    let rewritten = if strip_scheme(url).is_some() {
        match url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|kv| {
                        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                        !take(k, &percent_decode(v))
                    })
                    .collect();
                if kept.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        url.split_whitespace()
            .filter(|token| {
                let (k, v) = token.split_once('=').unwrap_or((token, ""));
                !take(k, v.trim_matches('\''))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut config: tokio_postgres::Config = rewritten.parse().map_err(|e| errors::bad_url(&e))?;
    let roots = match root.as_deref() {
        None | Some("system") => Roots::Public,
        Some(path) => Roots::File(PathBuf::from(path)),
    };
    let tls = match (mode.as_deref(), config.get_ssl_mode()) {
        (Some("verify-full"), _) => TlsMode::VerifyFull(roots),
        (Some("verify-ca"), _) => TlsMode::VerifyCa(roots),
        (Some(other), _) => {
            return Err(ActionError::new(
                "runbook::run::pg::url",
                format!("unknown sslmode `{other}` in the connection string"),
            )
            .with_help("use one of disable, prefer, require, verify-ca, verify-full"))
        }
        (None, SslMode::Disable) => TlsMode::Disable,
        (None, _) => TlsMode::Encrypt,
    };
    if matches!(tls, TlsMode::VerifyCa(_) | TlsMode::VerifyFull(_)) {
        config.ssl_mode(SslMode::Require);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    let target = target(&config);
    Ok(ConnectSpec {
        config,
        tls,
        target,
    })
}

fn target(config: &tokio_postgres::Config) -> Target {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            }
        })
        .collect();
    let user = config.get_user().unwrap_or("(none)").to_string();
    Target {
        hosts: if hosts.is_empty() {
            "localhost:5432".into()
        } else {
            hosts.join(",")
        },
        dbname: config.get_dbname().unwrap_or(&user).to_string(),
        user,
    }
}

fn strip_scheme(url: &str) -> Option<&str> {
    url.strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
}

/// `key=value` tokens of a libpq keyword string (quoted values unquoted).
fn key_values(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split_whitespace()
        .filter_map(|token| token.split_once('='))
        .map(|(k, v)| (k, v.trim_matches('\'')))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_raw_and_decoded_passwords() {
        let s = secrets("postgres://app:p%40ss%2Fw@db.example:5432/app?sslmode=require");
        assert_eq!(s, ["p%40ss%2Fw", "p@ss/w"]);
        assert_eq!(
            secrets("host=db user=app password='s3cret' dbname=x"),
            ["s3cret"]
        );
        assert!(secrets("postgres://app@db/app").is_empty());
    }

    #[test]
    fn verify_full_is_taken_out_for_tokio_postgres() {
        let spec = parse(
            "postgres://app:pw@db.example:6543/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        )
        .unwrap();
        assert_eq!(
            spec.tls,
            TlsMode::VerifyFull(Roots::File("/etc/ca.pem".into()))
        );
        assert_eq!(spec.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(
            spec.target.to_string(),
            "db.example:6543 as user \"app\", database \"shop\""
        );
        let spec = parse("host=db user=u sslmode=verify-ca").unwrap();
        assert_eq!(spec.tls, TlsMode::VerifyCa(Roots::Public));
        assert_eq!(
            parse("postgres://u@h/d?sslmode=disable").unwrap().tls,
            TlsMode::Disable
        );
        assert_eq!(parse("postgres://u@h/d").unwrap().tls, TlsMode::Encrypt);
    }

    #[test]
    fn a_bad_url_does_not_echo_the_password() {
        let err = parse("postgres://u:hunter2@h:notaport/d").unwrap_err();
        assert_eq!(err.code, "runbook::run::pg::url");
        assert!(!err.message.contains("hunter2"), "{}", err.message);
    }
}
