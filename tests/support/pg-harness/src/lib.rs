//! A PostgreSQL server for runbook's tests.
//!
//! [`database`] hands each test a fresh, empty database:
//!
//! - when `RUNBOOK_TEST_DATABASE_URL` is set, on that server (a new database
//!   is created per test when the role may `CREATE DATABASE`, otherwise the
//!   URL's own database is shared);
//! - otherwise on a throwaway server started from the local PostgreSQL
//!   binaries (`initdb` + `postgres` on a free port in a temp dir, as `nobody`
//!   when the tests run as root), with password authentication for its role
//!   so connection URLs carry a real password, and TLS (certificates made
//!   with `openssl`).
//!
//! The throwaway server is shared by every test process (nextest runs each
//! test in its own), from any number of threads; a watchdog stops it a few
//! seconds after the last test process is gone. Tests that
//! change server-wide settings use [`private_database`] instead: a server of
//! their process alone, which dies with it (parent-death signal).
//!
//! Needs: PostgreSQL's server binaries (`apt-get install postgresql`; found on
//! PATH, by `pg_config --bindir` or in `/usr/lib/postgresql/*/bin`), and the
//! `flock` and `openssl` commands (without them: a server per process, no TLS).

mod binaries;
mod database;
mod error;
mod external;
mod instance;
mod keeper;
mod server;
mod shared;
mod sql;
mod tls;

pub use database::{database, private_database, TestDatabase};
pub use error::HarnessError;
pub use server::{private_server, server, Server};
pub use tls::TlsFiles;

/// Environment variable naming an existing server to test against instead of
/// starting one: `postgres://user:password@host:5432/db`.
pub const DATABASE_URL_ENV: &str = "RUNBOOK_TEST_DATABASE_URL";
