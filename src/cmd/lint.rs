//! `runbook lint FILE|DIR…`: parse errors, check errors and lint warnings of
//! every file, in one pass, files in parallel.

use std::sync::Arc;

use miette::Diagnostic;
use rayon::prelude::*;
use runbook_dsl::lint::CallClasses;
use runbook_dsl::Checker;

use super::exit;
use super::files::{self, SourceFile};
use super::report::{self, FileReport, Totals};
use crate::cli::LintArgs;

pub fn lint(args: LintArgs) -> u8 {
    let table = runbook_stdlib::signatures();
    // Built once and shared by every file: the Rhai engine and the call index.
    let checker = Checker::new(&table);
    let classes = CallClasses::new(&table);
    let reports: Vec<FileReport> = files::expand(&args.paths)
        .into_par_iter()
        .map(|(path, error)| lint_file(files::read(path, error), &checker, &classes))
        .collect();
    let totals = Totals::of(&reports);
    let files = reports.len();
    print!("{}", report::render(reports, args.format));
    eprintln!("{}", summary(files, totals));
    if totals.errors > 0 {
        exit::USAGE
    } else if totals.warnings > 0 && args.deny_warnings {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// Every diagnostic of one file, in source order.
pub fn lint_file(file: SourceFile, checker: &Checker<'_>, classes: &CallClasses) -> FileReport {
    let path = file.display();
    let text = match file.text {
        Ok(text) => text,
        Err(e) => {
            return FileReport {
                path,
                source: None,
                diagnostics: vec![Box::new(e)],
            }
        }
    };
    let mut diagnostics: Vec<(usize, Box<dyn Diagnostic + Send + Sync>)> = Vec::new();
    match runbook_dsl::parse(&text) {
        Err(e) => diagnostics.push((offset(&e), Box::new(e))),
        Ok(rb) => {
            for e in checker.errors(&rb) {
                diagnostics.push((offset(&e), Box::new(e)));
            }
            for w in runbook_dsl::lint::lint_with(&rb, classes) {
                diagnostics.push((offset(&w), Box::new(w)));
            }
        }
    }
    diagnostics.sort_by_key(|(at, _)| *at);
    FileReport {
        path,
        source: Some(Arc::new(text)),
        diagnostics: diagnostics.into_iter().map(|(_, d)| d).collect(),
    }
}

fn offset(d: &dyn Diagnostic) -> usize {
    d.labels()
        .and_then(|mut l| l.next())
        .map_or(0, |l| l.offset())
}

fn summary(files: usize, totals: Totals) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "linted {}: {}, {}",
        plural(files, "file"),
        plural(totals.errors, "error"),
        plural(totals.warnings, "warning")
    )
}
