//! Statements both SQL stores run as written. Most of what a store answers is the same
//! statement on SQLite and PostgreSQL (both take `$1`, `$2`, … parameters); such
//! operations are written once in their domain over [`SqlRun`], which each adapter
//! implements by binding [`Param`]s in its own storage types (SQLite keeps times as integer
//! microseconds and JSON and lists as text; PostgreSQL as `timestamptz`, `jsonb` and
//! arrays) and reading rows through [`Columns`]. What an adapter tunes for its database
//! (the hot write path, bulk statements, SQLite's single writer) stays in the adapter.

use std::future::Future;
use std::pin::Pin;

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
    /// A length of time (added to or taken from times).
    Span(chrono::Duration),
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
impl From<chrono::Duration> for Param<'_> {
    fn from(value: chrono::Duration) -> Self {
        Self::Span(value)
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

/// Which database a statement runs on, for the few clauses only one of them has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one writer, so no row locks.
    Sqlite,
    /// PostgreSQL: several nodes, rows locked `FOR UPDATE`.
    Postgres,
}

impl Dialect {
    /// ` FOR UPDATE` where rows are locked, nothing on SQLite (its single writer already
    /// serialises transactions).
    pub fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    /// `{column}` is one of the strings of a list parameter (see [`Param::Texts`]).
    pub fn in_list(self, column: &str, param: &str) -> String {
        match self {
            Self::Sqlite => format!("{column} IN (SELECT value FROM json_each({param}))"),
            Self::Postgres => format!("{column} = ANY({param})"),
        }
    }

    /// ` FOR UPDATE OF {table}`, for a join whose other side may be null.
    pub fn for_update_of(self, table: &str) -> String {
        match self {
            Self::Sqlite => String::new(),
            Self::Postgres => format!(" FOR UPDATE OF {table}"),
        }
    }
}

/// Runs statements on a store's pool.
pub trait SqlRun: Send + Sync {
    /// The database.
    fn dialect(&self) -> Dialect;

    /// The rows of a read, each read with `read`.
    fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// Runs a write; how many rows it changed.
    fn run(&self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Runs a write that returns rows (`RETURNING`), each read with `read`.
    fn write_rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

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

/// Runs statements inside a store's open transaction.
pub trait SqlTx: Send {
    /// The database.
    fn dialect(&self) -> Dialect;

    /// The rows of a read, each read with `read`.
    fn rows<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// Runs a write; how many rows it changed.
    fn run(&mut self, sql: &str, params: &[Param<'_>]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// The first row of a read, if any.
    fn row<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> impl Future<Output = StoreResult<Option<T>>> + Send {
        async move { Ok(self.rows(sql, params, read).await?.into_iter().next()) }
    }
}

/// Work done inside a transaction, borrowing it.
pub type TxWork<'t, R> = Pin<Box<dyn Future<Output = StoreResult<R>> + Send + 't>>;

/// Runs the algorithms written once for every store inside one of the store's
/// transactions: SQLite on its writer thread, PostgreSQL retrying transient conflicts.
pub trait TxRunner: Send + Sync {
    /// The store's transaction. Each domain that runs its algorithms through this asks of
    /// it the row operations they use (e.g. `for<'c> S::Tx<'c>: ChannelTx`), so this
    /// module names no domain.
    type Tx<'c>: SqlTx;

    /// Runs `work` in a new transaction and commits what it wrote.
    fn in_tx<R, W>(&self, work: W) -> impl Future<Output = StoreResult<R>> + Send
    where
        R: Send + 'static,
        W: for<'t, 'c> Fn(&'t mut Self::Tx<'c>) -> TxWork<'t, R> + Send + Sync + 'static;
}
