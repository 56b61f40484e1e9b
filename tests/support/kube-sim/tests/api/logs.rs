//! Pod logs from the template annotation, with env expansion and the
//! `tailLines`, `sinceSeconds` and `container` parameters.

use std::time::Duration;

use kube_sim::KubeSim;

use crate::client::{get, patch};
use crate::fixtures::{deployment_yaml, pods_of, sim_with_flowengine, DEADLINE, DEPLOYMENTS};

fn log_url(pod: &str, query: &str) -> String {
    format!("/api/v1/namespaces/production/pods/{pod}/log{query}")
}

fn first_pod(sim: &KubeSim) -> String {
    pods_of(sim, "flowengine")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn logs_expand_env_and_follow_a_restart() {
    let sim = sim_with_flowengine();
    let response = get(&sim, &log_url(&first_pod(&sim), ""));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert_eq!(
        response.body,
        "starting flowengine\nDatabase connection pool initialized: size=100\nready\n"
    );

    let body = r#"{"spec":{"template":{"spec":{"containers":[{"name":"flowengine","env":[{"name":"DB_POOL_SIZE","value":"200"}]}]}}}}"#;
    patch(
        &sim,
        &format!("{DEPLOYMENTS}/flowengine"),
        "application/strategic-merge-patch+json",
        body,
    );
    assert!(sim.wait_for(DEADLINE, |s| {
        s.rollout_complete("production", "flowengine") && pods_of(s, "flowengine").len() == 3
    }));
    let logs = get(&sim, &log_url(&first_pod(&sim), "")).body;
    assert!(logs.contains("size=200"), "{logs}");
}

#[test]
fn tail_lines_since_seconds_and_timestamps() {
    let sim = sim_with_flowengine();
    let pod = first_pod(&sim);
    assert_eq!(get(&sim, &log_url(&pod, "?tailLines=1")).body, "ready\n");
    assert_eq!(
        get(&sim, &log_url(&pod, "?sinceSeconds=3600"))
            .body
            .lines()
            .count(),
        3
    );
    let stamped = get(&sim, &log_url(&pod, "?timestamps=true&tailLines=1")).body;
    let (stamp, line) = stamped.trim_end().split_once(' ').unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
        "{stamp}"
    );
    assert_eq!(line, "ready");
    assert_eq!(get(&sim, &log_url(&pod, "?tailLines=x")).status, 400);
}

#[test]
fn container_must_exist_and_be_named_when_several() {
    let sim = KubeSim::builder()
        .rollout_delay(Duration::from_millis(20))
        .start()
        .unwrap();
    let yaml = deployment_yaml("duo", 1).replace(
        "      containers:\n",
        "      containers:\n      - {name: sidecar, image: envoy:1, env: [{name: MODE, value: proxy}]}\n",
    );
    let yaml = yaml.replace("size=$(DB_POOL_SIZE)", "size=$(DB_POOL_SIZE) mode=$(MODE)");
    sim.apply_yaml(&yaml).unwrap();
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "duo")));
    let pod = pods_of(&sim, "duo")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let unnamed = get(&sim, &log_url(&pod, ""));
    assert_eq!(unnamed.status, 400);
    assert!(unnamed.json()["message"]
        .as_str()
        .unwrap()
        .contains("choose one of: [sidecar duo]"));
    assert_eq!(get(&sim, &log_url(&pod, "?container=nope")).status, 400);
    let sidecar = get(&sim, &log_url(&pod, "?container=sidecar")).body;
    assert!(
        sidecar.contains("size=$(DB_POOL_SIZE) mode=proxy"),
        "unknown variables stay: {sidecar}"
    );
}

#[test]
fn logs_of_a_pod_still_creating_are_refused() {
    let sim = KubeSim::builder()
        .rollout_delay(Duration::from_secs(3600))
        .start()
        .unwrap();
    sim.apply_yaml(&deployment_yaml("slow", 1)).unwrap();
    assert!(sim.wait_for(DEADLINE, |s| pods_of(s, "slow").len() == 1));
    let pod = pods_of(&sim, "slow")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let response = get(&sim, &log_url(&pod, ""));
    assert_eq!(response.status, 400);
    assert!(response.json()["message"]
        .as_str()
        .unwrap()
        .contains("is waiting to start: ContainerCreating"));
}
