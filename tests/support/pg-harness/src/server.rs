//! The process-wide server: an external one named by
//! `RUNBOOK_TEST_DATABASE_URL`, or a throwaway one started here.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::{binaries, keeper, sql, tls, HarnessError, TlsFiles};

/// The role of a throwaway server (a superuser, so tests may `ALTER SYSTEM`).
const USER: &str = "runbook";
/// How long a fresh server may take to accept connections on a busy machine.
const READY_DEADLINE: Duration = Duration::from_secs(60);
/// Directory-name prefix of throwaway servers in the temp dir.
const DIR_PREFIX: &str = "runbook-pg-";
/// File in a throwaway server's directory naming the test process that owns it.
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
    /// The throwaway server's directory (data, socket, log, certificates).
    dir: Option<PathBuf>,
    /// The throwaway postmaster; it dies with this process.
    _process: Option<Mutex<Child>>,
}

static SERVER: OnceLock<Result<Server, HarnessError>> = OnceLock::new();

/// The server of this test process, started on first use.
pub fn server() -> Result<&'static Server, HarnessError> {
    SERVER
        .get_or_init(|| match std::env::var(crate::DATABASE_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => Server::external(&url),
            _ => Server::throwaway(),
        })
        .as_ref()
        .map_err(Clone::clone)
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

    /// The throwaway server's directory (its `postgres.log` is there).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
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
            None => {
                let mut c = tokio_postgres::Config::new();
                c.host(&self.host).port(self.port).user(&self.user);
                if let Some(pw) = &self.password {
                    c.password(pw);
                }
                c
            }
        };
        config.dbname(dbname);
        config.connect_timeout(Duration::from_secs(10));
        config
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

    fn throwaway() -> Result<Server, HarnessError> {
        let bins = binaries::find().ok_or(HarnessError::NoPostgres)?;
        sweep_stale_dirs();
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir()
            .map_err(|e| HarnessError::io("creating a temp dir for PostgreSQL", &e))?
            .keep();
        write(&dir.join(OWNER_FILE), &std::process::id().to_string())?;
        let owner = RunAs::for_postgres();
        owner.chown(&dir)?;
        let password = format!("pw@{}/x:{}", unique_token(), std::process::id());
        let pwfile = dir.join("password");
        write(&pwfile, &password)?;
        owner.chown(&pwfile)?;
        let tls = tls::generate(&dir).and_then(|files| {
            owner.chown(&files.server_key)?;
            owner.chown(&files.server_cert)?;
            Ok(files)
        });

        let data = dir.join("data");
        let mut initdb = Command::new(&bins.initdb);
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
            .current_dir(&dir);
        owner.apply(&mut initdb);
        let out = initdb
            .output()
            .map_err(|e| HarnessError::io(format!("running {}", bins.initdb.display()), &e))?;
        if !out.status.success() {
            return Err(HarnessError::Command {
                command: format!("{initdb:?}"),
                status: out.status.to_string(),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }

        // Another test binary may take the free port between our probe and
        // the server's bind: try a few ports.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            let log_path = dir.join(format!("postgres-{port}.log"));
            let log = fs::File::create(&log_path)
                .map_err(|e| HarnessError::io(format!("creating {}", log_path.display()), &e))?;
            let log_err = log
                .try_clone()
                .map_err(|e| HarnessError::io("duplicating the log file handle", &e))?;
            let mut postgres = Command::new(&bins.postgres);
            postgres
                .arg("-D")
                .arg(&data)
                .arg("-p")
                .arg(port.to_string())
                .arg("-k")
                .arg(&dir)
                .args(["-c", "listen_addresses=127.0.0.1"])
                // A throwaway server: durability buys nothing, speed does.
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .args(["-c", "full_page_writes=off"])
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err)
                .process_group(0);
            if let Ok(files) = &tls {
                postgres.args(["-c", "ssl=on"]);
                postgres
                    .arg("-c")
                    .arg(format!("ssl_cert_file={}", files.server_cert.display()));
                postgres
                    .arg("-c")
                    .arg(format!("ssl_key_file={}", files.server_key.display()));
            }
            owner.apply(&mut postgres);
            let child = keeper::spawn(postgres).map_err(|e| {
                HarnessError::io(format!("starting {}", bins.postgres.display()), &e)
            })?;
            let server = Server {
                host: "127.0.0.1".into(),
                port,
                user: USER.into(),
                password: Some(password.clone()),
                admin_db: "postgres".into(),
                external: None,
                tls: tls.clone().map_err(|e| e.to_string()),
                dir: Some(dir.clone()),
                _process: None,
            };
            match wait_ready(&server, child, &log_path) {
                Ok(child) => {
                    return Ok(Server {
                        _process: Some(Mutex::new(child)),
                        ..server
                    })
                }
                Err(Readiness::PortTaken(err)) => last = Some(err),
                Err(Readiness::Failed(err)) => return Err(err),
            }
        }
        Err(last.unwrap_or(HarnessError::NoPostgres))
    }
}

