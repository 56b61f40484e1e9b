//! Finding and reading the runbook files named on the command line.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

/// A file that could not be read; reported like any diagnostic, and the
/// other files are still processed.
#[derive(Debug, Error, Diagnostic)]
pub enum FileError {
    #[error("{path}: no such file or directory")]
    #[diagnostic(
        code(runbook::io::not_found),
        help("check the path; directories are searched for *.runbook files")
    )]
    NotFound { path: String },

    #[error("{path}: cannot read: {source}")]
    #[diagnostic(code(runbook::io::unreadable), help("check the file's permissions"))]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: not UTF-8 text (invalid byte at offset {offset})")]
    #[diagnostic(
        code(runbook::io::not_utf8),
        help("runbooks are UTF-8 text; re-save the file as UTF-8")
    )]
    NotUtf8 { path: String, offset: usize },

    #[error("{path}: cannot write: {source}")]
    #[diagnostic(
        code(runbook::io::unwritable),
        help("check the file's and its directory's permissions; the file was left as it was")
    )]
    Unwritable {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: no *.runbook files in this directory")]
    #[diagnostic(
        code(runbook::io::no_runbooks),
        help("name runbook files with the .runbook extension")
    )]
    NoRunbooks { path: String },
}

/// One file to process: its path for messages and its text, or why not.
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Result<String, FileError>,
}

impl SourceFile {
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }
}

/// Expand `paths` (files as given, directories searched recursively for
/// `*.runbook`, in sorted order) without reading anything.
pub fn expand(paths: &[PathBuf]) -> Vec<(PathBuf, Option<FileError>)> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = out.len();
            let walker = walkdir::WalkDir::new(path).sort_by_file_name();
            for entry in walker {
                match entry {
                    Ok(e) if e.file_type().is_file() && is_runbook(e.path()) => {
                        out.push((e.into_path(), None))
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let at = err.path().unwrap_or(path).to_path_buf();
                        let error = match err.into_io_error() {
                            Some(source) => FileError::Unreadable {
                                path: at.display().to_string(),
                                source,
                            },
                            None => FileError::Unreadable {
                                path: at.display().to_string(),
                                source: std::io::Error::other("filesystem loop"),
                            },
                        };
                        out.push((at, Some(error)));
                    }
                }
            }
            if out.len() == before {
                out.push((
                    path.clone(),
                    Some(FileError::NoRunbooks {
                        path: path.display().to_string(),
                    }),
                ));
            }
        } else if path.exists() {
            out.push((path.clone(), None));
        } else {
            out.push((
                path.clone(),
                Some(FileError::NotFound {
                    path: path.display().to_string(),
                }),
            ));
        }
    }
    out
}

fn is_runbook(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "runbook")
}

/// Read one expanded path.
pub fn read(path: PathBuf, error: Option<FileError>) -> SourceFile {
    let text = match error {
        Some(e) => Err(e),
        None => read_text(&path),
    };
    SourceFile { path, text }
}

fn read_text(path: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(path).map_err(|source| {
        let path = path.display().to_string();
        if source.kind() == std::io::ErrorKind::NotFound {
            FileError::NotFound { path }
        } else {
            FileError::Unreadable { path, source }
        }
    })?;
    String::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        path: path.display().to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}
