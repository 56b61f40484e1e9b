//! The store's tables, created and migrated by runbook itself.
//!
//! Migrations are numbered and applied in order, all pending ones in one
//! transaction, under a transaction-scoped advisory lock so that runners
//! starting together against a fresh database do not race to create the
//! same tables. A database migrated by a newer runbook (a version this one
//! does not know) is refused without any change: an older binary could
//! otherwise write rows the newer layout misreads.

use tokio_postgres::Client;

use super::connect::Target;
use crate::store::StoreError;

/// Key of the advisory lock serialising migrations (any constant unlikely to
/// collide with an application's own advisory locks: "runbook" in ASCII).
const MIGRATION_LOCK: i64 = 0x72_75_6e_62_6f_6f_6b;

/// `(version, SQL)`, in order. Never edit a released migration: add one.
pub(crate) const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    r#"
CREATE TABLE runbook_runs (
    id text PRIMARY KEY,
    -- The run record, the same JSON as the sled store's.
    record jsonb NOT NULL,
    -- What readers see (`runs`, `status`), replaced at publish.
    summary jsonb,
    runbook_path text NOT NULL,
    title text NOT NULL,
    status text NOT NULL,
    started_by text,
    host text,
    -- The step last committed as running.
    current_step text,
    -- RFC 3339 text as recorded: the listing order (newest first).
    created text NOT NULL,
    updated timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runbook_runs_created ON runbook_runs (created DESC, id DESC);
CREATE INDEX runbook_runs_status ON runbook_runs (status);

CREATE TABLE runbook_steps (
    run_id text NOT NULL REFERENCES runbook_runs (id) ON DELETE CASCADE,
    -- `step/<id>` or `rb/<id>` (rollback steps), as in the sled store.
    key text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE runbook_journal (
    run_id text NOT NULL REFERENCES runbook_runs (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    event jsonb NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Who may write a run. A runner renews `expires` while it lives; a row
-- whose `expires` passed (or that was released) may be taken over.
CREATE TABLE runbook_leases (
    run_id text PRIMARY KEY REFERENCES runbook_runs (id) ON DELETE CASCADE,
    token uuid NOT NULL,
    pid bigint NOT NULL,
    host text NOT NULL,
    since timestamptz NOT NULL,
    expires timestamptz NOT NULL,
    released boolean NOT NULL DEFAULT false
);
"#,
)];

/// The newest schema version this binary knows.
pub(crate) fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Bring the schema up to [`latest`], or refuse a newer one.
pub(crate) async fn migrate(client: &mut Client, target: &Target) -> Result<(), StoreError> {
    let db = |e: tokio_postgres::Error| target.database(&e);
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS runbook_schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(db)?;
    let current: Option<i32> = tx
        .query_one("SELECT max(version) FROM runbook_schema_migrations", &[])
        .await
        .map_err(db)?
        .get(0);
    let current = current.unwrap_or(0);
    if current > latest() {
        // Dropping `tx` rolls back: nothing was changed.
        return Err(StoreError::NewerSchema {
            url: target.redacted.clone(),
            found: current,
            supported: latest(),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::Database {
                url: target.redacted.clone(),
                detail: format!("schema migration {version}: {}", target.describe(&e)),
            })?;
        tx.execute(
            "INSERT INTO runbook_schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
