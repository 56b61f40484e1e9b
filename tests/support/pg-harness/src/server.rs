//! The server tests connect to: an external one named by
//! `RUNBOOK_TEST_DATABASE_URL`, the throwaway server shared by all test
//! processes, or a throwaway server private to this process.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::database::{self, TestDatabase};
use crate::instance::{self, Lifetime};
use crate::{shared, HarnessError, TlsFiles};

/// Directory-name prefix of private servers in the temp dir.
const PRIVATE_PREFIX: &str = "runbook-pg-private-";
/// File in a private server's directory naming the test process that owns it.
const OWNER_FILE: &str = "owner.pid";

/// A PostgreSQL server tests connect to.
#[derive(Debug)]
pub struct Server {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    /// Database used for `CREATE DATABASE` and friends.
    admin_db: String,
    /// Parsed `RUNBOOK_TEST_DATABASE_URL`, for an external server.
    external: Option<tokio_postgres::Config>,
    tls: Result<TlsFiles, String>,
    /// A throwaway server's directory (data, socket, logs, certificates).
    dir: Option<PathBuf>,
    /// A private server's postmaster; it dies with this process.
    _process: Option<Mutex<Child>>,
}

static SHARED: OnceLock<Result<Server, HarnessError>> = OnceLock::new();
static PRIVATE: OnceLock<Result<Server, HarnessError>> = OnceLock::new();

/// The server most tests use: `RUNBOOK_TEST_DATABASE_URL` when set, otherwise
/// a throwaway server shared with every other test process on the machine
/// (each test gets its own database on it, see [`database`](crate::database)).
pub fn server() -> Result<&'static Server, HarnessError> {
    SHARED
        .get_or_init(|| match external_url() {
            Some(url) => Server::external(&url),
            None if shared::available() => shared::attach().map(|s| Server {
                password: Some(s.password),
                dir: Some(s.dir),
                tls: s.tls,
                ..Server::throwaway(s.port)
            }),
            // Without `flock` there is no watchdog: a server per process.
            None => Server::private(),
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A server for tests that change server-wide state (`ALTER SYSTEM`,
/// `pg_reload_conf()`): a throwaway server of this process alone, which dies
/// with it. With `RUNBOOK_TEST_DATABASE_URL` set, that server.
pub fn private_server() -> Result<&'static Server, HarnessError> {
    PRIVATE
        .get_or_init(|| match external_url() {
            Some(url) => Server::external(&url),
            None => Server::private(),
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn external_url() -> Option<String> {
    std::env::var(crate::DATABASE_URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

impl Server {
    /// Host name or IP address to connect to.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The role's password (a throwaway server's contains `@`, `/` and `:`, so
    /// URLs carry it percent-encoded).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Whether this server was started by the harness (and is disposable).
    pub fn is_throwaway(&self) -> bool {
        self.external.is_none()
    }

    /// The server's certificates, when it speaks TLS (throwaway servers do
    /// when `openssl` is available); the error says why not.
    pub fn tls(&self) -> Result<&TlsFiles, &str> {
        self.tls.as_ref().map_err(String::as_str)
    }

    /// A throwaway server's directory (its `postgres-PORT.log` is there).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Creates an empty database named after `prefix` on this server.
    pub fn database(&'static self, prefix: &str) -> Result<TestDatabase, HarnessError> {
        database::create(self, prefix)
    }

    /// `postgres://user:password@host:port/dbname` (password percent-encoded),
    /// plus `extra` query parameters such as `sslmode=require`.
    pub fn url(&self, dbname: &str, extra: &[(&str, &str)]) -> String {
        let mut url = format!("postgres://{}", percent_encode(&self.user));
        if let Some(pw) = &self.password {
            url.push(':');
            url.push_str(&percent_encode(pw));
        }
        url.push('@');
        url.push_str(&percent_encode(&self.host));
        url.push_str(&format!(":{}/{}", self.port, percent_encode(dbname)));
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(ext) = &self.external {
            if ext.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
                params.push(("sslmode", "require"));
            }
        }
        params.extend_from_slice(extra);
        for (i, (k, v)) in params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&format!("{}={}", percent_encode(k), percent_encode(v)));
        }
        url
    }

    pub(crate) fn admin_db(&self) -> &str {
        &self.admin_db
    }

    /// Connection settings for `dbname` on this server (no TLS).
    pub(crate) fn config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = match &self.external {
            Some(external) => external.clone(),
            None => instance::config(
                self.port,
                self.password.as_deref().unwrap_or_default(),
                dbname,
            ),
        };
        config.dbname(dbname);
        config.connect_timeout(Duration::from_secs(10));
        config
    }

    fn throwaway(port: u16) -> Server {
        Server {
            host: "127.0.0.1".into(),
            port,
            user: instance::USER.into(),
            password: None,
            admin_db: "postgres".into(),
            external: None,
            tls: Err("not started".into()),
            dir: None,
            _process: None,
        }
    }

    fn external(url: &str) -> Result<Server, HarnessError> {
        crate::external::server_from_url(url).map(|parts| Server {
            host: parts.host,
            port: parts.port,
            user: parts.user,
            password: parts.password,
            admin_db: parts.dbname,
            external: Some(parts.config),
            tls: Err(format!(
                "{} names an external server; TLS tests need the harness's own server",
                crate::DATABASE_URL_ENV
            )),
            dir: None,
            _process: None,
        })
    }

    fn private() -> Result<Server, HarnessError> {
        sweep_stale_private_dirs();
        let dir = tempfile::Builder::new()
            .prefix(PRIVATE_PREFIX)
            .tempdir()
            .map_err(|e| HarnessError::io("creating a temp dir for PostgreSQL", &e))?
            .keep();
        fs::write(dir.join(OWNER_FILE), std::process::id().to_string())
            .map_err(|e| HarnessError::io(format!("writing {}", dir.display()), &e))?;
        let started = instance::start(&dir, Lifetime::ThisProcess)?;
        Ok(Server {
            password: Some(started.password),
            dir: Some(started.dir),
            tls: started.tls,
            _process: Some(Mutex::new(started.postmaster)),
            ..Server::throwaway(started.port)
        })
    }
}

/// Removes the directories of private servers whose test process is gone
/// (their postmaster died with it, by its parent-death signal).
fn sweep_stale_private_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let is_private = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(PRIVATE_PREFIX));
        // A directory without an owner file may be another process mid-start.
        let owner = instance::read_pid(&entry.path().join(OWNER_FILE));
        if is_private && owner.is_some_and(|pid| !instance::is_alive(pid)) {
            instance::discard(&entry.path());
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
