//! What can go wrong while providing a test database.

/// Why no test database could be provided. Messages say what to do about it.
///
/// `Clone` because the process-wide server is started once and its failure is
/// reported to every test that asks for it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(
        "no PostgreSQL server for tests: {env} is not set and no `initdb` was found \
         (looked on PATH, in `pg_config --bindir` and in /usr/lib/postgresql/*/bin). \
         Install PostgreSQL (`apt-get install postgresql`) or set \
         {env}=postgres://user:password@host:5432/dbname",
        env = crate::DATABASE_URL_ENV
    )]
    NoPostgres,

    #[error("{context}: {message}")]
    Io { context: String, message: String },

    #[error("`{command}` failed ({status}):\n{output}")]
    Command {
        command: String,
        status: String,
        output: String,
    },

    #[error("the throwaway PostgreSQL server in {dir} did not start: {reason}\n--- server log ---\n{log}")]
    Start {
        dir: String,
        reason: String,
        log: String,
    },

    #[error("{env} is not a usable connection string: {message}", env = crate::DATABASE_URL_ENV)]
    BadUrl { message: String },

    #[error("database setup on {server} failed: {message}")]
    Sql { server: String, message: String },
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, err: &std::io::Error) -> Self {
        HarnessError::Io {
            context: context.into(),
            message: err.to_string(),
        }
    }
}
