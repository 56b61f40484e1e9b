//! Rhai values → statement parameters (`$1`, `$2`, …).
//!
//! The statement is prepared first; each value is then converted to the type
//! PostgreSQL inferred for its parameter, so `WHERE pid = $1` takes an `INT`
//! and `WHERE name = $1` a string. Values are always sent as parameters,
//! never spliced into the SQL text.
//!
//! | parameter type | accepted Rhai values |
//! | --- | --- |
//! | any | `()` for `NULL` |
//! | `bool` | bool |
//! | `int2/4/8`, `oid` | `INT` (range-checked), whole decimals |
//! | `float4/8` | `FLOAT`, `INT`, decimal |
//! | `numeric` | decimal, `INT`, `FLOAT`, numeric strings (`"12.50"`) |
//! | `text`, `varchar`, `name`, `bpchar`, enums, untyped | strings; `INT`, `FLOAT`, decimal and bool as their text |
//! | `json`, `jsonb` | any value (maps and arrays become objects and arrays; a string is a JSON string) |
//! | `uuid`, `pg_lsn`, `timestamptz` (RFC 3339), `timestamp`, `date` | strings in the form reads return |
//! | `bytea` | blob, or a string's UTF-8 bytes |
//! | arrays | Rhai arrays of values for the element type |
//!
//! Other parameter types are an error that suggests binding text and casting
//! (`$1::text::interval`).

use std::error::Error;
use std::str::FromStr;

use rhai::Dynamic;
use rust_decimal::Decimal;
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{to_sql_checked, IsNull, Kind, PgLsn, ToSql, Type};

use super::errors::code;
use super::temporal;
use crate::ActionError;

/// A parameter value converted for its declared type.
#[derive(Debug)]
pub(crate) enum Bound {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    Oid(u32),
    F32(f32),
    F64(f64),
    Numeric(Decimal),
    Text(String),
    Char(i8),
    Bytes(Vec<u8>),
    Json(serde_json::Value),
    Uuid(uuid::Uuid),
    Lsn(PgLsn),
    TimestampTz(chrono::DateTime<chrono::Utc>),
    Timestamp(chrono::NaiveDateTime),
    Date(chrono::NaiveDate),
    Array(Vec<Bound>),
}

impl ToSql for Bound {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Bound::Null => Ok(IsNull::Yes),
            Bound::Bool(v) => v.to_sql(ty, out),
            Bound::I16(v) => v.to_sql(ty, out),
            Bound::I32(v) => v.to_sql(ty, out),
            Bound::I64(v) => v.to_sql(ty, out),
            Bound::Oid(v) => v.to_sql(ty, out),
            Bound::F32(v) => v.to_sql(ty, out),
            Bound::F64(v) => v.to_sql(ty, out),
            Bound::Numeric(v) => v.to_sql(ty, out),
            Bound::Text(v) => v.as_str().to_sql(ty, out),
            Bound::Char(v) => v.to_sql(ty, out),
            Bound::Bytes(v) => v.as_slice().to_sql(ty, out),
            Bound::Json(v) => v.to_sql(ty, out),
            Bound::Uuid(v) => v.to_sql(ty, out),
            Bound::Lsn(v) => v.to_sql(ty, out),
            Bound::TimestampTz(v) => v.to_sql(ty, out),
            Bound::Timestamp(v) => v.to_sql(ty, out),
            Bound::Date(v) => v.to_sql(ty, out),
            Bound::Array(items) => items.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // `bind` only builds a variant for a type it accepts.
        true
    }

    to_sql_checked!();
}

/// Converts `values` for the statement's parameter `types`.
pub(crate) fn bind_all(
    values: &[Dynamic],
    types: &[Type],
    sql: &str,
) -> Result<Vec<Bound>, ActionError> {
    if values.len() != types.len() {
        let placeholders = match types.len() {
            0 => "no parameters".to_string(),
            1 => "1 parameter ($1)".to_string(),
            n => format!("{n} parameters ($1…${n})"),
        };
        return Err(ActionError::new(
            code::PARAM,
            format!(
                "the statement has {placeholders} but {} value(s) were given",
                values.len()
            ),
        )
        .with_help("pass one value after the SQL text for each $n placeholder, in order")
        .locate(sql, 0));
    }
    values
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (value, ty))| bind(value, ty).map_err(|why| param_error(i + 1, ty, value, &why)))
        .collect()
}

fn param_error(n: usize, ty: &Type, value: &Dynamic, why: &str) -> ActionError {
    ActionError::new(
        code::PARAM,
        format!("parameter ${n} is {} in this statement, but the value {} {why}", ty.name(), describe(value)),
    )
    .with_help(format!(
        "convert the value in Rhai (parse_int, parse_float, to_string) or cast in SQL, e.g. ${n}::text::{}",
        ty.name()
    ))
}

fn describe(value: &Dynamic) -> String {
    let shown = value.to_string();
    let shown = if shown.chars().count() > 40 {
        format!("{}…", shown.chars().take(40).collect::<String>())
    } else {
        shown
    };
    format!("`{shown}` ({})", value.type_name())
}

