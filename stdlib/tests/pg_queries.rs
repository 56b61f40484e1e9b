//! The `PgConnection` methods, parameters, and the seed runbook's queries as
//! written there.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use common::assert_mentions;
use pg_support::{located, Pg};
use rhai::Map;

#[test]
fn query_returns_every_row_as_a_map() {
    let mut pg = Pg::new("query");
    pg.setup(
        "CREATE TABLE pods (name text, restarts int); INSERT INTO pods VALUES ('a', 0), ('b', 3)",
    );
    let names = pg.ok(
        "let rows = db.query(\"SELECT name, restarts FROM pods ORDER BY name\");
         let out = [];
         for r in rows { out.push(`${r.name}:${r.restarts}`) }
         out",
    );
    let names: Vec<String> = names
        .into_array()
        .unwrap()
        .into_iter()
        .map(|v| v.into_string().unwrap())
        .collect();
    assert_eq!(names, ["a:0", "b:3"]);
    assert!(pg
        .ok("db.query(\"SELECT 1 WHERE false\")")
        .into_array()
        .unwrap()
        .is_empty());
}

#[test]
fn query_one_and_scalar_insist_on_one_row() {
    let mut pg = Pg::new("one_row");
    pg.setup("CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)");
    let row = pg
        .ok("db.query_one(\"SELECT x, x * 10 AS y FROM t WHERE x = 2\")")
        .try_cast::<Map>()
        .unwrap();
    assert_eq!(row.get("y").unwrap().as_int(), Ok(20));
    assert_eq!(
        pg.ok("db.scalar(\"SELECT count(*) FROM t\")").as_int(),
        Ok(2)
    );

    let err = pg.err("db.query_one(\"SELECT x FROM t\")");
    assert_eq!(err.code, "runbook::run::pg::row_count");
    assert_eq!(
        err.message,
        "query_one() expects exactly one row, but the statement returned 2 rows"
    );
    let err = pg.err("db.scalar(\"SELECT x FROM t WHERE x > 5\")");
    assert_eq!(
        err.message,
        "scalar() expects exactly one row, but the statement returned no rows"
    );
    assert!(err.help.clone().unwrap().contains("WHERE"));
    assert_eq!(located(&err), "SELECT x FROM t WHERE x > 5");
}

#[test]
fn execute_returns_rows_affected_and_records_the_effect() {
    let mut pg = Pg::new("execute");
    pg.setup("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 5)");
    assert_eq!(
        pg.ok("db.execute(\"UPDATE t SET x = x + 1 WHERE x > $1\", 2)")
            .as_int(),
        Ok(3)
    );
    assert_eq!(
        pg.column("SELECT sum(x)::text FROM t"),
        [Some("18".to_string())]
    );
    assert_eq!(
        pg.ok("db.execute(\"CREATE INDEX t_x ON t (x)\")").as_int(),
        Ok(0)
    );
    let effects = pg.sink.effects();
    assert_eq!(effects.len(), 2, "{effects:?}");
    assert!(
        effects[0].starts_with("pg.execute: UPDATE t SET x = x + 1 WHERE x > $1 on 127.0.0.1:")
            || !pg.db.server().is_throwaway()
    );
    assert!(effects[0].ends_with("(3 rows affected)"), "{}", effects[0]);
}

#[test]
fn setting_reads_current_setting_as_text() {
    let mut pg = Pg::new("setting");
    assert_eq!(
        pg.ok("db.setting(\"max_connections\")")
            .into_string()
            .unwrap(),
        pg.column("SHOW max_connections")[0].clone().unwrap()
    );
    pg.run("db.execute(\"SET work_mem = '64MB'\")");
    assert_eq!(
        pg.ok("db.setting(\"work_mem\")").into_string().unwrap(),
        "64MB"
    );
    let err = pg.err("db.setting(\"no_such_setting\")");
    assert_eq!(err.code, "runbook::run::pg::sql");
    assert_mentions(
        &err.message,
        "unrecognized configuration parameter \"no_such_setting\"",
    );
    assert!(err.message.contains("SQLSTATE 42704"));
    assert_eq!(
        located(&err),
        "no_such_setting",
        "points at the name in the runbook"
    );
}

