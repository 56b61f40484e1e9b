//! Which resource a user means by `deploy`, `deployments`, `hpa` or
//! `deployments.apps`: resolved against the server's discovery documents
//! (`/api/v1`, `/apis`, each group's preferred version), the way `kubectl`
//! resolves the first word of `kubectl get deploy/x`.

use kube::api::{Api, ApiResource, DynamicObject};
use serde::Deserialize;

use super::errors::{bad_argument, code};
use crate::ActionError;

/// A resource type the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    pub ar: ApiResource,
    pub namespaced: bool,
    /// `deployment`; `kubectl` accepts it as well as the plural.
    pub singular: String,
    /// `deploy`, `hpa`, `cm`.
    pub short_names: Vec<String>,
}

impl Kind {
    fn builtin(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Kind {
        Kind {
            ar: ApiResource {
                group: group.into(),
                version: version.into(),
                api_version: if group.is_empty() {
                    version.into()
                } else {
                    format!("{group}/{version}")
                },
                kind: kind.into(),
                plural: plural.into(),
            },
            namespaced,
            singular: kind.to_ascii_lowercase(),
            short_names: Vec::new(),
        }
    }

    /// `deployment`, as in `deployment/flowengine`.
    pub fn label(&self) -> String {
        self.ar.kind.to_ascii_lowercase()
    }

    /// A dynamic API for this kind: in `namespace` when the kind is
    /// namespaced, across all namespaces when the namespace is `""`.
    pub fn api(&self, client: kube::Client, namespace: Option<&str>) -> Api<DynamicObject> {
        match namespace {
            Some(ns) if self.namespaced && !ns.is_empty() => {
                Api::namespaced_with(client, ns, &self.ar)
            }
            _ => Api::all_with(client, &self.ar),
        }
    }

    fn answers_to(&self, name: &str) -> bool {
        self.ar.kind.eq_ignore_ascii_case(name)
            || self.ar.plural == name
            || self.singular == name
            || self.short_names.iter().any(|s| s == name)
    }
}

/// `apps/v1` Deployment: handles know their kind without discovery.
pub(crate) fn deployments() -> Kind {
    Kind::builtin("apps", "v1", "Deployment", "deployments", true)
}

/// `apps/v1` StatefulSet.
pub(crate) fn statefulsets() -> Kind {
    Kind::builtin("apps", "v1", "StatefulSet", "statefulsets", true)
}

/// `autoscaling/v2` HorizontalPodAutoscaler (GA since Kubernetes 1.23).
pub(crate) fn hpas() -> Kind {
    Kind::builtin(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    )
}

/// `v1` Pod.
pub(crate) fn pods() -> Kind {
    Kind::builtin("", "v1", "Pod", "pods", true)
}

/// `v1` Node.
pub(crate) fn nodes() -> Kind {
    Kind::builtin("", "v1", "Node", "nodes", false)
}

/// Every resource the server serves at each group's preferred version.
#[derive(Debug, Default)]
pub(crate) struct KindTable {
    kinds: Vec<Kind>,
}

// Discovery documents, read leniently (only the fields used here).
#[derive(Deserialize)]
struct ResourceList {
    #[serde(rename = "groupVersion", default)]
    group_version: String,
    #[serde(default)]
    resources: Vec<ResourceEntry>,
}

#[derive(Deserialize)]
struct ResourceEntry {
    name: String,
    kind: String,
    #[serde(default)]
    namespaced: bool,
    #[serde(rename = "singularName", default)]
    singular_name: String,
    #[serde(rename = "shortNames", default)]
    short_names: Vec<String>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "preferredVersion")]
    preferred_version: Option<GroupVersion>,
    #[serde(default)]
    versions: Vec<GroupVersion>,
}

#[derive(Deserialize)]
struct GroupVersion {
    #[serde(rename = "groupVersion")]
    group_version: String,
}

async fn get_json<T: for<'de> Deserialize<'de>>(
    client: &kube::Client,
    path: &str,
) -> Result<T, kube::Error> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    client.request::<T>(req).await
}

impl KindTable {
    /// Read the server's discovery documents. Groups that fail to answer
    /// (an aggregated API that is down) are skipped, as `kubectl` does.
    pub async fn discover(client: &kube::Client) -> Result<KindTable, kube::Error> {
        let core: ResourceList = get_json(client, "/api/v1").await?;
        let groups: GroupList = get_json(client, "/apis").await?;
        let paths: Vec<String> = groups
            .groups
            .iter()
            .filter_map(|g| {
                let gv = g.preferred_version.as_ref().or(g.versions.first())?;
                Some(format!("/apis/{}", gv.group_version))
            })
            .collect();
        let lists =
            futures::future::join_all(paths.iter().map(|p| get_json::<ResourceList>(client, p)))
                .await;
        // Core first, then groups in the server's order: the priority order
        // kubectl uses when two groups serve the same name.
        let mut table = KindTable::default();
        table.add(core);
        for list in lists.into_iter().flatten() {
            table.add(list);
        }
        Ok(table)
    }