/// Converts one value; the error completes "the value … ".
fn bind(value: &Dynamic, ty: &Type) -> Result<Bound, String> {
    if value.is_unit() {
        return Ok(Bound::Null);
    }
    match ty.kind() {
        Kind::Domain(base) => return bind(value, base),
        Kind::Enum(_) => return text(value).map(Bound::Text),
        Kind::Array(member) => {
            let items = value
                .read_lock::<rhai::Array>()
                .ok_or_else(|| "is not an array".to_string())?;
            return items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    bind(item, member).map_err(|why| format!("has element [{i}] that {why}"))
                })
                .collect::<Result<_, _>>()
                .map(Bound::Array);
        }
        _ => {}
    }
    let int = || integer(value);
    let out_of_range = |_| "is out of range".to_string();
    Ok(match *ty {
        Type::BOOL => Bound::Bool(value.as_bool().map_err(|_| "is not a bool".to_string())?),
        Type::INT2 => Bound::I16(i16::try_from(int()?).map_err(out_of_range)?),
        Type::INT4 => Bound::I32(i32::try_from(int()?).map_err(out_of_range)?),
        Type::INT8 => Bound::I64(int()?),
        Type::OID => Bound::Oid(u32::try_from(int()?).map_err(out_of_range)?),
        #[allow(clippy::cast_possible_truncation)]
        Type::FLOAT4 => Bound::F32(float(value)? as f32),
        Type::FLOAT8 => Bound::F64(float(value)?),
        Type::NUMERIC => Bound::Numeric(decimal(value)?),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::UNKNOWN => {
            Bound::Text(text(value)?)
        }
        Type::CHAR => {
            let s = string(value)?;
            match s.as_bytes() {
                [b] => Bound::Char(i8::from_ne_bytes([*b])),
                _ => return Err("is not a single ASCII character".into()),
            }
        }
        Type::JSON | Type::JSONB => Bound::Json(
            rhai::serde::from_dynamic(value)
                .map_err(|e| format!("cannot be written as JSON: {e}"))?,
        ),
        Type::UUID => Bound::Uuid(
            uuid::Uuid::parse_str(&string(value)?).map_err(|e| format!("is not a UUID: {e}"))?,
        ),
        Type::PG_LSN => Bound::Lsn(
            PgLsn::from_str(&string(value)?)
                .map_err(|_| "is not an LSN like 0/16B3748".to_string())?,
        ),
        Type::TIMESTAMPTZ => {
            Bound::TimestampTz(temporal::parse_timestamptz(&string(value)?).ok_or_else(|| {
                "is not an RFC 3339 timestamp like 2025-11-16T09:30:00Z".to_string()
            })?)
        }
        Type::TIMESTAMP => Bound::Timestamp(
            temporal::parse_timestamp(&string(value)?)
                .ok_or_else(|| "is not a timestamp like 2025-11-16T09:30:00".to_string())?,
        ),
        Type::DATE => Bound::Date(
            chrono::NaiveDate::parse_from_str(&string(value)?, "%Y-%m-%d")
                .map_err(|_| "is not a date like 2025-11-16".to_string())?,
        ),
        Type::BYTEA => match value.read_lock::<rhai::Blob>() {
            Some(blob) => Bound::Bytes(blob.clone()),
            None => Bound::Bytes(string(value)?.into_bytes()),
        },
        _ => return Err("cannot be bound to this type by runbook".into()),
    })
}

fn string(value: &Dynamic) -> Result<String, String> {
    value
        .read_lock::<rhai::ImmutableString>()
        .map(|s| s.to_string())
        .ok_or_else(|| "is not a string".to_string())
}

/// Text parameters take strings, and scalars as they print.
fn text(value: &Dynamic) -> Result<String, String> {
    if value.is_string()
        || value.is_int()
        || value.is_float()
        || value.is_bool()
        || value.is_decimal()
    {
        Ok(value.to_string())
    } else {
        Err("is not a string".into())
    }
}

fn integer(value: &Dynamic) -> Result<i64, String> {
    if let Ok(i) = value.as_int() {
        return Ok(i);
    }
    if let Ok(d) = value.as_decimal() {
        if d.fract().is_zero() {
            return i64::try_from(d).map_err(|_| "is out of range".to_string());
        }
    }
    Err("is not an integer".into())
}

fn float(value: &Dynamic) -> Result<f64, String> {
    #[allow(clippy::cast_precision_loss)]
    if let Ok(i) = value.as_int() {
        return Ok(i as f64);
    }
    if let Ok(f) = value.as_float() {
        return Ok(f);
    }
    if let Ok(d) = value.as_decimal() {
        return f64::try_from(d).map_err(|_| "is out of range".to_string());
    }
    Err("is not a number".into())
}

fn decimal(value: &Dynamic) -> Result<Decimal, String> {
    if let Ok(d) = value.as_decimal() {
        return Ok(d);
    }
    if let Ok(i) = value.as_int() {
        return Ok(Decimal::from(i));
    }
    if let Ok(f) = value.as_float() {
        return Decimal::try_from(f).map_err(|_| "does not fit a decimal".to_string());
    }
    if let Some(s) = value.read_lock::<rhai::ImmutableString>() {
        return Decimal::from_str_exact(s.trim())
            .map_err(|_| "is not a decimal number".to_string());
    }
    Err("is not a number".into())
}
