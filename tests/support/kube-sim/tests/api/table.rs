//! Server-side printing: `Accept: application/json;as=Table;…` on get,
//! list and watch.

use crate::client::{send_with, Response, Watch};
use crate::fixtures::{sim_with_flowengine, DEPLOYMENTS};

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

fn table(sim: &kube_sim::KubeSim, target: &str) -> Response {
    send_with(sim, "GET", target, &[("Accept", TABLE)], "").unwrap()
}

#[test]
fn deployments_print_ready_up_to_date_available_and_age() {
    let sim = sim_with_flowengine();
    let table = table(&sim, DEPLOYMENTS).json();
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(columns, ["Name", "Ready", "Up-to-date", "Available", "Age"]);
    let row = &table["rows"][0];
    assert_eq!(
        row["cells"].as_array().unwrap()[..4],
        [
            serde_json::json!("flowengine"),
            "3/3".into(),
            3.into(),
            3.into()
        ]
    );
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["metadata"]["name"], "flowengine");
}

#[test]
fn pods_print_readiness_status_and_restarts_and_can_include_objects() {
    let sim = sim_with_flowengine();
    let table = table(
        &sim,
        "/api/v1/namespaces/production/pods?includeObject=Object",
    )
    .json();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row["cells"][1], "1/1");
        assert_eq!(row["cells"][2], "Running");
        assert_eq!(row["cells"][3], 0);
        assert_eq!(row["object"]["kind"], "Pod");
    }
}

#[test]
fn watch_events_carry_one_row_tables() {
    let sim = sim_with_flowengine();
    let mut watch = Watch::open_with(
        &sim,
        &format!("{DEPLOYMENTS}?watch=1"),
        &[("Accept", TABLE)],
    );
    let event = watch.next_event().unwrap();
    assert_eq!(event["type"], "ADDED");
    assert_eq!(event["object"]["kind"], "Table");
    assert_eq!(event["object"]["rows"][0]["cells"][0], "flowengine");
    assert_eq!(event["object"]["rows"][0]["cells"][1], "3/3");
}

#[test]
fn events_print_like_kubectl_get_events() {
    let sim = sim_with_flowengine();
    let table = table(&sim, "/api/v1/namespaces/production/events").json();
    assert_eq!(
        table["columnDefinitions"][0]["priority"], 1,
        "names are hidden"
    );
    let scaling = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cells"][3] == "ScalingReplicaSet")
        .unwrap();
    assert_eq!(scaling["cells"][2], "Normal");
    assert_eq!(scaling["cells"][4], "deployment/flowengine");
}
