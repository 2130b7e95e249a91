//! How stored rows become records, written once for every adapter: an adapter says how
//! its driver reads one column of each kind ([`Columns`]: SQLite keeps times as integer
//! microseconds and JSON as text, PostgreSQL as `timestamptz` and `jsonb`), and each
//! record says once which columns it is made of ([`Record`]).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// One result row, read column by column under the column's name.
pub trait Columns {
    /// A text column.
    fn text_opt(&self, name: &str) -> StoreResult<Option<String>>;
    /// An integer column.
    fn int_opt(&self, name: &str) -> StoreResult<Option<i64>>;
    /// A floating-point column.
    fn float_opt(&self, name: &str) -> StoreResult<Option<f64>>;
    /// A boolean column.
    fn flag(&self, name: &str) -> StoreResult<bool>;
    /// A UUID column.
    fn id_opt(&self, name: &str) -> StoreResult<Option<Uuid>>;
    /// A time column.
    fn time_opt(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// A JSON column (or JSON kept as text).
    fn json_opt(&self, name: &str) -> StoreResult<Option<serde_json::Value>>;
    /// A list of strings (a JSON array on SQLite, an array on PostgreSQL).
    fn texts(&self, name: &str) -> StoreResult<Vec<String>>;
    /// A binary column.
    fn bytes(&self, name: &str) -> StoreResult<Vec<u8>>;

    /// A text column that is never null.
    fn text(&self, name: &str) -> StoreResult<String> {
        self.text_opt(name)?.ok_or_else(|| null(name))
    }
    /// An integer column that is never null.
    fn int(&self, name: &str) -> StoreResult<i64> {
        self.int_opt(name)?.ok_or_else(|| null(name))
    }
    /// A UUID column that is never null.
    fn id(&self, name: &str) -> StoreResult<Uuid> {
        self.id_opt(name)?.ok_or_else(|| null(name))
    }
    /// A time column that is never null.
    fn time(&self, name: &str) -> StoreResult<DateTime<Utc>> {
        self.time_opt(name)?.ok_or_else(|| null(name))
    }
    /// A JSON column that is never null.
    fn json(&self, name: &str) -> StoreResult<serde_json::Value> {
        self.json_opt(name)?.ok_or_else(|| null(name))
    }
}

/// A JSON column read as `T`.
pub fn parsed<T: DeserializeOwned>(row: &dyn Columns, name: &str) -> StoreResult<T> {
    serde_json::from_value(row.json(name)?).map_err(|e| unreadable(name, e))
}

/// A text column read back with `parse` (e.g. a stored status name).
pub fn named<T>(row: &dyn Columns, name: &str, parse: impl FnOnce(&str) -> Option<T>) -> StoreResult<T> {
    let text = row.text(name)?;
    parse(&text).ok_or_else(|| unreadable(name, format!("unknown value {text:?}")))
}

/// A column that should hold a value holds NULL.
fn null(name: &str) -> StoreError {
    StoreError::Other(format!("column {name} is unexpectedly null"))
}

/// A stored value that does not read back.
pub fn unreadable(name: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("column {name} is unreadable: {error}"))
}

/// A record read from one row.
pub trait Record: Sized {
    /// Reads it.
    fn read(row: &dyn Columns) -> StoreResult<Self>;
}

/// What a driver's `fetch_all` / `fetch_optional` returned, decoded: the adapter's error
/// mapping, then each row read by the operation's own function. Written once for every
/// adapter.
pub trait Decode<R, E> {
    /// The decoded rows (or row).
    type Out<T>;

    /// Maps the error with `map_error` and reads each row with `read`.
    fn rows<T>(
        self,
        map_error: impl FnOnce(E) -> StoreError,
        read: impl Fn(&R) -> StoreResult<T>,
    ) -> StoreResult<Self::Out<T>>;
}

impl<R, E> Decode<R, E> for Result<Vec<R>, E> {
    type Out<T> = Vec<T>;

    fn rows<T>(
        self,
        map_error: impl FnOnce(E) -> StoreError,
        read: impl Fn(&R) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.map_err(map_error)?.iter().map(read).collect()
    }
}

impl<R, E> Decode<R, E> for Result<Option<R>, E> {
    type Out<T> = Option<T>;

    fn rows<T>(
        self,
        map_error: impl FnOnce(E) -> StoreError,
        read: impl Fn(&R) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.map_err(map_error)?.as_ref().map(read).transpose()
    }
}
