//! A fresh database per test.

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::error::SqlState;

use crate::{sql, HarnessError, Server};

/// One test's database, dropped again when this value is dropped (a test
/// process that dies leaves it behind; the shared server is thrown away when
/// the last test process is gone).
#[derive(Debug)]
pub struct TestDatabase {
    server: &'static Server,
    name: String,
    /// Whether the harness created the database (and so may drop it).
    owned: bool,
}

/// Creates an empty database named after `prefix` on the shared server
/// ([`server`](crate::server)).
///
/// On an external server where the role may not create databases, the URL's
/// own database is shared by every test instead.
pub fn database(prefix: &str) -> Result<TestDatabase, HarnessError> {
    crate::server()?.database(prefix)
}

/// Like [`database`], on this process's [`private_server`](crate::private_server),
/// for tests that change server-wide settings.
pub fn private_database(prefix: &str) -> Result<TestDatabase, HarnessError> {
    crate::private_server()?.database(prefix)
}

pub(crate) fn create(server: &'static Server, prefix: &str) -> Result<TestDatabase, HarnessError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let clean: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let name = format!(
        "{clean}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = server.config(server.admin_db());
    match sql::execute(
        &admin,
        &format!("CREATE DATABASE {}", sql::quote_ident(&name)),
    ) {
        Ok(()) => Ok(TestDatabase {
            server,
            name,
            owned: true,
        }),
        Err(err)
            if !server.is_throwaway() && err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) =>
        {
            Ok(TestDatabase {
                server,
                name: server.admin_db().to_string(),
                owned: false,
            })
        }
        Err(err) => Err(HarnessError::Sql {
            server: format!("{}:{}", server.host(), server.port()),
            message: format!("CREATE DATABASE {name}: {}", sql::describe(&err)),
        }),
    }
}

impl TestDatabase {
    /// `postgres://user:password@host:port/name` for this database.
    pub fn url(&self) -> String {
        self.server.url(&self.name, &[])
    }

    /// The URL with extra query parameters, e.g. `[("sslmode", "require")]`.
    pub fn url_with(&self, params: &[(&str, &str)]) -> String {
        self.server.url(&self.name, params)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server it lives on (host, port, user, password, TLS files).
    pub fn server(&self) -> &'static Server {
        self.server
    }

    /// Runs SQL statements (setup or inspection) on a new connection to this
    /// database, outside of whatever the test is exercising.
    pub fn batch_execute(&self, statements: &str) -> Result<(), HarnessError> {
        sql::execute(&self.server.config(&self.name), statements)
            .map_err(|err| self.sql_error(&err))
    }

    /// The first column of each row `sql` returns, as text (`NULL` as
    /// `None`), read on a new connection with the simple protocol, so `sql`
    /// may hold several statements (`SET …; SELECT …`).
    pub fn query_column(&self, sql: &str) -> Result<Vec<Option<String>>, HarnessError> {
        use tokio_postgres::SimpleQueryMessage;
        let config = self.server.config(&self.name);
        sql::block_on(async {
            let client = sql::connect(&config).await?;
            let messages = client.simple_query(sql).await?;
            Ok(messages
                .iter()
                .filter_map(|m| match m {
                    SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_string)),
                    _ => None,
                })
                .collect())
        })
        .map_err(|err| self.sql_error(&err))
    }

    fn sql_error(&self, err: &tokio_postgres::Error) -> HarnessError {
        HarnessError::Sql {
            server: format!(
                "{}:{}/{}",
                self.server.host(),
                self.server.port(),
                self.name
            ),
            message: sql::describe(err),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.owned {
            let admin = self.server.config(self.server.admin_db());
            let drop_db = format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                sql::quote_ident(&self.name)
            );
            if let Err(err) = sql::execute(&admin, &drop_db) {
                eprintln!(
                    "pg-harness: could not drop test database {}: {err}",
                    self.name
                );
            }
        }
    }
}
