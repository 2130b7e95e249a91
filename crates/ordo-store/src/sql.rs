//! Statements both SQL stores run as written. Most of what a store answers is the same
//! statement on SQLite and PostgreSQL (both take `$1`, `$2`, … parameters); such
//! operations are written once in their domain over [`SqlRun`], which each adapter
//! implements by binding [`Param`]s in its own storage types (SQLite keeps times as integer
//! microseconds and JSON and lists as text; PostgreSQL as `timestamptz`, `jsonb` and
//! arrays) and reading rows through [`Columns`]. What an adapter tunes for its database
//! (the hot write path, bulk statements, SQLite's single writer) stays in the adapter.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::Columns;

/// A value bound to a statement parameter, in order.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// Text.
    Text(Option<&'a str>),
    /// An integer.
    Int(Option<i64>),
    /// A boolean.
    Flag(bool),
    /// A UUID.
    Id(Option<Uuid>),
    /// A time.
    Time(Option<DateTime<Utc>>),
    /// A JSON document.
    Json(Option<&'a serde_json::Value>),
    /// A list of strings.
    Texts(&'a [String]),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Some(value))
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Some(value))
    }
}
impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Self::Text(value.as_deref())
    }
}
impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Self::Text(value)
    }
}
impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}
impl From<Option<i64>> for Param<'_> {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}
impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Self::Flag(value)
    }
}
impl From<Uuid> for Param<'_> {
    fn from(value: Uuid) -> Self {
        Self::Id(Some(value))
    }
}
impl From<Option<Uuid>> for Param<'_> {
    fn from(value: Option<Uuid>) -> Self {
        Self::Id(value)
    }
}
impl From<DateTime<Utc>> for Param<'_> {
    fn from(value: DateTime<Utc>) -> Self {
        Self::Time(Some(value))
    }
}
impl From<Option<DateTime<Utc>>> for Param<'_> {
    fn from(value: Option<DateTime<Utc>>) -> Self {
        Self::Time(value)
    }
}
impl<'a> From<&'a serde_json::Value> for Param<'a> {
    fn from(value: &'a serde_json::Value) -> Self {
        Self::Json(Some(value))
    }
}
impl<'a> From<&'a [String]> for Param<'a> {
    fn from(value: &'a [String]) -> Self {
        Self::Texts(value)
    }
}
impl<'a> From<&'a ordo_core::TenantId> for Param<'a> {
    fn from(value: &'a ordo_core::TenantId) -> Self {
        Self::Text(Some(value.as_str()))
    }
}

/// Runs statements on a store's pool.
pub trait SqlRun: Send + Sync {
    /// The rows of a read, each read with `read`.
    fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// Runs a write; how many rows it changed.
    fn run(&self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// The first row of a read, if any.
    fn row<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<Option<T>>> + Send {
        async move { Ok(self.rows(sql, params, read).await?.into_iter().next()) }
    }
}
