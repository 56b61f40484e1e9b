//! The real `kubectl` against the Kubernetes API simulator: the commands of
//! the capacity-scaling seed runbook, each checked by reading the object
//! back through the simulator. Skipped (with the reason printed) when
//! `kubectl` is not on PATH; CI installs Debian's `kubernetes-client`.

// Tests fail loudly on anything unexpected; unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kube_sim::{KubeSim, RequestRecord};
use serde_json::Value;

/// Generous: kubectl does discovery first, and machines are shared.
const DEADLINE: Duration = Duration::from_secs(60);

const FLOWENGINE: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: flowengine, namespace: production, labels: {app: flowengine}}
spec:
  replicas: 3
  selector: {matchLabels: {app: flowengine}}
  template:
    metadata:
      labels: {app: flowengine}
      annotations: {kube-sim/log: "Database connection pool initialized: size=$(DB_POOL_SIZE)"}
    spec:
      containers:
      - name: flowengine
        image: registry.example/flowengine:1.0
        env: [{name: DB_POOL_SIZE, value: "100"}, {name: LOG_LEVEL, value: info}]
        resources: {requests: {cpu: "2", memory: 4Gi}}
"#;

fn kubectl_path() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("kubectl"))
            .find(|candidate| candidate.is_file())
    })
}

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

/// A simulator with flowengine rolled out, and kubectl pointed at it.
struct Harness {
    sim: KubeSim,
    kubectl: PathBuf,
    cache: tempfile::TempDir,
}

