//! A runbook driving the Kubernetes simulator through the real binary:
//! scale, wait for the rollout with `expect … within`, stall the next rollout
//! (after a `confirm` pauses the run, so the moment is deterministic)
//! so the expectation fails showing the observed replica counts, clear the
//! fault, `resume`, succeed — and the scale was sent exactly once.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use std::time::Duration;

use kube_sim::KubeSim;
use run_support::kube::{kubeconfig_arg, sim_with_web};
use run_support::Workspace;

const RUNBOOK: &str = r#"runbook "Scale web" {
  id    "TEST-KUBE-1"
  owner "tests"
}

param replicas: int = 4

let app = kube::deployment("production", "web")
let pods = kube::pods("production", "app=web")

step scale "Scale web" timeout 2m {
  let before = app.replicas()
  undo app.scale(before)
  run app.scale(replicas)
  expect app.rollout_complete() within 60s every 100ms
}

step pool "Raise the pool" timeout 2m {
  confirm "Raise the pool to 20?"
  let pool_before = app.env("POOL")
  undo app.set_env("POOL", pool_before)
  run app.set_env("POOL", "20")
  expect pods.ready() == pods.count() within 3s every 100ms
  expect app.rollout_complete() within 60s every 100ms
}
"#;

fn scale_requests(sim: &KubeSim) -> usize {
    sim.count_requests(|r| {
        r.path.ends_with("/deployments/web/scale")
            && matches!(r.method.as_str(), "PUT" | "PATCH")
            && r.query_param("dryRun").is_none()
    })
}

/// Asserts `production/web` has `replicas` replicas and the env `POOL=pool`.
#[track_caller]
fn assert_web(sim: &KubeSim, replicas: i64, pool: &str) {
    let deploy = sim
        .get("apps/v1", "Deployment", "production", "web")
        .unwrap();
    assert_eq!(deploy["spec"]["replicas"], replicas, "{deploy}");
    let env = &deploy["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "POOL" && e["value"] == pool),
        "{env}"
    );
}

#[test]
fn a_stalled_rollout_fails_the_expectation_then_resume_completes_it() {
    let sim = sim_with_web(KubeSim::builder().rollout_delay(Duration::from_millis(50)));
    let ws = Workspace::new();
    ws.write("scale.runbook", RUNBOOK);
    let kc = &kubeconfig_arg(&sim);

    // `scale` runs; the run then pauses at `pool`'s confirm (no terminal).
    let (first, id) = ws.run("scale.runbook", &["--kubeconfig", kc]);
    first.assert_code(3);
    assert!(sim.rollout_complete("production", "web"));
    assert_eq!(scale_requests(&sim), 1);

    // Stall `web` before the pool change starts its rollout.
    sim.faults().stall_rollouts("production", "web");
    ws.cmd(["approve", &id]).output().assert_code(0);
    let failed = ws.cmd(["resume", &id, "--kubeconfig", kc]).output();
    failed.assert_code(1);
    let out = failed.all();
    assert!(out.contains("pool"), "{out}");
    // The failed expectation shows what it last saw on each side.
    // (ready pods on the left, all pods of `web` on the right).
    assert!(out.contains("pods.ready() == pods.count()"), "{out}");
    assert!(
        out.contains("left: 4") && out.contains("right: "),
        "observed values missing:\n{out}"
    );

    sim.faults().resume_rollouts("production", "web");
    let resumed = ws.cmd(["resume", &id, "--kubeconfig", kc]).output();
    resumed.assert_code(0);

    assert_web(&sim, 4, "20");
    assert!(sim.rollout_complete("production", "web"));
    assert_eq!(scale_requests(&sim), 1, "scale must be sent exactly once");

    // Rolling back puts both values back.
    ws.cmd(["rollback", &id, "--kubeconfig", kc])
        .output()
        .assert_code(0);
    assert_web(&sim, 2, "10");
}
