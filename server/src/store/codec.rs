//! Conversions between stored columns and domain values: unix milliseconds and JSON
//! text, and LIKE patterns that search for text a user gave.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, sea_query::IntoColumnRef};
use serde::{Serialize, de::DeserializeOwned};

use super::{Result, StoreError};
use crate::domain::span::Span;

/// A UTC instant as stored: milliseconds since the unix epoch.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored instant back as UTC.
pub fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt {
        what: "timestamp",
        detail: ms.to_string(),
    })
}

/// A stored word (a status, a role, …) read back with `parse`; a word the code does not
/// know is `Corrupt`, naming `what` it should have been.
pub fn word<T>(what: &'static str, text: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
    parse(text).ok_or_else(|| StoreError::Corrupt {
        what,
        detail: text.to_string(),
    })
}

/// A stored `[start, end)` pair as a span.
pub fn span(start_ms: i64, end_ms: i64) -> Result<Span> {
    Ok(Span::new(from_ms(start_ms)?, from_ms(end_ms)?))
}

/// A value as JSON text for a `TEXT` column.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serializing plain data to JSON cannot fail")
}

/// JSON text from a `TEXT` column back as a value.
pub fn from_json<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

/// A stored zone name back as a zone.
pub fn tz(name: &str) -> Result<chrono_tz::Tz> {
    name.parse().map_err(|_| StoreError::Corrupt {
        what: "time zone",
        detail: name.to_string(),
    })
}

/// A LIKE pattern whose `\` escapes the wildcards [`escape_like`] escaped.
pub fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

/// `%` and `_` typed by a user match themselves, not any text.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `column` mentions `text` in any letter case (ASCII case, as SQLite's `lower` folds).
pub fn mentions(column: impl ColumnTrait + IntoColumnRef, text: &str) -> Expr {
    let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
    Expr::expr(Func::lower(Expr::col(column))).like(like(pattern))
}
