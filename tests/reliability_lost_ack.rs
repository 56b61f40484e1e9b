//! Lost acknowledgements converge: the Kubernetes simulator performs a write
//! and then drops the connection unanswered, or answers 500; the step fails
//! (the outcome is unknown to the client) and its retry — or a resume —
//! sends the same idempotent write again and the cluster ends as intended,
//! with the write applied once in effect. A `kube::create` whose answer was
//! lost meets 409 AlreadyExists on its repeat and succeeds when the object
//! is the one it asked for.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use kube_sim::{FaultRule, KubeSim};
use run_support::kube::{kubeconfig_arg, sim_with_web};
use run_support::Workspace;

const CONFIG: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: limits
  namespace: production
data:
  pool: \"20\"
";

fn runbook(retry: &str) -> String {
    format!(
        r#"runbook "Lost acks" {{
  id    "T-REL-LOST-ACK"
  owner "tests"
}}

let app = kube::deployment("production", "web")

step scale "Scale web" timeout 2m{retry} {{
  let before = app.replicas()
  undo app.scale(before)
  run app.scale(5)
  expect app.replicas() == 5 within 30s every 100ms
}}

step config "Apply the config" timeout 2m{retry} {{
  undo kube::delete("production", "configmap/limits")
  run kube::apply("production", file("limits.yaml"))
  expect kube::get("production", "configmap/limits").data.pool == "20" within 30s every 100ms
}}
"#
    )
}

/// A cluster holding `production/web` ([`run_support::kube::WEB_DEPLOYMENT`]).
fn sim() -> KubeSim {
    sim_with_web(KubeSim::builder())
}

fn converged(sim: &KubeSim) {
    let deploy = sim
        .get("apps/v1", "Deployment", "production", "web")
        .unwrap();
    assert_eq!(deploy["spec"]["replicas"], 5, "{deploy}");
    assert_pool(sim, "20");
}

/// Asserts the `limits` ConfigMap holds `pool`.
#[track_caller]
fn assert_pool(sim: &KubeSim, pool: &str) {
    let config = sim.get("v1", "ConfigMap", "production", "limits").unwrap();
    assert_eq!(config["data"]["pool"], pool, "{config}");
}

fn writes(sim: &KubeSim, path_end: &str) -> usize {
    sim.count_requests(|r| {
        r.path.ends_with(path_end)
            && matches!(r.method.as_str(), "PUT" | "PATCH" | "POST")
            && r.query_param("dryRun").is_none()
    })
}

/// A workspace holding the runbook `name` (`text`) and the ConfigMap it applies.
fn workspace(name: &str, text: &str) -> Workspace {
    let ws = Workspace::new();
    ws.write(name, text);
    ws.write("limits.yaml", CONFIG);
    ws
}

#[test]
fn dropped_connections_after_writes_converge_on_step_retry() {
    let sim = sim();
    sim.faults().drop_after_write("/deployments/web/scale", 1);
    sim.faults().drop_after_write("/configmaps/limits", 1);
    let ws = workspace("lost.runbook", &runbook(" retry 2 backoff 100ms"));
    let kc = kubeconfig_arg(&sim);
    let (out, _) = ws.run("lost.runbook", &["--kubeconfig", &kc]);
    out.assert_code(0);
    converged(&sim);
    // The lost write was performed, then sent again by the retry.
    assert!(writes(&sim, "/deployments/web/scale") >= 2);
    assert!(writes(&sim, "/configmaps/limits") >= 2);
}

#[test]
fn a_500_after_a_lost_ack_converges_on_resume() {
    let sim = sim();
    sim.faults().drop_after_write("/deployments/web/scale", 1);
    sim.faults().fail_requests(FaultRule {
        method: Some("PATCH"),
        path_contains: Some("/configmaps/limits".into()),
        status: 500,
        times: 1,
    });
    let ws = workspace("lost.runbook", &runbook(""));
    let kc = kubeconfig_arg(&sim);
    // Without a retry the first lost acknowledgement fails the run.
    let (out, id) = ws.run("lost.runbook", &["--kubeconfig", &kc]);
    out.assert_code(1);
    assert!(out.all().contains("scale"), "{}", out.all());
    // The first resume meets the 500 on the config.
    let again = ws.cmd(["resume", &id, "--kubeconfig", &kc]).output();
    again.assert_code(1);
    assert!(again.all().contains("500"), "{}", again.all());
    ws.cmd(["resume", &id, "--kubeconfig", &kc])
        .output()
        .assert_code(0);
    converged(&sim);
}

/// Creates a ConfigMap with `kube::create` (not idempotent on the wire: a
/// second POST meets 409 AlreadyExists).
fn create_runbook(retry: &str) -> String {
    format!(
        r#"runbook "Lost create acks" {{
  id    "T-REL-LOST-CREATE"
  owner "tests"
}}

step create "Create the config" timeout 2m{retry} {{
  undo kube::delete("production", "configmap/limits")
  run kube::create("production", file("limits.yaml"))
  expect kube::get("production", "configmap/limits").data.pool == "20" within 30s every 100ms
}}
"#
    )
}

fn creates(sim: &KubeSim) -> usize {
    sim.count_requests(|r| {
        r.method == "POST"
            && r.path.ends_with("/namespaces/production/configmaps")
            && r.query_param("dryRun").is_none()
    })
}

#[test]
fn a_create_whose_answer_was_dropped_succeeds_on_step_retry() {
    let sim = sim();
    sim.faults()
        .drop_after("POST", "/namespaces/production/configmaps", 1);
    let ws = workspace("create.runbook", &create_runbook(" retry 2 backoff 100ms"));
    let kc = kubeconfig_arg(&sim);
    let (out, _) = ws.run("create.runbook", &["--kubeconfig", &kc]);
    out.assert_code(0);
    // The retry's POST met the object the lost one created, found it equal
    // to the manifest, and took it as created.
    assert_eq!(creates(&sim), 2);
    assert_eq!(
        sim.count_requests(|r| r.method == "POST" && r.status == 409),
        1
    );
    assert!(
        out.all().contains("already exists as in the manifest"),
        "{}",
        out.all()
    );
    assert_pool(&sim, "20");
}

#[test]
fn a_create_answered_500_after_it_happened_succeeds_on_resume() {
    let sim = sim();
    sim.faults()
        .fail_after("POST", "/namespaces/production/configmaps", 500, 1);
    let ws = workspace("create.runbook", &create_runbook(""));
    let kc = kubeconfig_arg(&sim);
    let (out, id) = ws.run("create.runbook", &["--kubeconfig", &kc]);
    out.assert_code(1);
    assert!(out.all().contains("500"), "{}", out.all());
    ws.cmd(["resume", &id, "--kubeconfig", &kc])
        .output()
        .assert_code(0);
    assert_eq!(creates(&sim), 2);
    assert_pool(&sim, "20");
}

#[test]
fn a_create_that_meets_a_different_object_fails_naming_the_difference() {
    let sim = sim();
    sim.apply_yaml(&CONFIG.replace("\"20\"", "\"10\"")).unwrap();
    let ws = workspace("create.runbook", &create_runbook(""));
    let kc = kubeconfig_arg(&sim);
    let (out, _) = ws.run("create.runbook", &["--kubeconfig", &kc]);
    out.assert_code(1);
    let said = out.all();
    assert!(
        said.contains("runbook::run::kube::already_exists"),
        "{said}"
    );
    assert!(
        said.contains("configmap/limits already exists in namespace production")
            && said.contains(r#"data.pool is "10" (manifest: "20")"#),
        "{said}"
    );
    // The object someone else made is left as it was.
    assert_pool(&sim, "10");
}
