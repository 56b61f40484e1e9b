//! `sh`: run a shell command in the runbook's directory.
//!
//! `sh(cmd)` and `sh(cmd, #{ env: #{…}, stdin: "…", check: true })` return
//! `#{ code, stdout, stderr }`. The command runs as `/bin/sh -c cmd` with the
//! runbook's directory as working directory, in a process group of its own
//! that dies with the runner: a `kill -9` of the runner while the command
//! runs stops everything in its group (see `watcher.rs`). What the command
//! leaves running in the background once it has ended is left alone, as in
//! a terminal. Every output line is sent to the event sink as it arrives;
//! the returned `stdout`/`stderr` keep the first [`CAPTURE_LIMIT`] bytes of
//! each stream (the journal has every line).
//!
//! A non-zero exit is a value, not an error, for the function form: the caller
//! looks at `code`. The statement form `sh "…"` fails the step on a non-zero
//! exit; the interpreter gets that either by passing `#{ check: true }` or by
//! calling [`statement_failure`] on the returned map.
//!
//! On the step's timeout or on cancellation the whole process group receives
//! SIGTERM, then SIGKILL after [`KILL_GRACE`], and the call fails with
//! `runbook::run::sh::timeout` / `runbook::run::sh::cancelled`.
//!
//! Resumability: a command may run again after a crash between its effect and
//! the checkpoint; put commands that must not repeat in `once` steps.

mod capture;
mod options;
mod process;
mod watcher;

use std::sync::Arc;

use rhai::{Dynamic, EvalAltResult, FuncRegistration, ImmutableString, Map};

use crate::{ActionContext, ActionError, Class, Interrupted, Signature};

pub use capture::CAPTURE_LIMIT;
pub use options::ShOptions;
pub use process::KILL_GRACE;

/// Register `sh(cmd)` and `sh(cmd, options)`.
pub fn register(engine: &mut rhai::Engine, ctx: Arc<ActionContext>) {
    let c = ctx.clone();
    FuncRegistration::new("sh")
        .with_volatility(true)
        .register_into_engine(
            engine,
            move |cmd: ImmutableString| -> Result<Map, Box<EvalAltResult>> {
                sh(&c, &cmd, ShOptions::default()).map_err(ActionError::into_rhai)
            },
        );
    FuncRegistration::new("sh")
        .with_volatility(true)
        .register_into_engine(
            engine,
            move |cmd: ImmutableString, opts: Map| -> Result<Map, Box<EvalAltResult>> {
                let opts = ShOptions::from_map(&opts).map_err(ActionError::into_rhai)?;
                sh(&ctx, &cmd, opts).map_err(ActionError::into_rhai)
            },
        );
}

/// The `sh` entries of the signature table.
pub fn signatures() -> Vec<Signature> {
    vec![Signature {
        module: None,
        name: "sh",
        receiver: None,
        params: &["command", "options"],
        optional: 1,
        class: Class::Effect,
        doc: "Run `/bin/sh -c command` in the runbook's directory; returns #{ code, stdout, stderr }. \
              Options: env (map), stdin (string), check (bool: fail on a non-zero exit).",
    }]
}

/// Run `command` with `opts` and return `#{ code, stdout, stderr }`.
///
/// In dry run nothing is run: the command is reported through
/// [`crate::EventSink::dry_run_effect`] and the result is a successful empty one.
pub fn sh(ctx: &ActionContext, command: &str, opts: ShOptions) -> Result<Map, ActionError> {
    if ctx.dry_run {
        ctx.events.dry_run_effect("sh", command);
        return Ok(result_map(0, String::new(), String::new()));
    }
    let done = process::run(ctx, command, &opts).map_err(|e| e.into_action_error(command))?;
    let map = result_map(done.code, done.stdout, done.stderr);
    if opts.check {
        if let Some(err) = statement_failure(command, &map) {
            return Err(err);
        }
    }
    Ok(map)
}

/// The error the statement form `sh "…"` fails its step with, given the map
/// the function returned; `None` when the command exited with code 0.
pub fn statement_failure(command: &str, result: &Map) -> Option<ActionError> {
    let code = result
        .get("code")
        .and_then(|c| c.as_int().ok())
        .unwrap_or(-1);
    if code == 0 {
        return None;
    }
    let stderr = result
        .get("stderr")
        .and_then(|s| s.read_lock::<ImmutableString>().map(|s| s.to_string()))
        .unwrap_or_default();
    let err = ActionError::new(
        "runbook::run::sh::failed",
        format!("`{}` exited with code {code}", short(command)),
    );
    Some(match last_lines(&stderr, 5) {
        Some(tail) => err.with_help(format!(
            "its last error output was:\n{tail}\nuse `sh(…)` as an expression to look at `code` instead of failing"
        )),
        None => err.with_help("use `sh(…)` as an expression to look at `code` instead of failing the step"),
    })
}

fn result_map(code: i64, stdout: String, stderr: String) -> Map {
    let mut m = Map::new();
    m.insert("code".into(), Dynamic::from_int(code));
    m.insert("stdout".into(), stdout.into());
    m.insert("stderr".into(), stderr.into());
    m
}

/// The error for a command stopped by the step's timeout or a cancellation.
pub(crate) fn interrupted_error(command: &str, why: &Interrupted) -> ActionError {
    match why {
        Interrupted::Timeout => ActionError::new(
            "runbook::run::sh::timeout",
            format!("`{}` was stopped: the step's timeout elapsed", short(command)),
        )
        .with_help("its process group was killed; raise the step's `timeout` or make the command finish sooner"),
        Interrupted::Cancelled => ActionError::new(
            "runbook::run::sh::cancelled",
            format!("`{}` was stopped: the run was cancelled", short(command)),
        )
        .with_help("its process group was killed; `runbook resume RUN` runs the step again"),
    }
}

/// The first line of a command, cut to a length that fits in a message.
fn short(command: &str) -> String {
    const MAX: usize = 80;
    let first = command.trim().lines().next().unwrap_or("");
    let multi = command.trim().lines().nth(1).is_some();
    if first.chars().count() > MAX || multi {
        let cut: String = first.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        first.to_string()
    }
}

fn last_lines(text: &str, n: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    let start = lines.len().saturating_sub(n);
    Some(lines[start..].join("\n"))
}
