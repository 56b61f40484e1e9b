//! Turning tokio-postgres failures into errors an operator can act on.
//!
//! Messages name the host, port, user and database, never the password
//! (tokio-postgres never puts it in its errors; [`scrub`] makes sure anyway).

use tokio_postgres::error::{ErrorPosition, SqlState};

use super::url::Target;
use crate::{ActionError, Interrupted};

/// Stable error codes of the `pg` module.
pub(crate) mod code {
    pub const URL: &str = "runbook::run::pg::url";
    pub const CONNECT: &str = "runbook::run::pg::connect";
    pub const AUTH: &str = "runbook::run::pg::auth";
    pub const TLS: &str = "runbook::run::pg::tls";
    pub const SQL: &str = "runbook::run::pg::sql";
    pub const CONNECTION_LOST: &str = "runbook::run::pg::connection_lost";
    pub const TIMEOUT: &str = "runbook::run::pg::timeout";
    pub const CANCELLED: &str = "runbook::run::pg::cancelled";
    pub const UNSUPPORTED_TYPE: &str = "runbook::run::pg::unsupported_type";
    pub const VALUE: &str = "runbook::run::pg::value";
    pub const PARAM: &str = "runbook::run::pg::param";
    pub const ROW_COUNT: &str = "runbook::run::pg::row_count";
    pub const DRY_RUN: &str = "runbook::run::pg::dry_run";
}

/// A connection string tokio-postgres rejected.
pub(crate) fn bad_url(err: &tokio_postgres::Error) -> ActionError {
    ActionError::new(code::URL, format!("the PostgreSQL connection string is not valid: {}", chain(err)))
        .with_help("write it as postgres://user:password@host:5432/dbname?sslmode=require (percent-encode special characters in the password)")
}

/// Connecting to `target` failed.
pub(crate) fn connect(err: &tokio_postgres::Error, target: &Target) -> ActionError {
    if let Some(db) = err.as_db_error() {
        let (code, help) = match db.code() {
            &SqlState::INVALID_PASSWORD | &SqlState::INVALID_AUTHORIZATION_SPECIFICATION => (
                code::AUTH,
                "check the user and password in the connection URL, and that pg_hba.conf lets this user in from here",
            ),
            &SqlState::INVALID_CATALOG_NAME => (code::CONNECT, "check the database name at the end of the URL"),
            &SqlState::TOO_MANY_CONNECTIONS => (
                code::CONNECT,
                "the server is out of connections: close idle sessions or raise max_connections",
            ),
            _ => (code::CONNECT, "check the connection URL and the server's log"),
        };
        return ActionError::new(
            code,
            format!(
                "PostgreSQL at {target} refused the connection: {} (SQLSTATE {})",
                db.message(),
                db.code().code()
            ),
        )
        .with_help(help);
    }
    let cause = chain(err);
    if has_source::<rustls::Error>(err) {
        return ActionError::new(code::TLS, format!("TLS with PostgreSQL at {target} failed: {cause}")).with_help(
            "with sslmode=verify-full/verify-ca the server's certificate must be signed by a CA in sslrootcert=PATH \
             (and name the host for verify-full); sslmode=require encrypts without checking it",
        );
    }
    let help = match io_kind(err) {
        Some(std::io::ErrorKind::ConnectionRefused) => {
            "is PostgreSQL running and listening there? check the host and port in the connection URL"
        }
        Some(std::io::ErrorKind::TimedOut) => {
            "the host did not answer: check the host, port and any firewall between here and the server"
        }
        _ if cause.contains("lookup") || cause.contains("resolve") => {
            "the host name could not be resolved: check the host in the connection URL"
        }
        _ => "check the connection URL and that the server is reachable from here",
    };
    ActionError::new(
        code::CONNECT,
        format!("cannot connect to PostgreSQL at {target}: {cause}"),
    )
    .with_help(help)
}

/// A statement failed. Server errors keep the server's message and SQLSTATE,
/// put DETAIL and HINT in the help, and point into the SQL text when the
/// server gave a position.
pub(crate) fn statement(err: &tokio_postgres::Error, sql: &str, target: &Target) -> ActionError {
    let Some(db) = err.as_db_error() else {
        if err.is_closed() {
            return ActionError::new(
                code::CONNECTION_LOST,
                format!(
                    "the connection to PostgreSQL at {target} was lost: {}",
                    chain(err)
                ),
            )
            .with_help(
                "the server restarted or ended the session while the statement ran; \
                 the next statement connects again (check whether this one took effect)",
            );
        }
        return ActionError::new(code::SQL, format!("PostgreSQL at {target}: {}", chain(err)));
    };
    let mut e = ActionError::new(
        code::SQL,
        format!("{} (SQLSTATE {})", db.message(), db.code().code()),
    );
    let mut help: Vec<String> = [db.detail(), db.hint()]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    if db.code() == &SqlState::SYNTAX_ERROR && db.message().contains("multiple commands") {
        help.push("statements are prepared one at a time: make one call per statement".into());
    }
    if !help.is_empty() {
        e = e.with_help(help.join("\n"));
    }
    if let Some(ErrorPosition::Original(position)) = db.position() {
        // The server counts characters from 1.
        e = e.locate(sql, (*position as usize).saturating_sub(1));
    }
    e
}

/// The step's deadline or a cancellation stopped a statement; `cancelled`
/// tells whether the server confirmed receipt of the cancel request.
pub(crate) fn interrupted(
    why: &Interrupted,
    sql: &str,
    cancel_sent: Result<(), String>,
) -> ActionError {
    let server = match cancel_sent {
        Ok(()) => "a cancel request was sent to the server".to_string(),
        Err(e) => format!("the cancel request to the server failed ({e}); the statement may still be running there"),
    };
    let preview = super::dry_run::preview(sql);
    match why {
        Interrupted::Timeout => ActionError::new(
            code::TIMEOUT,
            format!("the step's timeout elapsed while PostgreSQL ran `{preview}`; {server}"),
        )
        .with_help("raise the step's `timeout`, or make the statement faster"),
        Interrupted::Cancelled => ActionError::new(
            code::CANCELLED,
            format!("the run was cancelled while PostgreSQL ran `{preview}`; {server}"),
        ),
    }
}

/// Replaces every secret in the error's text (defence in depth: messages are
/// built from server and driver text that should never hold one).
pub(crate) fn scrub(mut err: ActionError, secrets: &[String]) -> ActionError {
    for secret in secrets {
        err.message = err.message.replace(secret.as_str(), "********");
        err.help = err.help.map(|h| h.replace(secret.as_str(), "********"));
    }
    err
}

/// The error and its causes, joined (tokio-postgres' own `Display` is terse:
/// "error connecting to server").
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

fn has_source<E: std::error::Error + 'static>(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.is::<E>() {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.get_ref().is_some_and(|inner| inner.is::<E>()) {
                return true;
            }
        }
        source = cause.source();
    }
    false
}

fn io_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}
