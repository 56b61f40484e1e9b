//! Wall-clock time spent evaluating one Rhai expression, not counting the
//! time its actions wait on the world.
//!
//! The interpreter bounds each evaluation's own time (a tight loop of cheap
//! operations that stays under the operation limit but would run for
//! minutes). An action that legitimately takes long — `sh "make"`,
//! `kube::wait(…)`, a slow query — must not count: actions pause the clock
//! while they block on their async work ([`crate::ActionContext::block_on`]
//! and the few places that call the runtime directly).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The clock of the evaluation in progress, shared by the interpreter (which
/// starts it and reads it from Rhai's progress hook) and the actions (which
/// pause it).
#[derive(Debug, Default)]
pub struct EvalClock {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// When the evaluation in progress started; `None` between evaluations.
    started: Option<Instant>,
    /// Time spent paused so far in this evaluation (finished pauses).
    paused: Duration,
    /// Start of the current pause, if paused.
    paused_at: Option<Instant>,
    /// Nested pauses (an action that blocks twice from one call).
    depth: u32,
}

impl EvalClock {
    /// Start timing a new evaluation; it is timed until the guard is dropped.
    pub fn start(&self) -> Evaluation<'_> {
        if let Ok(mut s) = self.state.lock() {
            *s = State {
                started: Some(Instant::now()),
                ..State::default()
            };
        }
        Evaluation { clock: self }
    }

    /// Time the evaluation in progress has spent outside paused regions;
    /// zero between evaluations.
    pub fn elapsed(&self) -> Duration {
        let Ok(s) = self.state.lock() else {
            return Duration::ZERO;
        };
        let Some(started) = s.started else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let current_pause = s.paused_at.map_or(Duration::ZERO, |p| now - p);
        (now - started).saturating_sub(s.paused + current_pause)
    }

    /// Stop counting until the guard is dropped (nests).
    pub fn pause(&self) -> Pause<'_> {
        if let Ok(mut s) = self.state.lock() {
            s.depth += 1;
            if s.depth == 1 {
                s.paused_at = Some(Instant::now());
            }
        }
        Pause { clock: self }
    }
}

/// An evaluation being timed; dropping it ends the timing.
#[must_use = "the evaluation is timed only while this guard lives"]
pub struct Evaluation<'a> {
    clock: &'a EvalClock,
}

impl Drop for Evaluation<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.clock.state.lock() {
            *s = State::default();
        }
    }
}

/// A paused region; dropping it resumes counting.
#[must_use = "the clock is paused only while this guard lives"]
pub struct Pause<'a> {
    clock: &'a EvalClock,
}

impl Drop for Pause<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.clock.state.lock() {
            s.depth = s.depth.saturating_sub(1);
            if s.depth == 0 {
                if let Some(at) = s.paused_at.take() {
                    s.paused += at.elapsed();
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    /// Busy-waits until the clock has counted at least `d` (no sleeping:
    /// sleeping is what a pause is for).
    fn spin_until_counted(clock: &EvalClock, d: Duration) {
        while clock.elapsed() < d {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn counts_nothing_between_evaluations() {
        let clock = EvalClock::default();
        assert_eq!(clock.elapsed(), Duration::ZERO);
        {
            let _e = clock.start();
            spin_until_counted(&clock, Duration::from_millis(5));
        }
        assert_eq!(clock.elapsed(), Duration::ZERO);
    }

    #[test]
    fn a_pause_is_not_counted() {
        let clock = EvalClock::default();
        let _e = clock.start();
        let before = clock.elapsed();
        let wall = Instant::now();
        {
            let _p = clock.pause();
            let _nested = clock.pause();
            std::thread::sleep(Duration::from_millis(200));
        }
        // All of the pause was outside the count: the clock advanced by less
        // than the wall time that passed.
        let counted = clock.elapsed() - before;
        assert!(
            counted < wall.elapsed() - Duration::from_millis(150),
            "{counted:?}"
        );
    }
}
