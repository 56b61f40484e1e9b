//! The run's Rhai engine: the stdlib, limits, and a progress hook that stops
//! a runaway or cancelled expression.

use std::sync::Arc;

use rhai::{Dynamic, Engine};
use runbook_stdlib::ActionContext;

/// Limits every run evaluates under, so a runaway expression fails with a
/// clear error instead of hanging or exhausting memory.
pub mod limits {
    /// Operations per evaluation (one expression, one poll).
    /// (A few seconds of closure-heavy Rhai: runbook expressions are small.)
    pub const MAX_OPERATIONS: u64 = 5_000_000;
    /// Iterations of one DSL `for` loop.
    pub const MAX_LOOP_ITERATIONS: usize = 1_000_000;
    pub const MAX_CALL_LEVELS: usize = 64;
    pub const MAX_EXPR_DEPTH: usize = 128;
    pub const MAX_STRING_SIZE: usize = 16 * 1024 * 1024;
    pub const MAX_ARRAY_SIZE: usize = 1_000_000;
    pub const MAX_MAP_SIZE: usize = 100_000;
    /// Wall-clock time one evaluation may spend in Rhai itself. Time its
    /// actions spend waiting (`sh`, Kubernetes, PostgreSQL, `sleep`) does not
    /// count: they pause the clock. Catches cheap-operation loops that stay
    /// under [`MAX_OPERATIONS`] but would run for minutes (each operation
    /// copying a large string, say).
    pub const EVAL_TIME: std::time::Duration = std::time::Duration::from_secs(10);
}

/// The value the progress hook terminates evaluation with.
pub const INTERRUPT_TOKEN: &str = "runbook:interrupted";

/// The value the progress hook terminates an evaluation with when it has
/// spent more than [`limits::EVAL_TIME`] in Rhai.
pub const EVAL_TIME_TOKEN: &str = "runbook:eval-time";

/// Whether `err` is an evaluation stopped for exceeding [`limits::EVAL_TIME`].
pub fn is_eval_time_exceeded(err: &rhai::EvalAltResult) -> bool {
    matches!(err, rhai::EvalAltResult::ErrorTerminated(token, _)
        if token.read_lock::<rhai::ImmutableString>().is_some_and(|t| t.as_str() == EVAL_TIME_TOKEN))
}

/// An engine with the stdlib bound to `ctx`, the limits, and a progress hook
/// that stops evaluation when `ctx` says the step is cancelled or past its
/// deadline, or when the evaluation timed by `ctx.eval_clock` has spent more
/// than [`limits::EVAL_TIME`] in Rhai.
pub fn build(ctx: Arc<ActionContext>) -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits::MAX_OPERATIONS)
        .set_max_call_levels(limits::MAX_CALL_LEVELS)
        .set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_EXPR_DEPTH)
        .set_max_string_size(limits::MAX_STRING_SIZE)
        .set_max_array_size(limits::MAX_ARRAY_SIZE)
        .set_max_map_size(limits::MAX_MAP_SIZE);
    // `print`/`debug` from a runbook go to the operator like `note`, through
    // the sink (redacted, journaled).
    let out = ctx.clone();
    engine.on_print(move |s| out.events.output(runbook_stdlib::OutputStream::Stdout, s));
    let out = ctx.clone();
    engine.on_debug(move |s, _, _| out.events.output(runbook_stdlib::OutputStream::Stderr, s));
    let hook = ctx.clone();
    // Checking takes a lock: do it every 1024 calls of the hook only. Count
    // the calls ourselves: Rhai's operation count does not always advance by
    // one between calls (closures called from `map` add several at once), so
    // `ops % 1024` can skip every multiple and never check at all.
    let calls = std::sync::atomic::AtomicU64::new(0);
    engine.on_progress(move |_ops| {
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 1024 != 0 {
            None
        } else if hook.interrupted().is_some() {
            Some(Dynamic::from(INTERRUPT_TOKEN))
        } else if hook.eval_clock.elapsed() > limits::EVAL_TIME {
            Some(Dynamic::from(EVAL_TIME_TOKEN))
        } else {
            None
        }
    });
    runbook_stdlib::register_all(&mut engine, ctx);
    engine
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use std::time::{Duration, Instant};

    use runbook_stdlib::{KubeOptions, NullSink};
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn ctx(rt: &tokio::runtime::Runtime) -> Arc<ActionContext> {
        Arc::new(ActionContext::new(
            rt.handle().clone(),
            Arc::new(NullSink),
            std::env::temp_dir(),
            false,
            KubeOptions::default(),
        ))
    }

    #[test]
    fn the_progress_hook_stops_a_runaway_script_at_the_deadline_and_on_cancel() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ctx = ctx(&rt);
        let engine = build(ctx.clone());
        ctx.enter_step(
            CancellationToken::new(),
            Some(Instant::now() + Duration::from_millis(100)),
        );
        let err = engine
            .eval::<i64>("let n = 0; loop { n += 1; }")
            .unwrap_err();
        assert!(
            matches!(*err, rhai::EvalAltResult::ErrorTerminated(..)),
            "{err}"
        );

        let token = CancellationToken::new();
        ctx.enter_step(token.clone(), None);
        let cancel = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            token.cancel();
        });
        let err = engine
            .eval::<i64>("let n = 0; loop { n += 1; }")
            .unwrap_err();
        assert!(
            matches!(*err, rhai::EvalAltResult::ErrorTerminated(..)),
            "{err}"
        );
        cancel.join().unwrap();
    }

    #[test]
    fn limits_stop_oversized_values() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let engine = build(ctx(&rt));
        let err = engine
            .eval::<rhai::Dynamic>("let a = [0]; a.pad(2000000, 0); a")
            .unwrap_err();
        assert!(
            matches!(*err, rhai::EvalAltResult::ErrorDataTooLarge(..)),
            "{err}"
        );
    }
}
