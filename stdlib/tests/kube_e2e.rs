//! The shared `kube` scenarios against a real cluster:
//!
//! ```text
//! RUNBOOK_E2E_KUBECONFIG=~/.kube/kind-config cargo nextest run -p runbook-stdlib \
//!     --test kube_e2e --run-ignored all
//! ```
//!
//! Each scenario works in a namespace of its own (`runbook-e2e-…`), created
//! with `kube::apply` and deleted afterwards with `kube::delete`. The
//! cluster must be able to pull `busybox:1.36`.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod kube_common;

use std::path::PathBuf;
use std::time::Duration;

use kube_common::{scenarios, Env};

const VAR: &str = "RUNBOOK_E2E_KUBECONFIG";

/// A namespace for one scenario, removed when dropped.
struct Namespace {
    env: Env,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let h = self.env.harness();
        // Best effort: a failed scenario should still leave nothing behind.
        let _ = h.engine.eval::<bool>(&format!(
            "kube::delete(\"\", \"namespace/{}\")",
            self.env.namespace
        ));
    }
}

fn cluster(scenario: &str) -> Option<Namespace> {
    let Some(path) = std::env::var_os(VAR).filter(|v| !v.is_empty()) else {
        eprintln!("skipped: set {VAR} to a kubeconfig to run against a real cluster");
        return None;
    };
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let env = Env {
        kubeconfig: PathBuf::from(path),
        namespace: format!("runbook-e2e-{scenario}-{}", &suffix[..6]),
        rollout_timeout: Duration::from_secs(300),
    };
    scenarios::create_namespace(&env.harness(), &env.namespace);
    Some(Namespace { env })
}

macro_rules! on_a_real_cluster {
    ($($scenario:ident => $short:literal),* $(,)?) => {$(
        #[test]
        #[ignore = "needs a real cluster: set RUNBOOK_E2E_KUBECONFIG"]
        fn $scenario() {
            if let Some(ns) = cluster($short) {
                scenarios::$scenario(&ns.env);
            }
        }
    )*};
}

on_a_real_cluster! {
    reads_a_deployment => "read",
    scales_and_waits_for_the_rollout => "scale",
    sets_env_and_restarts => "env",
    reads_and_bounds_an_hpa => "hpa",
    applies_and_restarts_a_statefulset => "sts",
    patches_and_deletes_any_kind => "patch",
    reads_logs => "logs",
    not_found_lists_existing_names => "notfound",
    dry_run_changes_nothing => "dryrun",
    reports_node_capacity => "nodes",
}
