//! Kubernetes resource quantities (`500m`, `2`, `8Gi`, `1e3`, `129M`) as
//! numbers: CPU in millicores, memory in bytes, rounded up like the API's
//! own `MilliValue`/`Value`.

/// The value of a quantity, `None` when it is not one.
pub(crate) fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '+' || *c == '-'))))
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => 10f64.powi(exp[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    Some(number * factor)
}

fn ceil_i64(v: f64) -> Option<i64> {
    let c = v.ceil();
    // Saturating cast: quantities beyond i64 are not real cluster sizes.
    c.is_finite().then_some(c as i64)
}

/// CPU in millicores: `"2"` → 2000, `"250m"` → 250, `"0.5"` → 500.
pub(crate) fn millicores(text: &str) -> Option<i64> {
    // Round away float noise (0.1 * 1000 = 100.00000000000001) before ceil.
    ceil_i64((parse(text)? * 1000.0 * 1e6).round() / 1e6)
}

/// Memory in bytes: `"8Gi"` → 8589934592, `"129M"` → 129000000.
pub(crate) fn bytes(text: &str) -> Option<i64> {
    ceil_i64((parse(text)? * 1e6).round() / 1e6)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn cpu_in_millicores() {
        assert_eq!(millicores("2"), Some(2000));
        assert_eq!(millicores("250m"), Some(250));
        assert_eq!(millicores("0.5"), Some(500));
        assert_eq!(millicores("0.1"), Some(100));
        assert_eq!(millicores("100u"), Some(1));
        assert_eq!(millicores("lots"), None);
    }

    #[test]
    fn memory_in_bytes() {
        assert_eq!(bytes("8Gi"), Some(8 * 1024 * 1024 * 1024));
        assert_eq!(bytes("512Mi"), Some(512 * 1024 * 1024));
        assert_eq!(bytes("129M"), Some(129_000_000));
        assert_eq!(bytes("128974848"), Some(128_974_848));
        assert_eq!(bytes("1e3"), Some(1000));
        assert_eq!(bytes("1.5Ki"), Some(1536));
        assert_eq!(bytes("12Qi"), None);
    }
}
