//! Every check error: its stable code and the file line/column it points at,
//! including Rhai errors deep inside multi-line expressions.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::{code, line_col, table, text};
use runbook_dsl::{check, parse, CheckError, Checked};

fn run_check(src: &str) -> Checked {
    let rb = parse(src).unwrap_or_else(|e| panic!("{e:?}\n{src}"));
    check(&rb, &table())
}

/// Check `src`, expecting exactly one error, with `code`, covering `covers`
/// at line/column `at`.
fn expect_one(src: &str, want_code: &str, covers: &str, at: (usize, usize)) -> CheckError {
    let checked = run_check(src);
    assert!(checked.runbook.is_none());
    assert_eq!(checked.errors.len(), 1, "{:#?}", checked.errors);
    let err = checked.errors.into_iter().next().unwrap();
    assert_eq!(
        code(&err),
        format!("runbook::check::{want_code}"),
        "{err:?}"
    );
    assert_eq!(err.code_str(), code(&err));
    assert_eq!(text(src, err.span()), covers, "{err:?}");
    assert_eq!(line_col(src, err.span().start), at, "{err:?}");
    assert!(miette::Diagnostic::help(&err).is_some(), "no help: {err:?}");
    err
}

fn step(body: &str) -> String {
    format!("param ns: string = \"prod\"\nlet app = kube::deployment(ns, \"web\")\nstep s \"t\" {{\n{body}\n}}\n")
}

#[test]
fn rhai_syntax_on_the_second_line_of_an_expression() {
    let src = step("  run app.scale(1 +\n                2 +)");
    let e = expect_one(&src, "rhai_syntax", ")", (5, 20));
    assert!(e.to_string().starts_with("invalid expression"), "{e}");
}

#[test]
fn rhai_error_after_a_multiline_string_maps_back() {
    let src = step("  let q = pg::connect(\"a\n  b\").nope(missing)");
    // `missing` is on line 5 of the file, column 12.
    let e = expect_one(&src, "unknown_variable", "missing", (5, 12));
    assert_eq!(e.to_string(), "unknown variable `missing`");
}

#[test]
fn unknown_variable() {
    let src = step("  run app.scale(replica)");
    expect_one(&src, "unknown_variable", "replica", (4, 17));
}

#[test]
fn unknown_variable_in_a_template_on_a_later_line() {
    let src = step("  note `first\nsecond ${nope}`");
    expect_one(&src, "unknown_variable", "nope", (5, 10));
}

#[test]
fn reserved_binding_name() {
    let src = step("  let use = 1");
    let e = expect_one(&src, "reserved_name", "use", (4, 7));
    assert_eq!(
        e.to_string(),
        "`use` is reserved by Rhai and cannot name a binding"
    );
}

#[test]
fn unknown_module() {
    let src = step("  run kub::pods(ns, \"x\")");
    let e = expect_one(&src, "unknown_module", "kub", (4, 7));
    let help = miette::Diagnostic::help(&e).unwrap().to_string();
    assert!(help.contains("kube, pg"), "{help}");
}

#[test]
fn unknown_module_function() {
    let src = step("  run kube::pod(ns, \"x\")");
    let e = expect_one(&src, "unknown_function", "kube::pod", (4, 7));
    let help = miette::Diagnostic::help(&e).unwrap().to_string();
    assert!(help.contains("pods"), "{help}");
}

#[test]
fn unknown_free_function_and_method() {
    let src = step("  run frobnicate(1)");
    expect_one(&src, "unknown_function", "frobnicate", (4, 7));
    let src = step("  run app.scael(2)");
    let e = expect_one(&src, "unknown_function", "scael", (4, 11));
    assert_eq!(e.to_string(), "unknown function `.scael()`");
}

