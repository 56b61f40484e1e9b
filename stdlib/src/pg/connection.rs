//! The `PgConnection` handle: one client shared by every copy of the handle,
//! its connection driven on the run's tokio runtime.

use std::sync::Arc;

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
    pub client: tokio_postgres::Client,
    /// The same TLS settings, for cancel requests (a separate connection).
    pub tls: MakeRustlsConnect,
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
    let (client, connection) = match ctx.block_on(spec.config.connect(tls.clone())) {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return Err(errors::connect(&e, &spec.target)),
        Err(why) => {
            let (code, what) = match why {
                Interrupted::Timeout => (code::TIMEOUT, "the step's timeout elapsed"),
                Interrupted::Cancelled => (code::CANCELLED, "the run was cancelled"),
            };
            return Err(ActionError::new(
                code,
                format!("{what} while connecting to PostgreSQL at {}", spec.target),
            ));
        }
    };
    ctx.runtime().spawn(async move {
        // When the connection fails, the client's next call returns the
        // error (reported as a lost connection), so it is not handled here.
        let _ = connection.await;
    });
    Ok(PgConnection {
        inner: Arc::new(Inner {
            client,
            tls,
            target: spec.target,
            secrets: secrets.to_vec(),
            ctx: ctx.clone(),
        }),
    })
}
