//! Step bindings ⇄ JSON, and values that cannot be stored.
#![allow(clippy::unwrap_used)] // in tests a failed unwrap is a failed test

use rhai::{Dynamic, Engine};
use runbook_interpreter::bindings::{from_json, to_json, BindingError};
use runbook_interpreter::redact::Redactor;

#[test]
fn data_round_trips_through_json() {
    let engine = Engine::new();
    for src in [
        "42",
        "-1.5",
        "true",
        "()",
        r#""text with \"quotes\"""#,
        r#"#{ a: 1, b: [1, 2.5, "x", #{ c: false }], d: () }"#,
        "[]",
    ] {
        let v: Dynamic = engine.eval(src).unwrap();
        let json = to_json("x", &v, &Redactor::new()).unwrap();
        let back = from_json(&json);
        assert_eq!(back.to_string(), v.to_string(), "{src}");
        assert_eq!(back.type_name(), v.type_name(), "{src}");
    }
}

#[test]
fn decimals_stay_exact() {
    let engine = Engine::new();
    let v: Dynamic = engine
        .eval(r#"parse_decimal("12345678901234567890.125")"#)
        .unwrap();
    let json = to_json("d", &v, &Redactor::new()).unwrap();
    let back = from_json(&json);
    assert!(back.is_decimal());
    assert_eq!(back.to_string(), "12345678901234567890.125");
}

#[derive(Clone)]
struct Deployment;

#[test]
fn a_handle_is_refused_naming_the_binding_and_its_type() {
    let v = Dynamic::from(Deployment);
    let err = to_json("app", &v, &Redactor::new()).unwrap_err();
    assert!(
        matches!(&err, BindingError::Handle { name, type_name } if name == "app" && type_name == "Deployment"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`app`"));
    assert!(err.help().contains("top-level `let`"));

    // Nested inside data, the path to it is named.
    let mut map = rhai::Map::new();
    map.insert(
        "handles".into(),
        Dynamic::from_array(vec![Dynamic::from(Deployment)]),
    );
    let err = to_json("state", &Dynamic::from_map(map), &Redactor::new()).unwrap_err();
    assert!(err.to_string().contains("`state.handles[0]`"), "{err}");
}

#[test]
fn a_secret_value_is_never_stored() {
    let r = Redactor::new();
    r.add("hunter2");
    let v = Dynamic::from("postgres://u:hunter2@db/x".to_string());
    let err = to_json("url", &v, &r).unwrap_err();
    assert_eq!(err, BindingError::Secret { name: "url".into() });
}
