//! `kube::patch(ns, "kind/name", patch, type)` and `kube::delete(ns,
//! "kind/name")`.

use rhai::{Dynamic, EvalAltResult};
use serde_json::Value;

use super::changes;
use super::client::KubeState;
use super::dry_run::report;
use super::errors::bad_argument;
use super::kinds::parse_ref;
use super::requests::{self, PatchBody};
use super::retry::{retrying, Mode};
use super::values::{from_rhai, to_rhai};
use crate::ActionError;

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

/// The patch as JSON: a map or array as is, a string parsed as JSON (or
/// YAML, which kubectl also accepts).
fn patch_value(patch: &Dynamic) -> std::result::Result<Value, ActionError> {
    if let Ok(text) = patch.clone().into_string() {
        return serde_json::from_str(&text)
            .or_else(|_| serde_yaml::from_str(&text))
            .map_err(|e| {
                bad_argument(
                    format!("kube::patch: the patch text is neither JSON nor YAML: {e}"),
                    "give a map, an array of JSON patch operations, or JSON text",
                )
            });
    }
    from_rhai(patch, "the patch")
}

/// Pick the patch type: as given, or `json` for an array, `merge` otherwise.
fn body(value: Value, kind: Option<&str>) -> std::result::Result<PatchBody, ActionError> {
    let wrong = |want: &str| {
        bad_argument(
            format!("kube::patch: a {} patch must be {want}", kind.unwrap_or_default()),
            "a merge or strategic patch is a map of fields; a json patch is an array of operations like #{ op: \"replace\", path: \"/spec/replicas\", value: 3 }",
        )
    };
    match (kind, &value) {
        (Some("json"), Value::Array(_)) | (None, Value::Array(_)) => Ok(PatchBody::Json(value)),
        (Some("json"), _) => Err(wrong("an array of operations")),
        (Some("merge"), Value::Object(_)) | (None, Value::Object(_)) => Ok(PatchBody::Merge(value)),
        (Some("strategic"), Value::Object(_)) => Ok(PatchBody::Strategic(value)),
        (Some("merge" | "strategic"), _) => Err(wrong("a map")),
        (None, _) => Err(bad_argument(
            "kube::patch: the patch must be a map or an array",
            "e.g. #{ spec: #{ replicas: 3 } }",
        )),
        (Some(other), _) => Err(bad_argument(
            format!("kube::patch: unknown patch type `{other}`"),
            "the types are \"merge\", \"json\" and \"strategic\"",
        )),
    }
}

/// Patch an object; returns the object after the patch (in dry run: as the
/// server says it would be).
pub(crate) fn patch(
    state: &KubeState,
    ns: &str,
    reference: &str,
    patch: &Dynamic,
    kind: Option<&str>,
) -> Result<Dynamic> {
    let (kind_name, name) = parse_ref(reference).map_err(ActionError::into_rhai)?;
    let body = patch_value(patch)
        .and_then(|v| body(v, kind))
        .map_err(ActionError::into_rhai)?;
    let ctx = &state.ctx;
    let (label, what, after) = state.run(async |c| {
        let kind = c.kind(kind_name).await?;
        retrying(Mode::Write, async || {
            let before = requests::get(c, &kind, ns, name).await?;
            let after = requests::patch(c, ctx, &kind, ns, name, &body).await?;
            Ok((
                format!("{}/{name}", kind.label()),
                changes::describe(Some(&before), &after),
                after,
            ))
        })
        .await
    })?;
    report(ctx, "kube::patch", &format!("{label}: {what}"));
    to_rhai(&after)
}

/// Delete an object. Deleting one that is already gone succeeds (a step
/// re-run after a crash must not fail on its own earlier effect) and
/// returns `false`; `true` when this call deleted it.
pub(crate) fn delete(state: &KubeState, ns: &str, reference: &str) -> Result<bool> {
    let (kind_name, name) = parse_ref(reference).map_err(ActionError::into_rhai)?;
    let ctx = &state.ctx;
    let (label, existed) = state.run(async |c| {
        let kind = c.kind(kind_name).await?;
        let existed = retrying(Mode::Write, async || {
            requests::delete(c, ctx, &kind, ns, name).await
        })
        .await?;
        Ok((format!("{}/{name}", kind.label()), existed))
    })?;
    let what = if existed {
        "deleted"
    } else {
        "already absent, nothing to delete"
    };
    report(ctx, "kube::delete", &format!("{label}: {what}"));
    Ok(existed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_type_follows_the_shape_unless_given() {
        assert!(matches!(body(json!([]), None), Ok(PatchBody::Json(_))));
        assert!(matches!(body(json!({}), None), Ok(PatchBody::Merge(_))));
        assert!(matches!(
            body(json!({}), Some("strategic")),
            Ok(PatchBody::Strategic(_))
        ));
        assert!(body(json!({}), Some("json")).is_err());
        assert!(body(json!([]), Some("merge")).is_err());
        assert!(body(json!({}), Some("yolo"))
            .unwrap_err()
            .message
            .contains("unknown patch type `yolo`"));
    }

    #[test]
    fn text_patches_are_json_or_yaml() {
        let j = patch_value(&Dynamic::from(
            "[{\"op\":\"replace\",\"path\":\"/spec/minReplicas\",\"value\":10}]",
        ))
        .unwrap();
        assert_eq!(j[0]["value"], 10);
        let y = patch_value(&Dynamic::from("spec:\n  replicas: 2\n")).unwrap();
        assert_eq!(y, json!({"spec": {"replicas": 2}}));
    }
}
