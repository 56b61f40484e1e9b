//! Dry run: effects run inside a transaction that is rolled back, or are
//! printed and not run when a rollback could not undo them.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use common::{assert_mentions, assert_starts_with};
use pg_support::Pg;

fn one(pg: &Pg, sql: &str) -> String {
    pg.column(sql)
        .into_iter()
        .next()
        .flatten()
        .unwrap_or_default()
}

#[test]
fn execute_is_rolled_back_and_printed_with_its_row_count() {
    let mut pg = Pg::dry_run("dry_execute");
    pg.setup("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 5)");
    assert_eq!(
        pg.ok("db.execute(\"DELETE FROM t WHERE x > $1\", 2)")
            .as_int(),
        Ok(3)
    );
    assert_eq!(
        pg.ok("db.execute(\"INSERT INTO t VALUES (6), (7)\")")
            .as_int(),
        Ok(2)
    );
    pg.run("db.execute(\"CREATE TABLE made_in_dry_run (y int)\")");

    assert_eq!(one(&pg, "SELECT count(*)::text FROM t"), "5");
    assert_eq!(
        one(
            &pg,
            "SELECT count(*)::text FROM pg_tables WHERE tablename = 'made_in_dry_run'"
        ),
        "0"
    );
    let printed = pg.sink.dry_run_effects();
    assert_eq!(printed.len(), 3, "{printed:?}");
    assert_starts_with(&printed[0], "pg.execute: DELETE FROM t WHERE x > $1 on ");
    assert!(
        printed[0].ends_with("(would affect 3 rows; rolled back)"),
        "{}",
        printed[0]
    );
    assert!(
        printed[1].ends_with("(would affect 2 rows; rolled back)"),
        "{}",
        printed[1]
    );
    assert!(pg.sink.effects().is_empty(), "nothing was performed");
    // No transaction is left open behind the rollback.
    assert_eq!(
        one(
            &pg,
            "SELECT count(*)::text FROM pg_stat_activity \
               WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        ),
        "0"
    );
    // Reads run, and a failed statement leaves the session usable.
    assert_eq!(
        pg.ok("db.scalar(\"SELECT count(*) FROM t\")").as_int(),
        Ok(5)
    );
    assert_eq!(
        pg.err("db.execute(\"UPDATE nope SET x = 1\")").code,
        "runbook::run::pg::sql"
    );
    assert_eq!(
        pg.ok("db.scalar(\"SELECT count(*) FROM t\")").as_int(),
        Ok(5)
    );
}

#[test]
fn statements_that_cannot_run_in_a_transaction_are_printed_not_run() {
    let mut pg = Pg::dry_run("dry_nontx");
    pg.setup("CREATE TABLE t (x int)");
    let name = format!("{}_copy", pg.db.name());
    pg.scope.push_constant("copy", name.clone());
    for script in [
        "db.execute(\"VACUUM (ANALYZE) t\")",
        "db.execute(\"CREATE INDEX CONCURRENTLY t_x ON t (x)\")",
        "db.execute(`CREATE DATABASE \"${copy}\"`)",
        "db.execute(\"/* pre-flight */ SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()\")",
    ] {
        assert_eq!(pg.ok(script).as_int(), Ok(0), "{script}");
    }
    let printed = pg.sink.dry_run_effects();
    assert_eq!(printed.len(), 4, "{printed:?}");
    assert_starts_with(&printed[0], "pg.execute: VACUUM (ANALYZE) t on ");
    assert!(printed[0].ends_with("(not run: VACUUM cannot run inside a transaction, so dry run cannot try it and roll it back)"));
    assert_mentions(
        &printed[1],
        "not run: CREATE INDEX CONCURRENTLY cannot run inside a transaction",
    );
    assert_mentions(&printed[2], "not run: CREATE DATABASE cannot run");
    assert_mentions(
        &printed[3],
        "not run: pg_terminate_backend() acts immediately",
    );

    assert_eq!(
        one(
            &pg,
            "SELECT count(*)::text FROM pg_indexes WHERE indexname = 't_x'"
        ),
        "0"
    );
    assert_eq!(
        one(
            &pg,
            &format!("SELECT count(*)::text FROM pg_database WHERE datname = '{name}'")
        ),
        "0"
    );
    assert_eq!(
        pg.ok("db.scalar(\"SELECT 1\")").as_int(),
        Ok(1),
        "our own session was not terminated"
    );
}

#[test]
fn a_read_with_effects_a_rollback_cannot_undo_is_refused() {
    let mut pg = Pg::dry_run("dry_reads");
    pg.setup("CREATE SEQUENCE s");
    let err = pg.err("db.scalar(\"SELECT nextval('s')\")");
    assert_eq!(err.code, "runbook::run::pg::dry_run");
    assert_mentions(&err.message, "nextval() acts immediately");
    assert!(err.help.unwrap().contains("db.execute"));
    assert_eq!(
        one(&pg, "SELECT last_value::text || is_called::text FROM s"),
        "1false"
    );
    // Writes hidden in a read are rolled back like effects.
    pg.setup("CREATE TABLE t (x int)");
    assert_eq!(
        pg.ok("db.query(\"INSERT INTO t VALUES (1) RETURNING x\")")
            .into_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(one(&pg, "SELECT count(*)::text FROM t"), "0");
}

/// ALTER SYSTEM (the seed's max_connections change) is a server-wide
/// statement that cannot run in a transaction: dry run must not write it.
/// (401, not the seed's 400, so no other test on the shared server can have
/// written the value this test looks for.)
#[test]
fn alter_system_is_printed_not_run() {
    let mut pg = Pg::dry_run("dry_alter_system");
    assert_eq!(
        pg.ok("db.execute(\"ALTER SYSTEM SET max_connections = 401\")")
            .as_int(),
        Ok(0)
    );
    let printed = pg.sink.dry_run_effects();
    assert!(
        printed[0].starts_with("pg.execute: ALTER SYSTEM SET max_connections = 401 on "),
        "{printed:?}"
    );
    assert!(printed[0].contains("not run: ALTER SYSTEM cannot run inside a transaction"));
    assert_eq!(
        one(&pg, "SELECT count(*)::text FROM pg_file_settings WHERE name = 'max_connections' AND setting = '401'"),
        "0"
    );
}
