//! `dryRun=All` validates and answers like the real write, and stores
//! nothing.

use kube_sim::KubeSim;
use serde_json::json;

use crate::client::{delete, get, patch, post, put};
use crate::fixtures::{deployment, sim_with_flowengine, DEPLOYMENTS};

#[test]
fn dry_run_writes_answer_but_leave_the_store_unchanged() {
    let sim = sim_with_flowengine();
    let url = format!("{DEPLOYMENTS}/flowengine");
    let before = deployment(&sim, "flowengine");
    let rv = before["metadata"]["resourceVersion"].clone();

    let patched = patch(
        &sim,
        &format!("{url}?dryRun=All"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":9}}"#,
    );
    assert_eq!(patched.status, 200);
    assert_eq!(
        patched.json()["spec"]["replicas"],
        9,
        "the answer shows the would-be object"
    );

    let scaled = patch(
        &sim,
        &format!("{url}/scale?dryRun=All"),
        "application/merge-patch+json",
        r#"{"spec":{"replicas":8}}"#,
    );
    assert_eq!(scaled.json()["spec"]["replicas"], 8);

    let mut replaced = before.clone();
    replaced["spec"]["replicas"] = json!(7);
    assert_eq!(
        put(&sim, &format!("{url}?dryRun=All"), &replaced).status,
        200
    );

    let applied = patch(
        &sim,
        &format!("{url}?dryRun=All&fieldManager=runbook"),
        "application/apply-patch+yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: flowengine, namespace: production}\nspec: {replicas: 6}\n",
    );
    assert_eq!(applied.status, 200, "{}", applied.body);

    assert_eq!(delete(&sim, &format!("{url}?dryRun=All")).status, 200);

    let after = deployment(&sim, "flowengine");
    assert_eq!(after["spec"]["replicas"], 3);
    assert_eq!(after["metadata"]["resourceVersion"], rv);
    assert_eq!(
        sim.count_requests(|r| r.query_param("dryRun").as_deref() == Some("All")),
        5
    );
}

#[test]
fn dry_run_create_validates_without_creating() {
    let sim = KubeSim::start().unwrap();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
    let created = post(
        &sim,
        "/api/v1/namespaces/default/configmaps?dryRun=All",
        &cm,
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["data"]["k"], "v");
    assert_eq!(
        get(&sim, "/api/v1/namespaces/default/configmaps/c").status,
        404
    );

    let invalid = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "NO"}});
    assert_eq!(
        post(
            &sim,
            "/api/v1/namespaces/default/configmaps?dryRun=All",
            &invalid
        )
        .status,
        422
    );
}
