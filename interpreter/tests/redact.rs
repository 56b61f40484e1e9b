//! Secret masking.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use runbook_interpreter::redact::{Redactor, MASK};

#[test]
fn secrets_are_masked_everywhere_in_a_text() {
    let r = Redactor::new();
    r.add("s3cret");
    assert_eq!(
        r.redact("a s3cret and s3cret again"),
        format!("a {MASK} and {MASK} again")
    );
    assert_eq!(r.redact("nothing here"), "nothing here");
}

#[test]
fn the_longest_secret_wins_and_empty_values_are_ignored() {
    let r = Redactor::new();
    r.add("abc");
    r.add("abcdef");
    r.add("");
    assert_eq!(r.redact("xabcdefx abc"), format!("x{MASK}x {MASK}"));
    assert!(r.contains_secret("..abc.."));
    assert!(!r.contains_secret("ab"));
}

#[test]
fn clones_share_the_secret_set() {
    let r = Redactor::new();
    let other = r.clone();
    other.add("token-123");
    assert_eq!(r.redact("token-123"), MASK);
}
