//! What the check pass accepts: visibility of names, built-ins, closures,
//! and the checked runbook it hands to the interpreter.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod common;

use common::{code, table, text};
use runbook_dsl::{check, parse, Checked, Checker};

const FULL: &str = include_str!("fixtures/full.runbook");

fn run_check(src: &str) -> Checked {
    let rb = parse(src).unwrap_or_else(|e| panic!("{e:?}\n{src}"));
    check(&rb, &table())
}

fn clean(src: &str) {
    let checked = run_check(src);
    assert!(checked.errors.is_empty(), "{:#?}\n{src}", checked.errors);
    assert!(checked.runbook.is_some());
}

/// The names reported unknown, in order.
fn unknown(src: &str) -> Vec<String> {
    run_check(src)
        .errors
        .iter()
        .map(|e| {
            assert_eq!(code(e), "runbook::check::unknown_variable", "{e:?}");
            text(src, e.span()).to_string()
        })
        .collect()
}

#[test]
fn the_full_example_checks_clean() {
    let checked = run_check(FULL);
    assert!(checked.errors.is_empty(), "{:#?}", checked.errors);
    let rb = checked.runbook.unwrap();
    assert_eq!(rb.hash, runbook_dsl::source_hash(FULL));
    let ids: Vec<&str> = rb.all_steps().map(|s| s.id.name.as_str()).collect();
    assert_eq!(
        ids,
        ["scale", "db-capacity", "load-test", "backup", "restore"]
    );
    let scale = rb.step("scale").unwrap();
    assert_eq!(
        rb.fingerprint("scale"),
        Some(runbook_dsl::step_fingerprint(scale))
    );
    assert_eq!(rb.fingerprint("nope"), None);
}

#[test]
fn step_lets_are_visible_in_later_steps_only() {
    let src = "step a \"t\" {\n  run f(later)\n  let early = 1\n}\nstep b \"t\" {\n  let later = early\n}\n";
    // `f` is unknown too, but as a function; only variables are listed here.
    let checked = run_check(src);
    let vars: Vec<&str> = checked
        .errors
        .iter()
        .filter(|e| code(*e) == "runbook::check::unknown_variable")
        .map(|e| text(src, e.span()))
        .collect();
    assert_eq!(vars, ["later"]);
}

#[test]
fn top_level_lets_see_params_and_earlier_lets_but_no_step_bindings() {
    let src = "param p: int = 1\nlet a = p + 1\nstep s \"t\" {\n  let x = a\n}\nlet b = a + x\n";
    assert_eq!(unknown(src), ["x"]);
    // Params are visible in every step wherever they are declared.
    clean("step s \"t\" {\n  note p\n}\nparam p: string = \"x\"\n");
}

#[test]
fn param_defaults_see_earlier_params_only() {
    assert_eq!(
        unknown("param a: int = b\nparam b: int = 1\nparam c: int = b\n"),
        ["b"]
    );
    assert_eq!(unknown("param a: int = a\n"), ["a"]);
}

#[test]
fn block_lets_and_loop_variables_stay_in_their_block() {
    let src = "param xs: list = [1]\nstep s \"t\" {\n  if true {\n    let inner = 1\n    note inner\n  } else {\n    note inner\n  }\n  for x in xs {\n    note x\n  }\n  note x\n  undo {\n    let u = 1\n  }\n  note u\n}\n";
    assert_eq!(unknown(src), ["inner", "x", "u"]);
}

#[test]
fn rollback_steps_see_every_main_step_binding() {
    clean("step a \"t\" {\n  let before = 3\n}\nrollback \"r\" {\n  step back \"t\" {\n    note before\n  }\n}\n");
}

#[test]
fn section_and_step_conditions_see_earlier_names() {
    let src = "param phase: string = \"x\"\nsection \"s\" when phase == \"y\" && ghost {\n  step a \"t\" when phase != \"\" {\n  }\n}\n";
    assert_eq!(unknown(src), ["ghost"]);
}

#[test]
fn builtins_closures_and_function_pointers_are_known() {
    clean(
        "param xs: list = [1, 2]\nlet double = |x| x * 2\nstep s \"t\" {\n  let n = xs.map(|x| x + 1).len()\n  let m = double(n) + double.call(1)\n  note `${type_of(m)} ${parse_int(\"4\")} ${\"abc\".to_upper()} ${xs.contains(1)}`\n  assert m > 0 else `m is ${m}`\n}\n",
    );
}

#[test]
fn stdlib_calls_in_every_style_are_checked() {
    clean(
        "let app = kube::deployment(\"ns\", \"web\")\nstep s \"t\" {\n  run app.scale(3)\n  run sh(\"true\")\n  let url = env(\"A\")\n  let url2 = env(\"A\", \"default\")\n  let url3 = \"A\".env()\n  expect kube::pods(\"ns\", \"app=web\").running() == 3 within 5m\n}\n",
    );
}

#[test]
fn one_checker_serves_many_runbooks_and_threads() {
    let table = table();
    let checker = Checker::new(&table);
    let good = parse(FULL).unwrap();
    let bad = parse("step s \"t\" {\n  run nope()\n}\n").unwrap();
    std::thread::scope(|scope| {
        let a = scope.spawn(|| checker.check(&good));
        let b = scope.spawn(|| checker.check(&bad));
        assert!(a.join().unwrap().errors.is_empty());
        assert_eq!(b.join().unwrap().errors.len(), 1);
    });
}
