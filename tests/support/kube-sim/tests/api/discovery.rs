//! Discovery documents, as kubectl and the kube crate read them.

use kube_sim::KubeSim;
use serde_json::Value;

use crate::client::{get, send_with};

fn resource<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no resource {name} in {list}"))
}

#[test]
fn version_claims_a_1_32_server() {
    let sim = KubeSim::start().unwrap();
    let version = get(&sim, "/version").json();
    assert_eq!(version["major"], "1");
    assert_eq!(version["minor"], "32");
    assert!(version["gitVersion"]
        .as_str()
        .unwrap()
        .starts_with("v1.32."));
}

#[test]
fn groups_list_apps_and_autoscaling_v2() {
    let sim = KubeSim::start().unwrap();
    let api = get(&sim, "/api").json();
    assert_eq!(api["versions"], serde_json::json!(["v1"]));
    let groups = get(&sim, "/apis").json();
    assert_eq!(groups["kind"], "APIGroupList");
    let group = |name: &str| {
        groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("group {name} missing"))
    };
    assert_eq!(group("apps")["preferredVersion"]["groupVersion"], "apps/v1");
    assert_eq!(group("autoscaling")["preferredVersion"]["version"], "v2");
    assert_eq!(get(&sim, "/apis/apps").json()["kind"], "APIGroup");
}

#[test]
fn resource_lists_carry_short_names_verbs_and_subresources() {
    let sim = KubeSim::start().unwrap();
    let apps = get(&sim, "/apis/apps/v1").json();
    assert_eq!(apps["groupVersion"], "apps/v1");
    let deployments = resource(&apps, "deployments");
    assert_eq!(deployments["kind"], "Deployment");
    assert_eq!(deployments["namespaced"], true);
    assert_eq!(deployments["shortNames"], serde_json::json!(["deploy"]));
    assert!(deployments["verbs"]
        .as_array()
        .unwrap()
        .contains(&"watch".into()));
    let scale = resource(&apps, "deployments/scale");
    assert_eq!(
        (scale["group"].as_str(), scale["kind"].as_str()),
        (Some("autoscaling"), Some("Scale"))
    );
    resource(&apps, "deployments/status");
    resource(&apps, "statefulsets/scale");
    assert_eq!(
        resource(&apps, "statefulsets")["shortNames"],
        serde_json::json!(["sts"])
    );

    let core = get(&sim, "/api/v1").json();
    assert_eq!(
        resource(&core, "pods")["shortNames"],
        serde_json::json!(["po"])
    );
    assert_eq!(
        resource(&core, "pods/log")["verbs"],
        serde_json::json!(["get"])
    );
    assert_eq!(resource(&core, "nodes")["namespaced"], false);
    let hpa = get(&sim, "/apis/autoscaling/v2").json();
    assert_eq!(
        resource(&hpa, "horizontalpodautoscalers")["shortNames"],
        serde_json::json!(["hpa"])
    );
}

#[test]
fn aggregated_discovery_requests_get_the_plain_form() {
    let sim = KubeSim::start().unwrap();
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let response = send_with(&sim, "GET", "/apis", &[("Accept", accept)], "").unwrap();
    assert_eq!(response.status, 200);
    // Clients look at the Content-Type to tell which form they got.
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json()["kind"], "APIGroupList");
}

#[test]
fn unknown_paths_answer_a_not_found_status() {
    let sim = KubeSim::start().unwrap();
    for path in [
        "/apis/nope.example.com/v1",
        "/apis/apps/v1/namespaces/default/widgets",
        "/openapi/v2",
    ] {
        let response = get(&sim, path);
        assert_eq!(response.status, 404, "{path}");
        let status = response.json();
        assert_eq!(
            (status["kind"].as_str(), status["reason"].as_str()),
            (Some("Status"), Some("NotFound"))
        );
    }
}

#[test]
fn openapi_v3_index_offers_field_validation_on_patch() {
    let sim = KubeSim::start().unwrap();
    let index = get(&sim, "/openapi/v3").json();
    let url = index["paths"]["apis/autoscaling/v2"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let document = get(&sim, &url).json();
    let patch = &document["paths"]
        ["/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"]["kind"],
        "HorizontalPodAutoscaler"
    );
    assert!(patch["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "fieldValidation"));
    assert!(get(&sim, "/openapi/v3/api/v1").json()["paths"]["/api/v1/nodes/{name}"].is_object());
}
