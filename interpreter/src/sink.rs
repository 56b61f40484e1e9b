//! The [`EventSink`] actions report to: journal + terminal, redacted.

use std::sync::Arc;

use runbook_stdlib::{EventSink, OutputStream};

use crate::event::EventKind;
use crate::output::Output;

/// Routes what actions report to the run's output and journal.
pub struct RunSink {
    out: Arc<Output>,
}

impl RunSink {
    pub fn new(out: Arc<Output>) -> Self {
        RunSink { out }
    }
}

impl EventSink for RunSink {
    fn output(&self, stream: OutputStream, line: &str) {
        let line = self.out.r(line);
        let mark = match stream {
            OutputStream::Stdout => "|",
            OutputStream::Stderr => "!",
        };
        self.out.line(&format!("  {mark} {line}"));
        self.out.event(EventKind::Output {
            step: self.out.current_step(),
            stream,
            line,
        });
    }

    fn dry_run_effect(&self, action: &str, description: &str) {
        self.out.line(&format!("  would {action}: {description}"));
    }

    fn effect(&self, action: &str, description: &str) {
        let description = self.out.r(description);
        self.out.line(&format!("  {action}: {description}"));
        self.out.event(EventKind::Effect {
            step: self.out.current_step(),
            action: action.to_string(),
            description,
        });
    }

    fn add_secret(&self, secret: &str) {
        self.out.redactor().add(secret);
    }

    fn safe_cut(&self, text: &[u8]) -> usize {
        self.out.redactor().safe_cut(text)
    }
}
