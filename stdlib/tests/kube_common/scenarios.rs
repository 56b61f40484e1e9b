//! Action scenarios that run unchanged against the simulator and against a
//! real cluster (`RUNBOOK_E2E_KUBECONFIG`). Each takes an [`Env`] with a
//! namespace of its own and checks what a runbook author would rely on.
//!
//! The manifests work on both: `kube-sim/log` is the simulator's stand-in
//! for what the container's command prints on a real cluster.

use rhai::{Array, Map};

use super::{Env, Harness};

pub const FLOWENGINE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flowengine
  labels: {app: flowengine}
spec:
  replicas: 3
  selector:
    matchLabels: {app: flowengine}
  template:
    metadata:
      labels: {app: flowengine}
      annotations:
        kube-sim/log: "flowengine started with pool=$(DB_POOL_SIZE)"
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: busybox:1.36
        command: ["sh", "-c", "echo flowengine started with pool=$(DB_POOL_SIZE); sleep 86400"]
        env:
        - {name: DB_POOL_SIZE, value: "100"}
        - {name: LOG_LEVEL, value: info}
        resources:
          requests: {cpu: 10m, memory: 16Mi}
"#;

pub const FLOWENGINE_HPA: &str = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: flowengine-hpa
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: flowengine-absent}
  minReplicas: 3
  maxReplicas: 20
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 70}
"#;

pub const POSTGRES: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
spec:
  serviceName: postgres
  replicas: 2
  selector:
    matchLabels: {app: postgres}
  template:
    metadata:
      labels: {app: postgres}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: postgres
        image: busybox:1.36
        command: ["sh", "-c", "sleep 86400"]
"#;

pub const SETTINGS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  pool: "100"
"#;

/// Create the namespace the scenario works in.
pub fn create_namespace(h: &Harness, namespace: &str) {
    let applied = h.apply(
        "",
        &format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"),
    );
    assert_eq!(applied, [format!("namespace/{namespace}")]);
}

