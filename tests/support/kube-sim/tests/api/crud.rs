//! Create, get, list, update and delete, with the real server's metadata
//! rules and error statuses.

use std::time::Duration;

use kube_sim::{KubeSim, ResourceType};
use serde_json::json;

use crate::client::{delete, get, post, put};
use crate::fixtures::{
    deployment, deployment_yaml, pods_of, sim_with_flowengine, DEADLINE, DEPLOYMENTS,
};

fn web_deployment(name: &str) -> serde_json::Value {
    let yaml = deployment_yaml(name, 2);
    serde_yaml::from_str(&yaml).unwrap()
}

#[test]
fn create_stamps_metadata_and_defaults_and_refuses_duplicates() {
    let sim = KubeSim::start().unwrap();
    let created = post(&sim, DEPLOYMENTS, &web_deployment("web"));
    assert_eq!(created.status, 201, "{}", created.body);
    let object = created.json();
    let meta = &object["metadata"];
    assert!(!meta["uid"].as_str().unwrap().is_empty());
    assert!(meta["resourceVersion"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    assert!(meta["creationTimestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(meta["generation"], 1);
    assert_eq!(object["spec"]["strategy"]["type"], "RollingUpdate");
    assert_eq!(object["spec"]["revisionHistoryLimit"], 10);

    let again = post(&sim, DEPLOYMENTS, &web_deployment("web"));
    assert_eq!(again.status, 409);
    let status = again.json();
    assert_eq!(status["reason"], "AlreadyExists");
    assert_eq!(status["message"], "deployments.apps \"web\" already exists");
}

#[test]
fn get_missing_object_is_a_not_found_status() {
    let sim = KubeSim::start().unwrap();
    let response = get(&sim, &format!("{DEPLOYMENTS}/nope"));
    assert_eq!(response.status, 404);
    let status = response.json();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "NotFound");
    assert_eq!(status["code"], 404);
    assert_eq!(status["message"], "deployments.apps \"nope\" not found");
    assert_eq!(status["details"]["name"], "nope");
    assert_eq!(status["details"]["group"], "apps");
}

#[test]
fn list_returns_a_typed_list_with_a_resource_version() {
    let sim = sim_with_flowengine();
    let list = get(&sim, DEPLOYMENTS).json();
    assert_eq!(list["kind"], "DeploymentList");
    assert_eq!(list["apiVersion"], "apps/v1");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["metadata"]["resourceVersion"].as_str().is_some());
    let all_namespaces = get(&sim, "/apis/apps/v1/deployments").json();
    assert_eq!(all_namespaces["items"][0]["metadata"]["name"], "flowengine");
    let namespaces = get(&sim, "/api/v1/namespaces").json();
    let names: Vec<&str> = namespaces["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    for expected in ["default", "production", "monitoring"] {
        assert!(names.contains(&expected), "{names:?}");
    }
}

#[test]
fn update_checks_resource_version_and_bumps_generation_on_spec_changes_only() {
    let sim = sim_with_flowengine();
    let url = format!("{DEPLOYMENTS}/flowengine");
    let mut object = get(&sim, &url).json();
    let stale = object.clone();
    object["metadata"]["labels"]["team"] = json!("sre");
    let relabelled = put(&sim, &url, &object);
    assert_eq!(relabelled.status, 200, "{}", relabelled.body);
    let relabelled = relabelled.json();
    assert_eq!(
        relabelled["metadata"]["generation"], 1,
        "labels are not spec"
    );

    let mut rescaled = relabelled.clone();
    rescaled["spec"]["replicas"] = json!(4);
    let rescaled = put(&sim, &url, &rescaled).json();
    assert_eq!(rescaled["metadata"]["generation"], 2);
    assert_eq!(rescaled["spec"]["replicas"], 4);

    let conflict = put(&sim, &url, &stale);
    assert_eq!(conflict.status, 409);
    let status = conflict.json();
    assert_eq!(status["reason"], "Conflict");
    assert!(status["message"]
        .as_str()
        .unwrap()
        .contains("the object has been modified"));
    assert_eq!(deployment(&sim, "flowengine")["spec"]["replicas"], 4);
}

#[test]
fn status_is_written_only_through_the_status_subresource() {
    let sim = sim_with_flowengine();
    let url = format!("{DEPLOYMENTS}/flowengine");
    let mut object = get(&sim, &url).json();
    object["status"]["readyReplicas"] = json!(99);
    object["metadata"]["resourceVersion"] = json!("");
    put(&sim, &url, &object);
    assert_eq!(deployment(&sim, "flowengine")["status"]["readyReplicas"], 3);

    // A service: the controller leaves its status alone.
    let mut service = sim
        .create(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb", "namespace": "production"},
                       "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}))
        .unwrap();
    assert_eq!(
        service["spec"]["clusterIP"]
            .as_str()
            .map(|ip| ip.starts_with("10.96.")),
        Some(true)
    );
    let ingress = json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}});
    service["status"] = ingress.clone();
    let url = "/api/v1/namespaces/production/services/lb";
    let through_main = put(&sim, url, &service);
    assert_eq!(through_main.status, 200, "{}", through_main.body);
    assert_ne!(through_main.json()["status"], ingress);
    service["metadata"]["resourceVersion"] =
        through_main.json()["metadata"]["resourceVersion"].clone();
    let through_status = put(&sim, &format!("{url}/status"), &service);
    assert_eq!(through_status.status, 200, "{}", through_status.body);
    assert_eq!(
        sim.get("v1", "Service", "production", "lb").unwrap()["status"],
        ingress
    );
}