#[test]
fn parameters_are_bound_by_the_statement_types() {
    let mut pg = Pg::new("params");
    pg.setup(
        "CREATE TABLE p (i int2, b bigint, f float8, n numeric, t text, ok bool, j jsonb, u uuid,
                         ts timestamptz, d date, tags text[], o oid, by bytea, l pg_lsn)",
    );
    let affected = pg.ok(
        r#"db.execute("INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      7, 9000000000, 1, 12.5, "it's", true, #{ replicas: 5, tags: ["a"] },
                      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")"#,
    );
    assert_eq!(affected.as_int(), Ok(1));
    pg.run(
        r#"db.execute("UPDATE p SET ts = $1, d = $2, tags = $3, o = $4, by = $5, l = $6, f = $7, n = $8",
                      "2025-11-16T10:30:00+01:00", "2025-11-16", ["x", (), "z"], 16384, blob(2, 0x41), "0/16B3748",
                      2.5, "0.10")"#,
    );
    assert_eq!(
        pg.column("SELECT row(i, b, f, n, t, ok, j, u, ts AT TIME ZONE 'UTC', d, tags, o, by, l)::text FROM p"),
        [Some(
            "(7,9000000000,2.5,0.10,it's,t,\"{\"\"tags\"\": [\"\"a\"\"], \"\"replicas\"\": 5}\",a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,\"2025-11-16 09:30:00\",2025-11-16,\"{x,NULL,z}\",16384,\"\\\\x4141\",0/16B3748)"
                .to_string()
        )]
    );
    // NULL for any type, and round trips through every method.
    assert!(pg.ok("db.scalar(\"SELECT $1::int\", ())").is_unit());
    assert_eq!(
        pg.ok("db.scalar(\"SELECT $1::text || $2\", \"a\", 1)")
            .into_string()
            .unwrap(),
        "a1"
    );
    assert_eq!(
        pg.ok("db.query_one(\"SELECT $1::int + $2 AS s\", 40, 2).s")
            .as_int(),
        Ok(42)
    );
    assert_eq!(
        pg.ok("db.scalar(\"SELECT $1::int + $2 + $3 + $4 + $5 + $6 + $7 + $8\", 1, 2, 3, 4, 5, 6, 7, 8)").as_int(),
        Ok(36),
        "eight parameters"
    );
}

#[test]
fn parameters_are_never_spliced_into_sql() {
    let mut pg = Pg::new("injection");
    pg.setup("CREATE TABLE t (name text)");
    let evil = "x'); DROP TABLE t; --";
    pg.scope.push_constant("evil", evil.to_string());
    pg.run("db.execute(\"INSERT INTO t VALUES ($1)\", evil)");
    assert_eq!(pg.column("SELECT name FROM t"), [Some(evil.to_string())]);
}

#[test]
fn a_value_of_the_wrong_type_names_the_parameter() {
    let mut pg = Pg::new("param_errors");
    pg.setup("CREATE TABLE t (x int4)");
    let err = pg.err("db.execute(\"INSERT INTO t VALUES ($1)\", \"five\")");
    assert_eq!(err.code, "runbook::run::pg::param");
    assert_eq!(
        err.message,
        "parameter $1 is int4 in this statement, but the value `five` (string) is not an integer"
    );
    assert!(err.help.unwrap().contains("$1::text::int4"));
    let err = pg.err("db.execute(\"INSERT INTO t VALUES ($1)\", 1 << 40)");
    assert!(err.message.ends_with("is out of range"), "{}", err.message);
    let err = pg.err("db.execute(\"INSERT INTO t VALUES ($1)\")");
    assert_eq!(
        err.message,
        "the statement has 1 parameter ($1) but 0 value(s) were given"
    );
    let err = pg.err("db.scalar(\"SELECT 1\", 2)");
    assert_eq!(
        err.message,
        "the statement has no parameters but 1 value(s) were given"
    );
    assert_eq!(
        pg.column("SELECT count(*)::text FROM t"),
        [Some("0".to_string())]
    );
}

