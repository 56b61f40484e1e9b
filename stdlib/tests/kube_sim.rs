//! The `kube` actions against the Kubernetes API simulator over real HTTP:
//! the shared scenarios (also run against a real cluster by `kube_e2e.rs`),
//! then what only a simulator can show: faults, retries, error messages,
//! and the exact requests sent.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod kube_common;

use std::time::{Duration, Instant};

use common::{assert_mentions, assert_mentions_any_case, assert_starts_with};
use kube_common::{scenarios, Env, Harness};
use kube_sim::{FaultRule, KubeSim};
use runbook_stdlib::KubeOptions;

const NS: &str = "production";

fn start() -> (KubeSim, Env) {
    let sim = KubeSim::start().expect("start the simulator");
    let env = Env {
        kubeconfig: sim.kubeconfig_path().to_path_buf(),
        namespace: NS.into(),
        rollout_timeout: Duration::from_secs(60),
    };
    (sim, env)
}

/// A simulator with flowengine rolled out, and a harness on it.
fn with_flowengine() -> (KubeSim, Env, Harness) {
    let (sim, env) = start();
    let h = env.harness();
    scenarios::deploy_flowengine(&env, &h);
    (sim, env, h)
}

fn fail(method: &'static str, path_contains: &str, status: u16, times: usize) -> FaultRule {
    FaultRule {
        method: Some(method),
        path_contains: Some(path_contains.into()),
        status,
        times,
    }
}

#[test]
fn reads_a_deployment() {
    scenarios::reads_a_deployment(&start().1);
}

#[test]
fn scales_and_waits_for_the_rollout() {
    scenarios::scales_and_waits_for_the_rollout(&start().1);
}

#[test]
fn sets_env_and_restarts() {
    scenarios::sets_env_and_restarts(&start().1);
}

#[test]
fn reads_and_bounds_an_hpa() {
    scenarios::reads_and_bounds_an_hpa(&start().1);
}

#[test]
fn applies_and_restarts_a_statefulset() {
    scenarios::applies_and_restarts_a_statefulset(&start().1);
}

#[test]
fn patches_and_deletes_any_kind() {
    scenarios::patches_and_deletes_any_kind(&start().1);
}

#[test]
fn reads_logs() {
    scenarios::reads_logs(&start().1);
}

#[test]
fn not_found_lists_existing_names() {
    scenarios::not_found_lists_existing_names(&start().1);
}

#[test]
fn dry_run_changes_nothing() {
    scenarios::dry_run_changes_nothing(&start().1);
}

#[test]
fn reports_node_capacity() {
    scenarios::reports_node_capacity(&start().1);
}

#[test]
fn dry_run_sends_every_write_with_dry_run_all_and_the_store_keeps_its_objects() {
    let (sim, env, h) = with_flowengine();
    h.apply(NS, scenarios::FLOWENGINE_HPA);
    let deployment = || {
        sim.get("apps/v1", "Deployment", NS, "flowengine")
            .expect("deployment")
    };
    let hpa = || {
        sim.get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            NS,
            "flowengine-hpa",
        )
        .expect("hpa")
    };
    let (deployment_before, hpa_before) = (deployment(), hpa());
    sim.clear_requests();

    let dry = env.dry_run_harness();
    dry.eval::<()>(r#"kube::deployment("production", "flowengine").scale(7)"#);
    dry.eval::<()>(r#"kube::deployment("production", "flowengine").set_env("DB_POOL_SIZE", 250)"#);
    dry.eval::<()>(r#"kube::deployment("production", "flowengine").restart()"#);
    dry.eval::<()>(r#"kube::hpa("production", "flowengine-hpa").set_bounds(10, 50)"#);
    dry.apply(NS, scenarios::SETTINGS);
    dry.eval::<bool>(r#"kube::delete("production", "hpa/flowengine-hpa")"#);

    let (deployment_after, hpa_after) = (deployment(), hpa());
    assert_eq!(deployment_after["spec"], deployment_before["spec"]);
    assert_eq!(
        deployment_after["metadata"]["generation"],
        deployment_before["metadata"]["generation"]
    );
    assert_eq!(hpa_after["spec"], hpa_before["spec"]);
    assert!(sim.get("v1", "ConfigMap", NS, "settings").is_none());

    let writes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert_eq!(writes.len(), 6, "{writes:#?}");
    for w in &writes {
        assert_eq!(w.query_param("dryRun").as_deref(), Some("All"), "{w:?}");
    }
}

#[test]
fn scale_is_one_patch_of_the_scale_subresource() {
    let (sim, _env, h) = with_flowengine();
    sim.clear_requests();
    h.eval::<()>(r#"kube::deployment("production", "flowengine").scale(4)"#);
    let writes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].path,
        "/apis/apps/v1/namespaces/production/deployments/flowengine/scale"
    );
    assert_eq!(
        writes[0].body,
        Some(serde_json::json!({"spec": {"replicas": 4}}))
    );
    assert_eq!(
        writes[0].query_param("fieldManager").as_deref(),
        Some("runbook")
    );
}

#[test]
fn handles_send_no_request_until_used() {
    let (sim, _env, h) = with_flowengine();
    sim.clear_requests();
    h.eval::<()>(
        r#"let a = kube::deployment("production", "flowengine");
           let b = kube::statefulset("production", "postgres");
           let c = kube::hpa("production", "flowengine-hpa");
           let d = kube::pods("production", "app=flowengine");"#,
    );
    // The context's namespace comes from the kubeconfig, not the server.
    assert_eq!(h.eval::<String>("kube::namespace()"), "default");
    assert_eq!(sim.requests(), []);
    assert_eq!(
        h.eval::<String>(r#"kube::hpa("production", "x").to_string()"#),
        "horizontalpodautoscaler/x in production"
    );
}

#[test]
fn set_env_sends_a_strategic_merge_patch_by_container_and_var_name() {
    let (sim, _env, h) = with_flowengine();
    sim.clear_requests();
    h.eval::<()>(r#"kube::deployment("production", "flowengine").set_env("DB_POOL_SIZE", 200)"#);
    let patch = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .expect("a patch");
    assert_eq!(
        patch.content_type.as_deref(),
        Some("application/strategic-merge-patch+json")
    );
    assert_eq!(
        patch.body,
        Some(
            serde_json::json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "env": [{"name": "DB_POOL_SIZE", "value": "200"}]}
            ]}}}})
        )
    );
}

