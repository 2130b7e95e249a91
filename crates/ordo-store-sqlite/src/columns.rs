//! How SQLite's rows read as [`Columns`]: times are integer microseconds, JSON is text,
//! UUIDs are 16-byte blobs. One reader for the pooled reads (sqlx) and one for the
//! writer thread's own statements (rusqlite).

use chrono::{DateTime, Utc};
use ordo_store::columns::unreadable;
use ordo_store::sql::{Param, SqlRun};
use ordo_store::{Columns, Record, StoreResult};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::from_micros;

/// A pooled read's row.
pub(crate) struct Cols<'r>(pub &'r SqliteRow);

/// A row of the writer thread's connection.
pub(crate) struct WriterCols<'a, 'r>(pub &'a rusqlite::Row<'r>);

/// Reads a record from a pooled read's row.
pub(crate) fn record<T: Record>(row: &SqliteRow) -> StoreResult<T> {
    T::read(&Cols(row))
}

/// Reads a record from a writer-thread row (for `query_map`, which wants rusqlite's error).
pub(crate) fn writer_record<T: Record>(row: &rusqlite::Row<'_>) -> rusqlite::Result<T> {
    T::read(&WriterCols(row)).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.to_string().into()))
}

fn json(name: &str, text: Option<String>) -> StoreResult<Option<serde_json::Value>> {
    text.map(|t| serde_json::from_str(&t).map_err(|e| unreadable(name, e)))
        .transpose()
}

impl Columns for Cols<'_> {
    fn text_opt(&self, name: &str) -> StoreResult<Option<String>> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
    fn int_opt(&self, name: &str) -> StoreResult<Option<i64>> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
    fn float_opt(&self, name: &str) -> StoreResult<Option<f64>> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
    fn flag(&self, name: &str) -> StoreResult<bool> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
    fn id_opt(&self, name: &str) -> StoreResult<Option<Uuid>> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
    fn time_opt(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.int_opt(name)?.map(from_micros).transpose()
    }
    fn json_opt(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        json(name, self.text_opt(name)?)
    }
    fn texts(&self, name: &str) -> StoreResult<Vec<String>> {
        ordo_store::columns::parsed(self, name)
    }
    fn bytes(&self, name: &str) -> StoreResult<Vec<u8>> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
}

impl Columns for WriterCols<'_, '_> {
    fn text_opt(&self, name: &str) -> StoreResult<Option<String>> {
        self.0.get(name).map_err(|e| unreadable(name, e))
    }
    fn int_opt(&self, name: &str) -> StoreResult<Option<i64>> {
        self.0.get(name).map_err(|e| unreadable(name, e))
    }
    fn float_opt(&self, name: &str) -> StoreResult<Option<f64>> {
        self.0.get(name).map_err(|e| unreadable(name, e))
    }
    fn flag(&self, name: &str) -> StoreResult<bool> {
        self.0.get(name).map_err(|e| unreadable(name, e))
    }
    fn id_opt(&self, name: &str) -> StoreResult<Option<Uuid>> {
        self.0.get(name).map_err(|e| unreadable(name, e))
    }
    fn time_opt(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.int_opt(name)?.map(from_micros).transpose()
    }
    fn json_opt(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        json(name, self.text_opt(name)?)
    }
    fn texts(&self, name: &str) -> StoreResult<Vec<String>> {
        ordo_store::columns::parsed(self, name)
    }
    fn bytes(&self, name: &str) -> StoreResult<Vec<u8>> {
        self.0.get(name).map_err(|e| unreadable(name, e))
    }
}

/// Binds parameters as SQLite stores them: times as microseconds, JSON and lists as text.
pub(crate) fn bind<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    params: &[Param<'q>],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for param in params {
        query = match *param {
            Param::Text(v) => query.bind(v),
            Param::Int(v) => query.bind(v),
            Param::Flag(v) => query.bind(v),
            Param::Id(v) => query.bind(v),
            Param::Time(v) => query.bind(v.map(crate::micros)),
            Param::Json(v) => query.bind(v.map(serde_json::Value::to_string)),
            Param::Texts(v) => query.bind(serde_json::Value::from(v.to_vec()).to_string()),
        };
    }
    query
}

impl SqlRun for crate::SqliteStore {
    async fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = bind(sqlx::query(sql), params)
            .fetch_all(&self.reader)
            .await
            .map_err(crate::map_err)?;
        rows.iter().map(|row| read(&Cols(row))).collect()
    }

    /// On the pooled writer connection: the single-writer thread is for the hot path.
    async fn run(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        let done = bind(sqlx::query(sql), params)
            .execute(&self.writer)
            .await
            .map_err(crate::map_err)?;
        Ok(done.rows_affected())
    }
}
