//! The read-only helpers: env, file, json, yaml, time, durations, quoting.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod recording;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use recording::{action_error, field, Harness};
use runbook_stdlib::Class;
use tokio_util::sync::CancellationToken;

#[test]
fn env_reads_a_variable_and_names_it_when_unset() {
    std::env::set_var("RUNBOOK_HELPERS_TEST_SET", "value-1");
    let h = Harness::new();
    assert_eq!(
        h.eval(r#"env("RUNBOOK_HELPERS_TEST_SET")"#)
            .unwrap()
            .to_string(),
        "value-1"
    );
    assert_eq!(
        h.eval(r#"env("RUNBOOK_HELPERS_TEST_SET", "fallback")"#)
            .unwrap()
            .to_string(),
        "value-1"
    );
    assert_eq!(
        h.eval(r#"env("RUNBOOK_HELPERS_TEST_UNSET", "fallback")"#)
            .unwrap()
            .to_string(),
        "fallback"
    );
    let e = action_error(&h.eval(r#"env("RUNBOOK_HELPERS_TEST_UNSET")"#).unwrap_err());
    assert_eq!(e.code, "runbook::run::env::unset");
    assert!(
        e.message.contains("`RUNBOOK_HELPERS_TEST_UNSET`"),
        "{}",
        e.message
    );
    assert!(e
        .help
        .unwrap()
        .contains("env(\"RUNBOOK_HELPERS_TEST_UNSET\", "));
}

#[test]
fn file_reads_relative_to_the_runbook_and_names_the_resolved_path() {
    let h = Harness::new();
    std::fs::create_dir(h.path("conf")).unwrap();
    std::fs::write(h.path("conf/app.yaml"), "replicas: 3\n").unwrap();
    assert_eq!(
        h.eval(r#"file("conf/app.yaml")"#).unwrap().to_string(),
        "replicas: 3\n"
    );

    let e = action_error(&h.eval(r#"file("conf/missing.yaml")"#).unwrap_err());
    assert_eq!(e.code, "runbook::run::file::read");
    let resolved = h.path("conf/missing.yaml");
    assert!(
        e.message.contains(resolved.to_str().unwrap()),
        "{}",
        e.message
    );

    assert!(h
        .eval(r#"exists("conf/app.yaml") && exists("conf")"#)
        .unwrap()
        .as_bool()
        .unwrap());
    assert!(!h
        .eval(r#"exists("conf/missing.yaml")"#)
        .unwrap()
        .as_bool()
        .unwrap());

    std::fs::write(h.path("binary"), [0xff, 0xfe, 0x00]).unwrap();
    let e = action_error(&h.eval(r#"file("binary")"#).unwrap_err());
    assert!(e.help.unwrap().contains("not valid UTF-8"));
}

#[test]
fn json_parses_into_maps_and_arrays_and_back() {
    let h = Harness::new();
    let v = h
        .eval(r#"let v = json::parse(`{"name": "web", "replicas": 3, "ratio": 0.5, "tags": ["a", "b"], "on": true, "none": null}`); v"#)
        .unwrap();
    assert_eq!(field(&v, "name").to_string(), "web");
    assert_eq!(field(&v, "replicas").as_int().unwrap(), 3);
    assert_eq!(field(&v, "ratio").as_float().unwrap(), 0.5);
    assert!(field(&v, "on").as_bool().unwrap());
    assert!(field(&v, "none").is_unit());
    assert_eq!(
        h.eval(r#"json::parse(`[1, [2, 3]]`)[1][0]"#)
            .unwrap()
            .as_int()
            .unwrap(),
        2
    );

    let text = h
        .eval(r#"json::to_string(#{ a: 1, b: [true, "x"] })"#)
        .unwrap()
        .to_string();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        serde_json::json!({"a": 1, "b": [true, "x"]})
    );
    assert!(h
        .eval(r#"let m = #{ n: 7, s: "q\"uote" }; json::parse(json::to_string(m)) == m"#)
        .unwrap()
        .as_bool()
        .unwrap());
}

#[test]
fn invalid_json_says_where() {
    let h = Harness::new();
    let e = action_error(&h.eval("json::parse(`{\n  \"a\": ,\n}`)").unwrap_err());
    assert_eq!(e.code, "runbook::run::json::parse");
    assert!(e.message.contains("line 2"), "{}", e.message);
}

#[test]
fn yaml_parses_one_document_or_several() {
    let h = Harness::new();
    let one = h
        .eval("yaml::parse(`kind: Deployment\nspec:\n  replicas: 5\n`)")
        .unwrap();
    assert_eq!(field(&one, "kind").to_string(), "Deployment");
    assert_eq!(
        h.eval("yaml::parse(`spec:\n  replicas: 5\n`).spec.replicas")
            .unwrap()
            .as_int()
            .unwrap(),
        5
    );

    let many = h
        .eval("yaml::parse(`a: 1\n---\nb: 2\n`)")
        .unwrap()
        .into_array()
        .unwrap();
    assert_eq!(many.len(), 2);
    assert_eq!(field(&many[1], "b").as_int().unwrap(), 2);

    let all = h
        .eval("yaml::parse_all(`a: 1\n`)")
        .unwrap()
        .into_array()
        .unwrap();
    assert_eq!(all.len(), 1);
    assert!(h.eval("yaml::parse(``)").unwrap().is_unit());

    let back = h
        .eval("yaml::parse(yaml::to_string(#{ x: [1, 2] })).x[1]")
        .unwrap();
    assert_eq!(back.as_int().unwrap(), 2);
}

#[test]
fn invalid_yaml_says_where() {
    let h = Harness::new();
    let e = action_error(&h.eval("yaml::parse(`a: 1\nb: [2\n`)").unwrap_err());
    assert_eq!(e.code, "runbook::run::yaml::parse");
    assert!(e.message.contains("line"), "{}", e.message);
}

#[test]
fn now_and_today_are_utc() {
    let h = Harness::new();
    let now = h.eval("now()").unwrap().to_string();
    let parsed = chrono::DateTime::parse_from_rfc3339(&now).unwrap();
    assert!(now.ends_with('Z'), "{now}");
    let drift = (chrono::Utc::now() - parsed.with_timezone(&chrono::Utc))
        .num_seconds()
        .abs();
    assert!(drift < 3600, "now() is far from the clock: {now}");

    let today = h.eval("today()").unwrap().to_string();
    let date = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap();
    assert_eq!(&now[..10], date.format("%Y-%m-%d").to_string());
}

#[test]
fn duration_returns_whole_seconds() {
    let h = Harness::new();
    let secs = |s: &str| {
        h.eval(&format!("duration({s:?})"))
            .unwrap()
            .as_int()
            .unwrap()
    };
    assert_eq!(secs("300s"), 300);
    assert_eq!(secs("5m"), 300);
    assert_eq!(secs("1h30m"), 5400);
    assert_eq!(secs("1d"), 86400);
    assert_eq!(secs("1500ms500ms"), 2);
    for bad in ["", "5", "5x", "m5", "1.5s", "250ms"] {
        let e = action_error(&h.eval(&format!("duration({bad:?})")).unwrap_err());
        assert_eq!(e.code, "runbook::run::duration::invalid", "{bad}");
        assert!(e.message.contains(&format!("`{bad}`")), "{}", e.message);
    }
}

#[test]
fn sleep_accepts_seconds_and_durations() {
    let h = Harness::new();
    assert!(h
        .eval(r#"sleep(0); sleep(0.01); sleep("10ms")"#)
        .unwrap()
        .is_unit());
    let e = action_error(&h.eval("sleep(-1)").unwrap_err());
    assert_eq!(e.code, "runbook::run::sleep::invalid");
}

#[test]
fn sleep_stops_on_cancellation() {
    let h = Harness::new();
    let cancel = CancellationToken::new();
    h.ctx.enter_step(cancel.clone(), None);
    let call = h.eval_in_thread("sleep(1000)");
    cancel.cancel();
    let e = action_error(&call.join().unwrap().unwrap_err());
    assert_eq!(e.code, "runbook::run::sleep::cancelled");
}

#[test]
fn sleep_stops_at_the_step_deadline() {
    let h = Harness::new();
    h.ctx.enter_step(
        CancellationToken::new(),
        Some(Instant::now() + Duration::from_millis(200)),
    );
    let e = action_error(&h.eval(r#"sleep("1h")"#).unwrap_err());
    assert_eq!(e.code, "runbook::run::sleep::timeout");
}

#[test]
fn shell_quote_survives_a_real_shell() {
    let h = Harness::new();
    let nasty = [
        "plain",
        "",
        "two words",
        "it's",
        "$(touch pwned) `touch pwned` ; touch pwned",
        "'\"\\\n\t*?[]{}~#&|<>!",
        "--replicas=5",
    ];
    for s in nasty {
        let script = format!("sh(\"printf '%s' \" + shell_quote({s:?})).stdout");
        assert_eq!(h.eval(&script).unwrap().to_string(), s, "quoting {s:?}");
    }
    assert!(!h.path("pwned").exists());
    assert_eq!(
        runbook_stdlib::helpers::shell_quote("--replicas=5"),
        "--replicas=5"
    );
    assert_eq!(runbook_stdlib::helpers::shell_quote("it's"), r"'it'\''s'");
}

#[test]
fn helpers_are_reads_and_sh_is_an_effect() {
    for sig in runbook_stdlib::helpers::signatures() {
        assert_eq!(sig.class, Class::Read, "{}", sig.display());
    }
    let names: BTreeSet<String> = runbook_stdlib::helpers::signatures()
        .iter()
        .map(|s| s.display())
        .collect();
    for expected in [
        "env(name, default)",
        "file(path)",
        "exists(path)",
        "json::parse(text)",
        "yaml::parse(text)",
        "now()",
        "today()",
        "sleep(duration)",
        "duration(text)",
        "shell_quote(text)",
    ] {
        assert!(names.contains(expected), "missing {expected} in {names:?}");
    }
}

/// Every function `sh` and the helpers register has a signature with a
/// matching arity, and every signature is registered.
#[test]
fn the_signature_table_matches_what_is_registered() {
    let h = Harness::new();
    let mut engine = rhai::Engine::new_raw();
    runbook_stdlib::sh::register(&mut engine, h.ctx.clone());
    runbook_stdlib::helpers::register(&mut engine, h.ctx.clone());
    let registered: BTreeSet<(String, usize)> = engine
        .gen_fn_signatures(false)
        .iter()
        .map(|s| {
            let (name, rest) = s.split_once('(').unwrap();
            let params = rest.split_once(')').unwrap().0;
            let arity = if params.is_empty() {
                0
            } else {
                params.split(", ").count()
            };
            (name.to_string(), arity)
        })
        .collect();
    let mut table = runbook_stdlib::sh::signatures();
    table.extend(runbook_stdlib::helpers::signatures());
    let declared: BTreeSet<(String, usize)> = table
        .iter()
        .flat_map(|s| {
            let name = match s.module {
                Some(m) => format!("{m}::{}", s.name),
                None => s.name.to_string(),
            };
            (s.min_args()..=s.max_args()).map(move |n| (name.clone(), n))
        })
        .collect();
    assert_eq!(registered, declared);
}
