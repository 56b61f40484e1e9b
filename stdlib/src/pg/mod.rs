//! `pg`: PostgreSQL from runbooks, on tokio-postgres.
//!
//! ```text
//! let db = pg::connect(db_url)                      // postgres://user:pw@host:5432/db?sslmode=verify-full
//! let use = db.query_one("SELECT count(*)::int AS active FROM pg_stat_activity WHERE datname = $1", "app")
//! let size = db.scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")
//! run db.execute("ALTER SYSTEM SET max_connections = 400")
//! let max = db.setting("max_connections")           // "400" after a restart
//! ```
//!
//! - Parameters: up to [`MAX_PARAMS`] values after the SQL text, bound to
//!   `$1…$8` (never spliced into the SQL), converted to the types PostgreSQL
//!   inferred for them ([`params`]).
//! - Values: see [`types`] for the mapping (numeric is an exact decimal,
//!   timestamps and intervals ISO 8601 text, json maps/arrays, NULL `()`);
//!   decimals compare and compute with floats too ([`decimal_ops`]).
//! - TLS: `sslmode=prefer` (default) and `require` encrypt without checking
//!   the certificate, like libpq; `verify-ca` checks the chain and
//!   `verify-full` the chain and host name, against `sslrootcert=PATH` or the
//!   Mozilla roots.
//! - Deadline: the step's timeout bounds each statement; when it passes, or
//!   the run is cancelled, a cancel request stops the statement on the server.
//! - Dry run: `execute` runs in a transaction that is rolled back and is
//!   printed with the rows it would affect; statements that cannot run in a
//!   transaction (`ALTER SYSTEM`, `VACUUM`, `CREATE DATABASE`, `… CONCURRENTLY`)
//!   or whose effect a rollback does not undo (`pg_terminate_backend()`) are
//!   printed and not run ([`dry_run`]). Reads run, also inside a rolled-back
//!   transaction.
//! - Sessions: connecting happens at `pg::connect`, so a wrong host or
//!   password fails there. When the server ends the session (a restart), the
//!   statement in flight fails and the next one connects again.
//! - Secrets: the URL's password (as written and decoded) is registered with
//!   the event sink before connecting and never appears in errors.

mod connection;
mod decimal_ops;
mod dry_run;
mod errors;
mod methods;
mod numeric;
mod params;
mod statement;
mod temporal;
mod tls;
mod types;
mod url;

use std::sync::Arc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Module};

pub use connection::PgConnection;

use crate::{ActionContext, ActionError, Class, Signature};

/// How many `$n` parameters a call may pass after the SQL text.
pub const MAX_PARAMS: usize = 8;

/// The handle type's name in Rhai (and in the signature table).
pub const CONNECTION_TYPE: &str = "PgConnection";

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Registers `pg::connect` and the `PgConnection` methods on `engine`.
pub fn register(engine: &mut Engine, ctx: Arc<ActionContext>) {
    let mut module = Module::new();
    module.set_native_fn(
        "connect",
        move |url: ImmutableString| -> RhaiResult<PgConnection> {
            connection::connect(&ctx, &url).map_err(ActionError::into_rhai)
        },
    );
    engine.register_static_module("pg", module.into());
    decimal_ops::register(engine);

    engine.register_type_with_name::<PgConnection>(CONNECTION_TYPE);
    engine.register_fn("to_string", |c: &mut PgConnection| c.to_string());
    engine.register_fn("to_debug", |c: &mut PgConnection| c.to_string());

    register_sql_method(engine, "query", |c, sql, v| {
        c.query(sql, v).map(Dynamic::from_array)
    });
    register_sql_method(engine, "query_one", |c, sql, v| {
        c.query_one(sql, v).map(Dynamic::from_map)
    });
    register_sql_method(engine, "scalar", |c, sql, v| c.scalar(sql, v));
    register_sql_method(engine, "execute", |c, sql, v| {
        c.execute(sql, v).map(Dynamic::from)
    });
    engine.register_fn(
        "setting",
        |c: &mut PgConnection, name: ImmutableString| -> RhaiResult<String> {
            c.setting(&name).map_err(ActionError::into_rhai)
        },
    );
}

type SqlMethod = fn(&PgConnection, &str, &[Dynamic]) -> Result<Dynamic, ActionError>;

