//! Formatter goldens: `golden/fmt/NAME.in.runbook` formats to
//! `NAME.out.runbook`. Regenerate with `UPDATE_GOLDEN=1 cargo test -p runbook-dsl`
//! and review the diff.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use runbook_dsl::fmt::format_source;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/fmt")
}

#[test]
fn every_input_formats_to_its_golden_output() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".in.runbook"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no formatter goldens found");
    let mut failures = Vec::new();
    for input in inputs {
        let source = std::fs::read_to_string(&input).unwrap();
        let formatted =
            format_source(&source).unwrap_or_else(|e| panic!("{}: {e:?}", input.display()));
        let expected_path = PathBuf::from(
            input
                .to_string_lossy()
                .replace(".in.runbook", ".out.runbook"),
        );
        if update {
            std::fs::write(&expected_path, &formatted).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if formatted != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{formatted}",
                expected_path.display()
            ));
        }
        // The output is a fixed point.
        assert_eq!(
            format_source(&formatted).unwrap(),
            formatted,
            "{} is not idempotent",
            input.display()
        );
    }
    assert!(
        failures.is_empty(),
        "formatter goldens differ (UPDATE_GOLDEN=1 to accept):\n{}",
        failures.join("\n")
    );
}
