//! One throwaway server shared by all test processes of a user.
//!
//! Test runners such as nextest run every test in a process of its own, so a
//! per-process server would mean an `initdb` per test. Instead the first
//! process starts a server and records it in `server.info`; later processes
//! find it there. Every process holds a shared `flock` on `clients.lock` for
//! its lifetime (the kernel drops it when the process ends, however it ends).
//! A small watchdog waits until nobody holds that lock, gives stragglers a
//! few seconds (test runners start processes one after another), then stops
//! the server and removes its directory. Starting, attaching and stopping
//! all happen under an exclusive lock on `start.lock`, so they never overlap.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use nix::fcntl::{Flock, FlockArg};

use crate::instance::{self, Lifetime};
use crate::{sql, HarnessError, TlsFiles};

/// This process's shared lock on `clients.lock`, held until it exits.
static CLIENT_LOCK: OnceLock<Flock<File>> = OnceLock::new();

/// Stops the server once no test process has used it for a few seconds.
const WATCHDOG: &str = r#"
cd "$1" || exit 0
echo $$ > watchdog.pid
while :; do
  flock -x clients.lock true
  sleep 3
  if flock -x start.lock sh -c '
      flock -x -n clients.lock true || exit 1
      dir=$(sed -n "s/^dir=//p" server.info 2>/dev/null)
      rm -f server.info watchdog.pid
      pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
      if [ -n "$pid" ]; then
        kill -QUIT "$pid" 2>/dev/null
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      fi
      if [ -n "$dir" ]; then rm -rf "$dir"; fi'; then
    exit 0
  fi
done
"#;

/// Where a shared server is.
pub(crate) struct SharedServer {
    pub port: u16,
    pub password: String,
    pub dir: PathBuf,
    pub tls: Result<TlsFiles, String>,
}

/// Whether this machine can share servers (the `flock` command is needed by
/// the watchdog).
pub(crate) fn available() -> bool {
    Command::new("flock")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Attaches this process to the shared server, starting it if needed.
pub(crate) fn attach() -> Result<SharedServer, HarnessError> {
    let base = std::env::temp_dir().join(format!("runbook-pg-shared-{}", nix::unistd::geteuid()));
    fs::create_dir_all(&base)
        .and_then(|()| fs::set_permissions(&base, fs::Permissions::from_mode(0o755)))
        .map_err(|e| HarnessError::io(format!("creating {}", base.display()), &e))?;
    let _starting = lock(&base.join("start.lock"), FlockArg::LockExclusive)?;
    let clients = lock(&base.join("clients.lock"), FlockArg::LockShared)?;
    // A second attach in the same process keeps the first lock; either works.
    let _ = CLIENT_LOCK.set(clients);

    let info_path = base.join("server.info");
    let server = match read_info(&info_path) {
        Some(server) if reachable(&server) => server,
        stale => {
            if let Some(old) = stale {
                instance::discard(&old.dir);
            }
            let dir = base.join(format!("instance-{}", instance::unique_token()));
            fs::create_dir(&dir)
                .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), &e))?;
            let started = instance::start(&dir, Lifetime::Detached).inspect_err(|_| {
                instance::discard(&dir);
            })?;
            let server = SharedServer {
                port: started.port,
                password: started.password,
                dir: started.dir,
                tls: started.tls,
            };
            write_info(&info_path, &server)?;
            server
        }
    };
    ensure_watchdog(&base)?;
    Ok(server)
}

fn lock(path: &Path, how: FlockArg) -> Result<Flock<File>, HarnessError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| HarnessError::io(format!("opening {}", path.display()), &e))?;
    Flock::lock(file, how).map_err(|(_, errno)| {
        HarnessError::io(format!("locking {}", path.display()), &errno.into())
    })
}

fn reachable(server: &SharedServer) -> bool {
    let config = instance::config(server.port, &server.password, "postgres");
    sql::block_on(async { sql::connect(&config).await.is_ok() })
}

fn ensure_watchdog(base: &Path) -> Result<(), HarnessError> {
    if instance::read_pid(&base.join("watchdog.pid")).is_some_and(instance::is_alive) {
        return Ok(());
    }
    Command::new("sh")
        .args(["-c", WATCHDOG, "pg-harness-watchdog"])
        .arg(base)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
        .map_err(|e| HarnessError::io("starting the shared server's watchdog", &e))
}

fn write_info(path: &Path, server: &SharedServer) -> Result<(), HarnessError> {
    let mut text = format!(
        "port={}\npassword={}\ndir={}\n",
        server.port,
        server.password,
        server.dir.display()
    );
    match &server.tls {
        Ok(files) => text.push_str(&format!(
            "ca_cert={}\nserver_cert={}\nserver_key={}\n",
            files.ca_cert.display(),
            files.server_cert.display(),
            files.server_key.display()
        )),
        Err(why) => text.push_str(&format!("tls_error={}\n", why.replace('\n', " "))),
    }
    instance::write_private(path, &text)
}

fn read_info(path: &Path) -> Option<SharedServer> {
    let text = fs::read_to_string(path).ok()?;
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
    };
    let tls = match (get("ca_cert"), get("server_cert"), get("server_key")) {
        (Some(ca), Some(cert), Some(key)) => Ok(TlsFiles {
            ca_cert: ca.into(),
            server_cert: cert.into(),
            server_key: key.into(),
        }),
        _ => Err(get("tls_error").unwrap_or_else(|| "no TLS".into())),
    };
    Some(SharedServer {
        port: get("port")?.parse().ok()?,
        password: get("password")?,
        dir: get("dir")?.into(),
        tls,
    })
}
