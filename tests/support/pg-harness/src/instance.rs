//! Starting one throwaway server: `initdb` and `postgres` on a free port in
//! a directory of its own, as `nobody` when running as root.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{binaries, keeper, sql, tls, HarnessError, TlsFiles};

/// The role of a throwaway server (a superuser, so tests may `ALTER SYSTEM`).
pub(crate) const USER: &str = "runbook";
/// How long a fresh server may take to accept connections on a busy machine.
const READY_DEADLINE: Duration = Duration::from_secs(60);

/// A running throwaway server.
pub(crate) struct Instance {
    pub port: u16,
    pub password: String,
    pub dir: PathBuf,
    pub tls: Result<TlsFiles, String>,
    pub postmaster: Child,
}

/// Whether the server should die with this process (a private server) or
/// outlive it (a server shared with other test processes, stopped by its
/// watchdog).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    ThisProcess,
    Detached,
}

/// Starts a server in `dir` (which must exist and be empty).
pub(crate) fn start(dir: &Path, lifetime: Lifetime) -> Result<Instance, HarnessError> {
    let bins = binaries::find().ok_or(HarnessError::NoPostgres)?;
    let owner = RunAs::for_postgres();
    owner.chown(dir)?;
    let password = format!("pw@{}/x:{}", unique_token(), std::process::id());
    let pwfile = dir.join("password");
    write_private(&pwfile, &password)?;
    owner.chown(&pwfile)?;
    let tls = tls::generate(dir).and_then(|files| {
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
        .current_dir(dir);
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

    // In postgresql.conf rather than on the command line, so that tests can
    // override them with ALTER SYSTEM as on a real server.
    let mut settings = String::from(
        "\n# pg-harness: a throwaway test server; durability buys nothing, speed does.\n\
         listen_addresses = '127.0.0.1'\n\
         max_connections = 300\n\
         fsync = off\n\
         synchronous_commit = off\n\
         full_page_writes = off\n",
    );
    if let Ok(files) = &tls {
        settings.push_str(&format!(
            "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            files.server_cert.display(),
            files.server_key.display()
        ));
    }
    let conf = data.join("postgresql.conf");
    fs::OpenOptions::new()
        .append(true)
        .open(&conf)
        .and_then(|mut f| std::io::Write::write_all(&mut f, settings.as_bytes()))
        .map_err(|e| HarnessError::io(format!("writing {}", conf.display()), &e))?;

    // Another process may take the free port between our probe and the
    // server's bind: try a few ports.
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
            .arg(dir)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Not in the test's process group: a signal meant for the test
            // runner's group should not reach the server half-way.
            .process_group(0);
        owner.apply(&mut postgres);
        let child = match lifetime {
            Lifetime::ThisProcess => keeper::spawn(postgres),
            Lifetime::Detached => postgres.spawn(),
        }
        .map_err(|e| HarnessError::io(format!("starting {}", bins.postgres.display()), &e))?;
        match wait_ready(dir, port, &password, child, &log_path) {
            Ok(postmaster) => {
                return Ok(Instance {
                    port,
                    password,
                    dir: dir.to_path_buf(),
                    tls: tls.map_err(|e| e.to_string()),
                    postmaster,
                })
            }
            Err(Readiness::PortTaken(err)) => last = Some(err),
            Err(Readiness::Failed(err)) => return Err(err),
        }
    }
    Err(last.unwrap_or(HarnessError::NoPostgres))
}

/// Connection settings for a throwaway server.
pub(crate) fn config(port: u16, password: &str, dbname: &str) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(port)
        .user(USER)
        .password(password)
        .dbname(dbname)
        .connect_timeout(Duration::from_secs(10));
    config
}

enum Readiness {
    PortTaken(HarnessError),
    Failed(HarnessError),
}

/// Polls a real connection until the server answers, the postmaster exits,
/// or the deadline passes.
fn wait_ready(
    dir: &Path,
    port: u16,
    password: &str,
    mut child: Child,
    log: &Path,
) -> Result<Child, Readiness> {
    let config = config(port, password, "postgres");
    let start = Instant::now();
    let failed = |reason: String| HarnessError::Start {
        dir: dir.display().to_string(),
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

/// Writes a file only its owner may read.
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), HarnessError> {
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

/// Stops the postmaster whose pid is in `data/postmaster.pid` under `dir`
/// (if it is still a postgres process) and removes `dir`.
pub(crate) fn discard(dir: &Path) {
    if let Some(postmaster) = read_pid(&dir.join("data/postmaster.pid")) {
        let cmdline = fs::read(format!("/proc/{postmaster}/cmdline")).unwrap_or_default();
        if is_alive(postmaster) && String::from_utf8_lossy(&cmdline).contains("postgres") {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(postmaster),
                nix::sys::signal::Signal::SIGQUIT,
            );
        }
    }
    let _ = fs::remove_dir_all(dir);
}

pub(crate) fn read_pid(path: &Path) -> Option<i32> {
    fs::read_to_string(path)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

pub(crate) fn is_alive(pid: i32) -> bool {
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(errno) => errno == nix::errno::Errno::EPERM,
    }
}

/// Some entropy for passwords and names, without a random-number crate.
pub(crate) fn unique_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}", nanos ^ (u128::from(std::process::id()) << 64))
}
