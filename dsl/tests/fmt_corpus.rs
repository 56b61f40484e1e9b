//! Every runbook in the repository (`runbooks/`, `tests/fixtures/accept/`)
//! is already in the canonical layout, and formatting keeps its meaning and
//! every comment.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use runbook_dsl::fmt::format_source;

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["runbooks", "tests/fixtures/accept", "dsl/tests/golden/fmt"] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "runbook") {
            out.push(path);
        }
    }
}

#[test]
fn formatting_keeps_meaning_and_comments_and_is_idempotent() {
    let files = corpus();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("capacity-scaling.runbook")),
        "corpus misses the capacity runbook"
    );
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let original =
            runbook_dsl::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let once = format_source(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let reparsed = runbook_dsl::parse(&once).unwrap();
        assert_eq!(
            reparsed.shape(),
            original.shape(),
            "{}: meaning changed",
            file.display()
        );
        let texts = |rb: &runbook_dsl::Runbook| {
            rb.comments
                .iter()
                .map(|c| c.text.trim_end().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(&reparsed),
            texts(&original),
            "{}: comments changed",
            file.display()
        );
        assert_eq!(
            format_source(&once).unwrap(),
            once,
            "{}: not idempotent",
            file.display()
        );
    }
}

#[test]
fn repository_runbooks_are_already_formatted() {
    for file in corpus()
        .into_iter()
        .filter(|f| !f.to_string_lossy().contains(".in.runbook"))
    {
        let source = std::fs::read_to_string(&file).unwrap();
        let formatted =
            format_source(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            formatted == source,
            "{} is not formatted; run `runbook fmt` on it:\n{formatted}",
            file.display()
        );
    }
}
