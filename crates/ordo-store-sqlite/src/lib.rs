//! Ordo's embedded store: one SQLite file in WAL mode.
//!
//! Owns the SQLite schema (`migrations/`) and the SQL that implements the
//! [`ordo_store::Store`] port where SQLite is tuned; the statements both stores run as
//! written live in `ordo-store` and `sql.rs` runs them here. Writes go through one connection (SQLite has one writer);
//! the ingestion pipeline above batches many arrivals into each of its transactions, so one
//! fsync commits many orders. Reads use a separate pool and never wait for writes (WAL).
//!
//! Durability: `synchronous = FULL`, so a transaction that returned from commit survives a
//! crash or power loss.

mod delivery;
mod fulfilment;
mod orders;
mod sql;
mod stock;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::{
    InboxEntry, InboxQuery, InboxStatus, IngestItem, IngestResult, OrderQuery, OrderRecord, OrderSummary, Page, Store,
    StoreError, StoreResult,
};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use uuid::Uuid;

/// Readers kept open. Reads are short; four cover the API's concurrency on two cores.
const READ_CONNECTIONS: u32 = 4;
/// How long a writer waits for another process (e.g. `ordo token create`) to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    /// Migrations and rare writes (tenants, tokens, warehouses).
    writer: SqlitePool,
    /// Reads; never blocked by writes (WAL).
    reader: SqlitePool,
    /// The hot write path: ingestion and stock (see `writer`).
    rw: writer::Writer,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://PATH` or `sqlite:PATH`).
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("cache_size", "-32768")
            .page_size(2048);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(map_err)?;
        let rw = writer::Writer::open(options.get_filename(), BUSY_TIMEOUT)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.read_only(true))
            .await
            .map_err(map_err)?;
        Ok(Self { writer, reader, rw })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations")
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    /// Online backup into a new file (`VACUUM INTO`): consistent, without stopping writes
    /// for longer than the copy.
    pub async fn backup_to(&self, path: &str) -> StoreResult<()> {
        sqlx::query("VACUUM INTO ?")
            .bind(path)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

/// Microseconds since the epoch: how SQLite stores times.
pub(crate) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// Reads a stored time back.
pub(crate) fn from_micros(value: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_micros(value)
        .single()
        .ok_or_else(|| StoreError::Other(format!("stored time {value} out of range")))
}

/// Maps a driver error into the port's terms.
pub(crate) fn map_err(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                // SQLITE_CONSTRAINT_FOREIGNKEY
                "787" => StoreError::NotFound(format!("referenced row missing: {db}")),
                // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
                "2067" | "1555" => StoreError::Conflict(db.to_string()),
                // SQLITE_BUSY and its extended codes: another process holds the write lock.
                "5" | "261" | "517" | "773" => StoreError::Retryable(db.to_string()),
                _ => StoreError::Other(db.to_string()),
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Other(error.to_string()),
    }
}

pub(crate) fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    column: &str,
) -> StoreResult<T> {
    row.try_get(column)
        .map_err(|e| StoreError::Other(format!("column {column}: {e}")))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn parallel_writers(&self) -> usize {
        1
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map_err(map_err)?;
        Ok(())
    }

    async fn ingest_batch(
        &self,
        items: std::sync::Arc<[IngestItem]>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<IngestResult>> {
        self.rw
            .transaction(move |tx| {
                writer::run_to_completion(ordo_store::workflow::ingest::ingest_batch(tx, &items, now))
            })
            .await
    }

    async fn get_order(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderRecord>> {
        orders::query::get_order(&self.reader, tenant, id).await
    }

    async fn search_orders(&self, tenant: &TenantId, query: &OrderQuery) -> StoreResult<Page<OrderSummary>> {
        orders::query::search_orders(&self.reader, tenant, query).await
    }

    async fn list_inbox(&self, tenant: &TenantId, query: &InboxQuery) -> StoreResult<Page<InboxEntry, Uuid>> {
        orders::query::list_inbox(&self.reader, tenant, query).await
    }

    async fn get_inbox(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxEntry>> {
        orders::query::get_inbox(&self.reader, tenant, id).await
    }

    async fn count_inbox(&self, tenant: &TenantId, status: InboxStatus) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM inbox WHERE tenant_id = ? AND status = ?")
            .bind(tenant.as_str())
            .bind(status.as_str())
            .fetch_one(&self.reader)
            .await
            .map_err(map_err)?;
        get(&row, "n")
    }
}
