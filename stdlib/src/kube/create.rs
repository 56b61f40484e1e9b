//! `kube::create(ns, yaml)`: create every object of a manifest, as `kubectl
//! create -n ns -f` does — except that an object that already exists *as the
//! manifest describes it* counts as created. That makes a create safe to
//! repeat: when the server performed it but the answer was lost (a dropped
//! connection, a 500), the step's retry or a resume meets 409 AlreadyExists,
//! finds the object it asked for, and succeeds. An existing object that
//! differs is an error naming the differences.

use rhai::{Array, Dynamic, EvalAltResult};
use serde_json::Value;

use super::apply::{parse_manifests, resolve, ManifestObject};
use super::client::KubeState;
use super::dry_run::report;
use super::errors::{code, Failure};
use super::requests;
use super::retry::{retrying, Mode};
use crate::ActionError;

const ACTION: &str = "kube::create";

/// How many differences an already-exists error lists.
const MAX_SHOWN_DIFFERENCES: usize = 5;

/// Longest value shown in a difference.
const MAX_SHOWN_VALUE: usize = 80;

/// Create every object of `yaml` in namespace `ns` (`""`: each object's
/// own). Returns `kind/name` of each object.
pub(crate) fn create(state: &KubeState, ns: &str, yaml: &str) -> Result<Array, Box<EvalAltResult>> {
    let docs = parse_manifests(ACTION, yaml).map_err(ActionError::into_rhai)?;
    let ctx = &state.ctx;
    let created = state.run(async |c| {
        let mut created = Vec::new();
        for doc in docs {
            let ManifestObject {
                doc,
                kind,
                kind_name,
                name,
                label,
                ns,
            } = resolve(c, doc, ns, ACTION).await?;
            let (doc, ns) = (&doc, ns.as_str());
            let existed = retrying(Mode::Write, async || {
                match requests::create(c, ctx, &kind, ns, &name, doc).await {
                    Ok(_) => Ok(false),
                    Err(f) if f.is_already_exists() => {
                        let live = requests::get(c, &kind, ns, &name).await?;
                        let differences = differences(doc, &live, kind_name != "Secret");
                        if differences.is_empty() {
                            Ok(true)
                        } else {
                            Err(Failure::Action(already_exists(
                                &label,
                                ns,
                                kind.namespaced,
                                &differences,
                            )))
                        }
                    }
                    Err(f) => Err(f),
                }
            })
            .await?;
            let what = if existed {
                "already exists as in the manifest"
            } else {
                "created"
            };
            report(ctx, ACTION, &format!("{label}: {what}"));
            created.push(label);
        }
        Ok(created)
    })?;
    Ok(created.into_iter().map(Dynamic::from).collect())
}

fn already_exists(label: &str, ns: &str, namespaced: bool, differences: &[String]) -> ActionError {
    let place = if namespaced {
        format!(" in namespace {ns}")
    } else {
        String::new()
    };
    let mut shown: Vec<&str> = differences
        .iter()
        .take(MAX_SHOWN_DIFFERENCES)
        .map(String::as_str)
        .collect();
    let more = differences.len().saturating_sub(MAX_SHOWN_DIFFERENCES);
    let more_text = format!("and {more} more");
    if more > 0 {
        shown.push(&more_text);
    }
    ActionError::new(
        code::ALREADY_EXISTS,
        format!(
            "{ACTION}: {label} already exists{place} and differs from the manifest: {}",
            shown.join("; ")
        ),
    )
    .with_help(format!(
        "use kube::apply to make it match the manifest, or delete {label} first if it is stale"
    ))
}

/// Where `live` differs from what `manifest` asks for, as `path: live value
/// (manifest: value)` lines. Only what the manifest sets is compared (the
/// server adds defaults, status and bookkeeping), and of its metadata only
/// labels and annotations. `show_values` is false for Secrets.
fn differences(manifest: &Value, live: &Value, show_values: bool) -> Vec<String> {
    let mut out = Vec::new();
    let Some(fields) = manifest.as_object() else {
        return out;
    };
    for (key, wanted) in fields {
        match key.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                for part in ["labels", "annotations"] {
                    if let Some(w) = wanted.get(part) {
                        let got = live.get("metadata").and_then(|m| m.get(part));
                        compare(&format!("metadata.{part}"), w, got, show_values, &mut out);
                    }
                }
            }
            _ => compare(key, wanted, live.get(key), show_values, &mut out),
        }
    }
    out
}

fn compare(path: &str, wanted: &Value, got: Option<&Value>, show: bool, out: &mut Vec<String>) {
    match (wanted, got) {
        // A null in a manifest asks for nothing.
        (Value::Null, _) => {}
        (Value::Object(w), Some(Value::Object(g))) => {
            for (k, v) in w {
                compare(&format!("{path}.{k}"), v, g.get(k), show, out);
            }
        }
        (Value::Array(w), Some(Value::Array(g))) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                compare(&format!("{path}[{i}]"), wv, Some(gv), show, out);
            }
        }
        (w, Some(g)) if w == g => {}
        (w, g) => out.push(if show {
            let live = g.map_or_else(|| "not set".to_owned(), shown);
            format!("{path} is {live} (manifest: {})", shown(w))
        } else {
            format!("{path} differs")
        }),
    }
}

fn shown(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > MAX_SHOWN_VALUE {
        let cut: String = text.chars().take(MAX_SHOWN_VALUE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(pool: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "limits", "labels": {"app": "web"}},
            "data": {"pool": pool},
        })
    }

    #[test]
    fn what_the_server_adds_is_not_a_difference() {
        let mut live = config("20");
        live["metadata"]["uid"] = json!("0b5e");
        live["metadata"]["resourceVersion"] = json!("7");
        live["metadata"]["labels"]["team"] = json!("ops");
        live["data"]["extra"] = json!("x");
        assert!(differences(&config("20"), &live, true).is_empty());
    }

    #[test]
    fn a_changed_value_a_missing_label_and_a_longer_list_are_named() {
        let mut live = config("10");
        live["metadata"]["labels"] = json!({});
        let mut manifest = config("20");
        manifest["spec"] = json!({"ports": [1, 2]});
        live["spec"] = json!({"ports": [1]});
        assert_eq!(
            differences(&manifest, &live, true),
            [
                "data.pool is \"10\" (manifest: \"20\")",
                "metadata.labels.app is not set (manifest: \"web\")",
                "spec.ports is [1] (manifest: [1,2])",
            ]
        );
    }

    #[test]
    fn secret_values_are_not_shown() {
        let manifest = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}});
        let live = json!({"kind": "Secret", "data": {"password": "b3RoZXI="}});
        assert_eq!(
            differences(&manifest, &live, false),
            ["data.password differs"]
        );
    }

    #[test]
    fn the_error_lists_a_few_differences_and_counts_the_rest() {
        let many: Vec<String> = (0..8).map(|i| format!("d{i}")).collect();
        let e = already_exists("configmap/limits", "production", true, &many);
        assert_eq!(e.code, code::ALREADY_EXISTS);
        assert_eq!(
            e.message,
            "kube::create: configmap/limits already exists in namespace production and differs from the manifest: d0; d1; d2; d3; d4; and 3 more"
        );
    }
}
