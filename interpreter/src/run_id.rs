//! Run ids: short enough to type, sortable by start time:
//! `20261129-0931-ab12` (UTC date, time, 4 random hex digits).

/// A fresh id for a run starting now.
pub fn new_run_id() -> String {
    let now = chrono::Utc::now();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", now.format("%Y%m%d-%H%M"), &random[..4])
}

/// Whether `id` can name a run (it becomes a directory name, so no `/`,
/// no `..`, nothing odd).
pub fn is_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