enum Readiness {
    PortTaken(HarnessError),
    Failed(HarnessError),
}

/// Polls a real connection until the server answers, the postmaster exits,
/// or the deadline passes.
fn wait_ready(server: &Server, mut child: Child, log: &Path) -> Result<Child, Readiness> {
    let config = server.config("postgres");
    let start = Instant::now();
    let failed = |reason: String| HarnessError::Start {
        dir: server
            .dir
            .as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        reason,
        log: fs::read_to_string(log).unwrap_or_default(),
    };
    loop {
        let attempt = sql::block_on(async { sql::connect(&config).await.map(drop) });
        let last_error = match attempt {
            Ok(()) => return Ok(child),
            Err(err) => sql::describe(&err),
        };
        if let Ok(Some(status)) = child.try_wait() {
            let err = failed(format!("postgres exited ({status})"));
            let taken =
                matches!(&err, HarnessError::Start { log, .. } if log.contains("could not bind"));
            return Err(if taken {
                Readiness::PortTaken(err)
            } else {
                Readiness::Failed(err)
            });
        }
        if start.elapsed() > READY_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Readiness::Failed(failed(format!(
                "no connection after {}s (last error: {last_error})",
                READY_DEADLINE.as_secs()
            ))));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Who the server runs as: root may not run PostgreSQL, so `nobody`.
struct RunAs(Option<(nix::unistd::Uid, nix::unistd::Gid)>);

impl RunAs {
    fn for_postgres() -> RunAs {
        if !nix::unistd::geteuid().is_root() {
            return RunAs(None);
        }
        let ids = nix::unistd::User::from_name("nobody")
            .ok()
            .flatten()
            .map(|u| (u.uid, u.gid))
            .unwrap_or((
                nix::unistd::Uid::from_raw(65534),
                nix::unistd::Gid::from_raw(65534),
            ));
        RunAs(Some(ids))
    }

    fn chown(&self, path: &Path) -> Result<(), HarnessError> {
        if let Some((uid, gid)) = self.0 {
            nix::unistd::chown(path, Some(uid), Some(gid))
                .map_err(|e| HarnessError::io(format!("chown {}", path.display()), &e.into()))?;
        }
        Ok(())
    }

    fn apply(&self, command: &mut Command) {
        if let Some((uid, gid)) = self.0 {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
    }
}

fn write(path: &Path, contents: &str) -> Result<(), HarnessError> {
    fs::write(path, contents)
        .map_err(|e| HarnessError::io(format!("writing {}", path.display()), &e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| HarnessError::io(format!("chmod {}", path.display()), &e))
}

fn free_port() -> Result<u16, HarnessError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| HarnessError::io("finding a free TCP port", &e))
}

/// Removes the directories of throwaway servers whose test process is gone
/// (killed before it could clean up), stopping their postmaster if it is
/// somehow still running.
fn sweep_stale_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(DIR_PREFIX));
        let path = entry.path();
        // A directory without an owner file may be another process mid-start.
        let Some(owner) = read_pid(&path.join(OWNER_FILE)) else {
            continue;
        };
        if !is_ours || is_alive(owner) {
            continue;
        }
        if let Some(postmaster) = read_pid(&path.join("data/postmaster.pid")) {
            let cmdline = fs::read(format!("/proc/{postmaster}/cmdline")).unwrap_or_default();
            if is_alive(postmaster) && String::from_utf8_lossy(&cmdline).contains("postgres") {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(postmaster),
                    nix::sys::signal::Signal::SIGQUIT,
                );
            }
        }
        let _ = fs::remove_dir_all(&path);
    }
}

fn read_pid(path: &Path) -> Option<i32> {
    fs::read_to_string(path)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

fn is_alive(pid: i32) -> bool {
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(errno) => errno == nix::errno::Errno::EPERM,
    }
}

/// Some entropy for the password, without a random-number crate.
fn unique_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}", nanos ^ (u128::from(std::process::id()) << 64))
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
