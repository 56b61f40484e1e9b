//! Diagnostic goldens: `golden/diagnostics/<code>.runbook` is a failing
//! snippet for the code `runbook::<code with . for ::>`; `<code>.out` holds
//! its rendered diagnostics. Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p runbook-dsl` and review the diff.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use miette::Diagnostic;

const HEADER: &str = "generated; regenerate with UPDATE_GOLDEN=1 cargo test -p runbook-dsl\n";

/// Codes no input can produce, and why.
const NO_SNIPPET: &[(&str, &str)] = &[(
    "runbook::fmt::unstable",
    "raised only when the formatter itself has a bug (its output would change the meaning)",
)];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/diagnostics")
}

fn snippets() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "runbook"))
        .collect();
    files.sort();
    files
}

fn code_of(snippet: &Path) -> String {
    let stem = snippet.file_stem().unwrap().to_string_lossy();
    format!("runbook::{}", stem.replace('.', "::"))
}

/// Every diagnostic the toolchain reports for a source: the parse error, or
/// the check errors and lint warnings.
fn diagnostics(source: &str) -> Vec<Box<dyn Diagnostic>> {
    let table = support::table();
    match runbook_dsl::parse(source) {
        Err(e) => vec![Box::new(e)],
        Ok(rb) => {
            let mut all: Vec<Box<dyn Diagnostic>> = Vec::new();
            for e in runbook_dsl::check(&rb, &table).errors {
                all.push(Box::new(e));
            }
            for w in runbook_dsl::lint::lint(&rb, &table) {
                all.push(Box::new(w));
            }
            all
        }
    }
}

#[test]
fn every_snippet_renders_its_golden_diagnostic() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for snippet in snippets() {
        let code = code_of(&snippet);
        let source = std::fs::read_to_string(&snippet).unwrap();
        let name = snippet.file_name().unwrap().to_string_lossy().into_owned();
        let all = diagnostics(&source);
        let matching: Vec<_> = all
            .iter()
            .filter(|d| d.code().is_some_and(|c| c.to_string() == code))
            .collect();
        if matching.is_empty() {
            let got: Vec<String> = all
                .iter()
                .filter_map(|d| d.code().map(|c| c.to_string()))
                .collect();
            failures.push(format!(
                "{name}: expected a `{code}` diagnostic, got {got:?}"
            ));
            continue;
        }
        let mut rendered = HEADER.to_string();
        for d in matching {
            rendered.push('\n');
            rendered.push_str(&support::render(d.as_ref(), &name, &source));
        }
        let out = snippet.with_extension("out");
        if update {
            std::fs::write(&out, &rendered).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&out).unwrap_or_default();
        if expected != rendered {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{rendered}",
                out.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "diagnostic goldens differ (UPDATE_GOLDEN=1 to accept):\n{}",
        failures.join("\n\n")
    );
}

/// Every `code(runbook::…)` declared in the crate's source has a snippet,
/// so a new diagnostic cannot ship without its golden.
#[test]
fn every_declared_code_has_a_golden() {
    let mut declared = BTreeSet::new();
    collect_codes(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut declared,
    );
    assert!(declared.len() > 10, "found too few codes: {declared:?}");
    let covered: BTreeSet<String> = snippets().iter().map(|s| code_of(s)).collect();
    let exempt: BTreeSet<String> = NO_SNIPPET.iter().map(|(c, _)| c.to_string()).collect();
    let missing: Vec<_> = declared
        .difference(&covered)
        .filter(|c| !exempt.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a golden snippet in tests/golden/diagnostics: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&declared).collect();
    assert!(
        stale.is_empty(),
        "goldens for codes that no longer exist: {stale:?}"
    );
}

fn collect_codes(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_codes(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("code(runbook::").skip(1) {
                let code: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.insert(format!("runbook::{code}"));
            }
        }
    }
}
