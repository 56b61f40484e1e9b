//! What readers (`runs`, `status`, `log`) see, read without a lease.

use serde_json::Value;
use tokio_postgres::Client;

use super::connect::Target;
use super::{decode, not_found};
use crate::event::Event;
use crate::store::{RunSummary, StoreError};

/// Every run with a summary, newest first. A run whose creation was cut
/// short before its first publish has none yet and is left out (as with the
/// sled store).
pub(crate) async fn list(c: &Client, t: &Target) -> Result<Vec<RunSummary>, StoreError> {
    let rows = c
        .query(
            "SELECT id, summary, current_step FROM runbook_runs
             WHERE summary IS NOT NULL ORDER BY created DESC, id DESC",
            &[],
        )
        .await
        .map_err(|e| t.database(&e))?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.get(0);
        out.push(with_step(
            decode(t, &id, "summary", row.get(1))?,
            row.get(2),
        ));
    }
    Ok(out)
}

/// One run's summary.
pub(crate) async fn summary(c: &Client, t: &Target, id: &str) -> Result<RunSummary, StoreError> {
    let row = c
        .query_opt(
            "SELECT summary, current_step FROM runbook_runs WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(|e| t.database(&e))?
        .ok_or_else(|| not_found(t, id))?;
    let Some(json) = row.get::<_, Option<Value>>(0) else {
        return Err(StoreError::Corrupt {
            id: id.to_string(),
            path: t.redacted.clone().into(),
            detail: "the run has no summary yet (resuming the run writes it)".into(),
        });
    };
    Ok(with_step(decode(t, id, "summary", json)?, row.get(1)))
}

/// The store's current step wins: the published summary is only replaced
/// when the run's status changes.
fn with_step(mut s: RunSummary, current: Option<String>) -> RunSummary {
    if current.is_some() {
        s.current_step = current;
    }
    s
}

/// One run's journal, in order.
pub(crate) async fn journal(c: &Client, t: &Target, id: &str) -> Result<Vec<Event>, StoreError> {
    if !exists(c, t, id).await? {
        return Err(not_found(t, id));
    }
    let rows = c
        .query(
            "SELECT seq, event FROM runbook_journal WHERE run_id = $1 ORDER BY seq",
            &[&id],
        )
        .await
        .map_err(|e| t.database(&e))?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.get(0);
        let event: Value = row.get(1);
        events.push(
            serde_json::from_value(event).map_err(|e| StoreError::Corrupt {
                id: id.to_string(),
                path: t.redacted.clone().into(),
                detail: format!("journal event {seq}: {e}"),
            })?,
        );
    }
    Ok(events)
}

/// Whether run `id` exists.
pub(crate) async fn exists(c: &Client, t: &Target, id: &str) -> Result<bool, StoreError> {
    Ok(
        c.query_opt("SELECT 1 FROM runbook_runs WHERE id = $1", &[&id])
            .await
            .map_err(|e| t.database(&e))?
            .is_some(),
    )
}
