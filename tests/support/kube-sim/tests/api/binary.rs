//! The `kube-sim` binary: serves a seeded simulator until killed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use crate::client::send_to;
use crate::fixtures::deployment_yaml;

#[test]
fn serves_the_seed_and_writes_the_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, deployment_yaml("flowengine", 2)).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kube-sim"))
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--seed")
        .arg(&seed)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let config = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(config.contains(&format!("server: {url}")), "{config}");
    assert!(config.contains("current-context: sim"));

    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let response = send_to(
        addr,
        "GET",
        "/apis/apps/v1/namespaces/production/deployments/flowengine",
        &[],
        "",
    )
    .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["spec"]["replicas"], 2);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn refuses_unknown_arguments_and_unreadable_seeds() {
    let bin = env!("CARGO_BIN_EXE_kube-sim");
    let out = Command::new(bin).arg("--bogus").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument \"--bogus\""));
    let out = Command::new(bin)
        .args([
            "--kubeconfig",
            "/dev/null",
            "--seed",
            "/nonexistent/seed.yaml",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/seed.yaml"));
}