#[test]
fn delete_answers_success_and_garbage_collects_owned_objects() {
    let sim = sim_with_flowengine();
    assert_eq!(pods_of(&sim, "flowengine").len(), 3);
    let response = delete(&sim, &format!("{DEPLOYMENTS}/flowengine"));
    assert_eq!(response.status, 200);
    let status = response.json();
    assert_eq!(
        (status["kind"].as_str(), status["status"].as_str()),
        (Some("Status"), Some("Success"))
    );
    assert_eq!(get(&sim, &format!("{DEPLOYMENTS}/flowengine")).status, 404);
    assert!(
        sim.wait_for(DEADLINE, |s| pods_of(s, "flowengine").is_empty()
            && s.list("apps/v1", "ReplicaSet", "production").is_empty())
    );
    assert_eq!(
        delete(&sim, &format!("{DEPLOYMENTS}/flowengine")).status,
        404
    );
}

#[test]
fn creating_in_a_missing_namespace_is_not_found() {
    let sim = KubeSim::start().unwrap();
    let response = post(
        &sim,
        "/api/v1/namespaces/staging/configmaps",
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}),
    );
    assert_eq!(response.status, 404);
    assert_eq!(
        response.json()["message"],
        "namespaces \"staging\" not found"
    );
}

#[test]
fn invalid_objects_are_unprocessable_with_causes() {
    let sim = KubeSim::start().unwrap();
    let mut object = web_deployment("web");
    object["spec"]["selector"]["matchLabels"]["app"] = json!("other");
    object["spec"]["template"]["spec"]["containers"][0]["image"] = json!("");
    let response = post(&sim, DEPLOYMENTS, &object);
    assert_eq!(response.status, 422);
    let status = response.json();
    assert_eq!(status["reason"], "Invalid");
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with("Deployment.apps \"web\" is invalid:"),
        "{message}"
    );
    let fields: Vec<&str> = status["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "spec.template.metadata.labels",
            "spec.template.spec.containers[0].image"
        ]
    );
    let bad_name = post(
        &sim,
        "/api/v1/namespaces/default/configmaps",
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}),
    );
    assert_eq!(bad_name.status, 422);
    assert!(sim
        .get("apps/v1", "Deployment", "production", "web")
        .is_none());
}

#[test]
fn any_declared_kind_is_stored_generically() {
    let sim = KubeSim::builder()
        .resource(ResourceType::new("example.com", "v1", "Widget", "widgets", true).short(&["wd"]))
        .rollout_delay(Duration::from_millis(10))
        .start()
        .unwrap();
    let url = "/apis/example.com/v1/namespaces/default/widgets";
    let created = post(
        &sim,
        url,
        &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(get(&sim, &format!("{url}/w1")).json()["spec"]["size"], 3);
    assert_eq!(get(&sim, url).json()["kind"], "WidgetList");
    let discovery = get(&sim, "/apis/example.com/v1").json();
    assert_eq!(discovery["resources"][0]["shortNames"], json!(["wd"]));
    let wrong_kind = post(
        &sim,
        url,
        &json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}),
    );
    assert_eq!(wrong_kind.status, 400);
}
