//! The table of resource types the simulator serves: discovery documents,
//! URL routing and the store are all driven from it, so adding a kind is one
//! entry here.

/// One served resource type (a row of `kubectl api-resources`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// API group; empty for the core group.
    pub group: String,
    /// API version inside the group, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// URL plural, e.g. `deployments`.
    pub plural: String,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names kubectl accepts, e.g. `deploy`.
    pub short_names: Vec<String>,
    /// Whether the `scale` subresource exists (autoscaling/v1 Scale).
    pub scale: bool,
    /// Whether the `status` subresource exists (writes to the main resource
    /// then leave `status` alone, writes to `/status` touch only `status`).
    pub status: bool,
}

impl ResourceType {
    /// A resource type without subresources; chain the setters for more.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ResourceType {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced,
            short_names: Vec::new(),
            scale: false,
            status: false,
        }
    }

    /// Adds short names (`deploy`, `po`, …).
    pub fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Declares the `status` subresource.
    pub fn with_status(mut self) -> Self {
        self.status = true;
        self
    }

    /// Declares the `scale` subresource.
    pub fn with_scale(mut self) -> Self {
        self.scale = true;
        self
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The group-qualified resource the real server names in messages:
    /// `deployments.apps`, or `pods` for the core group.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Lower-case kind, as discovery's `singularName`.
    pub fn singular(&self) -> String {
        self.kind.to_lowercase()
    }

    /// Whether this is the pod resource (the only one with `log`).
    pub fn is_pod(&self) -> bool {
        self.group.is_empty() && self.plural == "pods"
    }
}

/// All served resource types.
#[derive(Debug, Clone)]
pub struct Catalog {
    types: Vec<ResourceType>,
}

impl Catalog {
    /// The built-in kinds: core/v1, apps/v1, autoscaling/v2, batch/v1 and policy/v1.
    pub fn builtin() -> Self {
        let types = vec![
            ResourceType::new("", "v1", "Namespace", "namespaces", false)
                .short(&["ns"])
                .with_status(),
            ResourceType::new("", "v1", "Pod", "pods", true)
                .short(&["po"])
                .with_status(),
            ResourceType::new("", "v1", "Service", "services", true)
                .short(&["svc"])
                .with_status(),
            ResourceType::new("", "v1", "ConfigMap", "configmaps", true).short(&["cm"]),
            ResourceType::new("", "v1", "Secret", "secrets", true),
            ResourceType::new("", "v1", "Node", "nodes", false)
                .short(&["no"])
                .with_status(),
            ResourceType::new("", "v1", "Event", "events", true).short(&["ev"]),
            ResourceType::new("", "v1", "ServiceAccount", "serviceaccounts", true).short(&["sa"]),
            ResourceType::new(
                "",
                "v1",
                "PersistentVolumeClaim",
                "persistentvolumeclaims",
                true,
            )
            .short(&["pvc"])
            .with_status(),
            ResourceType::new("apps", "v1", "Deployment", "deployments", true)
                .short(&["deploy"])
                .with_status()
                .with_scale(),
            ResourceType::new("apps", "v1", "StatefulSet", "statefulsets", true)
                .short(&["sts"])
                .with_status()
                .with_scale(),
            ResourceType::new("apps", "v1", "ReplicaSet", "replicasets", true)
                .short(&["rs"])
                .with_status()
                .with_scale(),
            ResourceType::new("apps", "v1", "DaemonSet", "daemonsets", true)
                .short(&["ds"])
                .with_status(),
            ResourceType::new(
                "autoscaling",
                "v2",
                "HorizontalPodAutoscaler",
                "horizontalpodautoscalers",
                true,
            )
            .short(&["hpa"])
            .with_status(),
            ResourceType::new("batch", "v1", "Job", "jobs", true).with_status(),
            ResourceType::new("batch", "v1", "CronJob", "cronjobs", true)
                .short(&["cj"])
                .with_status(),
            ResourceType::new(
                "policy",
                "v1",
                "PodDisruptionBudget",
                "poddisruptionbudgets",
                true,
            )
            .short(&["pdb"])
            .with_status(),
        ];
        Catalog { types }
    }

    /// Adds (or replaces) a resource type, e.g. a custom resource.
    pub fn add(&mut self, rt: ResourceType) {
        self.types
            .retain(|t| !(t.group == rt.group && t.version == rt.version && t.plural == rt.plural));
        self.types.push(rt);
    }

    /// Every served type, in discovery order.
    pub fn types(&self) -> &[ResourceType] {
        &self.types
    }

    /// The type served at `/apis/{group}/{version}/{plural}`.
    pub fn by_plural(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The type of objects with this `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    /// Served groups (the core group excluded) with their versions, in order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) => {
                    if !versions.contains(&t.version) {
                        versions.push(t.version.clone());
                    }
                }
                None => groups.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        groups
    }

    /// Types served under one group version.
    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'a {
        self.types
            .iter()
            .filter(move |t| t.group == group && t.version == version)
    }
}
