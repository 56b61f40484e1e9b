//! Secret values are replaced by `***` in everything the run records or shows.
//!
//! A secret reaches the output in other shapes than the one it was given in,
//! so each secret is registered with its variants: percent-encoded (a
//! command that puts it in a URL), and line by line (a key file printed by
//! `cat`, a value read from a file with its trailing newline — output is
//! handled one line at a time).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, RwLock};

/// What secrets are replaced with.
pub const MASK: &str = "***";

/// Lines of a multi-line secret shorter than this are not masked on their
/// own: they would mask common words everywhere, and give little away.
const MIN_LINE_PART: usize = 4;

/// The run's set of secret values. Cheap to clone; shared by the terminal
/// output, the journal sink and the checkpoint writer.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Never show `secret` from now on, nor its variants (percent-encoded,
    /// its lines, trimmed). Empty values are ignored (they would mask
    /// everything).
    pub fn add(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let Ok(mut s) = self.secrets.write() else {
            return;
        };
        for v in variants(secret) {
            if !s.contains(&v) {
                s.push(v);
            }
        }
        // Longest first, so a secret containing another is masked whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }

    /// `text` with every secret replaced by [`MASK`]. Overlapping
    /// occurrences of different secrets are masked as one.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Ok(secrets) = self.secrets.read() else {
            return Cow::Borrowed(MASK);
        };
        let mut ranges = Vec::new();
        for s in secrets.iter() {
            ranges.extend(text.match_indices(s.as_str()).map(|(i, m)| i..i + m.len()));
        }
        let ranges = merged(ranges);
        if ranges.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for r in ranges {
            // Secrets are whole strings, so every range is on char boundaries.
            out.push_str(text.get(at..r.start).unwrap_or_default());
            out.push_str(MASK);
            at = r.end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        Cow::Owned(out)
    }

    /// Whether `text` contains a secret.
    pub fn contains_secret(&self, text: &str) -> bool {
        self.secrets
            .read()
            .map(|s| s.iter().any(|x| text.contains(x.as_str())))
            .unwrap_or(true)
    }

    /// Where to cut `text`, the start of a stream that goes on, so that the
    /// part before the cut can be redacted and shown on its own: no secret
    /// occurrence crosses the cut, and no secret can begin before it and be
    /// completed by what follows. Everything when no secret is known; `0`
    /// when the whole text may be the start of a secret. Exact when `text`
    /// is at least twice as long as the longest secret.
    pub fn safe_cut(&self, text: &[u8]) -> usize {
        let Ok(secrets) = self.secrets.read() else {
            return 0;
        };
        let Some(longest) = secrets.first().map(String::len) else {
            return text.len();
        };
        // A secret that is still incomplete starts after this point.
        let cut = text.len().saturating_sub(longest - 1);
        // A complete occurrence crossing it is held back whole: cutting at
        // its end could split another secret overlapping its end that is
        // not complete yet. Only when it starts the text is it sent whole.
        match occurrences(&secrets, text)
            .into_iter()
            .find(|r| r.start < cut && r.end > cut)
        {
            Some(r) if r.start > 0 => r.start,
            Some(r) => r.end,
            None => cut,
        }
    }
}