#[test]
fn wrong_arity_of_module_function_method_and_builtin() {
    let src = step("  run kube::pods(ns)");
    let e = expect_one(&src, "wrong_arity", "kube::pods", (4, 7));
    assert_eq!(e.to_string(), "`kube::pods` takes 2 arguments, not 1");
    let src = step("  run app.scale()");
    let e = expect_one(&src, "wrong_arity", "scale", (4, 11));
    assert_eq!(e.to_string(), "`.scale()` takes 1 argument, not 0");
    let src = step("  run env(\"A\", \"b\", \"c\")");
    let e = expect_one(&src, "wrong_arity", "env", (4, 7));
    assert_eq!(e.to_string(), "`env` takes 1 or 2 arguments, not 3");
    let src = step("  note \"abc\".len(1)");
    expect_one(&src, "wrong_arity", "len", (4, 14));
}

#[test]
fn duplicate_step_id_across_sections_and_rollback() {
    let src = "section \"a\" {\n  step x \"one\" {\n  }\n}\nrollback \"r\" {\n  step x \"two\" {\n  }\n}\n";
    let e = expect_one(src, "duplicate_step_id", "x", (6, 8));
    let CheckError::DuplicateStepId { first, .. } = e else {
        panic!()
    };
    assert_eq!(line_col(src, first.start), (2, 8));
}

#[test]
fn duplicate_param_and_binding() {
    expect_one(
        "param a: int\nparam a: string\n",
        "duplicate_param",
        "a",
        (2, 7),
    );
    expect_one(
        "param a: int\nlet a = 2\n",
        "duplicate_binding",
        "a",
        (2, 5),
    );
    expect_one("let b = 1\nlet b = 2\n", "duplicate_binding", "b", (2, 5));
}

#[test]
fn bad_durations() {
    let e = expect_one(
        "step s \"t\" timeout 0s {\n}\n",
        "bad_duration",
        "0s",
        (1, 20),
    );
    assert_eq!(
        e.to_string(),
        "bad duration `0s`: a zero timeout fails the step at once"
    );
    expect_one(
        "step s \"t\" timeout 5m1h {\n}\n",
        "bad_duration",
        "5m1h",
        (1, 20),
    );
    expect_one(
        "step s \"t\" timeout 30m30m {\n}\n",
        "bad_duration",
        "30m30m",
        (1, 20),
    );
    expect_one(
        "step s \"t\" retry 1 backoff 99999999999999999999d {\n}\n",
        "bad_duration",
        "99999999999999999999d",
        (1, 28),
    );
    expect_one(
        "step s \"t\" {\n  expect true within 1m every 0ms\n}\n",
        "bad_duration",
        "0ms",
        (2, 31),
    );
    expect_one(
        "step s \"t\" {\n  wait until true within 0s\n}\n",
        "bad_duration",
        "0s",
        (2, 26),
    );
}

#[test]
fn param_default_of_the_wrong_type() {
    let e = expect_one(
        "param n: int = \"x\"\n",
        "param_default_type",
        "\"x\"",
        (1, 16),
    );
    assert_eq!(
        e.to_string(),
        "default of param `n` is a string, not an int"
    );
    expect_one(
        "param b: bool = 1 + 1\n",
        "param_default_type",
        "1 + 1",
        (1, 17),
    );
    expect_one(
        "param l: list = #{}\n",
        "param_default_type",
        "#{}",
        (1, 17),
    );
    expect_one("param m: map = [1]\n", "param_default_type", "[1]", (1, 16));
    expect_one("param s: secret = 5\n", "param_default_type", "5", (1, 19));
    expect_one(
        "param d: duration = \"5 minutes\"\n",
        "param_default_type",
        "\"5 minutes\"",
        (1, 21),
    );
    expect_one(
        "param f: float = \"1.5\"\n",
        "param_default_type",
        "\"1.5\"",
        (1, 18),
    );
}

#[test]
fn param_defaults_that_fit() {
    let src = "param a: int = -3 * 2\nparam b: float = 2\nparam c: float = 2.5\nparam d: duration = \"1h30m\"\nparam e: secret = env(\"X\")\nparam f: int = env(\"N\")\nparam g: list = [a, 2]\nparam h: map = #{ k: \"v\" }\nparam i: bool = a > 0\nparam j: string = \"x\" + \"y\"\n";
    let checked = run_check(src);
    assert!(checked.errors.is_empty(), "{:#?}", checked.errors);
}

