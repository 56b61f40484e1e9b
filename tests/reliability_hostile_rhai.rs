//! Hostile expressions end with the specific limit's error, never a hang, a
//! panic or an abort: string doubling, huge arrays, deep nesting, deep
//! recursion, a runaway loop — in a step's `let`, in an `expect`, and in a
//! param default (evaluated by `lint` when it is a constant).

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use common::Output;
use run_support::Workspace;

const HEADER: &str = "runbook \"Hostile\" {\n  id    \"T-REL-HOSTILE\"\n  owner \"tests\"\n}\n\n";

fn runbook(ws: &Workspace, body: &str) {
    ws.write("hostile.runbook", &format!("{HEADER}{body}\n"));
}

/// Never a panic or an internal error, whatever the input.
#[track_caller]
fn assert_no_crash(out: &Output) {
    assert!(out.code.is_some(), "killed by a signal:\n{}", out.all());
    let said = out.all();
    for bad in ["panicked", "overflowed its stack", "runbook::run::internal"] {
        assert!(!said.contains(bad), "{bad}:\n{said}");
    }
}

/// `lint` accepts the file (the value is only known at run time) and `run`
/// fails the step with `message` under runbook::run::limit.
#[track_caller]
fn run_fails_with_limit(body: &str, message: &str) {
    let ws = Workspace::new();
    runbook(&ws, body);
    let lint = ws.cmd(["lint", "hostile.runbook"]).output();
    assert_no_crash(&lint);
    lint.assert_code(0);
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    out.assert_code(1);
    let said = out.all();
    assert!(said.contains("runbook::run::limit"), "{said}");
    assert!(said.contains(message), "expected {message:?}:\n{said}");
}

/// Both `lint` and `run` refuse the file with the nesting limit (exit 2).
#[track_caller]
fn lint_and_run_refuse_nesting(body: &str) {
    let ws = Workspace::new();
    runbook(&ws, body);
    for args in [["lint", "hostile.runbook"], ["run", "hostile.runbook"]] {
        let out = ws.cmd(args).output();
        assert_no_crash(&out);
        out.assert_code(2);
        let said = out.all();
        assert!(
            said.contains("runbook::parse::too_deep") && said.contains("nesting is deeper than"),
            "{args:?}:\n{said}"
        );
    }
    assert!(ws.stored_runs().is_empty(), "a refused file starts no run");
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "(".repeat(depth), ")".repeat(depth))
}

#[test]
fn string_doubling_in_a_let_hits_the_string_size_limit() {
    run_fails_with_limit(
        "step s \"Doubling\" {\n  let x = \"ab\".pad(100000000, \"ab\")\n}",
        "Length of string too large",
    );
}

#[test]
fn string_doubling_in_an_expect_hits_the_limit_at_once() {
    // Not polled until the deadline: the limit is an error, not `false`.
    run_fails_with_limit(
        "step s \"Doubling\" {\n  expect \"x\".pad(100000000, \"y\") == \"\" within 10m every 1s\n}",
        "Length of string too large",
    );
}

#[test]
fn a_huge_array_in_a_let_hits_the_array_size_limit() {
    run_fails_with_limit(
        "step s \"Huge\" {\n  let x = [1].pad(100000000, 0)\n}",
        "Size of array/BLOB too large",
    );
}

#[test]
fn deep_recursion_hits_the_call_depth_limit() {
    run_fails_with_limit(
        "step s \"Recursion\" {\n  let x = (|f, n| f.call(f, n + 1)).call(|f, n| f.call(f, n + 1), 0)\n}",
        "call",
    );
}

#[test]
fn deep_nesting_in_a_let_is_refused_by_lint_and_run() {
    lint_and_run_refuse_nesting(&format!(
        "step s \"Nested\" {{\n  let x = {}\n}}",
        nested(5000)
    ));
}

#[test]
fn deep_nesting_in_an_expect_is_refused_by_lint_and_run() {
    lint_and_run_refuse_nesting(&format!(
        "step s \"Nested\" {{\n  expect {} == 1 within 1s\n}}",
        nested(5000)
    ));
}

#[test]
fn deep_nesting_in_a_param_default_is_refused_by_lint_and_run() {
    lint_and_run_refuse_nesting(&format!(
        "param n: int = {}\n\nstep s \"Uses n\" {{\n  note `${{n}}`\n}}",
        nested(5000)
    ));
}

