//! `kube::apply(ns, yaml)`: server-side apply of every document of a
//! manifest, as `kubectl apply --server-side --force-conflicts
//! --field-manager runbook -n ns -f` does. Applying is idempotent, which is
//! what a step re-run after a crash needs.

use kube::api::ApiResource;
use kube::core::GroupVersionKind;
use rhai::{Array, Dynamic, EvalAltResult};
use serde::Deserialize;
use serde_json::Value;

use super::changes;
use super::client::Connection;
use super::client::KubeState;
use super::dry_run::report;
use super::errors::{bad_argument, code, Failure};
use super::kinds::Kind;
use super::requests::{self, PatchBody};
use super::retry::{retrying, Mode};
use super::values::str_at;
use crate::ActionError;

/// Split a YAML stream into objects, skipping empty documents and expanding
/// `kind: List`. `action` (`kube::apply`) starts every message.
pub(crate) fn parse_manifests(action: &str, yaml: &str) -> Result<Vec<Value>, ActionError> {
    let mut out = Vec::new();
    for (index, doc) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let value = Value::deserialize(doc).map_err(|e| {
            bad_argument(
                format!("{action}: document {} is not valid YAML: {e}", index + 1),
                "check the manifest with `kubectl apply --dry-run=client -f`",
            )
        })?;
        match value {
            Value::Null => {}
            Value::Object(_) if str_at(&value, "/kind") == Some("List") => {
                out.extend(value.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
            }
            Value::Object(_) => out.push(value),
            other => {
                return Err(bad_argument(
                    format!("{action}: document {} is not an object but {other}", index + 1),
                    "each YAML document must be a Kubernetes object with apiVersion, kind and metadata.name",
                ))
            }
        }
    }
    for (index, doc) in out.iter().enumerate() {
        for field in ["/apiVersion", "/kind", "/metadata/name"] {
            if str_at(doc, field).is_none_or(str::is_empty) {
                return Err(bad_argument(
                    format!(
                        "{action}: object {} has no `{}`",
                        index + 1,
                        &field[1..].replace('/', ".")
                    ),
                    "each object needs apiVersion, kind and metadata.name",
                ));
            }
        }
    }
    Ok(out)
}

/// The kind a manifest names, from the discovery table or, for a version
/// that is not the group's preferred one, from that version's document.
pub(crate) async fn manifest_kind(
    c: &Connection,
    api_version: &str,
    kind: &str,
) -> Result<Kind, Failure> {
    if let Some(k) = c.kinds().await?.by_api_version(api_version, kind) {
        return Ok(k);
    }
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    match kube::discovery::pinned_kind(&c.client, &gvk).await {
        Ok((ar, caps)) => Ok(Kind {
            singular: ar.kind.to_ascii_lowercase(),
            namespaced: caps.scope == kube::discovery::Scope::Namespaced,
            ar: ApiResource { ..ar },
            short_names: Vec::new(),
        }),
        Err(_) => Err(Failure::Action(
            ActionError::new(
                code::UNKNOWN_KIND,
                format!("the cluster serves no {kind} in {api_version}"),
            )
            .with_help("check apiVersion and kind against `kubectl api-resources`"),
        )),
    }
}

/// One object of a manifest, resolved against the cluster.
pub(crate) struct ManifestObject {
    /// The object, with the namespace it goes to written in.
    pub doc: Value,
    pub kind: Kind,
    /// `kind` as the manifest spells it (`ConfigMap`).
    pub kind_name: String,
    pub name: String,
    /// `configmap/limits`, for messages and effects.
    pub label: String,
    /// The namespace it goes to (`""` for cluster-scoped kinds).
    pub ns: String,
}

/// Resolve `doc`'s kind and namespace: the call's `ns`, or the manifest's
/// own when the call gives `""`. A manifest naming another namespace than
/// the call's is refused, like kubectl does. `action` starts messages.
pub(crate) async fn resolve(
    c: &Connection,
    mut doc: Value,
    ns: &str,
    action: &str,
) -> Result<ManifestObject, Failure> {
    let api_version = str_at(&doc, "/apiVersion").unwrap_or_default().to_owned();
    let kind_name = str_at(&doc, "/kind").unwrap_or_default().to_owned();
    let name = str_at(&doc, "/metadata/name")
        .unwrap_or_default()
        .to_owned();
    let kind = manifest_kind(c, &api_version, &kind_name).await?;
    let label = format!("{}/{name}", kind.label());
    let target_ns = match str_at(&doc, "/metadata/namespace").filter(|_| kind.namespaced) {
        Some(theirs) if ns.is_empty() => theirs.to_owned(),
        Some(theirs) if theirs != ns => {
            return Err(Failure::Action(bad_argument(
                format!(
                    "{action}: {label} names namespace {theirs}, but the call is for namespace {ns}"
                ),
                "remove metadata.namespace from the manifest or use it in that namespace",
            )))
        }
        _ => ns.to_owned(),
    };
    if kind.namespaced && !target_ns.is_empty() {
        doc["metadata"]["namespace"] = Value::String(target_ns.clone());
    }
    Ok(ManifestObject {
        doc,
        kind,
        kind_name,
        name,
        label,
        ns: target_ns,
    })
}

/// Apply every object of `yaml` in namespace `ns` (objects that name
/// another namespace are refused, like kubectl; with `ns` = `""` each
/// object's own namespace is used). Returns `kind/name` of each object
/// applied.
pub(crate) fn apply(state: &KubeState, ns: &str, yaml: &str) -> Result<Array, Box<EvalAltResult>> {
    let docs = parse_manifests("kube::apply", yaml).map_err(ActionError::into_rhai)?;
    let ctx = &state.ctx;
    let applied = state.run(async |c| {
        let mut applied = Vec::new();
        for doc in docs {
            let ManifestObject {
                doc,
                kind,
                name,
                label,
                ns,
                ..
            } = resolve(c, doc, ns, "kube::apply").await?;
            let ns = ns.as_str();
            let before = requests::get_opt(c, &kind, ns, &name).await?;
            let body = PatchBody::Apply(doc);
            let after = retrying(Mode::Write, async || {
                requests::patch(c, ctx, &kind, ns, &name, &body).await
            })
            .await?;
            report(
                ctx,
                "kube::apply",
                &format!("{label}: {}", changes::describe(before.as_ref(), &after)),
            );
            applied.push(label);
        }
        Ok(applied)
    })?;
    Ok(applied.into_iter().map(Dynamic::from).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn splits_documents_and_lists() {
        let yaml = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n";
        let docs = parse_manifests("kube::apply", yaml).unwrap();
        let names: Vec<&str> = docs
            .iter()
            .filter_map(|d| str_at(d, "/metadata/name"))
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn refuses_objects_without_identity() {
        let err = parse_manifests(
            "kube::apply",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        )
        .unwrap_err();
        assert_eq!(err.message, "kube::apply: object 1 has no `metadata.name`");
        let err = parse_manifests("kube::apply", "a: [").unwrap_err();
        assert!(
            err.message
                .starts_with("kube::apply: document 1 is not valid YAML"),
            "{}",
            err.message
        );
    }
}
