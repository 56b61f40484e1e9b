//! Status conditions that keep their timestamps while they hold, so an
//! unchanged status is byte-for-byte unchanged (and causes no write).

use serde_json::{json, Value};

use crate::objects::now_timestamp;

/// A condition for `previous` (the object's current `status.conditions`):
/// `lastTransitionTime` moves only when `status` changes, `lastUpdateTime`
/// only when the reason or message does.
pub(super) fn condition(
    previous: &Value,
    kind: &str,
    status: bool,
    reason: &str,
    message: &str,
) -> Value {
    let status = if status { "True" } else { "False" };
    let old = previous
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == kind);
    let now = now_timestamp();
    let transition = match old {
        Some(c) if c["status"] == status => c["lastTransitionTime"].clone(),
        _ => json!(now),
    };
    let update = match old {
        Some(c) if c["status"] == status && c["reason"] == reason && c["message"] == message => {
            c["lastUpdateTime"].clone()
        }
        _ => json!(now),
    };
    json!({
        "type": kind,
        "status": status,
        "lastUpdateTime": update,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    })
}
