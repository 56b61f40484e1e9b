//! A PostgreSQL server for runbook's tests.
//!
//! [`database`] hands each test a fresh, empty database on a server shared by
//! the whole test process:
//!
//! - when `RUNBOOK_TEST_DATABASE_URL` is set, that server (a new database is
//!   created per test when the role may `CREATE DATABASE`, otherwise the URL's
//!   own database is shared);
//! - otherwise a throwaway server started from the local PostgreSQL binaries
//!   (`initdb` + `postgres` on a free port in a temp dir, as `nobody` when the
//!   tests run as root), with password authentication for its role so
//!   connection URLs carry a real password.
//!
//! Each test binary starts its own server on its own port, so binaries may run
//! at once; tests inside one binary share it from any number of threads. The
//! server dies with the test process (parent-death signal) and a later run
//! removes what a killed run left in the temp dir.

mod binaries;
mod database;
mod error;
mod external;
mod keeper;
mod server;
mod sql;
mod tls;

pub use database::{database, TestDatabase};
pub use error::HarnessError;
pub use server::{server, Server};
pub use tls::TlsFiles;

/// Environment variable naming an existing server to test against instead of
/// starting one: `postgres://user:password@host:5432/db`.
pub const DATABASE_URL_ENV: &str = "RUNBOOK_TEST_DATABASE_URL";
