//! Every parse error: its stable code, the exact span it points at, and a
//! message in the language's words.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::{code, line_col, text};
use runbook_dsl::diagnostic::ParseError;
use runbook_dsl::parse;

/// Parse `src`, expecting an error with `code` whose span covers `covers`
/// and starts at line/column `at`.
fn expect_error(src: &str, want_code: &str, covers: &str, at: (usize, usize)) -> ParseError {
    let err = match parse(src) {
        Ok(_) => panic!("parsed without error:\n{src}"),
        Err(e) => e,
    };
    assert_eq!(
        code(&err),
        format!("runbook::parse::{want_code}"),
        "{err:?}"
    );
    assert_eq!(err.code_str(), code(&err));
    assert_eq!(text(src, err.span()), covers, "{err:?}");
    assert_eq!(line_col(src, err.span().start), at, "{err:?}");
    let message = err.to_string();
    for internal in ["kw_", "expr_", "_stmt", "Rule", "EOI", "x_"] {
        assert!(
            !message.contains(internal),
            "rule name in message: {message}"
        );
    }
    assert!(miette::Diagnostic::help(&err).is_some(), "no help: {err:?}");
    assert!(miette::Diagnostic::labels(&err).is_some_and(|mut l| l.next().is_some()));
    err
}

#[test]
fn expected_item() {
    let e = expect_error(
        "param a: int = 1\nbogus thing\n",
        "expected_item",
        "bogus",
        (2, 1),
    );
    assert_eq!(
        e.to_string(),
        "expected a step, a section or a param, found `bogus`"
    );
    expect_error("run x()\n", "expected_item", "run", (1, 1));
}

#[test]
fn expected_statement() {
    let e = expect_error(
        "step a \"t\" {\n  app.scale(3)\n}\n",
        "expected_statement",
        "app",
        (2, 3),
    );
    assert_eq!(e.to_string(), "expected a statement or `}`, found `app`");
}

#[test]
fn expected_step() {
    expect_error(
        "section \"s\" {\n  run x()\n}\n",
        "expected_step",
        "run",
        (2, 3),
    );
    expect_error(
        "rollback \"r\" {\n  note \"x\"\n}\n",
        "expected_step",
        "note",
        (2, 3),
    );
}

#[test]
fn expected_duration() {
    let e = expect_error(
        "step a \"t\" timeout 5x {\n}\n",
        "expected_duration",
        "5x",
        (1, 20),
    );
    assert_eq!(
        e.to_string(),
        "expected a duration like 30s, 5m or 1h30m, found `5x`"
    );
    expect_error(
        "step a \"t\" {\n  expect ok() within soon\n}\n",
        "expected_duration",
        "soon",
        (2, 22),
    );
    expect_error(
        "step a \"t\" retry 2 backoff {\n}\n",
        "expected_duration",
        "{",
        (1, 28),
    );
}

#[test]
fn expected_expression() {
    let e = expect_error(
        "step a \"t\" {\n  run\n}\n",
        "expected_expression",
        "",
        (2, 6),
    );
    assert_eq!(
        e.to_string(),
        "expected an expression after `run`, found end of line"
    );
    expect_error("let x =\n", "expected_expression", "", (1, 8));
    expect_error(
        "step a \"t\" {\n  if {\n  }\n}\n",
        "expected_expression",
        "{",
        (2, 6),
    );
}

#[test]
fn unexpected_token() {
    let e = expect_error("step a \"t\" timout 5m {\n}\n", "syntax", "timout", (1, 12));
    assert_eq!(
        e.to_string(),
        "expected `once`, `timeout`, `retry`, `when` or `{`, found `timout`"
    );
    expect_error("param a int\n", "syntax", "int", (1, 9));
    expect_error("step 9 \"t\" {\n}\n", "syntax", "9", (1, 6));
}

#[test]
fn unclosed_delimiter() {
    let e = expect_error(
        "step a \"t\" {\n  run f(1)\n",
        "unclosed_delimiter",
        "{",
        (1, 12),
    );
    assert_eq!(e.to_string(), "this `{` is never closed");
    expect_error("let m = #{ a: [1, 2]\n", "unclosed_delimiter", "#{", (1, 9));
}