#[test]
fn duplicate_and_bad_metadata() {
    let src = "runbook \"t\" {\n  owner \"a\"\n  owner \"b\"\n}\n";
    expect_one(src, "duplicate_metadata", "owner", (3, 3));
    let src = "runbook \"t\" {\n  severity urgent\n}\n";
    let e = expect_one(src, "bad_metadata", "severity urgent", (2, 3));
    assert_eq!(
        e.to_string(),
        "severity must be one of low, medium, high, critical, not `urgent`"
    );
    expect_one(
        "runbook \"t\" {\n  colour \"blue\"\n}\n",
        "bad_metadata",
        "colour \"blue\"",
        (2, 3),
    );
    expect_one(
        "runbook \"t\" {\n  tags \"a\"\n}\n",
        "bad_metadata",
        "tags \"a\"",
        (2, 3),
    );
    expect_one(
        "runbook \"t\" {\n  owner [\"a\"]\n}\n",
        "bad_metadata",
        "owner [\"a\"]",
        (2, 3),
    );
}

#[test]
fn all_problems_are_reported_in_source_order() {
    let src = "param n: int = \"x\"\nstep a \"t\" timeout 0s {\n  run nope()\n  run kube::pods()\n  note missing\n}\nstep a \"u\" {\n}\n";
    let checked = run_check(src);
    let codes: Vec<String> = checked.errors.iter().map(|e| code(e)).collect();
    assert_eq!(
        codes,
        [
            "runbook::check::param_default_type",
            "runbook::check::bad_duration",
            "runbook::check::unknown_function",
            "runbook::check::wrong_arity",
            "runbook::check::unknown_variable",
            "runbook::check::duplicate_step_id",
        ]
    );
    assert!(checked.runbook.is_none());
}

#[test]
fn runaway_constant_default_is_stopped_by_limits() {
    // Builds a huge string by doubling: the string size limit ends it.
    let src = format!(
        "param s: string = \"x\"{}\n",
        " + \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"".repeat(30_000)
    );
    let checked = run_check(&src);
    // Too deep or too large: either way a clean diagnostic, not a hang.
    assert!(!checked.errors.is_empty());
    assert!(
        checked
            .errors
            .iter()
            .all(|e| code(e) == "runbook::check::rhai_syntax"),
        "{:?}",
        checked.errors.iter().map(|e| code(e)).collect::<Vec<_>>()
    );
}

#[test]
fn a_repeated_expression_is_reported_at_each_place() {
    // Compiles are cached by text; errors must still point at each copy.
    let src = "step a \"t\" {\n  run kube::pods(1)\n}\nstep b \"t\" {\n    run kube::pods(1)\n}\n";
    let checked = run_check(src);
    let places: Vec<(usize, usize)> = checked
        .errors
        .iter()
        .map(|e| line_col(src, e.span().start))
        .collect();
    assert_eq!(places, [(2, 7), (5, 9)]);
    // The same text with a name visible in one place and not the other.
    let src = "step a \"t\" {\n  note n\n}\nstep b \"t\" {\n  let n = 1\n  note n\n}\n";
    let checked = run_check(src);
    assert_eq!(checked.errors.len(), 1);
    assert_eq!(line_col(src, checked.errors[0].span().start), (2, 8));
}

#[test]
fn one_checker_reports_the_same_problems_in_every_runbook_it_checks() {
    // The checker keeps compile outcomes and binding names between runbooks;
    // each runbook must still get all of its own errors.
    let table = table();
    let checker = runbook_dsl::Checker::new(&table);
    let src = "step a \"t\" {\n  let use = 1\n  run kube::pods(1)\n  note `${x}`\n}\n";
    for _ in 0..3 {
        let rb = parse(src).unwrap();
        let codes: Vec<String> = checker.errors(&rb).iter().map(|e| code(e)).collect();
        assert_eq!(
            codes,
            [
                "runbook::check::reserved_name",
                "runbook::check::wrong_arity",
                "runbook::check::unknown_variable"
            ]
        );
    }
    let clean = parse("step a \"t\" {\n  let n = 1\n  note `${n}`\n}\n").unwrap();
    assert!(checker.errors(&clean).is_empty());
}