/// Rhai has no variadic functions: one registration per parameter count.
fn register_sql_method(engine: &mut Engine, name: &'static str, f: SqlMethod) {
    type C<'a> = &'a mut PgConnection;
    type S = ImmutableString;
    type D = Dynamic;
    let call = move |c: &PgConnection, sql: &S, values: &[D]| {
        f(c, sql, values).map_err(ActionError::into_rhai)
    };
    engine.register_fn(name, move |c: C, sql: S| call(c, &sql, &[]));
    engine.register_fn(name, move |c: C, sql: S, a: D| call(c, &sql, &[a]));
    engine.register_fn(name, move |c: C, sql: S, a: D, b: D| call(c, &sql, &[a, b]));
    engine.register_fn(name, move |c: C, sql: S, a: D, b: D, d: D| {
        call(c, &sql, &[a, b, d])
    });
    engine.register_fn(name, move |c: C, sql: S, a: D, b: D, d: D, e: D| {
        call(c, &sql, &[a, b, d, e])
    });
    engine.register_fn(name, move |c: C, sql: S, a: D, b: D, d: D, e: D, g: D| {
        call(c, &sql, &[a, b, d, e, g])
    });
    engine.register_fn(
        name,
        move |c: C, sql: S, a: D, b: D, d: D, e: D, g: D, h: D| call(c, &sql, &[a, b, d, e, g, h]),
    );
    engine.register_fn(
        name,
        move |c: C, sql: S, a: D, b: D, d: D, e: D, g: D, h: D, i: D| {
            call(c, &sql, &[a, b, d, e, g, h, i])
        },
    );
    engine.register_fn(
        name,
        move |c: C, sql: S, a: D, b: D, d: D, e: D, g: D, h: D, i: D, j: D| {
            call(c, &sql, &[a, b, d, e, g, h, i, j])
        },
    );
}

const SQL_PARAMS: &[&str] = &["sql", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"];

/// Every `pg` function and `PgConnection` method, for lint and dry run.
pub fn signatures() -> Vec<Signature> {
    let method = |name, class, doc| Signature {
        module: None,
        name,
        receiver: Some(CONNECTION_TYPE),
        params: SQL_PARAMS,
        optional: MAX_PARAMS,
        class,
        doc,
    };
    vec![
        Signature {
            module: Some("pg"),
            name: "connect",
            receiver: None,
            params: &["url"],
            optional: 0,
            class: Class::Read,
            doc: "Connect to PostgreSQL (postgres://user:password@host:port/db?sslmode=…); the password is kept secret.",
        },
        method("query", Class::Read, "Run a query; every row as a map from column name to value."),
        method("query_one", Class::Read, "Run a query that returns exactly one row; that row as a map."),
        method("scalar", Class::Read, "Run a query that returns one row; its first column."),
        method(
            "execute",
            Class::Effect,
            "Run a statement that changes the database; the number of rows affected. Dry run rolls it back.",
        ),
        Signature {
            module: None,
            name: "setting",
            receiver: Some(CONNECTION_TYPE),
            params: &["name"],
            optional: 0,
            class: Class::Read,
            doc: "The current value of a server setting, as text (current_setting(name)).",
        },
    ]
}

/// A PostgreSQL connection string made ready to connect: the driver's
/// config, the rustls connector its `sslmode` asks for, and the password(s)
/// to scrub from any message. For other crates that connect the way `pg`
/// actions do (the interpreter's PostgreSQL state store), so `sslmode`,
/// `sslrootcert` and redaction behave the same everywhere.
pub struct ConnectOptions {
    pub config: tokio_postgres::Config,
    pub tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// The password as written and as decoded.
    pub secrets: Vec<String>,
}

/// Parse `url` (a `postgres://` URL or `key=value` pairs) into
/// [`ConnectOptions`]. The error's message never contains the password.
pub fn connect_options(url: &str) -> Result<ConnectOptions, ActionError> {
    let spec = url::parse(url)?;
    let tls = tls::connector(&spec.tls)?;
    Ok(ConnectOptions {
        config: spec.config,
        tls,
        secrets: url::secrets(url),
    })
}

/// The password(s) in `url`, as written and decoded, found even when the
/// rest of the string is invalid (to scrub them from a parse error).
pub fn connect_options_secrets(url: &str) -> Vec<String> {
    url::secrets(url)
}