#[test]
fn apply_is_server_side_with_the_runbook_field_manager_for_every_document() {
    let (sim, env) = start();
    let h = env.harness();
    let manifest = format!(
        "{}\n---\n{}",
        scenarios::FLOWENGINE_HPA,
        scenarios::POSTGRES
    );
    assert_eq!(
        h.apply(NS, &manifest),
        [
            "horizontalpodautoscaler/flowengine-hpa",
            "statefulset/postgres"
        ]
    );
    assert_eq!(
        sim.get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            NS,
            "flowengine-hpa"
        )
        .unwrap()["spec"]["maxReplicas"],
        20
    );
    assert!(sim.get("apps/v1", "StatefulSet", NS, "postgres").is_some());
    let applies: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(applies.len(), 2);
    for a in &applies {
        assert_eq!(
            a.content_type.as_deref(),
            Some("application/apply-patch+yaml")
        );
        assert_eq!(a.query_param("fieldManager").as_deref(), Some("runbook"));
        assert_eq!(a.query_param("force").as_deref(), Some("true"));
    }
    assert_eq!(
        h.sink.effects(),
        [
            "horizontalpodautoscaler/flowengine-hpa: created",
            "statefulset/postgres: created"
        ]
    );

    // With namespace "", each object goes where its manifest says.
    let elsewhere =
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: grafana-db, namespace: monitoring}\n";
    assert_eq!(h.apply("", elsewhere), ["configmap/grafana-db"]);
    assert!(sim
        .get("v1", "ConfigMap", "monitoring", "grafana-db")
        .is_some());

    // An object for another namespace is refused before anything is sent.
    let err = h.eval_err(r#"kube::apply("production", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: staging}\n")"#);
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
    assert_mentions(&err.message, "names namespace staging");
}

