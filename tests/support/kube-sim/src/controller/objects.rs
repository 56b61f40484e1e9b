//! Helpers the controller's reconcilers share: typed lookups, owner
//! references, template hashes and garbage collection of orphans.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::Pass;
use crate::catalog::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};

/// The served type of (group, plural); built-in kinds are always there.
pub(super) fn resource(pass: &Pass<'_, '_>, group: &str, plural: &str) -> Option<ResourceType> {
    pass.api
        .catalog
        .types()
        .iter()
        .find(|t| t.group == group && t.plural == plural)
        .cloned()
}

/// All objects of (group, plural), in every namespace.
pub(super) fn all(pass: &Pass<'_, '_>, group: &str, plural: &str) -> Vec<Value> {
    match resource(pass, group, plural) {
        Some(rt) => pass.api.list(
            &rt,
            None,
            &LabelSelector::default(),
            &FieldSelector::default(),
        ),
        None => Vec::new(),
    }
}

pub(super) fn meta_str<'a>(object: &'a Value, field: &str) -> &'a str {
    object["metadata"][field].as_str().unwrap_or_default()
}

pub(super) fn uid(object: &Value) -> &str {
    meta_str(object, "uid")
}

/// The uid of the object's controlling owner.
pub(super) fn controller_uid(object: &Value) -> Option<&str> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == json!(true))
        .and_then(|r| r["uid"].as_str())
}

/// An ownerReference naming `owner` as controller.
pub(super) fn owner_reference(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Objects in `items` controlled by `owner`.
pub(super) fn owned_by<'a>(items: &'a [Value], owner: &Value) -> Vec<&'a Value> {
    let owner_uid = uid(owner);
    items
        .iter()
        .filter(|o| controller_uid(o) == Some(owner_uid))
        .collect()
}

/// A stable 10-character hash of a pod template, in the alphabet
/// Kubernetes uses for `pod-template-hash` (FNV-1a over canonical JSON:
/// serde_json maps are sorted, so equal templates hash equally).
pub(super) fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in template.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..10)
        .map(|_| {
            let c = ALPHABET[(hash % ALPHABET.len() as u64) as usize];
            hash /= ALPHABET.len() as u64;
            char::from(c)
        })
        .collect()
}

/// Writes `object` (of `group`/`plural`) if it changed, reporting failures.
pub(super) fn save(pass: &mut Pass<'_, '_>, group: &str, plural: &str, object: Value) {
    let Some(rt) = resource(pass, group, plural) else {
        return;
    };
    if let Err(err) = pass.api.put_internal(&rt, object) {
        pass.report(&format!("writing {}", rt.group_resource()), err);
    }
}

/// Deletes an object of `group`/`plural`, reporting failures.
pub(super) fn remove(pass: &mut Pass<'_, '_>, group: &str, plural: &str, object: &Value) {
    let Some(rt) = resource(pass, group, plural) else {
        return;
    };
    let (ns, name) = (meta_str(object, "namespace"), meta_str(object, "name"));
    if let Err(err) = pass.api.delete(&rt, ns, name, Default::default()) {
        pass.report(
            &format!("deleting {} {ns}/{name}", rt.group_resource()),
            err,
        );
    }
}

/// Deletes ReplicaSets and pods whose controlling owner is gone (what the
/// garbage collector does after a cascading delete).
pub(super) fn collect_garbage(pass: &mut Pass<'_, '_>) {
    let mut owners: BTreeSet<String> = BTreeSet::new();
    for (group, plural) in [
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
    ] {
        owners.extend(all(pass, group, plural).iter().map(|o| uid(o).to_string()));
    }
    for (group, plural) in [("apps", "replicasets"), ("", "pods")] {
        for object in all(pass, group, plural) {
            if controller_uid(&object).is_some_and(|owner| !owners.contains(owner)) {
                remove(pass, group, plural, &object);
            }
        }
    }
}
