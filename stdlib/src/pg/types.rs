//! PostgreSQL values → Rhai values.
//!
//! | PostgreSQL | Rhai |
//! | --- | --- |
//! | `NULL` (any type) | `()` |
//! | `bool` | `bool` |
//! | `int2`, `int4`, `int8`, `oid`, `xid`, `xid8`, `cid` | `INT` |
//! | `float4`, `float8` | `FLOAT` |
//! | `numeric` | decimal (exact; see [`super::numeric`]) |
//! | `text`, `varchar`, `name`, `bpchar`, `"char"`, `unknown`, enums | string |
//! | `timestamptz`, `timestamp`, `date`, `time`, `timetz`, `interval` | ISO 8601 string (see [`super::temporal`]) |
//! | `uuid` | string (`8-4-4-4-12` hex) |
//! | `json`, `jsonb` | maps, arrays, strings, numbers, `()` for `null` |
//! | `pg_lsn` | string (`0/16B3748`) |
//! | `inet`, `cidr` | string (`10.0.0.1`, `10.0.0.0/8`) |
//! | `bytea` | blob |
//! | `void` (`SELECT pg_sleep(1)`) | `()` |
//! | domains | as their base type |
//! | arrays of the above | arrays (nested for several dimensions) |
//!
//! Anything else is an error naming the column and its type, with the cast
//! that makes it readable.

use std::net::IpAddr;

use postgres_protocol::types as wire;
use rhai::{Dynamic, Map};
use tokio_postgres::types::{FromSql, Kind, Type};
use tokio_postgres::Row;

use super::errors::code;
use super::{numeric, temporal};
use crate::ActionError;

/// One value's bytes as sent by the server (binary format), or `None` for NULL.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw)))
    }
    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Why a value could not be read.
enum DecodeError {
    /// A type runbook does not map (named by its SQL name).
    Unsupported(String),
    /// A supported type whose value does not fit (`numeric` too large).
    Invalid(String),
}

/// A row as a map from column name to value.
pub(crate) fn row_to_map(row: &Row) -> Result<Map, ActionError> {
    let mut map = Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        map.insert(column.name().into(), column_value(row, i)?);
    }
    Ok(map)
}

/// The value of column `i` of `row`.
pub(crate) fn column_value(row: &Row, i: usize) -> Result<Dynamic, ActionError> {
    let column = &row.columns()[i];
    let raw = row.try_get::<_, Raw<'_>>(i).map_err(|e| {
        ActionError::new(
            code::SQL,
            format!("cannot read column \"{}\": {e}", column.name()),
        )
    })?;
    let Some(bytes) = raw.0 else {
        return Ok(Dynamic::UNIT);
    };
    decode(column.type_(), bytes).map_err(|err| match err {
        DecodeError::Unsupported(ty) => ActionError::new(
            code::UNSUPPORTED_TYPE,
            format!(
                "column \"{name}\" has type {ty}, which runbook cannot read; cast it in SQL, e.g. {name}::text",
                name = column.name()
            ),
        )
        .with_help(format!("select `{}::text` (or another supported type) instead", column.name())),
        DecodeError::Invalid(why) => ActionError::new(
            code::VALUE,
            format!("column \"{}\" ({}): {why}", column.name(), column.type_().name()),
        )
        .with_help(format!(
            "cast it in SQL: `{name}::text` keeps every digit, `{name}::float8` approximates",
            name = column.name()
        )),
    })
}

