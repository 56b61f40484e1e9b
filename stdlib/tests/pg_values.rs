//! PostgreSQL values arrive in Rhai as the documented types, NULLs as `()`.

// Tests fail loudly on anything unexpected.
#![allow(clippy::unwrap_used)]

mod common;
mod pg_support;

use std::str::FromStr;

use common::assert_mentions;
use pg_support::Pg;
use rhai::{Dynamic, Map};
use rust_decimal::Decimal;

fn map(v: Dynamic) -> Map {
    v.try_cast::<Map>().expect("a map")
}

fn field(m: &Map, k: &str) -> Dynamic {
    m.get(k)
        .unwrap_or_else(|| panic!("no column {k} in {m:?}"))
        .clone()
}

#[test]
fn scalar_types_and_their_nulls() {
    let mut pg = Pg::new("scalars");
    pg.setup(
        "CREATE TYPE mood AS ENUM ('ok', 'sad');
         CREATE DOMAIN port AS int4 CHECK (VALUE > 0);
         CREATE TABLE v (
           i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, b bool,
           t text, vc varchar(10), n name, bp char(4), ch \"char\",
           o oid, u uuid, l pg_lsn, by bytea, ip inet, net cidr, m mood, p port);
         INSERT INTO v VALUES (-2, 2147483647, 9223372036854775807, 1.5, 2.25, true,
           'héllo', 'vc', 'pg_catalog', 'ab', 'x', 4294967295,
           'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '0/16B3748', '\\x00ff41',
           '10.1.2.3', '10.0.0.0/8', 'sad', 5432);
         INSERT INTO v DEFAULT VALUES;",
    );
    let rows = pg
        .ok("db.query(\"SELECT * FROM v ORDER BY i2 NULLS LAST\")")
        .into_array()
        .unwrap();
    assert_eq!(rows.len(), 2);
    let row = map(rows[0].clone());
    assert_eq!(field(&row, "i2").as_int(), Ok(-2));
    assert_eq!(field(&row, "i4").as_int(), Ok(2_147_483_647));
    assert_eq!(field(&row, "i8").as_int(), Ok(i64::MAX));
    assert_eq!(field(&row, "f4").as_float(), Ok(1.5));
    assert_eq!(field(&row, "f8").as_float(), Ok(2.25));
    assert_eq!(field(&row, "b").as_bool(), Ok(true));
    assert_eq!(field(&row, "t").into_string().unwrap(), "héllo");
    assert_eq!(field(&row, "vc").into_string().unwrap(), "vc");
    assert_eq!(field(&row, "n").into_string().unwrap(), "pg_catalog");
    assert_eq!(
        field(&row, "bp").into_string().unwrap(),
        "ab  ",
        "char(n) keeps its padding"
    );
    assert_eq!(field(&row, "ch").into_string().unwrap(), "x");
    assert_eq!(field(&row, "o").as_int(), Ok(4_294_967_295));
    assert_eq!(
        field(&row, "u").into_string().unwrap(),
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    );
    assert_eq!(field(&row, "l").into_string().unwrap(), "0/16B3748");
    assert_eq!(
        field(&row, "by").try_cast::<rhai::Blob>().unwrap(),
        vec![0x00, 0xff, 0x41]
    );
    assert_eq!(field(&row, "ip").into_string().unwrap(), "10.1.2.3");
    assert_eq!(field(&row, "net").into_string().unwrap(), "10.0.0.0/8");
    assert_eq!(field(&row, "m").into_string().unwrap(), "sad");
    assert_eq!(field(&row, "p").as_int(), Ok(5432));

    let nulls = map(rows[1].clone());
    assert_eq!(nulls.len(), 19);
    for (column, value) in &nulls {
        assert!(value.is_unit(), "NULL {column} should be (), got {value:?}");
    }
}

