//! `--param` parsing against declared types, before anything runs.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use std::collections::BTreeMap;

use rhai::Engine;
use runbook_interpreter::params::{resolve, ParamError, ResolvedParams};
use runbook_interpreter::record::StoredParam;
use runbook_interpreter::redact::Redactor;

const DECLS: &str = r#"
param name: string = "production"
param replicas: int
param ratio: float = 0.5
param dry: bool = false
param wait: duration = "5m"
param token: secret
param zones: list = ["a"]
param labels: map = #{ app: "x" }
"#;

fn runbook() -> runbook_dsl::Runbook {
    runbook_dsl::parse(DECLS).expect("declarations parse")
}

fn try_resolve(
    args: &[&str],
    previous: Option<&BTreeMap<String, StoredParam>>,
) -> Result<(ResolvedParams, Redactor), Vec<ParamError>> {
    let rb = runbook();
    let decls: Vec<_> = rb.params().collect();
    let redactor = Redactor::new();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    resolve(&decls, &args, previous, &Engine::new(), &redactor).map(|p| (p, redactor))
}

fn value(p: &ResolvedParams, name: &str) -> String {
    let v = &p.values.iter().find(|(n, _)| n == name).unwrap().1;
    format!("{}:{}", v.type_name(), v)
}

#[test]
fn values_are_parsed_as_their_declared_types() {
    let (p, _) = try_resolve(
        &[
            "replicas=7",
            "ratio=0.75",
            "dry=true",
            "wait=1h30m",
            "token=t0k",
            "zones=eu-1, eu-2",
            r#"labels={"tier": "db", "n": 2}"#,
        ],
        None,
    )
    .unwrap();
    assert_eq!(value(&p, "name"), "string:production");
    assert_eq!(value(&p, "replicas"), "i64:7");
    assert_eq!(value(&p, "ratio"), "f64:0.75");
    assert_eq!(value(&p, "dry"), "bool:true");
    assert_eq!(
        value(&p, "wait"),
        "i64:5400",
        "durations are seconds, like the stdlib's duration()"
    );
    assert_eq!(value(&p, "zones"), r#"array:["eu-1", "eu-2"]"#);
    assert_eq!(value(&p, "labels"), r#"map:#{"n": 2, "tier": "db"}"#);
    // Declaration order, for the scope.
    let names: Vec<&str> = p.values.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["name", "replicas", "ratio", "dry", "wait", "token", "zones", "labels"]
    );
}

#[test]
fn defaults_apply_and_are_typed() {
    let (p, _) = try_resolve(&["replicas=1", "token=x"], None).unwrap();
    assert_eq!(value(&p, "ratio"), "f64:0.5");
    assert_eq!(value(&p, "wait"), "i64:300");
    assert_eq!(value(&p, "zones"), r#"array:["a"]"#);
}

#[test]
fn mistakes_are_all_reported_at_once() {
    let errs = try_resolve(
        &["replicas=many", "colour=red", "dry", "ratio=1", "ratio=2"],
        None,
    )
    .unwrap_err();
    let codes: Vec<String> = errs
        .iter()
        .map(|e| miette::Diagnostic::code(e).unwrap().to_string())
        .collect();
    for code in [
        "runbook::param::wrong_type",
        "runbook::param::unknown",
        "runbook::param::malformed",
        "runbook::param::duplicate",
        "runbook::param::missing",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} in {codes:?}");
    }
    let wrong = errs
        .iter()
        .find(|e| matches!(e, ParamError::WrongType { .. }))
        .unwrap();
    assert_eq!(
        wrong.to_string(),
        "param `replicas` must be an int, got `many`"
    );
    let unknown = errs
        .iter()
        .find(|e| matches!(e, ParamError::Unknown { .. }))
        .unwrap();
    let help = miette::Diagnostic::help(unknown).unwrap().to_string();
    assert!(
        help.contains("replicas") && help.contains("token"),
        "{help}"
    );
    let missing = errs
        .iter()
        .find(|e| matches!(e, ParamError::Missing { .. }))
        .unwrap();
    assert!(missing.to_string().contains("token"), "{missing}");
}

#[test]
fn bad_values_of_each_type_are_refused() {
    for arg in [
        "ratio=fast",
        "dry=maybe",
        "wait=5 minutes",
        "labels=[1]",
        "zones=[1,",
    ] {
        let mut args = vec!["replicas=1", "token=x"];
        args.push(arg);
        let errs = try_resolve(&args, None).unwrap_err();
        assert!(
            matches!(errs.as_slice(), [ParamError::WrongType { .. }]),
            "{arg}: {errs:?}"
        );
    }
}

#[test]
fn secrets_are_stored_masked_and_registered_for_redaction() {
    let (p, redactor) = try_resolve(&["replicas=1", "token=hunter2"], None).unwrap();
    assert_eq!(p.stored["token"].value, serde_json::json!("***"));
    assert!(p.stored["token"].secret);
    assert_eq!(p.stored["replicas"].value, serde_json::json!(1));
    assert_eq!(redactor.redact("pw=hunter2"), "pw=***");
    // A wrong-typed value that happens to contain the secret is masked too.
    let errs = try_resolve(&["token=hunter2", "replicas=hunter2"], None).unwrap_err();
    assert!(
        errs.iter().all(|e| !e.to_string().contains("hunter2")),
        "{errs:?}"
    );
}

#[test]
fn on_resume_stored_values_are_reused_and_secrets_must_be_given_again() {
    let (first, _) = try_resolve(&["replicas=4", "token=s"], None).unwrap();
    let errs = try_resolve(&[], Some(&first.stored)).unwrap_err();
    assert!(
        matches!(errs.as_slice(), [ParamError::Missing { name, help, .. }] if name == "token" && help.contains("never stored")),
        "{errs:?}"
    );
    let (again, _) = try_resolve(&["token=s"], Some(&first.stored)).unwrap();
    assert_eq!(value(&again, "replicas"), "i64:4");
    let errs = try_resolve(&["token=s", "replicas=5"], Some(&first.stored)).unwrap_err();
    assert!(
        matches!(errs.as_slice(), [ParamError::Fixed { name, .. }] if name == "replicas"),
        "{errs:?}"
    );
}
