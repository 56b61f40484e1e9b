//! Dates, times and intervals as ISO 8601 text.
//!
//! Rhai has no date type, so values become strings that sort correctly and
//! that `parse` functions and PostgreSQL itself read back:
//! `timestamptz` → `2025-11-16T09:30:00Z` (always UTC), `timestamp` →
//! `2025-11-16T09:30:00`, `date` → `2025-11-16`, `time` → `09:30:00.25`,
//! `timetz` → `09:30:00+02:00`, `interval` → an ISO 8601 duration exactly as
//! PostgreSQL writes it with `intervalstyle = iso_8601` (`P1DT2H30M`,
//! `PT0.5S`, `P-1Y-2M`). Infinite timestamps and dates are `infinity` /
//! `-infinity`. Fractions of a second show 3 or 6 digits when not zero.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime};

const MICROS_PER_SECOND: i64 = 1_000_000;

fn epoch() -> NaiveDateTime {
    // PostgreSQL counts from 2000-01-01 00:00:00.
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn be<const N: usize>(raw: &[u8], at: usize) -> Result<[u8; N], String> {
    raw.get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "truncated date/time value".to_string())
}

fn naive(micros: i64) -> Result<NaiveDateTime, String> {
    epoch()
        .checked_add_signed(Duration::microseconds(micros))
        .ok_or_else(|| "timestamp out of range".to_string())
}

/// `timestamp` (`utc == false`) or `timestamptz` (`utc == true`).
pub(crate) fn timestamp(raw: &[u8], utc: bool) -> Result<String, String> {
    match i64::from_be_bytes(be(raw, 0)?) {
        i64::MAX => Ok("infinity".into()),
        i64::MIN => Ok("-infinity".into()),
        micros => {
            let t = naive(micros)?;
            let text = t.format("%Y-%m-%dT%H:%M:%S%.f").to_string();
            Ok(if utc { format!("{text}Z") } else { text })
        }
    }
}

/// Whole `timestamptz` values, for binding parameters from ISO text.
pub(crate) fn parse_timestamptz(text: &str) -> Option<DateTime<chrono::Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
}

/// `timestamp` from `2025-11-16T09:30:00` (or with a space).
pub(crate) fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

pub(crate) fn date(raw: &[u8]) -> Result<String, String> {
    match i32::from_be_bytes(be(raw, 0)?) {
        i32::MAX => Ok("infinity".into()),
        i32::MIN => Ok("-infinity".into()),
        days => epoch()
            .date()
            .checked_add_signed(Duration::days(i64::from(days)))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or_else(|| "date out of range".to_string()),
    }
}

/// `time`, including PostgreSQL's `24:00:00`.
pub(crate) fn time(raw: &[u8]) -> Result<String, String> {
    Ok(clock(i64::from_be_bytes(be(raw, 0)?)))
}

/// `timetz`: the time and the zone offset (stored as seconds *west* of UTC).
pub(crate) fn timetz(raw: &[u8]) -> Result<String, String> {
    let micros = i64::from_be_bytes(be(raw, 0)?);
    let east = -i32::from_be_bytes(be(raw, 8)?);
    let sign = if east < 0 { '-' } else { '+' };
    let east = east.unsigned_abs();
    let mut offset = format!("{sign}{:02}:{:02}", east / 3600, east / 60 % 60);
    if east % 60 != 0 {
        offset.push_str(&format!(":{:02}", east % 60));
    }
    Ok(format!("{}{offset}", clock(micros)))
}

fn clock(micros: i64) -> String {
    let secs = micros / MICROS_PER_SECOND;
    format!(
        "{:02}:{:02}:{:02}{}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        fraction(micros % MICROS_PER_SECOND, true)
    )
}

/// `.250` / `.000001` (3 or 6 digits), or nothing for whole seconds.
/// With `fixed == false`, trailing zeros are trimmed instead (`.25`).
fn fraction(micros: i64, fixed: bool) -> String {
    let micros = micros.unsigned_abs();
    if micros == 0 {
        return String::new();
    }
    if !fixed {
        return format!(".{micros:06}").trim_end_matches('0').to_string();
    }
    if micros % 1000 == 0 {
        format!(".{:03}", micros / 1000)
    } else {
        format!(".{micros:06}")
    }
}

/// `interval` as PostgreSQL's `iso_8601` interval style writes it.
pub(crate) fn interval(raw: &[u8]) -> Result<String, String> {
    let micros = i64::from_be_bytes(be(raw, 0)?);
    let days = i32::from_be_bytes(be(raw, 8)?);
    let months = i32::from_be_bytes(be(raw, 12)?);
    let (years, months) = (months / 12, months % 12);
    let hours = micros / (3600 * MICROS_PER_SECOND);
    let minutes = micros / (60 * MICROS_PER_SECOND) % 60;
    let sec_micros = micros % (60 * MICROS_PER_SECOND);
    if years == 0 && months == 0 && days == 0 && micros == 0 {
        return Ok("PT0S".into());
    }
    let mut out = String::from("P");
    for (n, unit) in [(years, 'Y'), (months, 'M'), (days, 'D')] {
        if n != 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if micros != 0 {
        out.push('T');
        for (n, unit) in [(hours, 'H'), (minutes, 'M')] {
            if n != 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
        if sec_micros != 0 {
            let sign = if sec_micros < 0 { "-" } else { "" };
            let whole = (sec_micros / MICROS_PER_SECOND).unsigned_abs();
            out.push_str(&format!(
                "{sign}{whole}{}S",
                fraction(sec_micros % MICROS_PER_SECOND, false)
            ));
        }
    }
    Ok(out)
}
