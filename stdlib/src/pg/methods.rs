//! What each `PgConnection` method returns.

use rhai::{Array, Dynamic, Map};

use super::connection::PgConnection;
use super::errors::code;
use super::statement::{Outcome, Purpose};
use super::types;
use crate::ActionError;

impl PgConnection {
    /// `db.query(sql, params…)`: every row, as maps from column name to value.
    pub(crate) fn query(&self, sql: &str, values: &[Dynamic]) -> Result<Array, ActionError> {
        self.rows(sql, values, "query")?
            .iter()
            .map(|row| types::row_to_map(row).map(Dynamic::from_map))
            .collect()
    }

    /// `db.query_one(sql, params…)`: the single row; zero or several rows
    /// are an error that says how many.
    pub(crate) fn query_one(&self, sql: &str, values: &[Dynamic]) -> Result<Map, ActionError> {
        let rows = self.rows(sql, values, "query_one")?;
        match rows.as_slice() {
            [row] => types::row_to_map(row),
            _ => Err(row_count("query_one", sql, rows.len())),
        }
    }

    /// `db.scalar(sql, params…)`: the first column of the single row.
    pub(crate) fn scalar(&self, sql: &str, values: &[Dynamic]) -> Result<Dynamic, ActionError> {
        let rows = self.rows(sql, values, "scalar")?;
        match rows.as_slice() {
            [row] if !row.is_empty() => types::column_value(row, 0),
            [_] => Err(ActionError::new(
                code::ROW_COUNT,
                "scalar() needs a statement that returns a column",
            )
            .with_help("select one value, e.g. SELECT count(*) FROM t")
            .locate(sql, 0)),
            _ => Err(row_count("scalar", sql, rows.len())),
        }
    }

    /// `db.execute(sql, params…)`: the number of rows affected (0 for
    /// statements such as `ALTER SYSTEM`, and for statements dry run did not run).
    pub(crate) fn execute(&self, sql: &str, values: &[Dynamic]) -> Result<rhai::INT, ActionError> {
        match self.run(sql, values, Purpose::Effect)? {
            Outcome::Affected(n) => Ok(rhai::INT::try_from(n).unwrap_or(rhai::INT::MAX)),
            Outcome::Rows(_) | Outcome::NotRun => Ok(0),
        }
    }

    /// `db.setting(name)`: the setting's current value as text, as
    /// `current_setting(name)` (and `SHOW name`) give it.
    pub(crate) fn setting(&self, name: &str) -> Result<String, ActionError> {
        let rows = self
            .rows("SELECT current_setting($1)", &[name.into()], "setting")
            .map_err(|mut e| {
                // Point at the name in the runbook, not at SQL it never saw.
                e.locate = Some((name.to_string(), 0));
                e
            })?;
        let value = rows
            .first()
            .map(|row| types::column_value(row, 0))
            .transpose()?
            .unwrap_or_default();
        Ok(value.into_string().unwrap_or_default())
    }

    fn rows(
        &self,
        sql: &str,
        values: &[Dynamic],
        method: &'static str,
    ) -> Result<Vec<tokio_postgres::Row>, ActionError> {
        match self.run(sql, values, Purpose::Read(method))? {
            Outcome::Rows(rows) => Ok(rows),
            Outcome::Affected(_) | Outcome::NotRun => Ok(Vec::new()),
        }
    }
}

fn row_count(method: &str, sql: &str, rows: usize) -> ActionError {
    let got = match rows {
        0 => "no rows".to_string(),
        1 => "1 row".to_string(),
        n => format!("{n} rows"),
    };
    ActionError::new(
        code::ROW_COUNT,
        format!("{method}() expects exactly one row, but the statement returned {got}"),
    )
    .with_help(if rows == 0 {
        "check the WHERE clause, or use query() and handle an empty result"
    } else {
        "narrow the WHERE clause or add LIMIT 1, or use query() for several rows"
    })
    .locate(sql, 0)
}