impl Harness {
    fn start() -> Option<Harness> {
        let Some(kubectl) = kubectl_path() else {
            eprintln!("skipped: kubectl is not on PATH (CI installs Debian's kubernetes-client)");
            return None;
        };
        let sim = KubeSim::builder()
            .rollout_delay(Duration::from_millis(100))
            .start()
            .expect("start the simulator");
        sim.apply_yaml(FLOWENGINE).expect("seed flowengine");
        assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));
        let cache = tempfile::tempdir().expect("kubectl cache dir");
        Some(Harness {
            sim,
            kubectl,
            cache,
        })
    }

    /// Runs kubectl with the simulator's kubeconfig, killing it after the deadline.
    fn kubectl(&self, args: &[&str]) -> Output {
        let mut child = Command::new(&self.kubectl)
            .args(args)
            .arg("--cache-dir")
            .arg(self.cache.path())
            .arg("--request-timeout=30s")
            .env("KUBECONFIG", self.sim.kubeconfig_path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl");
        let started = Instant::now();
        while child.try_wait().expect("poll kubectl").is_none() {
            if started.elapsed() > DEADLINE {
                child.kill().expect("kill a hung kubectl");
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().expect("kubectl output");
        Output {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.success,
            "kubectl {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// `kubectl VERB… deployment/flowengine -n production EXTRA…`.
    fn on_flowengine(&self, verb: &[&str], extra: &[&str]) -> Output {
        self.kubectl(&flowengine_args(verb, extra))
    }

    /// [`Harness::on_flowengine`], which must succeed; its standard output.
    fn ok_on_flowengine(&self, verb: &[&str], extra: &[&str]) -> String {
        self.ok(&flowengine_args(verb, extra))
    }

    /// `kubectl get pods` of flowengine, with `extra` arguments; must succeed.
    fn flowengine_pods(&self, extra: &[&str]) -> String {
        let select = ["get", "pods", "-n", "production", "-l", "app=flowengine"];
        self.ok(&[&select, extra].concat())
    }

    /// `kubectl rollout status` of flowengine, giving up after `timeout`.
    fn rollout_status(&self, timeout: &str) -> Output {
        self.on_flowengine(&["rollout", "status"], &[&format!("--timeout={timeout}")])
    }

    /// Waits (through `kubectl rollout status`) until flowengine's rollout is done.
    fn wait_rolled_out(&self) {
        let out = self.ok_on_flowengine(&["rollout", "status"], &["--timeout=60s"]);
        assert!(out.contains("successfully rolled out"), "{out}");
    }

    /// The last PATCH request the simulator saw.
    fn last_patch(&self) -> RequestRecord {
        self.sim
            .requests()
            .into_iter()
            .rfind(|r| r.method == "PATCH")
            .expect("a PATCH request")
    }

    fn deployment(&self) -> Value {
        self.sim
            .get("apps/v1", "Deployment", "production", "flowengine")
            .expect("flowengine exists")
    }

    fn env(&self, name: &str) -> Option<String> {
        self.deployment()["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()?
            .iter()
            .find(|e| e["name"] == name)
            .and_then(|e| e["value"].as_str().map(str::to_string))
    }
}

/// `VERB… deployment/flowengine -n production EXTRA…`.
fn flowengine_args<'a>(verb: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let target = ["deployment/flowengine", "-n", "production"];
    [verb, &target, extra].concat()
}

fn repo_file(path: &str) -> String {
    common::repo_root().join(path).display().to_string()
}

#[test]
fn get_deploy_prints_the_server_side_table() {
    let Some(h) = Harness::start() else { return };
    let out = h.ok(&["get", "deploy", "-n", "production"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    let row: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[..4], ["flowengine", "3/3", "3", "3"]);
    let replicas = h.ok(&[
        "get",
        "deployment/flowengine",
        "-n",
        "production",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas, "3");
    let pods = h.flowengine_pods(&["--no-headers"]);
    assert_eq!(
        pods.lines()
            .filter(|l| l.contains("1/1") && l.contains("Running"))
            .count(),
        3
    );
}

#[test]
fn scale_then_rollout_status_waits_for_the_new_pods() {
    let Some(h) = Harness::start() else { return };
    h.sim.clear_requests();
    let out = h.ok_on_flowengine(&["scale"], &["--replicas=5"]);
    assert!(out.contains("deployment.apps/flowengine scaled"), "{out}");
    assert_eq!(h.deployment()["spec"]["replicas"], 5);
    assert_eq!(
        h.sim.count_requests(
            |r| r.method == "PATCH" && r.path.ends_with("/deployments/flowengine/scale")
        ),
        1,
        "kubectl scale patches the scale subresource once"
    );
    h.wait_rolled_out();
    let status = &h.deployment()["status"];
    assert_eq!(
        (
            status["readyReplicas"].as_i64(),
            status["availableReplicas"].as_i64()
        ),
        (Some(5), Some(5))
    );
    assert!(
        h.sim.count_requests(|r| r.query_param("watch").is_some()) >= 1,
        "rollout status watches"
    );
}

#[test]
fn rollout_status_times_out_on_a_stalled_rollout() {
    let Some(h) = Harness::start() else { return };
    h.sim.faults().stall_rollouts("production", "flowengine");
    h.ok_on_flowengine(&["set", "env"], &["DB_POOL_SIZE=150"]);
    let out = h.rollout_status("3s");
    assert!(
        !out.success,
        "a stalled rollout must not report success: {}",
        out.stdout
    );
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
    h.sim.faults().resume_rollouts("production", "flowengine");
    h.wait_rolled_out();
}

#[test]
fn apply_server_side_creates_the_seed_hpa() {
    let Some(h) = Harness::start() else { return };
    // Default validation: kubectl finds `fieldValidation` in the
    // simulator's OpenAPI v3 index and leaves validation to the server.
    let manifest = repo_file("runbooks/manifests/flowengine-hpa.yaml");
    let out = h.ok(&["apply", "--server-side", "-f", &manifest]);
    assert!(
        out.contains("horizontalpodautoscaler.autoscaling/flowengine-hpa serverside-applied"),
        "{out}"
    );
    let hpa = h
        .sim
        .get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "production",
            "flowengine-hpa",
        )
        .expect("the HPA was created");
    assert_eq!(
        (
            hpa["spec"]["minReplicas"].as_i64(),
            hpa["spec"]["maxReplicas"].as_i64()
        ),
        (Some(5), Some(20))
    );
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "flowengine");
    let apply = h.last_patch();
    assert_eq!(
        apply.content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    assert_eq!(
        apply.query_param("fieldManager").as_deref(),
        Some("kubectl")
    );
    assert_eq!(
        apply.query_param("fieldValidation").as_deref(),
        Some("Strict")
    );
    // Applying again changes nothing and still succeeds.
    h.ok(&["apply", "--server-side", "-f", &manifest]);
    let out = h.ok(&["get", "hpa", "flowengine-hpa", "-n", "production"]);
    assert!(out.contains("Deployment/flowengine"), "{out}");
}

#[test]
fn set_env_merges_the_variable_by_name_and_rolls_out() {
    let Some(h) = Harness::start() else { return };
    let out = h.ok_on_flowengine(&["set", "env"], &["DB_POOL_SIZE=200"]);
    assert!(out.contains("env updated"), "{out}");
    assert_eq!(h.env("DB_POOL_SIZE").as_deref(), Some("200"));
    assert_eq!(
        h.env("LOG_LEVEL").as_deref(),
        Some("info"),
        "other variables are kept"
    );
    let patch = h.last_patch();
    assert_eq!(
        patch.content_type.as_deref(),
        Some("application/strategic-merge-patch+json")
    );
    h.wait_rolled_out();
    assert!(h
        .sim
        .wait_for(DEADLINE, |s| s.list("v1", "Pod", "production").len() == 3));
    let pod = h.flowengine_pods(&["-o", "jsonpath={.items[0].metadata.name}"]);
    let logs = h.ok(&["logs", "-n", "production", &pod]);
    assert_eq!(logs, "Database connection pool initialized: size=200\n");
}

#[test]
fn rollout_restart_replaces_every_pod() {
    let Some(h) = Harness::start() else { return };
    let before: Vec<Value> = h.sim.list("v1", "Pod", "production");
    let out = h.ok_on_flowengine(&["rollout", "restart"], &[]);
    assert!(out.contains("restarted"), "{out}");
    let annotations = &h.deployment()["spec"]["template"]["metadata"]["annotations"];
    assert!(
        annotations["kubectl.kubernetes.io/restartedAt"].is_string(),
        "{annotations}"
    );
    h.wait_rolled_out();
    assert!(h.sim.wait_for(DEADLINE, |s| {
        let pods = s.list("v1", "Pod", "production");
        pods.len() == 3
            && pods.iter().all(|p| {
                !before
                    .iter()
                    .any(|b| b["metadata"]["uid"] == p["metadata"]["uid"])
            })
    }));
}

#[test]
fn patch_type_json_replaces_fields() {
    let Some(h) = Harness::start() else { return };
    let ops = r#"[{"op":"replace","path":"/spec/replicas","value":4},{"op":"add","path":"/metadata/labels/phase","value":"6"}]"#;
    let out = h.ok_on_flowengine(&["patch"], &["--type", "json", "-p", ops]);
    assert!(out.contains("deployment.apps/flowengine patched"), "{out}");
    let deployment = h.deployment();
    assert_eq!(deployment["spec"]["replicas"], 4);
    assert_eq!(deployment["metadata"]["labels"]["phase"], "6");
    let failed = h.on_flowengine(
        &["patch"],
        &[
            "--type",
            "json",
            "-p",
            r#"[{"op":"test","path":"/spec/replicas","value":99}]"#,
        ],
    );
    assert!(!failed.success);
    assert_eq!(h.deployment()["spec"]["replicas"], 4);
}
