//! Each lint warning: when it fires, when it must not, and how to waive it.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

mod support;

use runbook_dsl::lint::{lint, LintWarning};

const META: &str = "runbook \"T\" {\n  id \"RB-1\"\n  owner \"sre\"\n}\n";

/// The lint names (`missing_undo`, …) a source produces, in order.
fn names(body: &str) -> Vec<&'static str> {
    warnings(body).iter().map(LintWarning::name).collect()
}

fn warnings(body: &str) -> Vec<LintWarning> {
    let source = format!("{META}{body}");
    let rb = runbook_dsl::parse(&source).unwrap_or_else(|e| panic!("{e}\n{source}"));
    lint(&rb, &support::table())
}

#[test]
fn an_effect_without_undo_warns_at_the_step() {
    let src = "let app = kube::deployment(\"ns\", \"x\")\nstep s \"S\" {\n  run app.scale(3)\n}\n";
    let w = warnings(src);
    assert!(
        matches!(&w[..], [LintWarning::MissingUndo { step, .. }] if step == "s"),
        "{w:?}"
    );
}

#[test]
fn an_undo_anywhere_in_the_step_satisfies_missing_undo() {
    let src = "let app = kube::deployment(\"ns\", \"x\")\nstep s \"S\" {\n  let before = app.replicas()\n  undo {\n    run app.scale(before)\n  }\n  run app.scale(3)\n}\n";
    assert_eq!(names(src), Vec::<&str>::new());
}

#[test]
fn shell_commands_and_effects_in_any_statement_count() {
    assert_eq!(
        names("step s \"S\" {\n  sh \"make deploy\"\n}\n"),
        ["missing_undo"]
    );
    let src = "let db = pg::connect(env(\"DB\"))\nstep s \"S\" {\n  let n = db.execute(\"DELETE FROM t\")\n}\n";
    assert_eq!(names(src), ["missing_undo"]);
}

#[test]
fn reads_and_operator_gated_effects_do_not_need_undo() {
    let reads = "let app = kube::deployment(\"ns\", \"x\")\nstep s \"S\" timeout 1m {\n  run app.rollout_complete()\n  expect app.replicas() == 3\n}\n";
    assert_eq!(names(reads), Vec::<&str>::new());
    let gated = "let app = kube::deployment(\"ns\", \"x\")\nstep s \"S\" {\n  if app.replicas() > 3 {\n    confirm \"Restart?\"\n    run app.restart()\n  }\n}\n";
    assert_eq!(names(gated), Vec::<&str>::new());
    // A confirm inside a branch does not gate what follows the branch.
    let leaky = "let app = kube::deployment(\"ns\", \"x\")\nstep s \"S\" {\n  if app.replicas() > 3 {\n    confirm \"Sure?\"\n  }\n  run app.restart()\n}\n";
    assert_eq!(names(leaky), ["missing_undo"]);
}

#[test]
fn run_of_an_unknown_function_is_assumed_to_be_an_effect() {
    assert_eq!(
        names("step s \"S\" {\n  run my_action(1)\n}\n"),
        ["missing_undo"]
    );
}

#[test]
fn rollback_steps_are_clean_up_and_need_no_undo() {
    assert_eq!(
        names("rollback \"R\" {\n  step r \"R\" {\n    sh \"restore\"\n  }\n}\n"),
        Vec::<&str>::new()
    );
}

#[test]
fn an_allow_comment_waives_the_named_lint_for_the_node_below_only() {
    let src = "# lint:allow(missing_undo) a load test changes nothing\nstep a \"A\" {\n  sh \"load-test\"\n}\n\nstep b \"B\" {\n  sh \"load-test\"\n}\n";
    let w = warnings(src);
    assert!(
        matches!(&w[..], [LintWarning::MissingUndo { step, .. }] if step == "b"),
        "{w:?}"
    );
}

#[test]
fn an_allow_comment_must_say_why() {
    let src = "# lint:allow(missing_undo)\nstep a \"A\" {\n  sh \"x\"\n}\n";
    assert_eq!(names(src), ["allow_without_reason"]);
}

