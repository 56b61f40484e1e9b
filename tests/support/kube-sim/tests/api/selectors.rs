//! Label and field selectors on list (and, through the same code, watch).

use kube_sim::KubeSim;
use serde_json::json;

use crate::client::get;
use crate::fixtures::{sim_with_flowengine, DEADLINE};

fn names(sim: &KubeSim, query: &str) -> Vec<String> {
    let response = get(
        sim,
        &format!("/api/v1/namespaces/default/configmaps?{query}"),
    );
    assert_eq!(response.status, 200, "{query}: {}", response.body);
    let mut names: Vec<String> = response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn seeded() -> KubeSim {
    let sim = KubeSim::start().unwrap();
    for (name, labels) in [
        ("a", json!({"app": "web", "env": "prod"})),
        ("b", json!({"app": "web", "env": "staging"})),
        ("c", json!({"app": "db"})),
    ] {
        sim.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}}))
            .unwrap();
    }
    sim
}

#[test]
fn label_selectors_support_every_operator() {
    let sim = seeded();
    assert_eq!(names(&sim, "labelSelector=app%3Dweb"), ["a", "b"]);
    assert_eq!(names(&sim, "labelSelector=app%3D%3Dweb,env%3Dprod"), ["a"]);
    assert_eq!(names(&sim, "labelSelector=app!%3Dweb"), ["c"]);
    assert_eq!(
        names(&sim, "labelSelector=env+in+(prod,staging)"),
        ["a", "b"]
    );
    assert_eq!(
        names(&sim, "labelSelector=env%20notin%20(prod)"),
        ["b", "c"]
    );
    assert_eq!(names(&sim, "labelSelector=env"), ["a", "b"]);
    assert_eq!(names(&sim, "labelSelector=!env"), ["c"]);
    assert_eq!(names(&sim, ""), ["a", "b", "c"]);
}

#[test]
fn field_selectors_match_name_and_any_field() {
    let sim = seeded();
    assert_eq!(names(&sim, "fieldSelector=metadata.name%3Db"), ["b"]);
    assert_eq!(names(&sim, "fieldSelector=metadata.name!%3Db"), ["a", "c"]);
    assert_eq!(
        names(
            &sim,
            "fieldSelector=metadata.namespace%3Ddefault,metadata.name%3Dc"
        ),
        ["c"]
    );

    let sim = sim_with_flowengine();
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));
    let running = get(
        &sim,
        "/api/v1/namespaces/production/pods?fieldSelector=status.phase%3DRunning",
    )
    .json();
    assert_eq!(running["items"].as_array().unwrap().len(), 3);
    let on_node = get(&sim, "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1").json();
    assert!(on_node["items"].as_array().unwrap().len() <= 3);
}

#[test]
fn malformed_selectors_are_bad_requests() {
    let sim = seeded();
    let response = get(
        &sim,
        "/api/v1/namespaces/default/configmaps?labelSelector=env+in+prod",
    );
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["reason"], "BadRequest");
    let response = get(
        &sim,
        "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name",
    );
    assert_eq!(response.status, 400);
}
