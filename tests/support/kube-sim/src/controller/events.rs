//! Events the controllers record, as `kubectl describe` lists them
//! (ScalingReplicaSet, SuccessfulCreate, SuccessfulDelete).

use serde_json::{json, Value};

use super::objects::{meta_str, save};
use super::Pass;
use crate::objects::now_timestamp;

/// Records a Normal event about `involved` from `component`.
pub(super) fn record(
    pass: &mut Pass<'_, '_>,
    involved: &Value,
    component: &str,
    reason: &str,
    message: String,
) {
    let now = now_timestamp();
    let suffix: String = (0..16)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect();
    let event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": format!("{}.{suffix}", meta_str(involved, "name")),
            "namespace": involved["metadata"]["namespace"],
        },
        "involvedObject": {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": involved["metadata"]["name"],
            "namespace": involved["metadata"]["namespace"],
            "uid": involved["metadata"]["uid"],
        },
        "reason": reason,
        "message": message,
        "type": "Normal",
        "source": {"component": component},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    });
    save(pass, "", "events", event);
}