#[test]
fn a_param_default_that_doubles_a_string_fails_before_any_step() {
    let ws = Workspace::new();
    runbook(
        &ws,
        "param n: string = \"x\".pad(100000000, \"y\")\n\n# lint:allow(missing_undo) test\nstep s \"Uses n\" {\n  sh `echo ${n} > out.txt`\n}",
    );
    // A call is not a constant: lint cannot evaluate it and accepts it.
    ws.cmd(["lint", "hostile.runbook"]).output().assert_code(0);
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    out.assert_code(2);
    let said = out.all();
    assert!(
        said.contains("default of param `n`") && said.contains("Length of string too large"),
        "{said}"
    );
    assert!(ws.lines("out.txt").is_empty(), "no step ran");
}

#[test]
fn a_for_loop_over_a_huge_range_is_bounded() {
    let ws = Workspace::new();
    runbook(
        &ws,
        "step s \"Loop\" timeout 5s {\n  for i in range(0, 9223372036854775807) {\n    let y = i\n  }\n}",
    );
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    out.assert_code(1);
}

#[test]
fn a_runaway_expression_is_stopped_by_the_step_timeout() {
    let digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    let expr = format!(
        "{d}.map(|a| {d}.map(|b| {d}.map(|c| {d}.map(|e| {d}.map(|f| {d}.map(|g| a + b + c + e + f + g))))))",
        d = digits
    );
    let ws = Workspace::new();
    runbook(
        &ws,
        &format!("step s \"Runaway\" timeout 2s {{\n  let x = {expr}\n}}"),
    );
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    // A deadline is a failure of the step, not an operator's interruption.
    out.assert_code(1);
    let said = out.all();
    assert!(
        said.contains("timed out") || said.contains("timeout"),
        "{said}"
    );
    assert!(!said.contains("interrupted"), "{said}");
}

#[test]
fn a_slow_loop_of_cheap_operations_hits_the_evaluation_time_limit() {
    // 100 000 calls, each splitting a 100 kB string into characters: far
    // below the operation limit, but many minutes of work. The
    // evaluation-time limit stops it.
    let digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    let expr = format!(
        "{d}.map(|a| {d}.map(|b| {d}.map(|c| {d}.map(|e| {d}.map(|f| blob(100000, 120).as_string().to_chars().len())))))",
        d = digits
    );
    let ws = Workspace::new();
    runbook(&ws, &format!("step s \"Slow\" {{\n  let lens = {expr}\n}}"));
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    out.assert_code(1);
    let said = out.all();
    assert!(said.contains("runbook::run::limit::eval_time"), "{said}");
    assert!(
        said.contains("computed for more than 10s"),
        "names the limit: {said}"
    );
    // The diagnostic points at the expression, with its line and column.
    assert!(
        said.contains("hostile.runbook:7:"),
        "names the line: {said}"
    );
    assert!(
        !said.contains("runbook::run::timeout"),
        "not the step timeout: {said}"
    );
}

#[test]
fn a_slow_condition_in_an_expect_fails_with_the_evaluation_time_limit_at_once() {
    // An error, not a `false` to poll again for ten minutes.
    let digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    let expr = format!(
        "{d}.map(|a| {d}.map(|b| {d}.map(|c| {d}.map(|e| {d}.map(|f| blob(100000, 120).as_string().to_chars().len()))))).len()",
        d = digits
    );
    let ws = Workspace::new();
    runbook(
        &ws,
        &format!("step s \"Slow\" {{\n  expect {expr} == 10 within 10m every 1s\n}}"),
    );
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    out.assert_code(1);
    let said = out.all();
    assert!(said.contains("runbook::run::limit::eval_time"), "{said}");
    assert!(!said.contains("expectation not met"), "{said}");
}

#[test]
fn time_actions_spend_waiting_does_not_count_against_the_evaluation_time_limit() {
    // One evaluation waiting 12s in total, inside `sh` and `sleep`: more
    // than the evaluation-time limit, yet little Rhai time. After each wait
    // a thousand cheap calls give the progress hook many chances to look at
    // the clock.
    let digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
    let expr = format!(
        "[1, 2].map(|i| [sleep(3), sh(\"sleep 3; echo waited >> waits.txt\").code, {d}.map(|a| {d}.map(|b| {d}.map(|c| a + b + c)))])",
        d = digits
    );
    let ws = Workspace::new();
    runbook(
        &ws,
        &format!(
            "# lint:allow(missing_undo) only waits\nstep s \"Waits\" {{\n  let codes = {expr}\n}}"
        ),
    );
    let out = ws.cmd(["run", "hostile.runbook"]).output();
    assert_no_crash(&out);
    out.assert_code(0);
    assert_eq!(ws.lines("waits.txt"), ["waited", "waited"]);
}
