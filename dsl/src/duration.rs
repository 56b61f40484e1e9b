//! Duration literals: `250ms`, `30s`, `5m`, `1h30m`, `2d`.
//!
//! The grammar accepts any run of `<digits><unit>` pairs; the meaning rules
//! (largest unit first, each unit once, no overflow) are checked here so the
//! check pass can report them with a precise message.

/// Why a duration text is not a valid duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not `<digits><unit>` pairs with known units.
    #[error("`{0}` is not a duration")]
    Malformed(String),
    /// More milliseconds than a `u64` holds.
    #[error("`{0}` is too large")]
    Overflow(String),
    /// A smaller unit before a larger one, or a unit twice (`5m1h`, `1m1m`).
    #[error("units in `{0}` must go from largest to smallest, each once (as in 1h30m)")]
    UnitOrder(String),
}

/// Units from largest to smallest, with their size in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parse a duration text into milliseconds, strictly.
pub fn parse_millis(text: &str) -> Result<u64, DurationError> {
    let mut total: u64 = 0;
    let mut last_unit: Option<usize> = None;
    let mut rest = text;
    if rest.is_empty() {
        return Err(DurationError::Malformed(text.to_string()));
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(DurationError::Malformed(text.to_string()));
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        // `5m30s`: the unit is only the letters before the next digit.
        let unit_text = &after[..unit_len];
        let unit_text = unit_text
            .find(|c: char| c.is_ascii_digit())
            .map_or(unit_text, |i| &unit_text[..i]);
        let Some(unit) = UNITS.iter().position(|(u, _)| *u == unit_text) else {
            return Err(DurationError::Malformed(text.to_string()));
        };
        if last_unit.is_some_and(|last| unit <= last) {
            return Err(DurationError::UnitOrder(text.to_string()));
        }
        last_unit = Some(unit);
        let value = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(UNITS[unit].1))
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| DurationError::Overflow(text.to_string()))?;
        total = value;
        rest = &after[unit_text.len()..];
    }
    Ok(total)
}

/// Milliseconds of a duration text the grammar accepted, saturating on
/// overflow and ignoring unit order; the check pass reports those problems.
pub(crate) fn lenient_millis(text: &str) -> u64 {
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        let size = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map_or(0, |(_, s)| *s);
        let n = number.parse::<u64>().unwrap_or(u64::MAX);
        total = total.saturating_add(n.saturating_mul(size));
        if unit_len == 0 && digits == 0 {
            break;
        }
        rest = &after[unit_len..];
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_combined_units() {
        assert_eq!(parse_millis("250ms"), Ok(250));
        assert_eq!(parse_millis("300s"), Ok(300_000));
        assert_eq!(parse_millis("5m"), Ok(300_000));
        assert_eq!(parse_millis("1h30m"), Ok(5_400_000));
        assert_eq!(parse_millis("1d2h3m4s5ms"), Ok(93_784_005));
    }

    #[test]
    fn rejects_order_repeats_overflow_and_junk() {
        assert!(matches!(
            parse_millis("5m1h"),
            Err(DurationError::UnitOrder(_))
        ));
        assert!(matches!(
            parse_millis("1m1m"),
            Err(DurationError::UnitOrder(_))
        ));
        assert!(matches!(
            parse_millis("99999999999999999999s"),
            Err(DurationError::Overflow(_))
        ));
        assert!(matches!(
            parse_millis("5x"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            parse_millis("m"),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(parse_millis(""), Err(DurationError::Malformed(_))));
    }

    #[test]
    fn lenient_saturates() {
        assert_eq!(lenient_millis("1h30m"), 5_400_000);
        assert_eq!(lenient_millis("99999999999999999999d"), u64::MAX);
    }
}
