//! Any built-in kind by name: `kube::get(ns, "hpa/x")` and
//! `kube::list(ns, "cm", "app=x")`, objects as Rhai maps.

use rhai::{Array, Dynamic, EvalAltResult};

use super::client::KubeState;
use super::kinds::parse_ref;
use super::requests;
use super::values::to_rhai;
use crate::ActionError;

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

/// `kube::get(ns, "kind/name")`: the object as a map.
pub(crate) fn get(state: &KubeState, ns: &str, reference: &str) -> Result<Dynamic> {
    let (kind, name) = parse_ref(reference).map_err(ActionError::into_rhai)?;
    let object = state.run(async |c| {
        let kind = c.kind(kind).await?;
        requests::get(c, &kind, ns, name).await
    })?;
    to_rhai(&object)
}

/// `kube::list(ns, kind, selector)`: the matching objects as maps, in the
/// server's order (by name for built-in kinds).
pub(crate) fn list(state: &KubeState, ns: &str, kind: &str, selector: &str) -> Result<Array> {
    let items = state.run(async |c| {
        let kind = c.kind(kind).await?;
        requests::list(c, &kind, Some(ns), Some(selector)).await
    })?;
    items.iter().map(to_rhai).collect()
}
