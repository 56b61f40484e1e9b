//! `runbook fmt [--check] FILE…`: rewrite runbooks in the canonical layout.
//!
//! A file is rewritten atomically (a temporary file beside it, then a
//! rename), keeping its permissions, and only when it parses and its
//! formatted form has the same meaning. A file that does not parse is
//! reported and left untouched.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use runbook_dsl::fmt::format_source;

use super::exit;
use super::files::{self, FileError};
use super::report::{self, FileReport};
use crate::cli::{FmtArgs, LintFormat};

pub fn fmt(args: FmtArgs) -> u8 {
    let mut failed = Vec::new();
    let mut changed = Vec::new();
    for (path, error) in files::expand(&args.paths) {
        let file = files::read(path, error);
        let display = file.display();
        let text = match file.text {
            Ok(text) => text,
            Err(e) => {
                failed.push(FileReport {
                    path: display,
                    source: None,
                    diagnostics: vec![Box::new(e)],
                });
                continue;
            }
        };
        let formatted = match format_source(&text) {
            Ok(formatted) => formatted,
            Err(e) => {
                failed.push(FileReport {
                    path: display,
                    source: Some(Arc::new(text)),
                    diagnostics: vec![Box::new(e)],
                });
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            println!("would reformat {display}");
            changed.push(display);
        } else if let Err(source) = write_atomically(&file.path, &formatted) {
            let error = FileError::Unwritable {
                path: display.clone(),
                source,
            };
            failed.push(FileReport {
                path: display,
                source: None,
                diagnostics: vec![Box::new(error)],
            });
        } else {
            eprintln!("formatted {display}");
        }
    }
    if !failed.is_empty() {
        eprint!("{}", report::render(failed, LintFormat::Human));
        return exit::USAGE;
    }
    if !changed.is_empty() {
        eprintln!(
            "{} file(s) would be reformatted; run `runbook fmt` on them",
            changed.len()
        );
        return exit::FAILED;
    }
    exit::OK
}

/// Write `text` to a temporary file in the same directory, then rename it
/// over `path`: readers never see a half-written runbook.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
