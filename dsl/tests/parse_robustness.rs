//! The parser and the check pass never panic and never hang: random and
//! mutated runbooks end in a runbook or a diagnostic; deep nesting ends in a
//! clear error, not a stack overflow; large files parse in one go.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::{code, table};
use proptest::prelude::*;
use runbook_dsl::{check, parse, Checker};

const FULL: &str = include_str!("fixtures/full.runbook");

/// Parse and, when that works, check: either way, no panic, and every
/// diagnostic has a code and a span inside the source.
fn parse_and_check(checker: &Checker<'_>, src: &str) {
    match parse(src) {
        Ok(rb) => {
            for e in checker.check(&rb).errors {
                assert!(code(&e).starts_with("runbook::check::"));
                assert!(e.span().end <= src.len() && e.span().start <= e.span().end);
                assert!(src.is_char_boundary(e.span().start) && src.is_char_boundary(e.span().end));
            }
        }
        Err(e) => {
            assert!(code(&e).starts_with("runbook::parse::"));
            assert!(
                e.span().end <= src.len() && e.span().start <= e.span().end,
                "{e:?}"
            );
            assert!(src.is_char_boundary(e.span().start) && src.is_char_boundary(e.span().end));
        }
    }
}

/// Pieces that make random text look like a runbook often enough to reach
/// deep into the grammar.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "runbook", "param", "let", "section", "step", "rollback", "when", "timeout", "retry",
        "backoff", "once", "run", "sh", "assert", "else", "expect", "within", "every", "wait",
        "until", "confirm", "note", "undo", "if", "for", "in", "x", "db-cap", ":", "=", "int",
        "string", "5m", "1h30m", "0s", "5x", "3", "\"t\"", "\"", "`", "${", "#{", "#", "# c", "{",
        "}", "(", ")", "[", "]", ",", ".", "::", "kube", "f(1)", "'a'", "//", "/*", "*/", "\\",
        " ", " ", " ", "\n", "\n", "\r\n", "\t", "é", "→",
    ])
}

fn mutation() -> impl Strategy<Value = (usize, usize, String)> {
    (0..FULL.len(), 0usize..12, "[ -~\\n{}()\\[\\]\"`#$]{0,6}")
}

fn apply(base: &str, (at, len, insert): &(usize, usize, String)) -> String {
    let mut start = (*at).min(base.len());
    while !base.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + len).min(base.len());
    while !base.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{}{}", &base[..start], insert, &base[end..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_token_soup_never_panics(tokens in prop::collection::vec(token(), 0..120)) {
        let table = table();
        let checker = Checker::new(&table);
        parse_and_check(&checker, &tokens.concat());
    }

    #[test]
    fn mutated_runbooks_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        let table = table();
        let checker = Checker::new(&table);
        let mut src = FULL.to_string();
        for m in &mutations {
            src = apply(&src, m);
        }
        parse_and_check(&checker, &src);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,400}") {
        let table = table();
        let checker = Checker::new(&table);
        parse_and_check(&checker, &src);
    }
}

#[test]
fn very_deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["(", "[", "{", "#{", "`${"] {
        let src = format!("let x = {}\n", open.repeat(200_000));
        let err = parse(&src).unwrap_err();
        assert_eq!(code(&err), "runbook::parse::too_deep", "{open}");
    }
    let blocks = format!("step s \"t\" {}\n", "{ if a ".repeat(10_000));
    assert_eq!(
        code(&parse(&blocks).unwrap_err()),
        "runbook::parse::too_deep"
    );
}

#[test]
fn the_deepest_accepted_nesting_fits_a_small_stack() {
    let depth = runbook_dsl::parse::MAX_NESTING - 1;
    let src = format!("let x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    // Test threads have 2 MiB; ask for less to leave a margin for callers.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let rb = parse(&src).map_err(|e| format!("{e:?}"))?;
            // Rhai's own depth limit answers, with a diagnostic, not a crash.
            let checked = check(&rb, &table());
            Ok::<usize, String>(checked.errors.len())
        })
        .unwrap();
    assert!(handle.join().unwrap().is_ok());
}

#[test]
fn a_ten_thousand_step_runbook_parses_and_checks() {
    let mut src =
        String::from("param ns: string = \"prod\"\nlet app = kube::deployment(ns, \"web\")\n");
    for i in 0..10_000 {
        src.push_str(&format!(
            "step s{i} \"Step {i}\" timeout 5m {{\n  let before = app.replicas()\n  undo app.scale(before)\n  run app.scale({i})\n  expect app.rollout_complete() within 5m every 5s\n}}\n"
        ));
    }
    let rb = parse(&src).unwrap();
    assert_eq!(rb.steps().count(), 10_000);
    let checked = check(&rb, &table());
    assert!(checked.errors.is_empty(), "{:?}", checked.errors.first());
    assert_eq!(checked.runbook.unwrap().all_steps().count(), 10_000);
}

#[test]
fn long_flat_inputs_do_not_hang() {
    // Long lines, long strings, long else-if-free statement lists.
    let long_expr = format!("let x = {}1\n", "1 + ".repeat(50_000));
    let _ = parse(&long_expr).map(|rb| check(&rb, &table()));
    let long_string = format!("let s = \"{}\"\n", "a".repeat(1_000_000));
    assert!(parse(&long_string).is_ok());
    let unclosed = format!("let s = ({}\n", "a, ".repeat(200_000));
    assert_eq!(
        code(&parse(&unclosed).unwrap_err()),
        "runbook::parse::unclosed_delimiter"
    );
}
