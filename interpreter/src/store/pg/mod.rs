//! The PostgreSQL store: a team's runs in one shared database, so that a run
//! started on one machine can be watched and resumed from another.
//!
//! ```text
//! runbook_schema_migrations  version, applied_at        (schema.rs)
//! runbook_runs               run record + summary + listing columns
//! runbook_steps              (run_id, key) → step record
//! runbook_journal            (run_id, seq) → event
//! runbook_leases             run_id → token, pid, host, since, expires  (lease.rs)
//! ```
//!
//! Records are the same JSON as the sled store's, with the same format
//! check. The resumability contract of [`crate::store`] holds with one
//! transaction per commit: the staged run and step records and the journal
//! events appended since the last write become durable together, in a
//! transaction that first renews this runner's lease and fails if the lease
//! is no longer its own (fencing). A runner that lost its lease, or its
//! connection, stops the step in flight ([`RunSession::lease_lost`]) and can
//! never record anything again; another runner takes the run over once the
//! lease expires.
//!
//! Each session has its own connection (its transactions never interleave
//! with another session's); readers share one, reconnected when it breaks.
//! Everything runs on the store's own thread ([`worker`]).

mod connect;
mod journal;
pub mod lease;
mod read;
mod schema;
mod session;
mod shared;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

use self::connect::Target;
use self::session::{Opening, PgSession};
use self::worker::{Worker, REQUEST_TIMEOUT};
use crate::event::Event;
use crate::record::{RunRecord, FORMAT_VERSION};
use crate::store::{Holder, RunSession, RunSummary, Store, StoreError};

pub use connect::redact as redact_url;
pub use lease::{DEFAULT_TTL, LEASE_TTL_ENV};

/// Runs kept in a PostgreSQL database.
pub struct PgStore {
    worker: Arc<Worker>,
    target: Arc<Target>,
    ttl: Duration,
    /// The readers' connection (`None` until first needed again after it
    /// broke).
    reader: Arc<tokio::sync::Mutex<Option<Client>>>,
}

impl PgStore {
    /// Connect to `url` and bring the schema up to date. Fails with
    /// [`StoreError::Unreachable`] when the server cannot be reached or
    /// logged into, [`StoreError::NewerSchema`] when a newer runbook
    /// migrated the database, [`StoreError::Config`] for a bad URL or
    /// `RUNBOOK_LEASE_TTL`.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let ttl = lease::ttl_from_env()?;
        Self::connect_with_ttl(url, ttl)
    }

    /// [`PgStore::connect`] with an explicit lease time to live.
    pub fn connect_with_ttl(url: &str, ttl: Duration) -> Result<PgStore, StoreError> {
        let target = Arc::new(Target::parse(url)?);
        let worker = Arc::new(Worker::start().map_err(|e| StoreError::Database {
            url: target.redacted.clone(),
            detail: format!("cannot start the store thread: {e}"),
        })?);
        let t = target.clone();
        let client = call(&worker, &target, async move {
            let mut client = t.connect("runbook", CancellationToken::new()).await?;
            schema::migrate(&mut client, &t).await?;
            Ok(client)
        })?;
        Ok(PgStore {
            worker,
            target,
            ttl,
            reader: Arc::new(tokio::sync::Mutex::new(Some(client))),
        })
    }

    /// The URL, password redacted.
    pub fn url(&self) -> &str {
        &self.target.redacted
    }

    /// The lease time to live sessions of this store use.
    pub fn lease_ttl(&self) -> Duration {
        self.ttl
    }

    /// The schema version this binary migrates to.
    pub fn schema_version() -> i32 {
        schema::latest()
    }

    fn session(
        &self,
        id: &str,
        create: Option<RunRecord>,
    ) -> Result<Box<dyn RunSession>, StoreError> {
        let opening = Opening {
            target: self.target.clone(),
            ttl: self.ttl,
            id: id.to_string(),
            create,
        };
        let shared = call(&self.worker, &self.target, session::open(opening))?;
        Ok(Box::new(PgSession {
            shared,
            worker: self.worker.clone(),
            staged: Default::default(),
        }))
    }

    /// Run a reader query on the readers' connection, connecting again if
    /// it broke.
    fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(
                &'a Client,
                &'a Target,
            ) -> futures::future::BoxFuture<'a, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let reader = self.reader.clone();
        let target = self.target.clone();
        call(&self.worker, &self.target, async move {
            let mut slot = reader.lock().await;
            if slot.as_ref().is_none_or(Client::is_closed) {
                *slot = None;
                let fresh = target.connect("runbook", CancellationToken::new()).await?;
                *slot = Some(fresh);
            }
            match slot.as_ref() {
                Some(client) => f(client, &target).await,
                None => Err(StoreError::Database {
                    url: target.redacted.clone(),
                    detail: "no connection".into(),
                }),
            }
        })
    }
}

