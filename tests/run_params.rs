//! A wrong or missing `--param` is a clear error before anything runs.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

run_support::both_stores!(
    a_missing_required_param_is_named,
    a_value_of_the_wrong_type_is_named_with_the_type,
    an_unknown_param_is_named,
    a_param_without_a_value_is_an_error,
    good_params_are_used,
    a_failing_default_is_a_diagnostic_with_the_actions_message_and_help,
);

fn refused(ws: &Workspace, args: &[&str], mentions: &[&str]) {
    ws.fixture("params.runbook");
    let out = ws.cmd(["run", "params.runbook"]).args(args).output();
    out.assert_code(2);
    for m in mentions {
        assert!(
            out.stderr.contains(m),
            "{args:?}: expected {m:?} in:\n{}",
            out.stderr
        );
    }
    assert!(!ws.path("out.txt").exists(), "a step ran");
    assert!(
        run_support::run_id(&out.all()).is_none(),
        "a run started: {}",
        out.all()
    );
    assert!(ws.stored_runs().is_empty(), "a run was stored");
}

fn a_missing_required_param_is_named(ws: &Workspace) {
    refused(ws, &[], &["replicas"]);
}

fn a_value_of_the_wrong_type_is_named_with_the_type(ws: &Workspace) {
    refused(
        ws,
        &["--param", "replicas=five"],
        &["replicas", "int", "five"],
    );
    refused(
        ws,
        &["--param", "replicas=3", "--param", "dry=maybe"],
        &["dry", "bool"],
    );
}

fn an_unknown_param_is_named(ws: &Workspace) {
    refused(
        ws,
        &["--param", "replicas=3", "--param", "replica=4"],
        &["replica"],
    );
}

fn a_param_without_a_value_is_an_error(ws: &Workspace) {
    refused(ws, &["--param", "replicas"], &["replicas", "="]);
}

fn good_params_are_used(ws: &Workspace) {
    ws.fixture("params.runbook");
    let (out, _) = ws.run(
        "params.runbook",
        &["--param", "replicas=3", "-p", "name=api"],
    );
    out.assert_code(0);
    assert_eq!(ws.lines("out.txt"), ["api=3"]);
}

fn a_failing_default_is_a_diagnostic_with_the_actions_message_and_help(ws: &Workspace) {
    ws.write(
        "env_default.runbook",
        r#"runbook "Env default" {
  id    "T-ENV-DEFAULT"
  owner "tests"
}

param region: string = env("RUNBOOK_TEST_SURELY_UNSET_VAR")

# lint:allow(missing_undo) a test witness, nothing to undo
step one "One" {
  sh "echo ${region} >> out.txt"
}
"#,
    );
    let out = ws.cmd(["run", "env_default.runbook"]).output();
    out.assert_code(2);
    let err = out.stderr.replace(['│', '·'], " ");
    let err = err.split_whitespace().collect::<Vec<_>>().join(" ");
    for m in [
        "runbook::param::default_failed",
        "the default of param `region` failed: environment variable `RUNBOOK_TEST_SURELY_UNSET_VAR` is not set",
        // The action error's own help, then the way around it.
        "help: set it before running",
        "or pass --param region=…",
        // Labelled at the default, in the file.
        "env_default.runbook:6:24",
        "this default",
    ] {
        assert!(err.contains(m), "expected {m:?} in:\n{}", out.stderr);
    }
    assert!(!out.stderr.contains("__action_error"), "{}", out.stderr);
    assert!(!ws.path("out.txt").exists(), "a step ran");
    assert!(ws.stored_runs().is_empty(), "a run was stored");
}
