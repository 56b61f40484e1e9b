//! Reading a runbook for running: parse and check errors stop the run
//! before anything happens (exit 2).

use std::path::Path;
use std::sync::Arc;

use miette::Diagnostic;
use runbook_interpreter::{Refused, RunDiagnostic, Source};

/// The file's text, kept to render later diagnostics against it.
pub type Text = Option<(String, Arc<str>)>;

/// Read, parse and check `path`. `seen` receives the text even when it
/// does not parse, so errors can be shown in context.
pub fn load(path: &Path, seen: &mut Text) -> Result<Source, Refused> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text: Arc<str> = match std::fs::read_to_string(&absolute) {
        Ok(t) => t.into(),
        Err(e) => {
            return Err(refused(
                RunDiagnostic::new(
                    "runbook::run::unreadable",
                    format!("cannot read {}: {e}", path.display()),
                )
                .help("check the path (resume and rollback read the file the run started from)"),
            ))
        }
    };
    *seen = Some((path.display().to_string(), text.clone()));
    let runbook = runbook_dsl::parse(&text).map_err(refused)?;
    let table = runbook_stdlib::signatures();
    // `errors`, not `check`: a checked copy of a 10,000-step tree costs a
    // resume more than parsing it.
    let errors = runbook_dsl::Checker::new(&table).errors(&runbook);
    if errors.is_empty() {
        Ok(Source::parsed(absolute, text, runbook))
    } else {
        Err(Refused {
            problems: errors
                .into_iter()
                .map(|e| Box::new(e) as Box<dyn Diagnostic + Send + Sync>)
                .collect(),
        })
    }
}

fn refused(d: impl Diagnostic + Send + Sync + 'static) -> Refused {
    Refused {
        problems: vec![Box::new(d)],
    }
}