/// Apply flowengine and wait until it has rolled out.
pub fn deploy_flowengine(env: &Env, h: &Harness) {
    assert_eq!(
        h.apply(&env.namespace, FLOWENGINE),
        ["deployment/flowengine"]
    );
    h.wait_until(
        &env.script(r#"kube::deployment($NS, "flowengine").rollout_complete()"#),
        env.rollout_timeout,
    );
}

/// Handles read the live object: replicas, env, the whole map, pods.
pub fn reads_a_deployment(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    let s = |t: &str| env.script(t);
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::deployment($NS, "flowengine").replicas()"#)),
        3
    );
    assert_eq!(
        h.eval::<String>(&s(
            r#"kube::deployment($NS, "flowengine").get().metadata.name"#
        )),
        "flowengine"
    );
    assert_eq!(
        h.eval::<String>(&s(
            r#"kube::deployment($NS, "flowengine").env("DB_POOL_SIZE")"#
        )),
        "100"
    );
    assert_eq!(
        h.eval::<String>(&s(
            r#"kube::deployment($NS, "flowengine").env("LOG_LEVEL", "app")"#
        )),
        "info"
    );
    assert!(h.eval::<bool>(&s(
        r#"kube::deployment($NS, "flowengine").env("ABSENT") == ()"#
    )));
    assert!(h
        .eval::<String>(&s(
            r#"kube::deployment($NS, "flowengine").rollout_status()"#
        ))
        .contains("successfully rolled out"));

    // The pods the controller made, read through a selector and through the handle.
    h.wait_until(
        &s(r#"kube::pods($NS, "app=flowengine").ready() == 3"#),
        env.rollout_timeout,
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::pods($NS, "app=flowengine").count()"#)),
        3
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::pods($NS, "app=flowengine").running()"#)),
        3
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::pods($NS, "app=flowengine").restarts()"#)),
        0
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::deployment($NS, "flowengine").pods().count()"#)),
        3
    );
    let names: Array = h.eval(&s(r#"kube::pods($NS, "app=flowengine").names()"#));
    assert_eq!(names.len(), 3);
    assert!(
        names
            .iter()
            .all(|n| n.to_string().starts_with("flowengine-")),
        "{names:?}"
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::pods($NS, "app=nothing").count()"#)),
        0
    );

    // Generic access by kind name, plural and short name.
    for reference in [
        "deploy/flowengine",
        "deployment/flowengine",
        "deployments/flowengine",
        "deployments.apps/flowengine",
    ] {
        let script = s(&format!(r#"kube::get($NS, "{reference}").spec.replicas"#));
        assert_eq!(h.eval::<i64>(&script), 3, "{reference}");
    }
    let listed: Array = h.eval(&s(r#"kube::list($NS, "deployments", "app=flowengine")"#));
    assert_eq!(listed.len(), 1);
    let pods: Array = h.eval(&s(r#"kube::list($NS, "po")"#));
    assert_eq!(pods.len(), 3);
    assert!(h
        .sink
        .events()
        .iter()
        .all(|e| !matches!(e, super::Event::DryRun { .. })));
}

/// `scale(n)` changes spec.replicas through the scale subresource and the
/// rollout completes with n pods running.
pub fn scales_and_waits_for_the_rollout(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    let s = |t: &str| env.script(t);
    h.eval::<()>(&s(r#"kube::deployment($NS, "flowengine").scale(5)"#));
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::deployment($NS, "flowengine").replicas()"#)),
        5
    );
    h.wait_until(
        &s(r#"kube::deployment($NS, "flowengine").rollout_complete()"#),
        env.rollout_timeout,
    );
    h.wait_until(
        &s(r#"kube::pods($NS, "app=flowengine").running() == 5"#),
        env.rollout_timeout,
    );
    assert!(
        h.sink
            .effects()
            .contains(&"deployment/flowengine: replicas 3 → 5".to_owned()),
        "{:?}",
        h.sink.events()
    );

    // Scaling down is the undo of the seed runbook's step.
    h.eval::<()>(&s(r#"kube::deployment($NS, "flowengine").scale(2)"#));
    h.wait_until(
        &s(r#"kube::deployment($NS, "flowengine").rollout_complete()"#),
        env.rollout_timeout,
    );
    h.wait_until(
        &s(r#"kube::pods($NS, "app=flowengine").running() == 2"#),
        env.rollout_timeout,
    );

    let err = h.eval_err(&s(r#"kube::deployment($NS, "flowengine").scale(-1)"#));
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
}

/// `set_env` changes only the named variables, `restart` stamps the
/// template, and both roll the pods.
pub fn sets_env_and_restarts(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    let s = |t: &str| env.script(t);
    let env_of = |name: &str| -> String {
        h.eval(&s(&format!(
            r#"kube::deployment($NS, "flowengine").env("{name}")"#
        )))
    };
    h.eval::<()>(&s(
        r#"kube::deployment($NS, "flowengine").set_env("DB_POOL_SIZE", 200)"#,
    ));
    assert_eq!(env_of("DB_POOL_SIZE"), "200");
    assert_eq!(env_of("LOG_LEVEL"), "info");
    assert!(
        h.sink
            .effects()
            .contains(&"deployment/flowengine: env DB_POOL_SIZE 100 → 200".to_owned()),
        "{:?}",
        h.sink.events()
    );

    // Setting the same value again sends nothing and reports nothing.
    let before = h.sink.events().len();
    h.eval::<()>(&s(
        r#"kube::deployment($NS, "flowengine").set_env("DB_POOL_SIZE", "200")"#,
    ));
    assert_eq!(h.sink.events().len(), before);

    h.eval::<()>(&s(
        r#"kube::deployment($NS, "flowengine").set_env(#{ LOG_LEVEL: "debug", FEATURE_X: true })"#,
    ));
    assert_eq!(env_of("LOG_LEVEL"), "debug");
    assert_eq!(env_of("FEATURE_X"), "true");
    assert_eq!(env_of("DB_POOL_SIZE"), "200");

    // `()` unsets: the undo of setting a variable that was not there.
    h.eval::<()>(&s(
        r#"kube::deployment($NS, "flowengine").set_env("FEATURE_X", ())"#,
    ));
    assert!(h.eval::<bool>(&s(
        r#"kube::deployment($NS, "flowengine").env("FEATURE_X") == ()"#
    )));
    assert!(h
        .sink
        .effects()
        .contains(&"deployment/flowengine: env FEATURE_X true → (unset)".to_owned()));

    h.eval::<()>(&s(r#"kube::deployment($NS, "flowengine").restart()"#));
    let stamp: String = h.eval(&s(
        r#"kube::deployment($NS, "flowengine").get().spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]"#,
    ));
    assert!(
        chrono::DateTime::parse_from_rfc3339(&stamp).is_ok(),
        "{stamp}"
    );
    h.wait_until(
        &s(r#"kube::deployment($NS, "flowengine").rollout_complete()"#),
        env.rollout_timeout,
    );

    let err = h.eval_err(&s(
        r#"kube::deployment($NS, "flowengine").env("X", "sidecar")"#,
    ));
    assert_eq!(err.code, "runbook::run::kube::not_found");
    assert!(err.message.contains("containers: app"), "{}", err.message);
    let err = h.eval_err(&s(
        r#"kube::deployment($NS, "flowengine").set_env("X", [1])"#,
    ));
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
}

/// An autoscaling/v2 HPA applied from YAML, read and re-bounded.
pub fn reads_and_bounds_an_hpa(env: &Env) {
    let h = env.harness();
    let s = |t: &str| env.script(t);
    assert_eq!(
        h.apply(&env.namespace, FLOWENGINE_HPA),
        ["horizontalpodautoscaler/flowengine-hpa"]
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::hpa($NS, "flowengine-hpa").min()"#)),
        3
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::hpa($NS, "flowengine-hpa").max()"#)),
        20
    );
    h.eval::<()>(&s(r#"kube::hpa($NS, "flowengine-hpa").set_bounds(10, 50)"#));
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::hpa($NS, "flowengine-hpa").min()"#)),
        10
    );
    assert_eq!(
        h.eval::<i64>(&s(
            r#"kube::get($NS, "hpa/flowengine-hpa").spec.maxReplicas"#
        )),
        50
    );
    assert!(h.sink.effects().contains(
        &"horizontalpodautoscaler/flowengine-hpa: minReplicas 3 → 10, maxReplicas 20 → 50"
            .to_owned()
    ));
    // Replica counts from status are numbers (0 until the controller reports).
    assert!(h.eval::<i64>(&s(r#"kube::hpa($NS, "flowengine-hpa").current()"#)) >= 0);
    assert!(h.eval::<i64>(&s(r#"kube::hpa($NS, "flowengine-hpa").desired()"#)) >= 0);
    let err = h.eval_err(&s(r#"kube::hpa($NS, "flowengine-hpa").set_bounds(5, 2)"#));
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
}

/// An apps/v1 StatefulSet applied, rolled out, restarted and scaled.
pub fn applies_and_restarts_a_statefulset(env: &Env) {
    let h = env.harness();
    let s = |t: &str| env.script(t);
    assert_eq!(h.apply(&env.namespace, POSTGRES), ["statefulset/postgres"]);
    h.wait_until(
        &s(r#"kube::statefulset($NS, "postgres").rollout_complete()"#),
        env.rollout_timeout,
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::statefulset($NS, "postgres").replicas()"#)),
        2
    );
    // Applying the same manifest again changes nothing, and the journal says so.
    h.apply(&env.namespace, POSTGRES);
    assert!(
        h.sink
            .effects()
            .contains(&"statefulset/postgres: unchanged".to_owned()),
        "{:?}",
        h.sink.events()
    );
    h.eval::<()>(&s(r#"kube::statefulset($NS, "postgres").restart()"#));
    h.wait_until(
        &s(r#"kube::statefulset($NS, "postgres").rollout_complete()"#),
        env.rollout_timeout,
    );
    h.eval::<()>(&s(r#"kube::statefulset($NS, "postgres").scale(3)"#));
    h.wait_until(
        &s(r#"kube::statefulset($NS, "postgres").rollout_complete()"#),
        env.rollout_timeout,
    );
    h.wait_until(
        &s(r#"kube::pods($NS, "app=postgres").ready() == 3"#),
        env.rollout_timeout,
    );
    assert_eq!(
        h.eval::<i64>(&s(r#"kube::get($NS, "sts/postgres").spec.replicas"#)),
        3
    );
}

/// Merge and JSON patches on any kind, and delete (idempotent).
pub fn patches_and_deletes_any_kind(env: &Env) {
    let h = env.harness();
    let s = |t: &str| env.script(t);
    assert_eq!(h.apply(&env.namespace, SETTINGS), ["configmap/settings"]);
    let patched: Map = h.eval(&s(
        r#"kube::patch($NS, "cm/settings", #{ data: #{ pool: "200", mode: "fast" } }, "merge")"#,
    ));
    assert_eq!(
        patched["data"].clone().cast::<Map>()["pool"].to_string(),
        "200"
    );
    assert_eq!(
        h.eval::<String>(&s(r#"kube::get($NS, "configmap/settings").data.mode"#)),
        "fast"
    );
    assert!(
        h.sink
            .effects()
            .iter()
            .any(|e| e.contains("data.pool: 100 → 200")),
        "{:?}",
        h.sink.events()
    );

    let pool: String = h.eval(&s(
        r#"kube::patch($NS, "cm/settings", [#{ op: "replace", path: "/data/pool", value: "300" }], "json").data.pool"#,
    ));
    assert_eq!(pool, "300");
    assert_eq!(
        h.eval::<String>(&s(r#"kube::get($NS, "cm/settings").data.pool"#)),
        "300"
    );
    // JSON text works as well, as with `kubectl patch -p`.
    assert!(!h.eval::<bool>(&s(
        r#"kube::patch($NS, "cm/settings", `[{"op": "remove", "path": "/data/mode"}]`, "json").data.contains("mode")"#,
    )));
    assert!(h.eval::<bool>(&s(r#"!("mode" in kube::get($NS, "cm/settings").data)"#)));

    assert!(h.eval::<bool>(&s(r#"kube::delete($NS, "cm/settings")"#)));
    assert!(!h.eval::<bool>(&s(r#"kube::delete($NS, "cm/settings")"#)));
    assert!(h
        .sink
        .effects()
        .contains(&"configmap/settings: already absent, nothing to delete".to_owned()));
    let err = h.eval_err(&s(r#"kube::get($NS, "cm/settings")"#));
    assert_eq!(err.code, "runbook::run::kube::not_found");

    let err = h.eval_err(&s(r#"kube::get($NS, "frobnicator/x")"#));
    assert_eq!(err.code, "runbook::run::kube::unknown_kind");
    let err = h.eval_err(&s(r#"kube::get($NS, "settings")"#));
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
}

/// Logs of the workload's pods, with tail.
pub fn reads_logs(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    let s = |t: &str| env.script(t);
    let logs = {
        // A container may need a moment to print its first line.
        let script = s(r#"kube::deployment($NS, "flowengine").logs(#{ tail: 1 })"#);
        h.wait_until(
            &format!("{script}.contains(\"pool=100\")"),
            env.rollout_timeout,
        );
        h.eval::<String>(&script)
    };
    assert_eq!(logs.lines().count(), 3, "one line per pod: {logs}");
    assert!(
        logs.lines()
            .all(|l| l.ends_with("flowengine started with pool=100")),
        "{logs}"
    );
    let err = h.eval_err(&s(
        r#"kube::deployment($NS, "flowengine").logs(#{ lines: 1 })"#,
    ));
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
}

/// A 404 names the object and namespace and lists the names that exist.
pub fn not_found_lists_existing_names(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    let err = h.eval_err(&env.script(r#"kube::deployment($NS, "flowengin").replicas()"#));
    assert_eq!(err.code, "runbook::run::kube::not_found");
    assert_eq!(
        err.message,
        format!(
            "deployment/flowengin not found in namespace {ns} (deployments in namespace {ns}: flowengine)",
            ns = env.namespace
        )
    );
    let err = h.eval_err(&env.script(r#"kube::statefulset($NS, "postgres").scale(2)"#));
    assert_eq!(
        err.message,
        format!(
            "statefulset/postgres not found in namespace {} (there are no statefulsets there)",
            env.namespace
        )
    );
}

/// Dry run sends every effect with dryRun=All, reports what would change,
/// and leaves the objects as they were.
pub fn dry_run_changes_nothing(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    h.apply(&env.namespace, FLOWENGINE_HPA);
    let s = |t: &str| env.script(t);
    let snapshot = |h: &Harness| {
        (
            h.eval::<i64>(&s(r#"kube::deployment($NS, "flowengine").replicas()"#)),
            h.eval::<String>(&s(
                r#"kube::deployment($NS, "flowengine").env("DB_POOL_SIZE")"#,
            )),
            h.eval::<i64>(&s(r#"kube::hpa($NS, "flowengine-hpa").min()"#)),
            h.eval::<bool>(&s(
                r#"kube::deployment($NS, "flowengine").get().spec.template.metadata.annotations
                                  .contains("kubectl.kubernetes.io/restartedAt")"#,
            )),
            h.eval::<i64>(&s(r#"kube::list($NS, "cm", "dry=run").len()"#)),
        )
    };
    let before = snapshot(&h);

    let dry = env.dry_run_harness();
    dry.eval::<()>(&s(r#"kube::deployment($NS, "flowengine").scale(7)"#));
    dry.eval::<()>(&s(
        r#"kube::deployment($NS, "flowengine").set_env("DB_POOL_SIZE", 250)"#,
    ));
    dry.eval::<()>(&s(r#"kube::deployment($NS, "flowengine").restart()"#));
    dry.eval::<()>(&s(r#"kube::hpa($NS, "flowengine-hpa").set_bounds(10, 50)"#));
    dry.apply(&env.namespace, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry, labels: {dry: run}}\ndata: {a: b}\n");
    // The answer is the object as it would be.
    assert!(dry.eval::<bool>(&s(
        r#"kube::patch($NS, "deploy/flowengine", #{ spec: #{ paused: true } }).spec.paused"#
    )));
    assert!(dry.eval::<bool>(&s(r#"kube::delete($NS, "hpa/flowengine-hpa")"#)));

    assert_eq!(snapshot(&h), before, "dry run changed the cluster");
    assert!(dry.sink.effects().is_empty(), "{:?}", dry.sink.events());
    let said = dry.sink.dry_runs();
    for expected in [
        "deployment/flowengine: replicas 3 → 7",
        "deployment/flowengine: env DB_POOL_SIZE 100 → 250",
        "horizontalpodautoscaler/flowengine-hpa: minReplicas 3 → 10, maxReplicas 20 → 50",
        "configmap/dry: created",
        "deployment/flowengine: spec.paused: (none) → true",
        "horizontalpodautoscaler/flowengine-hpa: deleted",
    ] {
        assert!(
            said.iter().any(|d| d == expected),
            "missing {expected:?} in {said:#?}"
        );
    }
    assert!(
        said.iter()
            .any(|d| d.starts_with("deployment/flowengine: rollout restart")),
        "{said:#?}"
    );
}

/// Nodes with allocatable and requested resources in numbers.
pub fn reports_node_capacity(env: &Env) {
    let h = env.harness();
    deploy_flowengine(env, &h);
    let nodes: Array = h.eval("kube::nodes()");
    assert!(!nodes.is_empty());
    for node in &nodes {
        let node = node.clone().cast::<Map>();
        let allocatable = node["allocatable"].clone().cast::<Map>();
        assert!(allocatable["cpu"].as_int().unwrap() > 0, "{node:?}");
        assert!(allocatable["memory"].as_int().unwrap() > 0, "{node:?}");
        let requested = node["requested"].clone().cast::<Map>();
        assert!(requested["cpu"].as_int().unwrap() >= 0, "{node:?}");
    }
    // flowengine's 3 pods ask 10m and 16Mi each, somewhere in the cluster.
    let requested_cpu: i64 = nodes
        .iter()
        .map(|n| {
            n.clone().cast::<Map>()["requested"].clone().cast::<Map>()["cpu"]
                .as_int()
                .unwrap()
        })
        .sum();
    assert!(requested_cpu >= 30, "{nodes:?}");
    // Cluster-scoped kinds take no namespace; "" lists across namespaces.
    let first = nodes[0].clone().cast::<Map>()["name"].to_string();
    let script = format!(r#"kube::get("", "node/{first}").metadata.name"#);
    assert_eq!(h.eval::<String>(&script), first);
    assert!(h.eval::<i64>(r#"kube::list("", "pods", "app=flowengine").len()"#) >= 3);
    let err = h.eval_err(r#"kube::get("", "deploy/flowengine")"#);
    assert_eq!(err.code, "runbook::run::kube::bad_argument");
    assert!(err.message.contains("is namespaced"), "{}", err.message);

    let total: Map = h.eval("kube::capacity()");
    assert!(total["nodes"].as_int().unwrap() >= 1);
    let free = total["free"].clone().cast::<Map>();
    let allocatable = total["allocatable"].clone().cast::<Map>();
    assert!(free["cpu"].as_int().unwrap() < allocatable["cpu"].as_int().unwrap());
}
