//! How PostgreSQL runs the statements written once for both stores: parameters bound and
//! rows read ([`Columns`]) in PostgreSQL's own types (`timestamptz`, `jsonb` or JSON cast
//! to text, arrays, `uuid`), on the pool or inside a [`PgTx`].

use chrono::{DateTime, Utc};
use ordo_store::columns::unreadable;
use ordo_store::sql::{Dialect, Param, SqlRun, SqlTx, TxRunner, TxWork};

use crate::tx::{PgTx, retrying};
use ordo_store::{Columns, Record, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::{Column as _, Row as _, TypeInfo as _};
use uuid::Uuid;

/// A row as [`Columns`].
pub(crate) struct Cols<'r>(pub &'r PgRow);

/// Reads a record from a row.
pub(crate) fn record<T: Record>(row: &PgRow) -> StoreResult<T> {
    T::read(&Cols(row))
}

impl Cols<'_> {
    fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
        &'r self,
        name: &str,
    ) -> StoreResult<T> {
        self.0.try_get(name).map_err(|e| unreadable(name, e))
    }
}

impl Columns for Cols<'_> {
    fn text_opt(&self, name: &str) -> StoreResult<Option<String>> {
        self.get(name)
    }
    fn int_opt(&self, name: &str) -> StoreResult<Option<i64>> {
        // Counters are `integer` in some tables and `bigint` in others.
        match self.0.try_get::<Option<i64>, _>(name) {
            Ok(value) => Ok(value),
            Err(_) => Ok(self.get::<Option<i32>>(name)?.map(i64::from)),
        }
    }
    fn float_opt(&self, name: &str) -> StoreResult<Option<f64>> {
        self.get(name)
    }
    fn flag(&self, name: &str) -> StoreResult<bool> {
        self.get(name)
    }
    fn id_opt(&self, name: &str) -> StoreResult<Option<Uuid>> {
        self.get(name)
    }
    fn time_opt(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.get(name)
    }
    fn json_opt(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        let column = self.0.try_column(name).map_err(|e| unreadable(name, e))?;
        if matches!(column.type_info().name(), "JSONB" | "JSON") {
            return self.get(name);
        }
        self.get::<Option<String>>(name)?
            .map(|t| serde_json::from_str(&t).map_err(|e| unreadable(name, e)))
            .transpose()
    }
    fn texts(&self, name: &str) -> StoreResult<Vec<String>> {
        self.get(name)
    }
    fn bytes(&self, name: &str) -> StoreResult<Vec<u8>> {
        self.get(name)
    }
}

/// Binds parameters in PostgreSQL's own types.
pub(crate) fn bind<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    params: &[Param<'q>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for param in params {
        query = match *param {
            Param::Text(v) => query.bind(v),
            Param::Int(v) => query.bind(v),
            Param::Flag(v) => query.bind(v),
            Param::Id(v) => query.bind(v),
            Param::Time(v) => query.bind(v),
            Param::Json(v) => query.bind(v.cloned()),
            Param::Texts(v) => query.bind(v.to_vec()),
            Param::Span(v) => query.bind(v),
        };
    }
    query
}

impl SqlRun for crate::PgStore {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = bind(sqlx::query(sql), params)
            .fetch_all(&self.pool)
            .await
            .map_err(crate::errors::map)?;
        rows.iter().map(|row| read(&Cols(row))).collect()
    }

    async fn run(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        let done = bind(sqlx::query(sql), params)
            .execute(&self.pool)
            .await
            .map_err(crate::errors::map)?;
        Ok(done.rows_affected())
    }

    async fn write_rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.rows(sql, params, read).await
    }
}

impl SqlTx for PgTx {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn rows<T: Send>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        read: fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = bind(sqlx::query(sql), params)
            .fetch_all(self.conn())
            .await
            .map_err(crate::errors::map)?;
        rows.iter().map(|row| read(&Cols(row))).collect()
    }

    async fn run(&mut self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        let done = bind(sqlx::query(sql), params)
            .execute(self.conn())
            .await
            .map_err(crate::errors::map)?;
        Ok(done.rows_affected())
    }
}

impl TxRunner for crate::PgStore {
    type Tx<'c> = PgTx;

    async fn in_tx<R, W>(&self, work: W) -> StoreResult<R>
    where
        R: Send + 'static,
        W: for<'t, 'c> Fn(&'t mut PgTx) -> TxWork<'t, R> + Send + Sync + 'static,
    {
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let done = work(&mut tx).await?;
            tx.commit().await?;
            Ok(done)
        })
        .await
    }
}
