//! Where the state store lives when `--state` / `RUNBOOK_STATE` is not given.

use std::path::PathBuf;

/// `$XDG_STATE_HOME/runbook`, else `~/.local/state/runbook`.
pub fn default_state_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("runbook"));
    }
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join(".local/state/runbook"))
}