#[test]
fn numeric_is_an_exact_decimal() {
    let mut pg = Pg::new("numeric");
    let pct = pg.ok("db.scalar(\"SELECT round(100.0 * 65 / 300, 2)\")");
    assert_eq!(pct.as_decimal(), Ok(Decimal::from_str("21.67").unwrap()));
    // Rhai compares decimals with integers and does exact arithmetic on them.
    assert_eq!(
        pg.ok("let p = db.scalar(\"SELECT 0.1::numeric\"); p + p + p == 0.3 && p < 1")
            .as_bool(),
        Ok(true)
    );
    // With floats as with integers: the seed's `pct_used` against a threshold.
    assert_eq!(pg.ok("let p = db.scalar(\"SELECT 21.67::numeric\"); [p < 67.5, p >= 21.67, 0.5 * p, p == 21.670]").into_array().unwrap().iter().map(|v| v.to_string()).collect::<Vec<_>>(), ["true", "true", "10.835", "true"]);
    for (sql, expected) in [
        ("SELECT -12.50::numeric", "-12.50"),
        ("SELECT 0::numeric", "0"),
        ("SELECT 10000::numeric", "10000"),
        ("SELECT 0.00012::numeric", "0.00012"),
        (
            "SELECT 123456789012345678.000001::numeric",
            "123456789012345678.000001",
        ),
        (
            "SELECT 79228162514264337593543950335::numeric",
            "79228162514264337593543950335",
        ),
        // More fraction digits than a decimal holds: rounded at the 28th.
        (
            "SELECT 0.33333333333333333333333333333333333333::numeric",
            "0.3333333333333333333333333333",
        ),
        (
            "SELECT 0.66666666666666666666666666666666666666::numeric",
            "0.6666666666666666666666666667",
        ),
        (
            "SELECT sum(x::int8) FROM generate_series(1, 1000) x",
            "500500",
        ),
    ] {
        let got = pg.ok(&format!("db.scalar(\"{sql}\")"));
        assert_eq!(
            got.as_decimal(),
            Ok(Decimal::from_str(expected).unwrap()),
            "{sql}"
        );
    }
    assert!(pg.ok("db.scalar(\"SELECT NULL::numeric\")").is_unit());

    let err = pg.err("db.query(\"SELECT 'NaN'::numeric AS ratio\")");
    assert_eq!(err.code, "runbook::run::pg::value");
    assert_mentions(&err.message, "\"ratio\"");
    assert_mentions(&err.message, "NaN");
    assert!(err.help.unwrap().contains("ratio::text"));
    let err = pg.err("db.scalar(\"SELECT 1e40::numeric AS big\")");
    assert_mentions(&err.message, "does not fit a decimal");
}

