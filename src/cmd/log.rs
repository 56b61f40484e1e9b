//! `runbook log RUN [--json]`: a run's journal.

use runbook_interpreter::event::{Event, EventKind};

use super::run_report::render;
use super::{exit, run_state};
use crate::cli::LogArgs;

pub fn log(a: LogArgs) -> u8 {
    let (store, id) = match run_state::open_run(&a.state, &a.run) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let events = match store.journal(&id) {
        Ok(e) => e,
        Err(e) => {
            render(
                Box::new(runbook_interpreter::api::store_diagnostic(&e)),
                &None,
            );
            // A journal that cannot be read is a state error, like in `status`.
            return exit::USAGE;
        }
    };
    for e in &events {
        if a.json {
            match serde_json::to_string(e) {
                Ok(line) => super::stdout::print(&format!("{line}\n")),
                Err(err) => {
                    eprintln!("error: {err}");
                    return exit::FAILED;
                }
            }
        } else {
            super::stdout::print(&format!("{}\n", line(e)));
        }
    }
    exit::OK
}

/// One event as a human line: time, then what happened.
fn line(e: &Event) -> String {
    let time = e.at.get(11..19).unwrap_or(&e.at);
    let what = match &e.kind {
        EventKind::RunStarted { title, steps, .. } => {
            format!("run started: {title} ({steps} steps)")
        }
        EventKind::RunResumed { pid } => format!("run resumed (pid {pid})"),
        EventKind::RunTakenOver {
            pid,
            host,
            since,
            expired,
        } => format!(
            "run taken over from pid {pid} on {host} (holder since {since}, lease expired {expired})"
        ),
        EventKind::StepStarted {
            step,
            index,
            title,
            attempt,
        } => {
            let again = if *attempt > 1 {
                format!(", attempt {attempt}")
            } else {
                String::new()
            };
            format!("step {index} {step} started: {title}{again}")
        }
        EventKind::StepSucceeded { step, millis } => format!("step {step} succeeded ({millis}ms)"),
        EventKind::StepFailed {
            step,
            error,
            interrupted,
        } => {
            if *interrupted {
                format!("step {step} interrupted")
            } else {
                format!("step {step} failed: {error}")
            }
        }
        EventKind::StepRetried {
            step,
            attempt,
            backoff_millis,
        } => {
            format!("step {step} retried: attempt {attempt} after {backoff_millis}ms")
        }
        EventKind::StepSkipped { step, reason } => format!("step {step} skipped: {reason}"),
        EventKind::StepOverride { step, action } => format!("step {step}: operator chose {action}"),
        EventKind::Output { step, stream, line } => {
            let mark = match stream {
                runbook_interpreter::event::OutputStream::Stdout => "|",
                runbook_interpreter::event::OutputStream::Stderr => "!",
            };
            format!("{} {mark} {line}", step.as_deref().unwrap_or("-"))
        }
        EventKind::Effect {
            step,
            action,
            description,
        } => {
            format!("{} {action}: {description}", step.as_deref().unwrap_or("-"))
        }
        EventKind::ExpectPolled {
            step,
            expr,
            ok,
            observed,
        } => {
            format!(
                "{step} polled {expr}: {} ({observed})",
                if *ok { "true" } else { "not yet" }
            )
        }
        EventKind::Note { step, text } => format!("{step} note: {text}"),
        EventKind::ConfirmAsked { step, question } => format!("{step} confirm asked: {question}"),
        EventKind::ConfirmAnswered {
            step,
            question,
            yes,
            by,
        } => {
            format!(
                "{step} confirm answered {} by {by}: {question}",
                if *yes { "yes" } else { "no" }
            )
        }
        EventKind::UndoRegistered { step, text } => format!("{step} undo registered: {text}"),
        EventKind::RollbackStarted => "rollback started".to_string(),
        EventKind::UndoStarted { step, text } => format!("undo of {step} started: {text}"),
        EventKind::UndoDone { step, text } => format!("undo of {step} done: {text}"),
        EventKind::UndoFailed { step, text, error } => {
            format!("undo of {step} failed: {text}: {error}")
        }
        EventKind::RunWaiting { step, question } => format!("run waiting at {step}: {question}"),
        EventKind::RunFailed { error } => format!("run failed: {error}"),
        EventKind::RunInterrupted { step } => match step {
            Some(s) => format!("run interrupted at {s}"),
            None => "run interrupted".to_string(),
        },
        EventKind::RunSucceeded => "run succeeded".to_string(),
        EventKind::RunRolledBack => "run rolled back".to_string(),
    };
    format!("{time}  {what}")
}