    fn add(&mut self, list: ResourceList) {
        let (group, version) = match list.group_version.split_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), list.group_version.clone()),
        };
        for r in list.resources {
            // `deployments/scale` and the like are subresources, not kinds.
            if r.name.contains('/') {
                continue;
            }
            let singular = if r.singular_name.is_empty() {
                r.kind.to_ascii_lowercase()
            } else {
                r.singular_name
            };
            self.kinds.push(Kind {
                ar: ApiResource {
                    group: group.clone(),
                    version: version.clone(),
                    api_version: list.group_version.clone(),
                    kind: r.kind,
                    plural: r.name,
                },
                namespaced: r.namespaced,
                singular,
                short_names: r.short_names,
            });
        }
    }

    /// The kind `name` means: a kind, plural, singular or short name,
    /// optionally qualified by group (`deployments.apps`, `hpa.autoscaling`).
    pub fn resolve(&self, name: &str) -> Result<Kind, ActionError> {
        let lower = name.to_ascii_lowercase();
        let found = self
            .kinds
            .iter()
            .find(|k| k.answers_to(&lower))
            .or_else(|| {
                let (res, group) = lower.split_once('.')?;
                self.kinds
                    .iter()
                    .find(|k| k.ar.group == group && k.answers_to(res))
            });
        found.cloned().ok_or_else(|| {
            ActionError::new(code::UNKNOWN_KIND, format!("the cluster serves no resource type named `{name}`"))
                .with_help("use a kind, plural or short name as `kubectl api-resources` lists them, e.g. deploy, sts, hpa, cm, svc")
        })
    }

    /// The kind for an `apiVersion` and `kind` pair from a manifest.
    pub fn by_api_version(&self, api_version: &str, kind: &str) -> Option<Kind> {
        self.kinds
            .iter()
            .find(|k| k.ar.api_version == api_version && k.ar.kind == kind)
            .cloned()
    }
}

/// Split `"deploy/flowengine"` into `("deploy", "flowengine")`.
pub(crate) fn parse_ref(reference: &str) -> Result<(&str, &str), ActionError> {
    match reference.split_once('/') {
        Some((kind, name)) if !kind.is_empty() && !name.is_empty() && !name.contains('/') => Ok((kind, name)),
        _ => Err(bad_argument(
            format!("`{reference}` is not a `kind/name` reference"),
            "write the object as kubectl does, e.g. \"deploy/flowengine\", \"hpa/flowengine-hpa\", \"cm/settings\"",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn table() -> KindTable {
        let mut t = KindTable::default();
        let core: ResourceList = serde_json::from_value(serde_json::json!({
            "groupVersion": "v1",
            "resources": [
                {"name": "pods", "kind": "Pod", "namespaced": true, "singularName": "pod", "shortNames": ["po"]},
                {"name": "pods/log", "kind": "Pod", "namespaced": true},
                {"name": "configmaps", "kind": "ConfigMap", "namespaced": true, "singularName": "configmap", "shortNames": ["cm"]}
            ]
        }))
        .unwrap();
        let apps: ResourceList = serde_json::from_value(serde_json::json!({
            "groupVersion": "apps/v1",
            "resources": [
                {"name": "deployments", "kind": "Deployment", "namespaced": true, "singularName": "deployment", "shortNames": ["deploy"]},
                {"name": "deployments/scale", "kind": "Scale", "namespaced": true}
            ]
        }))
        .unwrap();
        t.add(core);
        t.add(apps);
        t
    }

    #[test]
    fn resolves_every_name_kubectl_accepts() {
        let t = table();
        for name in [
            "deploy",
            "deployment",
            "deployments",
            "Deployment",
            "deployments.apps",
        ] {
            assert_eq!(t.resolve(name).unwrap().ar.plural, "deployments", "{name}");
        }
        assert_eq!(t.resolve("cm").unwrap().ar.kind, "ConfigMap");
        assert_eq!(t.resolve("po").unwrap().ar.api_version, "v1");
    }

    #[test]
    fn unknown_kinds_and_subresources_are_refused() {
        let t = table();
        assert_eq!(t.resolve("frob").unwrap_err().code, code::UNKNOWN_KIND);
        assert!(t.resolve("scale").is_err());
    }

    #[test]
    fn references_need_a_kind_and_a_name() {
        assert_eq!(parse_ref("deploy/x").unwrap(), ("deploy", "x"));
        for bad in ["deploy", "/x", "deploy/", "a/b/c"] {
            assert_eq!(
                parse_ref(bad).unwrap_err().code,
                code::BAD_ARGUMENT,
                "{bad}"
            );
        }
    }
}
