//! Watch streams: replay from a resourceVersion, initial state, selectors
//! and timeouts.

use kube_sim::KubeSim;
use serde_json::json;

use crate::client::{get, Watch};

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

fn configmap(name: &str, value: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": "w"}}, "data": {"v": value}})
}

#[test]
fn watch_from_a_resource_version_streams_added_modified_deleted() {
    let sim = KubeSim::start().unwrap();
    let rv = get(&sim, CONFIGMAPS).json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    sim.create(configmap("one", "1")).unwrap();
    sim.apply(configmap("one", "2")).unwrap();
    sim.delete("v1", "ConfigMap", "default", "one").unwrap();

    let mut watch = Watch::open(&sim, &format!("{CONFIGMAPS}?watch=1&resourceVersion={rv}"));
    assert_eq!(watch.status, 200);
    let events: Vec<(String, String)> = (0..3)
        .map(|_| {
            let e = watch.next_event().unwrap();
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["data"]["v"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("ADDED".into(), "1".into()),
            ("MODIFIED".into(), "2".into()),
            ("DELETED".into(), "2".into())
        ]
    );
    // And live events after the replay.
    sim.create(configmap("two", "3")).unwrap();
    let live = watch.wait_for("ADDED", |o| o["metadata"]["name"] == "two");
    assert_eq!(live["object"]["kind"], "ConfigMap");
}

#[test]
fn watch_without_a_resource_version_starts_with_the_current_state() {
    let sim = KubeSim::start().unwrap();
    sim.create(configmap("existing", "1")).unwrap();
    let mut watch = Watch::open(&sim, &format!("{CONFIGMAPS}?watch=true"));
    let first = watch.next_event().unwrap();
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["metadata"]["name"], "existing");
}

#[test]
fn watch_honours_field_and_label_selectors() {
    let sim = KubeSim::start().unwrap();
    let mut by_name = Watch::open(
        &sim,
        &format!("{CONFIGMAPS}?watch=1&resourceVersion=0&fieldSelector=metadata.name%3Dwanted"),
    );
    let mut by_label = Watch::open(&sim, "/api/v1/configmaps?watch=1&labelSelector=app%3Dother");
    sim.create(configmap("unwanted", "1")).unwrap();
    sim.create(configmap("wanted", "2")).unwrap();
    let event = by_name.next_event().unwrap();
    assert_eq!(event["object"]["metadata"]["name"], "wanted");

    let mut other = configmap("labelled", "3");
    other["metadata"]["labels"]["app"] = json!("other");
    sim.create(other).unwrap();
    let event = by_label.next_event().unwrap();
    assert_eq!(event["object"]["metadata"]["name"], "labelled");
}

#[test]
fn watch_ends_after_timeout_seconds() {
    let sim = KubeSim::start().unwrap();
    let mut watch = Watch::open(&sim, &format!("{CONFIGMAPS}?watch=1&timeoutSeconds=1"));
    assert!(watch.next_event().is_none(), "the stream ends cleanly");
}

#[test]
fn watch_on_a_single_object_path_sees_only_it() {
    let sim = KubeSim::start().unwrap();
    let mut watch = Watch::open(&sim, "/api/v1/watch/namespaces/default/configmaps/solo");
    sim.create(configmap("noise", "0")).unwrap();
    sim.create(configmap("solo", "1")).unwrap();
    let event = watch.next_event().unwrap();
    assert_eq!(
        (
            event["type"].as_str(),
            event["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("solo"))
    );
}