/// Run `fut` on the store thread, bounded by [`REQUEST_TIMEOUT`].
fn call<T: Send + 'static>(
    worker: &Worker,
    target: &Target,
    fut: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
) -> Result<T, StoreError> {
    match // The timer is made inside the future: only the store thread has a
    // runtime with a timer (the caller may have none).
    worker.call(async move { tokio::time::timeout(REQUEST_TIMEOUT, fut).await }) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(StoreError::Database {
            url: target.redacted.clone(),
            detail: format!(
                "the state store did not answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            ),
        }),
        Err(_) => Err(StoreError::Database {
            url: target.redacted.clone(),
            detail: "the state store's thread stopped".into(),
        }),
    }
}

/// No run `id` in this database.
fn not_found(t: &Target, id: &str) -> StoreError {
    StoreError::NotFound {
        id: id.to_string(),
        dir: t.redacted.clone().into(),
    }
}

/// A stored JSON record, refused as [`StoreError::NewerFormat`] when a newer
/// runbook wrote it (checked before the shape, as the sled store does).
fn decode<T: serde::de::DeserializeOwned>(
    t: &Target,
    id: &str,
    what: &str,
    json: Value,
) -> Result<T, StoreError> {
    let found = json.get("format").and_then(Value::as_u64).unwrap_or(0);
    if found > u64::from(FORMAT_VERSION) {
        return Err(StoreError::NewerFormat {
            id: id.to_string(),
            found: u32::try_from(found).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        });
    }
    serde_json::from_value(json).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        path: t.redacted.clone().into(),
        detail: format!("record `{what}`: {e}"),
    })
}

impl Store for PgStore {
    fn create(&self, record: &RunRecord) -> Result<Box<dyn RunSession>, StoreError> {
        self.session(&record.id, Some(record.clone()))
    }

    fn open(&self, id: &str) -> Result<Box<dyn RunSession>, StoreError> {
        self.session(id, None)
    }

    fn exists(&self, id: &str) -> bool {
        let id = id.to_string();
        // Unreachable counts as absent: the caller's next call reports it.
        self.read(move |c, t| Box::pin(async move { read::exists(c, t, &id).await }))
            .unwrap_or(false)
    }

    fn list(&self) -> Result<Vec<RunSummary>, StoreError> {
        self.read(|c, t| Box::pin(read::list(c, t)))
    }

    fn summary(&self, id: &str) -> Result<RunSummary, StoreError> {
        let id = id.to_string();
        self.read(move |c, t| Box::pin(async move { read::summary(c, t, &id).await }))
    }

    fn journal(&self, id: &str) -> Result<Vec<Event>, StoreError> {
        let id = id.to_string();
        self.read(move |c, t| Box::pin(async move { read::journal(c, t, &id).await }))
    }

    fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError> {
        let id = id.to_string();
        self.read(move |c, t| {
            Box::pin(async move { lease::holder(c, &id).await.map_err(|e| t.database(&e)) })
        })
    }
}
