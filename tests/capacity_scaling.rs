//! The capacity-scaling runbook (`runbooks/capacity-scaling.runbook`) end to
//! end, through the real binary: the Kubernetes API simulator seeded with the
//! pilot state, a real PostgreSQL, and stand-ins for the `blocks`, `kubectl`
//! and `aws` commands the runbook runs through `sh`
//! (`tests/fixtures/capacity/bin`, which record every call).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests a failed unwrap is a failed test

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{repo_root, runbook, Cmd, Output};
use kube_sim::{KubeSim, RequestRecord};
use pg_harness::TestDatabase;
use serde_json::Value;

const NS: &str = "production";

/// Generous: the machines are small and shared.
const SETTLE: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/capacity").join(name)
}

/// One simulated cluster in the pilot state, one database, one state
/// directory, one call log for the stand-in commands.
struct Scenario {
    sim: KubeSim,
    db: TestDatabase,
    dir: tempfile::TempDir,
}

impl Scenario {
    fn start(db: TestDatabase) -> Scenario {
        Self::start_with(KubeSim::start().unwrap(), db)
    }

    fn start_with(sim: KubeSim, db: TestDatabase) -> Scenario {
        let pilot = std::fs::read_to_string(fixture("pilot.yaml")).unwrap();
        sim.apply_yaml(&pilot).unwrap();
        assert!(
            sim.wait_for(SETTLE, |s| s.rollout_complete(NS, "flowengine")),
            "the pilot deployment never became ready"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("backups")).unwrap();
        Scenario { sim, db, dir }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn calls_file(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    /// `runbook SUBCOMMAND ARGS… --state DIR`, pointed at the simulator and
    /// the database the way an SRE points it at a cluster: `KUBECONFIG` and
    /// `FLOWENGINE_DATABASE_URL`. The read replica is the same server (a
    /// primary: the runbook must cope with it not being a standby).
    fn cmd(&self, args: &[&str]) -> Cmd {
        let path = format!(
            "{}:{}",
            fixture("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        runbook(args)
            .arg("--state")
            .arg(self.state())
            .env("KUBECONFIG", self.sim.kubeconfig_path())
            .env("FLOWENGINE_DATABASE_URL", self.db.url())
            .env("FLOWENGINE_REPLICA_DATABASE_URL", self.db.url())
            .env("PATH", path)
            .env("STUB_CALLS", self.calls_file())
    }

    /// `runbook run capacity-scaling.runbook` with `extra` arguments.
    fn run(&self, extra: &[&str]) -> Cmd {
        let file = repo_root().join("runbooks/capacity-scaling.runbook");
        let mut args = vec!["run", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.cmd(&args)
    }

    /// Every command line the stand-ins were called with, in order.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.calls_file())
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn flowengine(&self) -> Value {
        self.sim
            .get("apps/v1", "Deployment", NS, "flowengine")
            .expect("deployment flowengine")
    }

    fn replicas(&self) -> i64 {
        self.flowengine()["spec"]["replicas"].as_i64().unwrap()
    }

    fn pool_size(&self) -> String {
        env_of(&self.flowengine(), "DB_POOL_SIZE")
    }

    fn hpa(&self) -> Option<Value> {
        self.sim.get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            NS,
            "flowengine-hpa",
        )
    }

    fn hpa_bounds(&self) -> Option<(i64, i64)> {
        self.hpa().map(|h| {
            (
                h["spec"]["minReplicas"].as_i64().unwrap(),
                h["spec"]["maxReplicas"].as_i64().unwrap(),
            )
        })
    }

    /// The read replicas' StatefulSet, once Phase 7 created it.
    fn read_replica(&self) -> Option<Value> {
        self.sim
            .get("apps/v1", "StatefulSet", NS, "postgres-read-replica")
    }

    /// The database host Grafana reads from.
    fn grafana_db_host(&self) -> String {
        let grafana = self
            .sim
            .get("apps/v1", "Deployment", "monitoring", "grafana")
            .expect("deployment grafana");
        env_of(&grafana, "DB_HOST")
    }

    /// Every write request the simulator saw, dry runs included.
    fn writes(&self) -> Vec<RequestRecord> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.is_write())
            .collect()
    }

    fn scale_calls(&self) -> usize {
        self.sim.count_requests(|r| {
            r.is_write()
                && r.path
                    .ends_with("/namespaces/production/deployments/flowengine/scale")
        })
    }

    /// The run's journal, one JSON event per line.
    fn journal(&self, run: &str) -> Vec<Value> {
        let out = self.cmd(&["log", run, "--json"]).output();
        out.assert_code(0);
        out.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn status(&self, run: &str) -> Value {
        let out = self.cmd(&["status", run, "--json"]).output();
        out.assert_code(0);
        serde_json::from_str(&out.stdout).unwrap()
    }

    /// FlowEngine's `spec.progressDeadlineSeconds` (600 unless set).
    fn set_progress_deadline(&self, seconds: u32) {
        self.sim
            .apply_yaml(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: flowengine\n  namespace: {NS}\n\
                 spec:\n  progressDeadlineSeconds: {seconds}\n"
            ))
            .unwrap();
    }

    /// The simulator back in the pilot state: 3 ready replicas, a pool of
    /// 100 (and pods that say so), no autoscaler.
    fn assert_pilot_state(&self) {
        assert_eq!(self.replicas(), 3);
        assert_eq!(self.pool_size(), "100");
        assert_eq!(self.hpa(), None, "the autoscaler is still there");
        assert!(
            self.sim
                .wait_for(SETTLE, |s| s.rollout_complete(NS, "flowengine")),
            "FlowEngine did not roll out after the rollback"
        );
    }
}

fn env_of(deployment: &Value, name: &str) -> String {
    deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("no env {name} in {deployment}"))
        .to_owned()
}

/// A diagnostic as one line of words: miette wraps long messages and draws
/// boxes around them.
fn one_paragraph(text: &str) -> String {
    text.replace(['│', '·'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The id from the first line of `run`'s output: `run <ID> started: …`.
fn run_id(stdout: &str) -> String {
    stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("run "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no run id in:\n{stdout}"))
        .to_owned()
}

/// Step ids with a `step-…` event of `kind` in the journal, in order.
fn steps_with(journal: &[Value], kind: &str) -> Vec<String> {
    journal
        .iter()
        .filter(|e| e["event"] == kind)
        .map(|e| e["step"].as_str().unwrap().to_owned())
        .collect()
}

const PHASE6_STEPS: [&str; 7] = [
    "pilot",
    "scale",
    "hpa",
    "pool",
    "db-capacity",
    "load-test",
    "load-test-review",
];
const PHASE7_STEPS: [&str; 12] = [
    "phase6",
    "p7-scale",
    "p7-backup",
    "p7-upgrade",
    "p7-verify-upgrade",
    "p7-pool",
    "p7-read-replicas",
    "p7-replication-lag",
    "p7-quotas",
    "p7-load-test-staging",
    "p7-load-test-review",
    "p7-load-test",
];
const MONITORING_STEPS: [&str; 3] = [
    "monitor-flowengine",
    "monitor-database",
    "monitor-model-api",
];

const PHASE6_LOAD_TEST: &str = "blocks test load --env production --concurrency 10 --duration 10m --repos compliance-service,financial-reporting,customer-analytics";

/// Phase 6 with `--yes`, checked: 5 ready replicas, HPA 5–20, pool 200.
fn run_phase6(s: &Scenario) -> String {
    let out = s.run(&["--yes"]).output();
    out.assert_code(0);
    let run = run_id(&out.stdout);
    assert!(
        out.stdout.contains(&format!("run {run} succeeded")),
        "{}",
        out.stdout
    );
    assert_eq!(s.replicas(), 5);
    assert!(s.sim.rollout_complete(NS, "flowengine"));
    assert_eq!(s.hpa_bounds(), Some((5, 20)));
    assert_eq!(s.pool_size(), "200");
    run
}

#[test]
fn phase6_scales_the_pilot_and_rollback_restores_it() {
    let s = Scenario::start(pg_harness::database("capacity_p6").unwrap());
    let run = run_phase6(&s);

    // The new pods logged the new pool size; the runbook waited for it.
    let journal = s.journal(&run);
    assert!(
        journal.iter().any(|e| e["event"] == "expect-polled"
            && e["step"] == "pool"
            && e["expr"].as_str().unwrap().contains("app.logs(")
            && e["ok"] == true),
        "no successful log-line expectation in the journal"
    );

    // The journal holds every step: Phase 6 and the monitoring ran, in
    // order; Phase 7 was skipped.
    let ran: Vec<&str> = PHASE6_STEPS
        .iter()
        .chain(&MONITORING_STEPS)
        .copied()
        .collect();
    assert_eq!(steps_with(&journal, "step-started"), ran);
    assert_eq!(steps_with(&journal, "step-succeeded"), ran);
    assert_eq!(steps_with(&journal, "step-skipped"), PHASE7_STEPS);
    let effects: Vec<&str> = journal
        .iter()
        .filter(|e| e["event"] == "effect")
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    for expected in [
        "deployment/flowengine: replicas 3 → 5",
        "horizontalpodautoscaler/flowengine-hpa: created",
        "deployment/flowengine: env DB_POOL_SIZE 100 → 200",
    ] {
        assert!(
            effects.contains(&expected),
            "{expected:?} not in {effects:#?}"
        );
    }
    // The load test ran once, as the seed writes it, and its report is in
    // the journal.
    assert_eq!(
        s.calls()
            .iter()
            .filter(|c| c.starts_with("blocks test load"))
            .collect::<Vec<_>>(),
        [PHASE6_LOAD_TEST]
    );
    assert!(journal.iter().any(|e| e["event"] == "output"
        && e["step"] == "load-test"
        && e["line"]
            .as_str()
            .is_some_and(|l| l.contains("10 completed, 0 failed"))));

    let back = s.cmd(&["rollback", &run]).output();
    back.assert_code(0);
    s.assert_pilot_state();
    assert_eq!(s.status(&run)["status"], "rolled-back");
}

#[test]
fn a_stalled_rollout_fails_the_pool_step_and_resume_finishes_without_scaling_again() {
    // Pods take a second to become ready, so the stall below is in place
    // long before the pool step's rollout could finish.
    let sim = KubeSim::builder()
        .rollout_delay(Duration::from_secs(1))
        .start()
        .unwrap();
    let s = Scenario::start_with(sim, pg_harness::database("capacity_stall").unwrap());
    // A short progress deadline, so the stalled rollout is reported the way
    // `kubectl rollout status` reports it, without waiting ten minutes.
    s.set_progress_deadline(4);

    let stdout = s.dir.path().join("run.out");
    let stderr = s.dir.path().join("run.err");
    let mut runner = Runner(s.run(&["--yes"]).spawn_logged(&stdout, &stderr));
    // Once the scale step's rollout is done, every later rollout stalls.
    assert!(
        s.sim.wait_for(SETTLE, |sim| {
            sim.get("apps/v1", "Deployment", NS, "flowengine")
                .is_some_and(|d| {
                    d["spec"]["replicas"] == 5 && kube_sim::deployment_rollout_complete(&d)
                })
        }),
        "the scale step never completed"
    );
    s.sim.faults().stall_rollouts(NS, "flowengine");
    let code = runner.0.wait().unwrap().code();
    let out = std::fs::read_to_string(&stdout).unwrap();
    let err = std::fs::read_to_string(&stderr).unwrap();
    assert_eq!(code, Some(1), "{out}{err}");
    let run = run_id(&out);
    assert!(
        out.contains(&format!("run {run} failed at step pool")),
        "{out}"
    );
    // The failure points at the expectation and says what was observed.
    let said = one_paragraph(&err);
    assert!(
        said.contains("expect app.rollout_complete() within 300s"),
        "{err}"
    );
    assert!(
        said.contains("deployment \"flowengine\" exceeded its progress deadline"),
        "{err}"
    );
    let journal = s.journal(&run);
    assert!(journal.iter().any(|e| e["event"] == "expect-polled"
        && e["step"] == "pool"
        && e["ok"] == false
        && e["observed"] == "false"));
    assert_eq!(s.status(&run)["status"], "failed");
    assert_eq!(s.pool_size(), "200");

    // The fault is cleared; the rollout finishes.
    s.sim.faults().resume_rollouts(NS, "flowengine");
    s.set_progress_deadline(600);
    assert!(s
        .sim
        .wait_for(SETTLE, |sim| sim.rollout_complete(NS, "flowengine")));

    let resumed = s.cmd(&["resume", &run, "--yes"]).output();
    resumed.assert_code(0);
    let first = resumed.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("resumed at step") && first.ends_with("(pool)"),
        "{}",
        resumed.stdout
    );
    assert!(
        resumed.stdout.contains(&format!("run {run} succeeded")),
        "{}",
        resumed.stdout
    );
    assert_eq!(s.scale_calls(), 1, "scale was called again on resume");
    assert_eq!(s.replicas(), 5);
    assert_eq!(s.hpa_bounds(), Some((5, 20)));
    assert_eq!(s.pool_size(), "200");

    // The values recorded before the failure, not the half-done ones, are
    // what the rollback restores.
    s.cmd(&["rollback", &run]).output().assert_code(0);
    s.assert_pilot_state();
}

/// A runner in the background, killed if the test fails before it ends.
struct Runner(std::process::Child);

impl Drop for Runner {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `max_connections` set through `ALTER SYSTEM` (pending or applied).
fn altered_max_connections(db: &TestDatabase) -> Vec<Option<String>> {
    db.query_column(
        "SELECT setting FROM pg_file_settings \
          WHERE name = 'max_connections' AND sourcefile LIKE '%postgresql.auto.conf'",
    )
    .unwrap()
}

#[test]
fn dry_runs_of_both_phases_change_nothing_and_print_every_effect() {
    // A server of its own: if dry run did run `ALTER SYSTEM`, it would stick.
    let s = Scenario::start(pg_harness::private_database("capacity_dry").unwrap());
    s.sim.clear_requests();
    // A pool of 250 needs more than 67% of the server's 300 connections, so
    // the plan includes raising max_connections and restarting PostgreSQL.
    let out = s
        .run(&["--dry-run", "--param", "phase6_pool_size=250"])
        .output();
    out.assert_code(0);
    for effect in [
        "would Deployment.scale: deployment/flowengine: replicas 3 → 5",
        "would kube::apply: horizontalpodautoscaler/flowengine-hpa: created",
        "would Deployment.set_env: deployment/flowengine: env DB_POOL_SIZE 100 → 250",
        "would Deployment.restart: deployment/flowengine: rollout restart",
        "dry run: would ask: Raise max_connections from 300 to 400 and restart PostgreSQL?",
        "would pg.execute: ALTER SYSTEM SET max_connections = 400",
        "would StatefulSet.restart: statefulset/postgres: rollout restart",
        &format!("would sh: {PHASE6_LOAD_TEST}"),
        "would sh: kubectl top pods -n production -l app=flowengine --no-headers",
        "would sh: blocks quota show --all-providers",
        "would sh: blocks metrics query --metric model_api_errors_total",
    ] {
        assert!(
            out.stdout.contains(effect),
            "{effect:?} not in:\n{}",
            out.stdout
        );
    }

    // Nothing changed: every write the simulator saw was a server-side dry
    // run, the stand-ins never ran, the database has no pending setting and
    // the store holds no run.
    let writes = s.writes();
    assert!(writes.len() >= 5, "{writes:#?}");
    assert!(
        writes
            .iter()
            .all(|r| r.query_param("dryRun").as_deref() == Some("All")),
        "{writes:#?}"
    );
    assert_eq!(s.replicas(), 3);
    assert_eq!(s.pool_size(), "100");
    assert_eq!(s.hpa(), None);
    let postgres = s.sim.get("apps/v1", "StatefulSet", NS, "postgres").unwrap();
    assert_eq!(
        postgres["spec"]["template"]["metadata"]["annotations"]
            ["kubectl.kubernetes.io/restartedAt"],
        Value::Null
    );
    assert_eq!(s.calls(), Vec::<String>::new());
    assert_eq!(altered_max_connections(&s.db), Vec::<Option<String>>::new());
    assert!(!s.state().exists(), "dry run wrote to the store");

    // Phase 7, from the state Phase 6 leaves.
    let hpa = std::fs::read_to_string(repo_root().join("runbooks/manifests/flowengine-hpa.yaml"))
        .unwrap();
    s.sim.apply_yaml(&hpa).unwrap();
    s.sim.apply_yaml(PHASE6_FLOWENGINE).unwrap();
    assert!(s
        .sim
        .wait_for(SETTLE, |sim| sim.rollout_complete(NS, "flowengine")));
    assert_eq!((s.replicas(), s.pool_size()), (5, "200".to_owned()));
    s.sim.clear_requests();
    let backups = s.backups().display().to_string();
    let out = s
        .run(&[
            "--dry-run",
            "--param",
            "phase=phase7",
            "--param",
            &format!("backup_dir={backups}"),
            "--param",
            &format!(
                "phase7_repos_file={}",
                fixture("repos_phase7.txt").display()
            ),
            "--param",
            "phase7_max_connections=300",
        ])
        .output();
    out.assert_code(0);
    for effect in [
        "would kube::patch: horizontalpodautoscaler/flowengine-hpa: spec.maxReplicas: 20 → 50; spec.minReplicas: 5 → 10",
        "would Deployment.scale: deployment/flowengine: replicas 5 → 10",
        "dry run: would ask: The DBA is ready and the maintenance window has started",
        &format!("would sh: kubectl exec -n production statefulset/postgres -- pg_dump -U flowengine_user flowengine_db | gzip > {backups}/taskdb_pre_phase7_"),
        &format!("would sh: aws s3 cp {backups}/taskdb_pre_phase7_"),
        "dry run: would ask: Has the DBA finished the upgrade",
        "would Deployment.set_env: deployment/flowengine: env DB_POOL_SIZE 200 → 500",
        "would kube::apply: statefulset/postgres-read-replica: created",
        "would Deployment.set_env: deployment/grafana: env DB_HOST",
        "dry run: would ask: Has Google confirmed 5M tokens/day?",
        "would sh: blocks test load --env staging --concurrency 50",
        "would sh: blocks test load --env production --concurrency 50 --duration 10m --dry-run",
    ] {
        assert!(out.stdout.contains(effect), "{effect:?} not in:\n{}", out.stdout);
    }
    let writes = s.writes();
    assert!(
        writes
            .iter()
            .all(|r| r.query_param("dryRun").as_deref() == Some("All")),
        "{writes:#?}"
    );
    assert_eq!((s.replicas(), s.pool_size()), (5, "200".to_owned()));
    assert_eq!(s.hpa_bounds(), Some((5, 20)));
    assert_eq!(s.read_replica(), None);
    assert_eq!(s.calls(), Vec::<String>::new());
    assert_eq!(std::fs::read_dir(s.backups()).unwrap().count(), 0);
}

/// FlowEngine as Phase 6 leaves it: 5 replicas, a pool of 200.
const PHASE6_FLOWENGINE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: flowengine
  namespace: production
spec:
  replicas: 5
  template:
    spec:
      containers:
        - name: flowengine
          env:
            - name: DB_POOL_SIZE
              value: \"200\"
";

/// Answers every `confirm` of a run that paused (exit 3) with `runbook
/// approve`, then resumes it, until it ends; returns the questions asked.
fn approve_until_done(s: &Scenario, run: &str, mut out: Output) -> Vec<String> {
    let mut asked = Vec::new();
    while out.code == Some(3) {
        let question = out
            .stdout
            .lines()
            .find_map(|l| l.split_once(" is waiting for a confirmation: "))
            .map(|(_, q)| q.to_owned())
            .unwrap_or_else(|| panic!("exit 3 without a question:\n{}", out.stdout));
        assert!(asked.len() < 20, "still asking after {asked:#?}");
        asked.push(question);
        s.cmd(&["approve", run]).output().assert_code(0);
        out = s.cmd(&["resume", run]).output();
    }
    out.assert_code(0);
    asked
}

#[test]
fn phase7_runs_through_its_gates_answered_by_approve() {
    let s = Scenario::start(pg_harness::database("capacity_p7").unwrap());
    run_phase6(&s);
    let backups = s.backups();
    let repos = fixture("repos_phase7.txt");
    let phase7 = [
        "--param".to_owned(),
        "phase=phase7".to_owned(),
        "--param".to_owned(),
        format!("backup_dir={}", backups.display()),
        "--param".to_owned(),
        format!("phase7_repos_file={}", repos.display()),
        // What the test server allows; the upgrade itself is the DBA's gate.
        "--param".to_owned(),
        "phase7_max_connections=300".to_owned(),
    ];
    let phase7: Vec<&str> = phase7.iter().map(String::as_str).collect();

    let first = s.run(&phase7).output();
    let run = run_id(&first.stdout);
    assert_eq!(first.code, Some(3), "{}{}", first.stdout, first.stderr);
    let asked = approve_until_done(&s, &run, first);
    assert_eq!(
        asked
            .iter()
            .map(|q| q.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        [
            "The DBA is",
            "Has the DBA",
            "replica_db_url reaches a",
            "Has Anthropic confirmed",
            "Has OpenAI confirmed",
            "Has Google confirmed",
            "Staging: HPA scaled",
        ]
    );

    // The cluster holds the Phase 7 targets.
    assert_eq!(s.replicas(), 10);
    assert!(s.sim.rollout_complete(NS, "flowengine"));
    assert_eq!(s.hpa_bounds(), Some((10, 50)));
    assert_eq!(s.pool_size(), "500");
    let replica = s.read_replica().expect("the read replicas");
    assert_eq!(replica["spec"]["replicas"], 2);
    assert_eq!(
        s.grafana_db_host(),
        "postgres-read-replica.production.svc.cluster.local"
    );

    // The backup was taken once, written and uploaded; each load test ran
    // once although the run stopped seven times.
    let backup = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    assert_eq!(backup.len(), 1, "{backup:?}");
    let backup = backup[0].to_str().unwrap();
    assert!(backup.ends_with(".sql.gz"), "{backup}");
    let dump = std::process::Command::new("gunzip")
        .args(["-c", backup])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&dump.stdout).contains("CREATE TABLE flows"));
    let calls = s.calls();
    let phase7_calls: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .skip_while(|c| !c.starts_with("kubectl exec"))
        .filter(|c| {
            !c.starts_with("kubectl top")
                && !c.starts_with("blocks quota")
                && !c.starts_with("blocks metrics")
        })
        .collect();
    assert_eq!(
        phase7_calls,
        [
            "kubectl exec -n production statefulset/postgres -- pg_dump -U flowengine_user flowengine_db".to_owned(),
            format!("aws s3 cp {backup} s3://blocks-backups/postgres/"),
            "blocks test load --env staging --concurrency 50 --duration 15m --repos compliance-service,financial-reporting,customer-analytics,billing-service".to_owned(),
            "blocks test load --env production --concurrency 50 --duration 10m --dry-run".to_owned(),
        ]
    );
    let journal = s.journal(&run);
    let ran: Vec<&str> = PHASE7_STEPS
        .iter()
        .chain(&MONITORING_STEPS)
        .copied()
        .collect();
    let mut succeeded = steps_with(&journal, "step-succeeded");
    succeeded.dedup();
    assert_eq!(succeeded, ran);
    let mut approved: Vec<&str> = journal
        .iter()
        .filter(|e| e["event"] == "confirm-answered" && e["by"] == "approve")
        .map(|e| e["question"].as_str().unwrap())
        .collect();
    approved.sort_unstable();
    approved.dedup();
    let mut asked: Vec<&str> = asked.iter().map(String::as_str).collect();
    asked.sort_unstable();
    assert_eq!(approved, asked);

    // Rolling Phase 7 back restores the database from that backup, behind
    // its own gate, and puts Phase 6's settings back.
    let back = s.cmd(&["rollback", &run]).output();
    back.assert_code(3);
    assert!(
        back.stdout
            .contains(&format!("Restore flowengine_db from {backup}?")),
        "{}",
        back.stdout
    );
    s.cmd(&["approve", &run]).output().assert_code(0);
    s.cmd(&["rollback", &run]).output().assert_code(0);
    let restore: Vec<String> = s.calls().into_iter().skip(calls.len()).collect();
    assert_eq!(
        restore,
        [
            "kubectl exec -n production statefulset/postgres -- psql -U postgres -c DROP DATABASE flowengine_db;",
            "kubectl exec -n production statefulset/postgres -- psql -U postgres -c CREATE DATABASE flowengine_db OWNER flowengine_user;",
            "kubectl exec -i -n production statefulset/postgres -- psql -U flowengine_user -d flowengine_db",
        ]
    );
    assert_eq!(s.replicas(), 5);
    assert_eq!(s.hpa_bounds(), Some((5, 20)));
    assert_eq!(s.pool_size(), "200");
    assert_eq!(s.read_replica(), None);
    assert_eq!(s.grafana_db_host(), "postgres.production.svc.cluster.local");
    assert_eq!(s.status(&run)["status"], "rolled-back");
}
