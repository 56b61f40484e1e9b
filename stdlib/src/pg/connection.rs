//! The `PgConnection` handle: one client shared by every copy of the handle,
//! its connection driven on the run's tokio runtime.

use std::sync::{Arc, Mutex, PoisonError};

use tokio_postgres_rustls::MakeRustlsConnect;

use super::errors::{self, code};
use super::tls;
use super::url::{self, Target};
use crate::{ActionContext, ActionError, Interrupted};

/// A connection to a PostgreSQL server, as returned by `pg::connect(url)`.
///
/// Cloning shares the connection. Handles are not checkpointed: a resumed run
/// re-evaluates the top-level `let db = pg::connect(...)` and connects again.
#[derive(Clone)]
pub struct PgConnection {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// Replaced by a new connection when the server closed this one.
    client: Mutex<Arc<tokio_postgres::Client>>,
    /// What to connect with again.
    config: tokio_postgres::Config,
    /// The same TLS settings, for reconnects and cancel requests.
    tls: MakeRustlsConnect,
    pub target: Target,
    /// The URL's password (raw and decoded), scrubbed from every error.
    pub secrets: Vec<String>,
    pub ctx: Arc<ActionContext>,
}

impl std::fmt::Display for PgConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgConnection({})", self.inner.target)
    }
}

/// Connects now, so a wrong host, user or password fails at the `let`
/// that names the database rather than at the first query.
pub(crate) fn connect(ctx: &Arc<ActionContext>, url: &str) -> Result<PgConnection, ActionError> {
    let secrets = url::secrets(url);
    // Registered before anything can fail, so no message can show them.
    for secret in &secrets {
        ctx.events.add_secret(secret);
    }
    open(ctx, url, &secrets).map_err(|e| errors::scrub(e, &secrets))
}

fn open(
    ctx: &Arc<ActionContext>,
    url: &str,
    secrets: &[String],
) -> Result<PgConnection, ActionError> {
    let spec = url::parse(url)?;
    let tls = tls::connector(&spec.tls)?;
    let client = establish(ctx, &spec.config, &tls, &spec.target)?;
    Ok(PgConnection {
        inner: Arc::new(Inner {
            client: Mutex::new(Arc::new(client)),
            config: spec.config,
            tls,
            target: spec.target,
            secrets: secrets.to_vec(),
            ctx: ctx.clone(),
        }),
    })
}

impl PgConnection {
    /// The client for the next statement. When the server closed the
    /// connection (a restart after `ALTER SYSTEM`, an idle timeout), this
    /// connects again first; a statement that was running when the
    /// connection broke is never retried.
    pub(crate) fn client(&self) -> Result<Arc<tokio_postgres::Client>, ActionError> {
        let inner = &self.inner;
        let mut current = inner.client.lock().unwrap_or_else(PoisonError::into_inner);
        if current.is_closed() {
            let fresh = establish(&inner.ctx, &inner.config, &inner.tls, &inner.target)
                .map_err(|e| errors::scrub(e, &inner.secrets))?;
            *current = Arc::new(fresh);
        }
        Ok(current.clone())
    }

    /// The TLS connector, for cancel requests (a separate connection).
    pub(crate) fn tls(&self) -> MakeRustlsConnect {
        self.inner.tls.clone()
    }
}

fn establish(
    ctx: &ActionContext,
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    target: &Target,
) -> Result<tokio_postgres::Client, ActionError> {
    let (client, connection) = match ctx.block_on(config.connect(tls.clone())) {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return Err(errors::connect(&e, target)),
        Err(why) => {
            let (code, what) = match why {
                Interrupted::Timeout => (code::TIMEOUT, "the step's timeout elapsed"),
                Interrupted::Cancelled => (code::CANCELLED, "the run was cancelled"),
            };
            return Err(ActionError::new(
                code,
                format!("{what} while connecting to PostgreSQL at {target}"),
            ));
        }
    };
    ctx.runtime().spawn(async move {
        // When the connection fails, the client's next call returns the
        // error (reported as a lost connection) and the handle connects
        // again before the statement after it, so nothing to do here.
        let _ = connection.await;
    });
    Ok(client)
}
