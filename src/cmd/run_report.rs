//! Turning a run's end into terminal output and an exit code.

use miette::{Diagnostic, NamedSource, Report};
use runbook_interpreter::{Finished, Outcome, Refused};

use super::exit;
use super::run_source::Text;

/// Print a diagnostic on stderr, in the file's context when it has one.
pub fn render(d: Box<dyn Diagnostic + Send + Sync>, text: &Text) {
    let report = Report::new_boxed(d);
    let report = match text {
        Some((name, src)) => report.with_source_code(NamedSource::new(name, src.to_string())),
        None => report,
    };
    eprintln!("{report:?}");
}

/// Render refusals; exit 2 (nothing ran).
pub fn refused(r: Refused, text: &Text) -> u8 {
    for d in r.problems {
        render(d, text);
    }
    exit::USAGE
}

/// What to do next after a run of `verb` ("resume" or "rollback").
pub fn finished(f: Finished, text: &Text, verb: &str) -> u8 {
    let id = f.run_id.clone().unwrap_or_default();
    let dry = f.run_id.is_none();
    match f.outcome {
        Outcome::Succeeded if dry => {
            println!("dry run finished: nothing was changed or stored");
            exit::OK
        }
        Outcome::Succeeded => {
            if !f.nothing_to_do {
                println!("run {id} succeeded");
            }
            exit::OK
        }
        Outcome::RolledBack => {
            if !f.nothing_to_do {
                println!("run {id} rolled back");
            }
            exit::OK
        }
        Outcome::Failed { step, diagnostic } => {
            render(Box::new(diagnostic), text);
            if dry {
                println!("dry run failed");
            } else {
                match step {
                    Some(s) => println!("run {id} failed at step {s}"),
                    None => println!("run {id} failed"),
                }
                println!("{verb} with: runbook {verb} {id}");
            }
            exit::FAILED
        }
        Outcome::Interrupted { .. } => {
            if dry {
                println!("dry run interrupted");
            } else {
                println!("run {id} interrupted");
                println!("{verb} with: runbook {verb} {id}");
            }
            exit::FAILED
        }
        Outcome::Waiting { question, .. } => {
            println!("run {id} is waiting for a confirmation: {question}");
            println!("approve with: runbook approve {id}");
            println!("then continue with: runbook {verb} {id}");
            exit::WAITING
        }
    }
}
