//! Fault injection: failing requests, latency, refused connections and lost
//! acknowledgements.

use std::time::{Duration, Instant};

use kube_sim::FaultRule;

use crate::client::{get, patch, post, send};
use crate::fixtures::{deployment, sim_with_flowengine, DEPLOYMENTS};

#[test]
fn fail_requests_answers_the_status_n_times_then_recovers() {
    let sim = sim_with_flowengine();
    sim.faults().fail_requests(FaultRule {
        method: Some("PATCH"),
        path_contains: Some("/flowengine/scale".to_string()),
        status: 503,
        times: 2,
    });
    let url = format!("{DEPLOYMENTS}/flowengine/scale");
    let body = r#"{"spec":{"replicas":4}}"#;
    // Other requests are untouched.
    assert_eq!(get(&sim, &url).status, 200);
    for _ in 0..2 {
        let response = patch(&sim, &url, "application/merge-patch+json", body);
        assert_eq!(response.status, 503);
        let status = response.json();
        assert_eq!(
            (status["kind"].as_str(), status["reason"].as_str()),
            (Some("Status"), Some("ServiceUnavailable"))
        );
    }
    assert_eq!(
        deployment(&sim, "flowengine")["spec"]["replicas"],
        3,
        "failed requests change nothing"
    );
    assert_eq!(
        patch(&sim, &url, "application/merge-patch+json", body).status,
        200
    );
    assert_eq!(deployment(&sim, "flowengine")["spec"]["replicas"], 4);
    assert_eq!(
        sim.count_requests(|r| r.method == "PATCH" && r.status == 503),
        2
    );
}

#[test]
fn fail_requests_can_answer_conflicts_and_internal_errors() {
    let sim = sim_with_flowengine();
    let url = format!("{DEPLOYMENTS}/flowengine");
    for (status, reason) in [(409, "Conflict"), (500, "InternalError")] {
        sim.faults().fail_requests(FaultRule {
            method: None,
            path_contains: None,
            status,
            times: 1,
        });
        let response = get(&sim, &url);
        assert_eq!(response.status, status);
        assert_eq!(response.json()["reason"], reason);
        assert_eq!(get(&sim, &url).status, 200);
    }
}

#[test]
fn latency_delays_every_request() {
    let sim = sim_with_flowengine();
    sim.faults().latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(get(&sim, "/version").status, 200);
    // A lower bound only: a slow machine can only make this longer.
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.faults().clear();
    assert_eq!(get(&sim, "/version").status, 200);
}

#[test]
fn refused_connections_get_no_answer_until_switched_off() {
    let sim = sim_with_flowengine();
    sim.faults().refuse_connections(true);
    let result = send(&sim, "GET", "/version", None, "");
    assert!(
        result.is_err(),
        "expected a closed connection, got {result:?}"
    );
    sim.faults().refuse_connections(false);
    assert_eq!(get(&sim, "/version").status, 200);
}

#[test]
fn drop_after_write_applies_the_write_but_loses_the_answer() {
    let sim = sim_with_flowengine();
    sim.faults().drop_after_write("/deployments/flowengine", 1);
    let url = format!("{DEPLOYMENTS}/flowengine");
    let result = send(
        &sim,
        "PATCH",
        &url,
        Some("application/merge-patch+json"),
        r#"{"spec":{"replicas":6}}"#,
    );
    assert!(result.is_err(), "expected no answer, got {result:?}");
    assert_eq!(
        deployment(&sim, "flowengine")["spec"]["replicas"],
        6,
        "the write happened"
    );
    assert_eq!(
        sim.count_requests(|r| r.method == "PATCH" && r.status == 0),
        1
    );
    // Reads are never dropped, and the rule is used up.
    assert_eq!(get(&sim, &url).status, 200);
    let again = patch(
        &sim,
        &url,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":5}}"#,
    );
    assert_eq!(again.status, 200);
}

#[test]
fn a_create_can_lose_its_answer_to_a_drop_or_an_error_status() {
    let sim = sim_with_flowengine();
    let configmaps = "/api/v1/namespaces/production/configmaps";
    let config = |name: &str| {
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name},
            "data": {"pool": "20"},
        })
    };
    sim.faults().drop_after("POST", configmaps, 1);
    sim.faults().fail_after("POST", configmaps, 500, 1);
    // Only POSTs match: a PATCH of the same collection's object is answered.
    let touched = patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/merge-patch+json",
        r#"{"metadata":{"labels":{"touched":"yes"}}}"#,
    );
    assert_eq!(touched.status, 200);

    let body = config("dropped").to_string();
    let dropped = send(&sim, "POST", configmaps, Some("application/json"), &body);
    assert!(dropped.is_err(), "expected no answer, got {dropped:?}");
    let failed = post(&sim, configmaps, &config("failed"));
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json()["reason"], "InternalError");
    // Both were performed.
    for name in ["dropped", "failed"] {
        let stored = sim.get("v1", "ConfigMap", "production", name).unwrap();
        assert_eq!(stored["data"]["pool"], "20", "{name}");
    }
    // The rules are used up: a repeat meets the object.
    let again = post(&sim, configmaps, &config("failed"));
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["reason"], "AlreadyExists");
}

#[test]
fn clear_removes_every_fault() {
    let sim = sim_with_flowengine();
    let faults = sim.faults();
    faults.fail_requests(FaultRule {
        method: None,
        path_contains: None,
        status: 500,
        times: 10,
    });
    faults.drop_after_write("/", 10);
    faults.clear();
    let response = patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":2}}"#,
    );
    assert_eq!(response.status, 200);
}

#[test]
fn injected_authorization_errors_read_like_the_real_server() {
    let sim = sim_with_flowengine();
    sim.faults().fail_requests(FaultRule {
        method: Some("PATCH"),
        path_contains: None,
        status: 403,
        times: 1,
    });
    let url = format!("{DEPLOYMENTS}/flowengine/scale");
    let status = patch(
        &sim,
        &url,
        "application/merge-patch+json",
        r#"{"spec":{"replicas":4}}"#,
    )
    .json();
    assert_eq!(status["reason"], "Forbidden");
    assert_eq!(
        status["message"],
        "deployments.apps \"flowengine\" is forbidden: User \"system:serviceaccount:default:runbook\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"production\""
    );
    sim.faults().fail_requests(FaultRule {
        method: None,
        path_contains: None,
        status: 401,
        times: 1,
    });
    let response = get(&sim, DEPLOYMENTS);
    assert_eq!(
        (response.status, response.json()["reason"].as_str()),
        (401, Some("Unauthorized"))
    );
    sim.faults().fail_requests(FaultRule {
        method: None,
        path_contains: None,
        status: 409,
        times: 1,
    });
    let conflict = patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/merge-patch+json",
        "{}",
    )
    .json();
    assert!(conflict["message"]
        .as_str()
        .unwrap()
        .starts_with("Operation cannot be fulfilled on deployments.apps \"flowengine\""));
}
