//! Leases: who may write a run.
//!
//! A runner holds a run through its row in `runbook_leases` (a random token,
//! its pid and host, since when, until when). It renews the row every third
//! of the lease's time to live; every commit checks and renews it in the
//! same transaction as the writes (fencing: a runner whose lease was taken
//! over can never record anything again; see [`RENEW_SQL`]). All times are the
//! server's, so the runners' clocks do not matter.
//!
//! A row whose `expires` passed belongs to a runner that died or lost its
//! connection: another runner may take the run over, and the journal records
//! it. A row a runner released on exit is taken without ceremony.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio_postgres::{GenericClient, Statement};
use uuid::Uuid;

use super::connect::Target;
use crate::store::lock::host_name;
use crate::store::{Holder, StoreError};

/// Environment variable setting the lease's time to live, in seconds.
pub const LEASE_TTL_ENV: &str = "RUNBOOK_LEASE_TTL";

/// The default time to live: a dead runner's run is free again within it.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// The longest accepted time to live (a day).
const MAX_TTL_SECS: u64 = 86_400;

/// The time to live from [`LEASE_TTL_ENV`], else [`DEFAULT_TTL`].
pub fn ttl_from_env() -> Result<Duration, StoreError> {
    match std::env::var(LEASE_TTL_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_TTL),
        Err(std::env::VarError::NotUnicode(_)) => Err(bad_ttl("(not text)")),
        Ok(v) => parse_ttl(&v),
    }
}

/// A time to live in whole seconds, from 1 to a day.
fn parse_ttl(v: &str) -> Result<Duration, StoreError> {
    match v.trim().parse::<u64>() {
        Ok(secs) if (1..=MAX_TTL_SECS).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(bad_ttl(v)),
    }
}

fn bad_ttl(value: &str) -> StoreError {
    StoreError::Config {
        detail: format!("{LEASE_TTL_ENV}={value} is not a lease time to live"),
        hint: format!(
            "set {LEASE_TTL_ENV} to a whole number of seconds from 1 to {MAX_TTL_SECS}, or unset it (default {} s)",
            DEFAULT_TTL.as_secs()
        ),
    }
}

/// The holder a runner took a run over from.
#[derive(Debug, Clone)]
pub(crate) struct Previous {
    pub pid: u32,
    pub host: String,
    pub since: String,
    pub expired: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn secs(ttl: Duration) -> f64 {
    ttl.as_secs_f64()
}

/// Take the lease of run `id` inside the caller's transaction: a free run
/// is taken, a released or expired lease is taken over (returning the
/// previous holder when it had expired), a live one is refused naming its
/// holder.
pub(crate) async fn acquire(
    tx: &impl GenericClient,
    target: &Target,
    id: &str,
    token: Uuid,
    ttl: Duration,
) -> Result<Option<Previous>, StoreError> {
    let db = |e: tokio_postgres::Error| target.database(&e);
    let pid = i64::from(std::process::id());
    let host = host_name();
    // Racing runners all try the insert; the losers wait on the winner's
    // row until it commits, then see a live lease.
    let inserted = tx
        .execute(
            "INSERT INTO runbook_leases (run_id, token, pid, host, since, expires)
             VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))
             ON CONFLICT (run_id) DO NOTHING",
            &[&id, &token, &pid, &host, &secs(ttl)],
        )
        .await
        .map_err(db)?;
    if inserted == 1 {
        return Ok(None);
    }
    let row = tx
        .query_one(
            "SELECT pid, host, since, expires, released, expires > now()
             FROM runbook_leases WHERE run_id = $1 FOR UPDATE",
            &[&id],
        )
        .await
        .map_err(db)?;
    let old_pid: i64 = row.get(0);
    let old_host: String = row.get(1);
    let since: DateTime<Utc> = row.get(2);
    let expires: DateTime<Utc> = row.get(3);
    let released: bool = row.get(4);
    let live: bool = row.get(5);
    if live && !released {
        return Err(StoreError::Locked {
            id: id.to_string(),
            holder: format!(
                "pid {old_pid} on {old_host} since {} (its lease runs until {} unless renewed)",
                rfc3339(since),
                rfc3339(expires)
            ),
        });
    }
    tx.execute(
        "UPDATE runbook_leases
         SET token = $2, pid = $3, host = $4, since = now(),
             expires = now() + make_interval(secs => $5), released = false
         WHERE run_id = $1",
        &[&id, &token, &pid, &host, &secs(ttl)],
    )
    .await
    .map_err(db)?;
    Ok((!released).then(|| Previous {
        pid: u32::try_from(old_pid).unwrap_or(u32::MAX),
        host: old_host,
        since: rfc3339(since),
        expired: rfc3339(expires),
    }))
}

/// Extend the lease by `$3` seconds if token `$2` still holds run `$1`
/// (prepared once per session).
///
/// The token is the fence, not the clock: a takeover replaces the token in
/// the same row under its row lock, so a token that still matches means no
/// other runner has written (or run) anything, even if `expires` already
/// passed because this runner was stalled (a loaded machine, SIGSTOP). Renewing
/// then is safe, and refusing would fail healthy runs on a noisy machine.
pub(crate) const RENEW_SQL: &str =
    "UPDATE runbook_leases SET expires = now() + make_interval(secs => $3)
     WHERE run_id = $1 AND token = $2 AND NOT released";

/// Run the prepared [`RENEW_SQL`]. `false`: the lease is lost, nothing may
/// be written any more.
pub(crate) async fn renew(
    c: &impl GenericClient,
    renew: &Statement,
    id: &str,
    token: Uuid,
    ttl: Duration,
) -> Result<bool, tokio_postgres::Error> {
    let n = c.execute(renew, &[&id, &token, &secs(ttl)]).await?;
    Ok(n == 1)
}

/// Give the run up (the row stays, naming the last holder, as sled's lock
/// file does).
pub(crate) async fn release(
    c: &impl GenericClient,
    id: &str,
    token: Uuid,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE runbook_leases SET released = true, expires = least(expires, now())
         WHERE run_id = $1 AND token = $2",
        &[&id, &token],
    )
    .await
    .map(|_| ())
}

/// The run's current or last holder; `alive` is whether its lease is live.
pub(crate) async fn holder(
    c: &impl GenericClient,
    id: &str,
) -> Result<Option<Holder>, tokio_postgres::Error> {
    let row = c
        .query_opt(
            "SELECT pid, host, since, NOT released AND expires > now()
             FROM runbook_leases WHERE run_id = $1",
            &[&id],
        )
        .await?;
    Ok(row.map(|row| {
        let pid: i64 = row.get(0);
        Holder {
            pid: u32::try_from(pid).unwrap_or(u32::MAX),
            host: row.get(1),
            since: rfc3339(row.get(2)),
            alive: Some(row.get(3)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_accepts_whole_seconds_in_range() {
        assert_eq!(parse_ttl("2").ok(), Some(Duration::from_secs(2)));
        assert_eq!(parse_ttl(" 30 ").ok(), Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_bad_ttl_names_the_variable_and_the_range() {
        for bad in ["0", "-3", "abc", "1.5", "100000", ""] {
            let e = parse_ttl(bad).expect_err(bad);
            assert_eq!(e.code(), "runbook::store::config");
            assert!(e.to_string().contains(LEASE_TTL_ENV), "{e}");
            assert!(e.help().contains("1 to 86400"), "{}", e.help());
        }
    }
}