/// Seed, "Validate database capacity": active connections against
/// max_connections, as the runbook's psql command had it.
#[test]
fn seed_connection_capacity_query() {
    let mut pg = Pg::new("seed_capacity");
    let row = pg
        .ok(r#"db.query_one(`
            SELECT
              count(*) as active_connections,
              max_conn.setting::int as max_connections,
              round(100.0 * count(*) / max_conn.setting::int, 2) as pct_used
            FROM pg_stat_activity
            CROSS JOIN pg_settings max_conn
            WHERE max_conn.name = 'max_connections'
            GROUP BY max_conn.setting;`)"#)
        .try_cast::<Map>()
        .unwrap();
    let active = row.get("active_connections").unwrap().as_int().unwrap();
    let max = row.get("max_connections").unwrap().as_int().unwrap();
    assert!(active >= 1, "this session is active");
    assert_eq!(
        max.to_string(),
        pg.column("SHOW max_connections")[0].clone().unwrap()
    );
    let pct = row.get("pct_used").unwrap().as_decimal().unwrap();
    assert_eq!(
        pct,
        (rust_decimal::Decimal::from(100 * active) / rust_decimal::Decimal::from(max)).round_dp(2)
    );
    // The design's shorter form, and the threshold check as a runbook writes it.
    let over = pg.ok(r#"let usage = db.query_one(`SELECT count(*)::int AS active,
                                         current_setting('max_connections')::int AS max
                                    FROM pg_stat_activity`);
           usage.active > usage.max * 67 / 100"#);
    assert_eq!(over.as_bool(), Ok(false));
}

/// Seed, "Upgrade PostgreSQL Instance" verification: version, size, setting.
#[test]
fn seed_upgrade_verification_queries() {
    let mut pg = Pg::new("seed_verify");
    let version = pg
        .ok("db.scalar(\"SELECT version();\")")
        .into_string()
        .unwrap();
    assert!(version.starts_with("PostgreSQL "), "{version}");
    let name = pg.db.name().to_string();
    pg.scope.push_constant("dbname", name);
    let size = pg.ok(
        "db.query_one(\"SELECT pg_size_pretty(pg_database_size($1)) as db_size;\", dbname).db_size",
    );
    let size = size.into_string().unwrap();
    assert!(size.ends_with(" kB") || size.ends_with(" MB"), "{size}");
    let bytes = pg
        .ok("db.scalar(\"SELECT pg_database_size(current_database())\")")
        .as_int()
        .unwrap();
    assert!(bytes > 1_000_000, "a fresh database is a few MB: {bytes}");
    assert_eq!(
        pg.ok("db.setting(\"max_connections\")")
            .into_string()
            .unwrap(),
        pg.column("SHOW max_connections")[0].clone().unwrap()
    );
}

/// Seed, "Verify replication lag": on a primary the receive/replay LSNs are
/// NULL, so is the lag, and the runbook can test for it.
#[test]
fn seed_replication_lag_query_on_a_primary() {
    let mut pg = Pg::new("seed_lag");
    let row = pg
        .ok(r#"db.query_one(`
            SELECT
              pg_last_wal_receive_lsn(),
              pg_last_wal_replay_lsn(),
              pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) as lag_bytes;`)"#)
        .try_cast::<Map>()
        .unwrap();
    assert!(row.get("lag_bytes").unwrap().is_unit());
    assert!(row.get("pg_last_wal_receive_lsn").unwrap().is_unit());
    let verdict = pg.ok(
        r#"let lag = db.scalar("SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())");
           if lag == () { "primary" } else if lag < 1048576 { "ok" } else { "lagging" }"#,
    );
    assert_eq!(verdict.into_string().unwrap(), "primary");
    // The same arithmetic on LSNs that exist: numeric bytes and text LSNs.
    let lsn = pg
        .ok("db.scalar(\"SELECT pg_current_wal_lsn()\")")
        .into_string()
        .unwrap();
    assert!(lsn.contains('/'), "{lsn}");
    let diff = pg.ok("db.scalar(\"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')\")");
    assert!(diff.as_decimal().unwrap() > rust_decimal::Decimal::ZERO);
}

/// Lint's table and the engine agree: every `pg` signature is callable with
/// each argument count it accepts, and with no other.
#[test]
fn every_signature_is_registered_with_each_arity() {
    let mut pg = Pg::new("signatures");
    let table = runbook_stdlib::pg::signatures();
    assert_eq!(
        table.iter().map(|s| s.display()).collect::<Vec<_>>(),
        [
            "pg::connect(url)",
            "PgConnection.query(sql, p1, p2, p3, p4, p5, p6, p7, p8)",
            "PgConnection.query_one(sql, p1, p2, p3, p4, p5, p6, p7, p8)",
            "PgConnection.scalar(sql, p1, p2, p3, p4, p5, p6, p7, p8)",
            "PgConnection.execute(sql, p1, p2, p3, p4, p5, p6, p7, p8)",
            "PgConnection.setting(name)",
        ]
    );
    let effects: Vec<_> = table
        .iter()
        .filter(|s| s.class == runbook_stdlib::Class::Effect)
        .map(|s| s.name)
        .collect();
    assert_eq!(effects, ["execute"]);
    for sig in &table {
        for args in 0..=sig.max_args() + 1 {
            let mut list = vec!["\"SELECT 1\"".to_string()];
            list.extend((1..args).map(|i| i.to_string()));
            let list = if args == 0 {
                String::new()
            } else {
                list.join(", ")
            };
            let call = match sig.module {
                Some(module) => format!("{module}::{}({list})", sig.name),
                None => format!("db.{}({list})", sig.name),
            };
            let found = match pg
                .engine
                .eval_with_scope::<rhai::Dynamic>(&mut pg.scope, &call)
            {
                Ok(_) => true,
                Err(e) => !matches!(*e, rhai::EvalAltResult::ErrorFunctionNotFound(..)),
            };
            assert_eq!(found, sig.accepts(args), "{call}");
        }
    }
}

/// The interpreter may hold top-level handles as constants: methods must
/// work on a constant `PgConnection`.
#[test]
fn methods_work_on_a_constant_handle() {
    let mut pg = Pg::new("constant");
    let handle = pg.ok("db");
    pg.scope.push_constant_dynamic("conn", handle);
    assert_eq!(pg.ok("conn.scalar(\"SELECT 7\")").as_int(), Ok(7));
    assert_eq!(pg.ok("conn.execute(\"SELECT 1\")").as_int(), Ok(1));
    assert_eq!(
        pg.ok("conn.setting(\"server_encoding\")")
            .into_string()
            .unwrap(),
        "UTF8"
    );
    let shown = pg.ok("conn.to_string()").into_string().unwrap();
    assert!(
        shown.starts_with("PgConnection(127.0.0.1:") || !pg.db.server().is_throwaway(),
        "{shown}"
    );
}