#[test]
fn a_conflict_is_retried_on_a_fresh_read_then_succeeds() {
    let (sim, _env, h) = with_flowengine();
    sim.faults()
        .fail_requests(fail("PATCH", "/deployments/flowengine/scale", 409, 2));
    sim.clear_requests();
    h.eval::<()>(r#"kube::deployment("production", "flowengine").scale(6)"#);
    assert_eq!(
        sim.get("apps/v1", "Deployment", NS, "flowengine").unwrap()["spec"]["replicas"],
        6
    );
    let patches = sim.count_requests(|r| r.method == "PATCH" && r.path.ends_with("/scale"));
    let reads =
        sim.count_requests(|r| r.method == "GET" && r.path.ends_with("/deployments/flowengine"));
    assert_eq!((patches, reads), (3, 3), "each attempt reads again");
}

#[test]
fn a_conflict_that_persists_fails_after_a_bounded_number_of_attempts() {
    let (sim, _env, h) = with_flowengine();
    sim.faults()
        .fail_requests(fail("PATCH", "/deployments/flowengine", 409, 100));
    sim.clear_requests();
    let err =
        h.eval_err(r#"kube::deployment("production", "flowengine").set_env("DB_POOL_SIZE", 300)"#);
    assert_eq!(err.code, "runbook::run::kube::conflict");
    assert_mentions(
        &err.message,
        "deployment/flowengine in namespace production",
    );
    assert_mentions(&err.message, "after 5 attempts");
    assert_eq!(sim.count_requests(|r| r.method == "PATCH"), 5);
}

#[test]
fn server_errors_on_reads_are_retried_a_bounded_number_of_times() {
    let (sim, _env, h) = with_flowengine();
    sim.faults()
        .fail_requests(fail("GET", "/deployments/flowengine", 500, 2));
    assert_eq!(
        h.eval::<i64>(r#"kube::deployment("production", "flowengine").replicas()"#),
        3
    );

    sim.faults()
        .fail_requests(fail("GET", "/deployments/flowengine", 503, 100));
    sim.clear_requests();
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::server_error");
    assert_mentions(&err.message, sim.url());
    assert_mentions(&err.message, "after 5 attempts");
    assert_mentions(&err.message, "503");
    assert_eq!(sim.count_requests(|r| r.method == "GET"), 5);
}

#[test]
fn a_write_answered_500_is_not_repeated() {
    let (sim, _env, h) = with_flowengine();
    sim.faults().fail_requests(fail("PATCH", "/scale", 500, 1));
    sim.clear_requests();
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").scale(8)"#);
    assert_eq!(err.code, "runbook::run::kube::server_error");
    assert_eq!(
        sim.count_requests(|r| r.method == "PATCH"),
        1,
        "a 500 may have been applied"
    );
}

#[test]
fn forbidden_and_unauthorized_say_who_may_not_do_what_where() {
    let (sim, _env, h) = with_flowengine();
    sim.faults().fail_requests(fail("PATCH", "/scale", 403, 1));
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").scale(8)"#);
    assert_eq!(err.code, "runbook::run::kube::forbidden");
    assert_starts_with(
        &err.message,
        "not allowed to patch deployments/scale in namespace production",
    );
    assert!(err
        .help
        .as_deref()
        .unwrap_or_default()
        .contains("kubectl auth can-i patch deployments/scale -n production"));

    sim.faults()
        .fail_requests(fail("GET", "/deployments/flowengine", 401, 1));
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::unauthorized");
    assert_mentions(&err.message, "context `sim`");
    assert!(err
        .help
        .as_deref()
        .unwrap_or_default()
        .contains(&sim.kubeconfig_path().display().to_string()));
}

#[test]
fn a_server_that_hangs_up_is_unreachable_naming_server_kubeconfig_and_context() {
    let (sim, env, _) = with_flowengine();
    sim.faults().refuse_connections(true);
    // A new run: its client has no connection open from before the fault.
    let h = env.harness();
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::unreachable");
    assert_mentions(&err.message, sim.url());
    assert_mentions(&err.message, &sim.kubeconfig_path().display().to_string());
    assert_mentions(&err.message, "context `sim`");
    assert!(err
        .help
        .as_deref()
        .unwrap_or_default()
        .contains("kubectl cluster-info"));

    // The same client works again once the server answers.
    sim.faults().clear();
    assert_eq!(
        h.eval::<i64>(r#"kube::deployment("production", "flowengine").replicas()"#),
        3
    );
}

#[test]
fn a_write_whose_answer_is_lost_fails_and_running_it_again_converges() {
    let (sim, _env, h) = with_flowengine();
    sim.faults()
        .drop_after_write("/deployments/flowengine/scale", 1);
    sim.clear_requests();
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").scale(6)"#);
    assert_eq!(err.code, "runbook::run::kube::unreachable");
    let patches: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(
        patches.len(),
        1,
        "a write that may have happened is not repeated blindly: {patches:#?}"
    );
    // The server did scale; running the action again (what resume does)
    // converges instead of failing or scaling twice.
    assert_eq!(
        sim.get("apps/v1", "Deployment", NS, "flowengine").unwrap()["spec"]["replicas"],
        6
    );
    h.eval::<()>(r#"kube::deployment("production", "flowengine").scale(6)"#);
    assert_eq!(
        h.sink.effects().last().map(String::as_str),
        Some("deployment/flowengine: replicas 6 → 6")
    );
}

#[test]
fn a_refused_connection_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    // Port 9 (discard) is closed on test machines: the connection is refused.
    std::fs::write(&path, kube_sim::kubeconfig_yaml("http://127.0.0.1:9")).unwrap();
    let h = Harness::with_kubeconfig(&path, false);
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::unreachable");
    assert_starts_with(
        &err.message,
        "cannot reach the Kubernetes API server at http://127.0.0.1:9 (context `sim` from ",
    );
    assert_mentions_any_case(&err.message, "refused");
}

#[test]
fn a_missing_kubeconfig_or_unknown_context_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let h = Harness::new(
        KubeOptions {
            context: None,
            kubeconfig: Some(missing.clone()),
        },
        false,
    );
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::no_kubeconfig");
    assert_mentions(&err.message, &missing.display().to_string());

    let (sim, _env) = start();
    let h = Harness::new(
        KubeOptions {
            context: Some("prod".into()),
            kubeconfig: Some(sim.kubeconfig_path().to_path_buf()),
        },
        false,
    );
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::bad_kubeconfig");
    assert_mentions(&err.message, "context `prod` is not in");
    assert_eq!(err.help.as_deref(), Some("pass --context with one of: sim"));
}

#[test]
fn the_step_deadline_stops_a_request_the_server_sits_on() {
    let (sim, _env, h) = with_flowengine();
    sim.faults().latency(Duration::from_secs(5));
    h.ctx.enter_step(
        tokio_util::sync::CancellationToken::new(),
        Some(Instant::now() + Duration::from_millis(300)),
    );
    let err = h.eval_err(r#"kube::deployment("production", "flowengine").replicas()"#);
    assert_eq!(err.code, "runbook::run::kube::timeout");
    assert_mentions(&err.message, sim.url());
    sim.faults().clear();
}

#[test]
fn a_stalled_rollout_is_reported_until_it_resumes() {
    let (sim, _env, h) = with_flowengine();
    sim.faults().stall_rollouts(NS, "flowengine");
    h.eval::<()>(r#"kube::deployment("production", "flowengine").scale(5)"#);
    // The controller creates the new pods but they never become ready.
    h.wait_until(
        r#"kube::pods("production", "app=flowengine").count() == 5"#,
        Duration::from_secs(60),
    );
    assert!(!h.eval::<bool>(r#"kube::deployment("production", "flowengine").rollout_complete()"#));
    let status: String = h.eval(r#"kube::deployment("production", "flowengine").rollout_status()"#);
    assert!(
        status.starts_with("Waiting for deployment \"flowengine\" rollout to finish"),
        "{status}"
    );
    sim.faults().resume_rollouts(NS, "flowengine");
    h.wait_until(
        r#"kube::deployment("production", "flowengine").rollout_complete()"#,
        Duration::from_secs(60),
    );
    assert_eq!(
        h.eval::<i64>(r#"kube::pods("production", "app=flowengine").ready()"#),
        5
    );
}

#[test]
fn restarts_are_summed_over_pods() {
    let (sim, _env, h) = with_flowengine();
    let names: Vec<String> = h
        .eval::<rhai::Array>(r#"kube::pods("production", "app=flowengine").names()"#)
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    sim.set_restarts(NS, &names[0], 2);
    sim.set_restarts(NS, &names[1], 1);
    h.wait_until(
        r#"kube::pods("production", "app=flowengine").restarts() == 3"#,
        Duration::from_secs(60),
    );
}

/// `kube::create(ns, yaml)`; the `kind/name`s created.
fn create(h: &Harness, yaml: &str) -> Vec<String> {
    let created: rhai::Array = h.eval_with(
        "kube::create(ns, yaml)",
        &[("ns", NS.into()), ("yaml", yaml.into())],
    );
    created
        .into_iter()
        .map(|d| d.into_string().unwrap())
        .collect()
}

#[test]
fn create_is_one_post_that_a_repeat_finds_done_and_a_dry_run_only_tries() {
    let (sim, env) = start();
    let dry = env.dry_run_harness();
    assert_eq!(create(&dry, scenarios::SETTINGS), ["configmap/settings"]);
    assert!(sim.get("v1", "ConfigMap", NS, "settings").is_none());
    assert_eq!(dry.sink.dry_runs(), ["configmap/settings: created"]);

    let h = env.harness();
    assert_eq!(create(&h, scenarios::SETTINGS), ["configmap/settings"]);
    let stored = sim.get("v1", "ConfigMap", NS, "settings").unwrap();
    assert_eq!(stored["data"]["pool"], "100");
    // Again: 409 AlreadyExists, a read, and the object is what was asked for.
    assert_eq!(create(&h, scenarios::SETTINGS), ["configmap/settings"]);
    assert_eq!(
        h.sink.effects(),
        [
            "configmap/settings: created",
            "configmap/settings: already exists as in the manifest"
        ]
    );
    let posts: Vec<u16> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.query_param("dryRun").is_none())
        .map(|r| r.status)
        .collect();
    assert_eq!(posts, [201, 409]);

    // A different object under the name is an error, and stays as it was.
    let err = h.eval_err(&format!(
        "kube::create({NS:?}, {:?})",
        scenarios::SETTINGS.replace("\"100\"", "\"5\"")
    ));
    assert_eq!(err.code, runbook_stdlib::kube::code::ALREADY_EXISTS);
    assert_mentions(&err.message, r#"data.pool is "100" (manifest: "5")"#);
    let stored = sim.get("v1", "ConfigMap", NS, "settings").unwrap();
    assert_eq!(stored["data"]["pool"], "100");
}