/// The shapes `secret` may be shown in.
fn variants(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    let upper = percent_encode(secret, false);
    if upper != secret {
        out.push(percent_encode(secret, true));
        out.push(upper);
    }
    let trimmed = secret.trim();
    if !trimmed.is_empty() && trimmed != secret {
        out.push(trimmed.to_string());
    }
    if secret.contains('\n') {
        for line in secret.lines().map(str::trim) {
            if line.len() >= MIN_LINE_PART {
                out.push(line.to_string());
            }
        }
    }
    out.retain(|v| !v.is_empty());
    out
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn percent_encode(s: &str, lower: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Byte ranges of every occurrence of any secret in `text` (bytes: a
/// stream cut anywhere), overlapping ones merged, in order.
fn occurrences(secrets: &[String], text: &[u8]) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for s in secrets {
        let needle = s.as_bytes();
        if needle.is_empty() || needle.len() > text.len() {
            continue;
        }
        let first = needle[0];
        let mut i = 0;
        while i + needle.len() <= text.len() {
            if text[i] == first && text[i..].starts_with(needle) {
                ranges.push(i..i + needle.len());
            }
            i += 1;
        }
    }
    merged(ranges)
}

/// `ranges` in order, overlapping or touching ones merged.
fn merged(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values themselves.
        let n = self.secrets.read().map(|s| s.len()).unwrap_or(0);
        write!(f, "Redactor({n} secrets)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        let r = Redactor::new();
        for s in secrets {
            r.add(s);
        }
        r
    }

    #[test]
    fn masks_the_secret_and_its_percent_encoded_forms() {
        let r = redactor(&["a/b+c"]);
        assert_eq!(r.redact("x a/b+c y"), "x *** y");
        assert_eq!(r.redact("?t=a%2Fb%2Bc&"), "?t=***&");
        assert_eq!(r.redact("?t=a%2fb%2bc&"), "?t=***&");
        assert_eq!(r.redact("nothing here"), "nothing here");
    }

    #[test]
    fn masks_each_line_of_a_multi_line_secret_and_a_trimmed_one() {
        let r = redactor(&["first-line\nsecond-line\nab\n", "tok-123\n"]);
        assert_eq!(r.redact("first-line"), "***");
        assert_eq!(r.redact("[second-line]"), "[***]");
        // Too short to mask on its own.
        assert_eq!(r.redact("ab"), "ab");
        assert_eq!(r.redact("token tok-123 given"), "token *** given");
    }

    #[test]
    fn overlapping_secrets_are_masked_as_one() {
        let r = redactor(&["abcdef", "defghi"]);
        assert_eq!(r.redact("xabcdefghiy"), "x***y");
        assert_eq!(r.redact("abcdef defghi"), "*** ***");
    }

    #[test]
    fn a_cut_never_splits_a_secret_nor_shows_the_start_of_one() {
        let r = redactor(&["secret-value"]);
        let n = "secret-value".len();
        // The end might be the start of the secret: kept back.
        let text = b"xxxxxxxxxxxxxxxxxxxxsecret-v";
        let cut = r.safe_cut(text);
        assert_eq!(cut, text.len() - (n - 1));
        assert!(!String::from_utf8_lossy(&text[..cut]).contains("secret"));
        // A whole occurrence crossing the cut is kept back whole.
        let text = b"xxxxsecret-valuexx";
        assert_eq!(&text[..r.safe_cut(text)], b"xxxx");
        // Nothing to keep back without secrets.
        assert_eq!(Redactor::new().safe_cut(b"abc"), 3);
    }

    /// Streams `text` as the `sh` pump does with a buffer of `limit` bytes
    /// (cutting at `safe_cut` whenever it is full); the redacted pieces.
    fn stream(r: &Redactor, text: &str, limit: usize) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        for &b in text.as_bytes() {
            buf.push(b);
            if buf.len() >= limit {
                let cut = match r.safe_cut(&buf) {
                    0 => buf.len(),
                    n => n,
                };
                let rest = buf.split_off(cut);
                pieces.push(r.redact(&String::from_utf8(buf).unwrap()).into_owned());
                buf = rest;
            }
        }
        pieces.push(r.redact(&String::from_utf8(buf).unwrap()).into_owned());
        pieces
    }

    #[test]
    fn no_buffer_size_and_no_position_lets_a_piece_show_part_of_a_secret() {
        // Two secrets that overlap, and one URL-encoded.
        let r = redactor(&["abcdef-1", "f-123456", "k/ey"]);
        let shapes = [
            "abcdef-1",
            "f-123456",
            "abcdef-123456",
            "k%2Fey",
            "abcdef-1k%2Fey",
        ];
        for shape in shapes {
            for pos in 0..24 {
                let text = format!("{}{shape}{}", "x".repeat(pos), "y".repeat(24 - pos));
                let whole = r.redact(&text).into_owned();
                // Any buffer twice as long as the longest secret (the
                // pump's 64 KiB covers secrets of up to 32 KiB).
                for limit in 16..=40 {
                    let pieces = stream(&r, &text, limit);
                    assert_eq!(
                        pieces.concat(),
                        whole,
                        "{text:?} with a {limit}-byte buffer: {pieces:?}"
                    );
                }
            }
        }
    }
}
