//! Bounded retries of requests the server refused for a passing reason.
//!
//! Reads are repeated on 429, 5xx and lost connections (a pooled
//! connection the server or a load balancer closed). Writes are repeated
//! only when the
//! server says it did not perform them: 409 Conflict (someone else changed
//! the object; the whole read-modify-write runs again on a fresh read), 429
//! and 503. A write answered with 500 or 504 may have happened, so it is not
//! blindly repeated. Waiting between attempts happens inside
//! `ActionContext::block_on`, so the step's deadline still applies.

use std::time::Duration;

use super::errors::Failure;

/// At most this many attempts per action (the first included).
pub(crate) const MAX_ATTEMPTS: u32 = 5;

/// Whether the operation only reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Read,
    Write,
}

fn retryable(mode: Mode, failure: &Failure) -> bool {
    match (mode, failure.status()) {
        (Mode::Read, Some(code)) => code == 429 || code >= 500,
        (Mode::Write, Some(code)) => matches!(code, 409 | 429 | 503),
        // A write that lost its connection may have happened: not repeated
        // here; the step is re-run (idempotently) on resume.
        (Mode::Read, None) => failure.is_transport(),
        (Mode::Write, None) => false,
    }
}

/// 100 ms, 200 ms, 400 ms, 800 ms: about 1.5 s in all before giving up.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64 << attempt.saturating_sub(1).min(4))
}

/// Run `attempt` until it succeeds, fails for good, or [`MAX_ATTEMPTS`] are
/// used up; the final failure records how many attempts were made.
pub(crate) async fn retrying<T>(
    mode: Mode,
    mut attempt: impl AsyncFnMut() -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(f) if attempts < MAX_ATTEMPTS && retryable(mode, &f) => {
                tokio::time::sleep(backoff(attempts)).await;
            }
            Err(Failure::Kube { error, target, .. }) => {
                return Err(Failure::Kube {
                    error,
                    target,
                    attempts,
                })
            }
            Err(other) => return Err(other),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::kube::errors::Target;
    use crate::kube::kinds;

    fn failure(code: u16) -> Failure {
        let status = kube::core::Status {
            code,
            ..Default::default()
        };
        Failure::kube(
            kube::Error::Api(Box::new(status)),
            Target::new("patch", &kinds::deployments(), Some("ns"), Some("x")),
        )
    }

    fn reset() -> Failure {
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset by peer",
        );
        Failure::kube(
            kube::Error::Service(Box::new(io)),
            Target::new("get", &kinds::deployments(), Some("ns"), Some("x")),
        )
    }

    #[test]
    fn lost_connections_repeat_reads_only() {
        assert!(retryable(Mode::Read, &reset()));
        assert!(!retryable(Mode::Write, &reset()));
        let timeout = Failure::kube(
            kube::Error::Service(Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "timed out",
            ))),
            Target::new("get", &kinds::deployments(), Some("ns"), Some("x")),
        );
        assert!(!retryable(Mode::Read, &timeout));
    }

    #[test]
    fn writes_repeat_only_what_the_server_did_not_do() {
        assert!(retryable(Mode::Write, &failure(409)));
        assert!(retryable(Mode::Write, &failure(503)));
        assert!(!retryable(Mode::Write, &failure(500)));
        assert!(!retryable(Mode::Write, &failure(404)));
        assert!(retryable(Mode::Read, &failure(500)));
        assert!(!retryable(Mode::Read, &failure(403)));
    }

    #[tokio::test]
    async fn gives_up_after_the_bound_and_counts_attempts() {
        let mut calls = 0;
        let out: Result<(), Failure> = retrying(Mode::Write, async || {
            calls += 1;
            Err(failure(409))
        })
        .await;
        assert_eq!(calls, MAX_ATTEMPTS);
        match out {
            Err(Failure::Kube { attempts, .. }) => assert_eq!(attempts, MAX_ATTEMPTS),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_conflict_then_success_succeeds() {
        let mut calls = 0;
        let out = retrying(Mode::Write, async || {
            calls += 1;
            if calls < 3 {
                Err(failure(409))
            } else {
                Ok(calls)
            }
        })
        .await;
        assert_eq!(out.ok(), Some(3));
    }
}
