//! Administrative SQL (create/drop databases, readiness probes) from any
//! thread, inside or outside a tokio runtime.

use std::future::Future;

use tokio_postgres::{Client, NoTls};

/// Runs `fut` to completion on a fresh single-threaded runtime in a scoped
/// thread, so callers may be plain `#[test]`s or already inside a runtime.
pub(crate) fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(fut))
            })
            .join()
    })
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    .unwrap_or_else(|err| panic!("cannot build a tokio runtime for pg-harness: {err}"))
}

/// Connects without TLS and drives the connection in the background of the
/// current runtime.
pub(crate) async fn connect(
    config: &tokio_postgres::Config,
) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        // The connection ends with an error when the server goes away; the
        // client's next call reports it, so there is nothing to do here.
        let _ = connection.await;
    });
    Ok(client)
}

/// Runs one statement on a new connection.
pub(crate) fn execute(
    config: &tokio_postgres::Config,
    statement: &str,
) -> Result<(), tokio_postgres::Error> {
    block_on(async {
        let client = connect(config).await?;
        client.batch_execute(statement).await
    })
}

/// Quotes an identifier for SQL text (`"name"`, with `"` doubled).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The server's message for a database error (tokio-postgres only says
/// "db error" in its `Display`), or the error and its causes otherwise.
pub(crate) fn describe(err: &tokio_postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
