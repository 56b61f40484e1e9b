//! `numeric` values, exactly.
//!
//! PostgreSQL's `numeric` becomes a Rhai decimal (`rust_decimal`, 28
//! significant digits), so `round(100.0 * used / max, 2)` stays `21.67` and
//! compares exactly. Digits past the 28th after the decimal point are rounded
//! (half to even) — a division like `1/3::numeric` fits; an integer part that
//! does not fit, `NaN` and `±Infinity` are errors that suggest a cast.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The decimal text of a binary `numeric` (`-12.50`), or `NaN`/`Infinity`/`-Infinity`.
pub(crate) fn to_text(raw: &[u8]) -> Result<String, String> {
    let word = |i: usize| -> Result<i16, String> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric value".to_string())
    };
    let ndigits = usize::try_from(word(0)?).map_err(|_| "invalid numeric value")?;
    let weight = i32::from(word(1)?);
    let sign = word(2)? as u16;
    let dscale = usize::try_from(word(3)?).map_err(|_| "invalid numeric value")?;
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return Err("invalid numeric sign".into()),
    }
    let digits: Vec<i16> = (0..ndigits)
        .map(|i| word(4 + i))
        .collect::<Result<_, _>>()?;
    // Base-10000 digits; digit k stands for 10000^(weight - k).
    let mut int_part = String::new();
    for k in 0..=weight.max(-1) {
        let d = usize::try_from(k)
            .ok()
            .and_then(|k| digits.get(k))
            .copied()
            .unwrap_or(0);
        if int_part.is_empty() {
            if d != 0 {
                int_part = d.to_string();
            }
        } else {
            int_part.push_str(&format!("{d:04}"));
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut frac = String::new();
    let first_frac = usize::try_from(weight + 1).unwrap_or(0);
    let leading_zero_groups = usize::try_from(-(weight + 1)).unwrap_or(0);
    for _ in 0..leading_zero_groups.min(dscale / 4 + 1) {
        frac.push_str("0000");
    }
    for d in digits.iter().skip(first_frac) {
        frac.push_str(&format!("{d:04}"));
    }
    while frac.len() < dscale {
        frac.push('0');
    }
    frac.truncate(dscale);
    let minus = if sign == 0x4000 { "-" } else { "" };
    Ok(if frac.is_empty() {
        format!("{minus}{int_part}")
    } else {
        format!("{minus}{int_part}.{frac}")
    })
}

/// The binary `numeric` as a decimal; the error explains what does not fit.
pub(crate) fn to_decimal(raw: &[u8]) -> Result<Decimal, String> {
    let text = to_text(raw)?;
    // `from_str` rounds surplus fraction digits; it fails only when the
    // integer part itself is too large.
    Decimal::from_str(&text).map_err(|_| {
        let shown = if text.len() > 40 {
            format!("{}…", &text[..40])
        } else {
            text.clone()
        };
        format!("numeric value {shown} does not fit a decimal (about 28 significant digits)")
    })
}
