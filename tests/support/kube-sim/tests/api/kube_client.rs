//! The kube crate (what the stdlib `kube` module uses) against the
//! simulator: typed get/list/patch, scale, server-side apply, watch, logs
//! and API errors.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use kube_sim::KubeSim;
use serde_json::json;

use crate::fixtures::{sim_with_flowengine, DEADLINE};

async fn client(sim: &KubeSim) -> Client {
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path()).expect("read kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig");
    assert_eq!(config.default_namespace, "default");
    Client::try_from(config).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_reads_and_scale() {
    let sim = sim_with_flowengine();
    let client = client(&sim).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "production");
    let flowengine = deployments.get("flowengine").await.unwrap();
    assert_eq!(flowengine.spec.unwrap().replicas, Some(3));
    let status = flowengine.status.unwrap();
    assert_eq!(
        (status.ready_replicas, status.updated_replicas),
        (Some(3), Some(3))
    );

    let scale = deployments
        .patch_scale(
            "flowengine",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(5));
    assert_eq!(
        deployments
            .get_scale("flowengine")
            .await
            .unwrap()
            .spec
            .unwrap()
            .replicas,
        Some(5)
    );
    assert!(sim.wait_for(DEADLINE, |s| s.rollout_complete("production", "flowengine")));

    let pods: Api<Pod> = Api::namespaced(client, "production");
    let listed = pods
        .list(&ListParams::default().labels("app=flowengine"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 5);
    let name = listed.items[0].metadata.name.clone().unwrap();
    let logs = pods
        .logs(
            &name,
            &LogParams {
                tail_lines: Some(2),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        logs,
        "Database connection pool initialized: size=100\nready\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_and_dry_run() {
    let sim = sim_with_flowengine();
    let client = client(&sim).await;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client, "production");
    let manifest: serde_json::Value = serde_yaml::from_str(include_str!(
        "../../../../../runbooks/manifests/flowengine-hpa.yaml"
    ))
    .unwrap();
    let dry = hpas
        .patch(
            "flowengine-hpa",
            &PatchParams::apply("runbook").dry_run(),
            &Patch::Apply(&manifest),
        )
        .await
        .unwrap();
    assert_eq!(dry.spec.unwrap().max_replicas, 20);
    assert!(sim
        .get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "production",
            "flowengine-hpa"
        )
        .is_none());

    let applied = hpas
        .patch(
            "flowengine-hpa",
            &PatchParams::apply("runbook"),
            &Patch::Apply(&manifest),
        )
        .await
        .unwrap();
    assert_eq!(applied.spec.unwrap().min_replicas, Some(5));
    let logged = sim
        .requests()
        .into_iter()
        .rfind(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        logged.content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    assert_eq!(
        logged.query_param("fieldManager").as_deref(),
        Some("runbook")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_carry_the_status() {
    let sim = KubeSim::start().unwrap();
    let deployments: Api<Deployment> = Api::namespaced(client(&sim).await, "production");
    match deployments.get("missing").await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 404);
            assert_eq!(status.reason, "NotFound");
            assert_eq!(status.message, "deployments.apps \"missing\" not found");
        }
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sees_a_rollout_progress() {
    let sim = sim_with_flowengine();
    let deployments: Api<Deployment> = Api::namespaced(client(&sim).await, "production");
    let list = deployments
        .list(&ListParams::default().fields("metadata.name=flowengine"))
        .await
        .unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let stream = deployments
        .watch(
            &WatchParams::default()
                .fields("metadata.name=flowengine")
                .timeout(60),
            &rv,
        )
        .await
        .unwrap();
    deployments
        .patch_scale(
            "flowengine",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
    let mut stream = stream.boxed();
    loop {
        match stream.try_next().await.unwrap() {
            Some(WatchEvent::Modified(d)) => {
                if d.status.and_then(|s| s.available_replicas) == Some(4) {
                    break;
                }
            }
            Some(WatchEvent::Added(_)) | Some(WatchEvent::Bookmark(_)) => {}
            other => panic!("unexpected watch item {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_connections_cuts_pooled_clients_off_too() {
    let sim = KubeSim::start().unwrap();
    let deployments: Api<Deployment> = Api::namespaced(client(&sim).await, "production");
    // Warm the connection pool.
    deployments.list(&ListParams::default()).await.unwrap();
    sim.faults().refuse_connections(true);
    let refused = deployments.list(&ListParams::default()).await;
    assert!(
        refused.is_err(),
        "expected a transport error, got {refused:?}"
    );
    sim.faults().refuse_connections(false);
    deployments.list(&ListParams::default()).await.unwrap();
}
