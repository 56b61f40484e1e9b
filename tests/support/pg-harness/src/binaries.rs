//! Finding the local PostgreSQL server binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding `initdb` and `postgres`.
#[derive(Clone, Debug)]
pub(crate) struct Binaries {
    pub initdb: PathBuf,
    pub postgres: PathBuf,
}

/// Looks on PATH, then in `pg_config --bindir`, then in the newest
/// `/usr/lib/postgresql/*/bin` (Debian puts the server binaries there and
/// only wrappers on PATH).
pub(crate) fn find() -> Option<Binaries> {
    on_path()
        .or_else(from_pg_config)
        .into_iter()
        .chain(debian_dirs())
        .find_map(|dir| in_dir(&dir))
}

fn in_dir(dir: &Path) -> Option<Binaries> {
    // PATH often holds symlinks (`/usr/local/bin/initdb`); `postgres` sits
    // beside the real file.
    let initdb = std::fs::canonicalize(dir.join("initdb")).ok()?;
    let bindir = initdb.parent()?;
    let postgres = bindir.join("postgres");
    (initdb.is_file() && postgres.is_file()).then_some(Binaries { initdb, postgres })
}

fn on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file())
}

fn from_pg_config() -> Option<PathBuf> {
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(dir.trim()))
}

/// `/usr/lib/postgresql/<version>/bin`, newest version first.
fn debian_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}
