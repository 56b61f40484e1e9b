//! A bad SQL statement in a runbook is reported by the real server and
//! pointed at inside the SQL text of the `.runbook` file: line and column of
//! the offending token, not just the statement.

// Tests unwrap: a panic with the value is the failure report.
#![allow(clippy::unwrap_used)]

mod common;
mod run_support;

use run_support::Workspace;

const RUNBOOK: &str = r#"runbook "Bad SQL" {
  id    "TEST-PG-1"
  owner "tests"
}

param db_url: secret

let db = pg::connect(db_url)

step count "Count connections" {
  let active = db.scalar("SELECT count(*)
                            FROM pg_stat_activty
                           WHERE state = 'active'")
  note `${active} active`
}
"#;

run_support::both_stores!(a_bad_sql_statement_points_into_the_sql_text);

fn a_bad_sql_statement_points_into_the_sql_text(ws: &Workspace) {
    let db = pg_harness::database("run_pg_error").unwrap();
    ws.write("bad-sql.runbook", RUNBOOK);
    let url = db.url();
    let (out, _id) = ws.run("bad-sql.runbook", &["--param", &format!("db_url={url}")]);
    out.assert_code(1);
    let said = out.all();
    // The server's own words and SQLSTATE 42P01 (undefined_table).
    assert!(
        said.contains(r#"relation "pg_stat_activty" does not exist"#),
        "{said}"
    );
    assert!(said.contains("42P01"), "{said}");
    // miette names the file at the caret's line and column: where
    // `pg_stat_activty` starts inside the (multi-line) SQL string.
    let line = RUNBOOK
        .lines()
        .position(|l| l.contains("pg_stat_activty"))
        .unwrap()
        + 1;
    let column = RUNBOOK
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("pg_stat_activty")
        .unwrap()
        + 1;
    assert!(
        said.contains(&format!("bad-sql.runbook:{line}:{column}")),
        "expected the caret at {line}:{column}:\n{said}"
    );
    // The connection URL's password never reaches the terminal.
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(auth, _)| auth.split_once(':'))
        .map(|(_, pw)| pw.to_string());
    if let Some(pw) = password.filter(|p| !p.is_empty()) {
        assert!(!said.contains(&pw), "password leaked:\n{said}");
    }
}