fn decode(ty: &Type, raw: &[u8]) -> Result<Dynamic, DecodeError> {
    let invalid = |e: Box<dyn std::error::Error + Sync + Send>| DecodeError::Invalid(e.to_string());
    let value = match *ty {
        Type::BOOL => bool::from_sql(ty, raw).map_err(invalid)?.into(),
        Type::INT2 => i64::from(i16::from_sql(ty, raw).map_err(invalid)?).into(),
        Type::INT4 => i64::from(i32::from_sql(ty, raw).map_err(invalid)?).into(),
        Type::INT8 => i64::from_sql(ty, raw).map_err(invalid)?.into(),
        Type::OID | Type::XID | Type::CID => {
            i64::from(wire::oid_from_sql(raw).map_err(invalid)?).into()
        }
        Type::XID8 => {
            let v = u64::from_be_bytes(
                raw.try_into()
                    .map_err(|_| DecodeError::Invalid("bad xid8".into()))?,
            );
            i64::try_from(v)
                .map_err(|_| DecodeError::Invalid(format!("xid8 {v} is too large")))?
                .into()
        }
        Type::FLOAT4 => f64::from(f32::from_sql(ty, raw).map_err(invalid)?).into(),
        Type::FLOAT8 => f64::from_sql(ty, raw).map_err(invalid)?.into(),
        Type::NUMERIC => {
            Dynamic::from_decimal(numeric::to_decimal(raw).map_err(DecodeError::Invalid)?)
        }
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::UNKNOWN => text(raw)?,
        Type::CHAR => {
            let byte = raw.first().copied().unwrap_or_default();
            Dynamic::from(char::from(byte).to_string())
        }
        Type::TIMESTAMPTZ => temporal::timestamp(raw, true)
            .map_err(DecodeError::Invalid)?
            .into(),
        Type::TIMESTAMP => temporal::timestamp(raw, false)
            .map_err(DecodeError::Invalid)?
            .into(),
        Type::DATE => temporal::date(raw).map_err(DecodeError::Invalid)?.into(),
        Type::TIME => temporal::time(raw).map_err(DecodeError::Invalid)?.into(),
        Type::TIMETZ => temporal::timetz(raw).map_err(DecodeError::Invalid)?.into(),
        Type::INTERVAL => temporal::interval(raw)
            .map_err(DecodeError::Invalid)?
            .into(),
        Type::UUID => uuid::Uuid::from_slice(raw)
            .map_err(|e| DecodeError::Invalid(e.to_string()))?
            .hyphenated()
            .to_string()
            .into(),
        Type::JSON | Type::JSONB => json(ty, raw)?,
        Type::PG_LSN => {
            let lsn = wire::lsn_from_sql(raw).map_err(invalid)?;
            format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF).into()
        }
        Type::INET | Type::CIDR => inet(ty, raw)?,
        Type::BYTEA => Dynamic::from_blob(raw.to_vec()),
        Type::VOID => Dynamic::UNIT,
        _ => match ty.kind() {
            Kind::Array(member) => array(member, raw)?,
            Kind::Domain(base) => decode(base, raw)?,
            // An enum's binary form is its label.
            Kind::Enum(_) => text(raw)?,
            _ => return Err(DecodeError::Unsupported(ty.name().to_string())),
        },
    };
    Ok(value)
}

fn text(raw: &[u8]) -> Result<Dynamic, DecodeError> {
    std::str::from_utf8(raw)
        .map(|s| Dynamic::from(s.to_string()))
        .map_err(|e| DecodeError::Invalid(format!("text is not UTF-8: {e}")))
}

fn json(ty: &Type, raw: &[u8]) -> Result<Dynamic, DecodeError> {
    let value =
        serde_json::Value::from_sql(ty, raw).map_err(|e| DecodeError::Invalid(e.to_string()))?;
    rhai::serde::to_dynamic(value).map_err(|e| DecodeError::Invalid(e.to_string()))
}

fn inet(ty: &Type, raw: &[u8]) -> Result<Dynamic, DecodeError> {
    let inet = wire::inet_from_sql(raw).map_err(|e| DecodeError::Invalid(e.to_string()))?;
    let full = match inet.addr() {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    // Like PostgreSQL's own output: `inet` hides a full-length netmask.
    Ok(if *ty == Type::INET && inet.netmask() == full {
        inet.addr().to_string().into()
    } else {
        format!("{}/{}", inet.addr(), inet.netmask()).into()
    })
}

fn array(member: &Type, raw: &[u8]) -> Result<Dynamic, DecodeError> {
    use fallible_iterator::FallibleIterator;
    use postgres_protocol::types::ArrayDimension;

    let invalid = |e: Box<dyn std::error::Error + Sync + Send>| DecodeError::Invalid(e.to_string());
    let array = wire::array_from_sql(raw).map_err(invalid)?;
    let dims: Vec<ArrayDimension> = array.dimensions().collect().map_err(invalid)?;
    let mut values = Vec::new();
    let mut elements = array.values();
    while let Some(element) = elements.next().map_err(invalid)? {
        values.push(match element {
            Some(bytes) => decode(member, bytes)?,
            None => Dynamic::UNIT,
        });
    }
    let lengths: Vec<usize> = dims
        .iter()
        .map(|d| usize::try_from(d.len).unwrap_or(0))
        .collect();
    Ok(nest(&lengths, &mut values.into_iter()))
}

/// Shapes the flat element list into nested arrays, outermost dimension first.
fn nest(lengths: &[usize], values: &mut impl Iterator<Item = Dynamic>) -> Dynamic {
    match lengths {
        [] => Dynamic::from_array(Vec::new()),
        [n] => Dynamic::from_array(values.take(*n).collect()),
        [n, rest @ ..] => Dynamic::from_array((0..*n).map(|_| nest(rest, values)).collect()),
    }
}