#[test]
fn an_allow_comment_naming_an_unknown_lint_warns() {
    let src = "# lint:allow(missing_undoo) typo\nstep a \"A\" {\n  sh \"x\"\n}\n";
    assert_eq!(names(src), ["unknown_allow", "missing_undo"]);
}

#[test]
fn expect_without_deadline_warns_only_without_step_timeout() {
    let src = "let app = kube::deployment(\"ns\", \"x\")\nstep a \"A\" {\n  expect app.rollout_complete()\n  expect app.rollout_complete() within 5m\n}\nstep b \"B\" timeout 10m {\n  expect app.rollout_complete()\n}\n";
    let w = warnings(src);
    assert!(
        matches!(&w[..], [LintWarning::UnboundedExpect { step, .. }] if step == "a"),
        "{w:?}"
    );
}

#[test]
fn a_param_is_used_by_any_expression_including_templates_and_defaults() {
    let src = "param a: string = \"x\"\nparam b: string = a\nparam c: int = 1\nparam d: string\nstep s \"S\" timeout 1m {\n  note `${b} and ${#{ c: 1 }.c}`\n}\n";
    let w = warnings(src);
    let unused: Vec<_> = w
        .iter()
        .filter_map(|w| match w {
            LintWarning::UnusedParam { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    // `c` only appears as a map key, `d` nowhere.
    assert_eq!(unused, ["c", "d"]);
}

#[test]
fn unquoted_string_params_in_shell_templates_warn_at_the_interpolation() {
    let body = "param ns: string = \"prod\"\nparam n: int = 3\n# lint:allow(missing_undo) test\nstep s \"S\" {\n  sh `kubectl -n ${ns} scale --replicas=${n}`\n  sh `kubectl -n ${shell_quote(ns)} get pods`\n  let out = sh(`echo ${ns}`)\n  note `namespace ${ns}`\n}\n";
    let source = format!("{META}{body}");
    let rb = runbook_dsl::parse(&source).unwrap();
    let spans: Vec<&str> = lint(&rb, &support::table())
        .iter()
        .filter_map(|w| match w {
            LintWarning::UnquotedInterpolation { span, .. } => {
                Some(&source[span.offset()..span.offset() + span.len()])
            }
            _ => None,
        })
        .collect();
    // The int param, the quoted use and the note are fine.
    assert_eq!(spans, ["${ns}", "${ns}"]);
}

#[test]
fn string_params_joined_into_a_shell_command_warn_at_the_param() {
    let body = "param ns: string = \"prod\"\n# lint:allow(missing_undo) test\nstep s \"S\" {\n  sh \"kubectl -n \" + ns + \" get pods\"\n  sh \"kubectl -n \" + shell_quote(ns)\n  let out = sh(\"echo \" + ns)\n  note \"ns: \" + ns\n}\n";
    let source = format!("{META}{body}");
    let rb = runbook_dsl::parse(&source).unwrap();
    let lines: Vec<usize> = lint(&rb, &support::table())
        .iter()
        .filter_map(|w| match w {
            LintWarning::UnquotedInterpolation { span, .. } => {
                Some(source[..span.offset()].lines().count())
            }
            _ => None,
        })
        .collect();
    // Lines 8 and 10 of the file; the quoted command and the note are fine.
    assert_eq!(lines, [8, 10]);
}

#[test]
fn missing_id_and_owner_warn() {
    let rb = runbook_dsl::parse("runbook \"T\" {\n  version \"1\"\n}\n").unwrap();
    let keys: Vec<_> = lint(&rb, &support::table())
        .into_iter()
        .filter_map(|w| match w {
            LintWarning::MissingMetadata { key, .. } => Some(key),
            _ => None,
        })
        .collect();
    assert_eq!(keys, ["id", "owner"]);
    let rb = runbook_dsl::parse("step s \"S\" {\n  note \"hi\"\n}\n").unwrap();
    assert_eq!(lint(&rb, &support::table()).len(), 2);
}
