//! How SQLite runs the statements written once for both stores: parameters bound and
//! rows read ([`Columns`]) as SQLite keeps them (times as integer microseconds, JSON and
//! lists as text, UUIDs as 16-byte blobs), on the read pool, the pooled writer connection
//! or, inside a transaction, the writer thread's own connection (rusqlite).

use chrono::{DateTime, Utc};
use ordo_store::columns::unreadable;
use ordo_store::sql::{Dialect, Param, SqlRun, SqlTx, TxRunner, TxWork};
use ordo_store::{Columns, Record, StoreError, StoreResult};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::from_micros;
use crate::writer::{WriteTx, map_rusqlite, run_to_completion};

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

/// The column reads of either driver's row, `$get` being its by-name getter: times are
/// integer microseconds, JSON and lists are text.
macro_rules! sqlite_columns {
    ($row:ty, $get:ident) => {
        impl Columns for $row {
            fn text_opt(&self, name: &str) -> StoreResult<Option<String>> {
                self.0.$get(name).map_err(|e| unreadable(name, e))
            }
            fn int_opt(&self, name: &str) -> StoreResult<Option<i64>> {
                self.0.$get(name).map_err(|e| unreadable(name, e))
            }
            fn float_opt(&self, name: &str) -> StoreResult<Option<f64>> {
                self.0.$get(name).map_err(|e| unreadable(name, e))
            }
            fn flag(&self, name: &str) -> StoreResult<bool> {
                self.0.$get(name).map_err(|e| unreadable(name, e))
            }
            fn id_opt(&self, name: &str) -> StoreResult<Option<Uuid>> {
                self.0.$get(name).map_err(|e| unreadable(name, e))
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
                self.0.$get(name).map_err(|e| unreadable(name, e))
            }
        }
    };
}

sqlite_columns!(Cols<'_>, try_get);
sqlite_columns!(WriterCols<'_, '_>, get);

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
            Param::Span(v) => query.bind(v.num_microseconds().unwrap_or(i64::MAX / 4)),
        };
    }
    query
}

impl SqlRun for crate::SqliteStore {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

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

    async fn write_rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = bind(sqlx::query(sql), params)
            .fetch_all(&self.writer)
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

/// Binds parameters to a writer-thread statement by their `$N` names.
fn bind_writer(statement: &mut rusqlite::CachedStatement<'_>, params: &[Param<'_>]) -> StoreResult<()> {
    for index in 1..=statement.parameter_count() {
        let name = statement.parameter_name(index).unwrap_or_default();
        let param = name
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| params.get(n.wrapping_sub(1)))
            .ok_or_else(|| StoreError::Other(format!("statement parameter {name:?} has no value")))?;
        let bound = match *param {
            Param::Text(v) => statement.raw_bind_parameter(index, v),
            Param::Int(v) => statement.raw_bind_parameter(index, v),
            Param::Flag(v) => statement.raw_bind_parameter(index, v),
            Param::Id(v) => statement.raw_bind_parameter(index, v),
            Param::Time(v) => statement.raw_bind_parameter(index, v.map(crate::micros)),
            Param::Json(v) => statement.raw_bind_parameter(index, v.map(serde_json::Value::to_string)),
            Param::Texts(v) => statement.raw_bind_parameter(index, serde_json::Value::from(v.to_vec()).to_string()),
            Param::Span(v) => statement.raw_bind_parameter(index, v.num_microseconds().unwrap_or(i64::MAX / 4)),
        };
        bound.map_err(map_rusqlite)?;
    }
    Ok(())
}

impl SqlTx for WriteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn rows<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut statement = self.prepare(sql)?;
        bind_writer(&mut statement, params)?;
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(map_rusqlite)? {
            out.push(read(&WriterCols(row))?);
        }
        Ok(out)
    }

    async fn run(&mut self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        let mut statement = self.prepare(sql)?;
        bind_writer(&mut statement, params)?;
        Ok(statement.raw_execute().map_err(map_rusqlite)? as u64)
    }
}

impl TxRunner for crate::SqliteStore {
    type Tx<'c> = WriteTx<'c>;

    async fn in_tx<R, W>(&self, work: W) -> StoreResult<R>
    where
        R: Send + 'static,
        W: for<'t, 'c> Fn(&'t mut WriteTx<'c>) -> TxWork<'t, R> + Send + Sync + 'static,
    {
        self.rw.transaction(move |tx| run_to_completion(work(tx))).await
    }
}