#[test]
fn dates_times_and_intervals_are_iso_8601_text() {
    let mut pg = Pg::new("temporal");
    // The session's time zone does not change what a timestamptz reads as.
    pg.run("db.execute(\"SET TIME ZONE 'Europe/Paris'\")");
    let row = map(pg.ok("db.query_one(`SELECT
            '2025-11-16 10:30:00+01'::timestamptz AS tz,
            '2025-11-16 09:30:00.25+00'::timestamptz AS tz_frac,
            '2025-11-16 09:30:00.123456'::timestamp AS ts,
            'infinity'::timestamptz AS inf,
            '-infinity'::timestamp AS neg_inf,
            '2025-02-28'::date AS d,
            'infinity'::date AS d_inf,
            '09:05:03.5'::time AS t,
            '24:00'::time AS midnight,
            '09:30:00+05:30'::timetz AS ttz`)"));
    for (column, expected) in [
        ("tz", "2025-11-16T09:30:00Z"),
        ("tz_frac", "2025-11-16T09:30:00.250Z"),
        ("ts", "2025-11-16T09:30:00.123456"),
        ("inf", "infinity"),
        ("neg_inf", "-infinity"),
        ("d", "2025-02-28"),
        ("d_inf", "infinity"),
        ("t", "09:05:03.500"),
        ("midnight", "24:00:00"),
        ("ttz", "09:30:00+05:30"),
    ] {
        assert_eq!(
            field(&row, column).into_string().unwrap(),
            expected,
            "{column}"
        );
    }
}

#[test]
fn intervals_read_like_postgres_iso_8601_style() {
    let mut pg = Pg::new("interval");
    let intervals = [
        "0",
        "1 second",
        "0.5 seconds",
        "-1.25 seconds",
        "90 minutes",
        "1 day 2 hours 3 minutes 4.000001 seconds",
        "1 year 2 months",
        "-1 year -2 months 3 days",
        "-3 days 4 hours",
        "14 months -1 day -00:00:01.5",
        "36 hours",
    ];
    for interval in intervals {
        let ours = pg
            .ok(&format!("db.scalar(\"SELECT '{interval}'::interval\")"))
            .into_string()
            .unwrap();
        let theirs = pg.column(&format!(
            "SET intervalstyle = iso_8601; SELECT '{interval}'::interval::text"
        ));
        assert_eq!(
            Some(ours),
            theirs.into_iter().last().flatten(),
            "{interval}"
        );
    }
}

#[test]
fn json_becomes_maps_and_arrays() {
    let mut pg = Pg::new("json");
    let doc = map(pg.ok(
        r#"db.scalar("SELECT '{\"replicas\": 5, \"ratio\": 0.5, \"tags\": [\"a\", null], \"on\": true, \"nested\": {\"x\": \"y\"}, \"none\": null}'::jsonb")"#,
    ));
    assert_eq!(field(&doc, "replicas").as_int(), Ok(5));
    assert_eq!(field(&doc, "ratio").as_float(), Ok(0.5));
    assert_eq!(field(&doc, "on").as_bool(), Ok(true));
    assert!(field(&doc, "none").is_unit());
    let tags = field(&doc, "tags").into_array().unwrap();
    assert_eq!(tags[0].clone().into_string().unwrap(), "a");
    assert!(tags[1].is_unit());
    assert_eq!(
        map(field(&doc, "nested"))
            .get("x")
            .unwrap()
            .clone()
            .into_string()
            .unwrap(),
        "y"
    );
    // `json` (not only `jsonb`), top-level arrays and scalars, and Rhai access.
    assert_eq!(
        pg.ok(r#"db.scalar("SELECT '[1, 2, 3]'::json")[2]"#)
            .as_int(),
        Ok(3)
    );
    assert_eq!(
        pg.ok(r#"db.scalar("SELECT '\"text\"'::json")"#)
            .into_string()
            .unwrap(),
        "text"
    );
    assert!(pg.ok(r#"db.scalar("SELECT 'null'::jsonb")"#).is_unit());
    assert!(pg.ok(r#"db.scalar("SELECT NULL::jsonb")"#).is_unit());
}

#[test]
fn arrays_including_nulls_and_several_dimensions() {
    let mut pg = Pg::new("arrays");
    let row = map(pg.ok("db.query_one(`SELECT
            ARRAY[1, NULL, 3]::int4[] AS ints,
            ARRAY['a', NULL]::text[] AS texts,
            '{}'::int8[] AS empty,
            ARRAY[[1, 2], [3, 4], [5, 6]] AS grid,
            ARRAY[1.5, 2]::numeric[] AS nums,
            ARRAY['{\"a\": 1}'::jsonb] AS docs,
            ARRAY['2025-01-01'::date] AS dates,
            NULL::int[] AS nothing`)"));
    let ints = field(&row, "ints").into_array().unwrap();
    assert_eq!(
        (ints[0].as_int(), ints[1].is_unit(), ints[2].as_int()),
        (Ok(1), true, Ok(3))
    );
    let texts = field(&row, "texts").into_array().unwrap();
    assert_eq!(
        (texts[0].clone().into_string().unwrap(), texts[1].is_unit()),
        ("a".to_string(), true)
    );
    assert!(field(&row, "empty").into_array().unwrap().is_empty());
    let grid = field(&row, "grid").into_array().unwrap();
    assert_eq!(grid.len(), 3);
    let last: Vec<i64> = grid[2]
        .clone()
        .into_array()
        .unwrap()
        .iter()
        .map(|v| v.as_int().unwrap())
        .collect();
    assert_eq!(last, [5, 6]);
    let nums = field(&row, "nums").into_array().unwrap();
    assert_eq!(nums[0].as_decimal(), Ok(Decimal::from_str("1.5").unwrap()));
    let docs = field(&row, "docs").into_array().unwrap();
    assert_eq!(map(docs[0].clone()).get("a").unwrap().as_int(), Ok(1));
    assert_eq!(
        field(&row, "dates").into_array().unwrap()[0]
            .clone()
            .into_string()
            .unwrap(),
        "2025-01-01"
    );
    assert!(field(&row, "nothing").is_unit());
}

#[test]
fn an_unsupported_type_names_the_column_and_the_cast() {
    let mut pg = Pg::new("unsupported");
    let err = pg.err("db.query(\"SELECT to_tsvector('simple', 'a b') AS doc\")");
    assert_eq!(err.code, "runbook::run::pg::unsupported_type");
    assert_eq!(
        err.message,
        "column \"doc\" has type tsvector, which runbook cannot read; cast it in SQL, e.g. doc::text"
    );
    assert_eq!(
        pg.ok("db.scalar(\"SELECT to_tsvector('simple', 'a b')::text\")")
            .into_string()
            .unwrap(),
        "'a':1 'b':2"
    );
    assert!(
        pg.ok("db.scalar(\"SELECT pg_sleep(0)\")").is_unit(),
        "void reads as ()"
    );
}