#[test]
fn mismatched_delimiter() {
    let src = "step a \"t\" {\n  run f(1,\n}\n";
    let e = expect_error(src, "mismatched_delimiter", "}", (3, 1));
    let ParseError::MismatchedDelimiter { open_span, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(text(src, open_span), "(");
    assert_eq!(line_col(src, open_span.start), (2, 8));
}

#[test]
fn unexpected_delimiter() {
    expect_error(
        "step a \"t\" {\n}\n}\n",
        "unexpected_delimiter",
        "}",
        (3, 1),
    );
}

#[test]
fn unterminated_string_and_template() {
    let e = expect_error(
        "step a \"t\" {\n  note \"abc\n}\n",
        "unterminated_string",
        "\"abc",
        (2, 8),
    );
    assert_eq!(e.to_string(), "unterminated string");
    let e = expect_error(
        "step a \"t\" {\n  note `abc\n}\n",
        "unterminated_string",
        "`",
        (2, 8),
    );
    assert_eq!(e.to_string(), "unterminated template");
    expect_error(
        "step a \"t\" {\n  note `a ${b}\n}\n",
        "unterminated_string",
        "`",
        (2, 8),
    );
}

#[test]
fn nesting_too_deep() {
    let deep = format!("let x = {}1{}\n", "(".repeat(100), ")".repeat(100));
    let e = expect_error(
        &deep,
        "too_deep",
        "(",
        (1, 9 + runbook_dsl::parse::MAX_NESTING),
    );
    assert_eq!(
        e.to_string(),
        format!(
            "nesting is deeper than {} levels",
            runbook_dsl::parse::MAX_NESTING
        )
    );

    // A long `else if` chain nests without brackets.
    let mut chain = String::from("step a \"t\" {\n  if c0 {\n  }");
    for i in 1..200 {
        chain.push_str(&format!(" else if c{i} {{\n  }}"));
    }
    chain.push_str("\n}\n");
    let err = parse(&chain).unwrap_err();
    assert_eq!(code(&err), "runbook::parse::too_deep");
    assert_eq!(text(&chain, err.span()), "if");
}

#[test]
fn unknown_param_type() {
    let e = expect_error(
        "param n: integer = 5\n",
        "unknown_param_type",
        "integer",
        (1, 10),
    );
    assert_eq!(e.to_string(), "unknown param type `integer`");
}

#[test]
fn comment_in_expression() {
    expect_error(
        "let xs = [1, # one\n  2]\n",
        "comment_in_expression",
        "# one",
        (1, 14),
    );
}

#[test]
fn duplicate_option() {
    let src = "step a \"t\" timeout 1m timeout 2m {\n}\n";
    let e = expect_error(src, "duplicate_option", "2m", (1, 31));
    assert_eq!(e.to_string(), "`timeout` is given twice");
    expect_error(
        "step a \"t\" {\n  expect x within 5m within 3m\n}\n",
        "duplicate_option",
        "3m",
        (2, 29),
    );
    expect_error(
        "step a \"t\" once once {\n}\n",
        "duplicate_option",
        "once",
        (1, 17),
    );
}

#[test]
fn missing_deadline() {
    expect_error(
        "step a \"t\" {\n  wait until ready()\n}\n",
        "missing_deadline",
        "wait until ready()",
        (2, 3),
    );
}

#[test]
fn misplaced_metadata() {
    expect_error(
        "param a: int\nrunbook \"t\" {\n}\n",
        "misplaced_metadata",
        "runbook \"t\" {\n}",
        (2, 1),
    );
    expect_error(
        "runbook \"t\" {\n}\nrunbook \"u\" {\n}\n",
        "misplaced_metadata",
        "runbook \"u\" {\n}",
        (3, 1),
    );
}

#[test]
fn misplaced_rollback() {
    expect_error(
        "rollback \"r\" {\n}\nparam a: int\n",
        "misplaced_rollback",
        "param a: int",
        (3, 1),
    );
    expect_error(
        "rollback \"r\" {\n}\nrollback \"s\" {\n}\n",
        "misplaced_rollback",
        "rollback \"s\" {\n}",
        (3, 1),
    );
}

#[test]
fn retry_count() {
    expect_error(
        "step a \"t\" retry 99999999999 {\n}\n",
        "retry_count",
        "99999999999",
        (1, 18),
    );
    expect_error(
        "step a \"t\" retry 1001 {\n}\n",
        "retry_count",
        "1001",
        (1, 18),
    );
}

#[test]
fn bad_escape() {
    expect_error("step a \"a\\qb\" {\n}\n", "bad_escape", "\\q", (1, 10));
}

#[test]
fn reports_render_with_the_source() {
    let src = "step a \"t\" timeout 5x {\n}\n";
    let err = parse(src).unwrap_err();
    let report = miette::Report::new(err).with_source_code(src.to_string());
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, report.as_ref())
        .unwrap();
    assert!(out.contains("runbook::parse::expected_duration"), "{out}");
    assert!(out.contains("not a duration"), "{out}");
    assert!(out.contains("step a \"t\" timeout 5x {"), "{out}");
}
