//! Ordo's PostgreSQL store: the [`Store`],
//! [`InventoryStore`](ordo_store::stock::inventory::InventoryStore) and
//! [`StockFlowStore`](ordo_store::StockFlowStore) ports implemented over a `sqlx` pool,
//! and the schema migrations (`migrations/`) it runs.
//!
//! Ingestion, stock changes and order requests all run the shared algorithms of
//! `ordo-store` over one transaction type, [`tx::PgTx`]; [`PgStore::listen_feed`] tells
//! the application when any node committed to a tenant's live feed.
//!
//! The statements both stores run as written live in `ordo-store` (see `ordo_store::sql`);
//! `sql.rs` runs them here. This crate owns the rest of the SQL Ordo sends to PostgreSQL. It is written for several
//! Ordo nodes sharing one database: ingestion decides on rows it has locked or on unique
//! constraints, never on what it read earlier, and every table leads with `tenant_id` so
//! the schema can be sharded by tenant (e.g. with Citus) without changing a query.
//!
//! Queries are checked at run time (`sqlx::query` with binds), so building needs no
//! database; the contract suite in `tests/contract.rs` is what checks them.

mod delivery;
mod errors;
mod fulfilment;
mod orders;
mod sql;
mod stock;
mod tx;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::{
    InboxEntry, InboxQuery, InboxStatus, IngestItem, IngestResult, OrderQuery, OrderRecord, OrderSummary, Page, Store,
    StoreError, StoreResult,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::delivery::feed::FeedListener;
use crate::errors::map;
use crate::tx::PgTx;

/// How long a call waits for a free pooled connection before failing as `Unavailable`.
/// Short on purpose, and well under the HTTP request timeout: a saturated or unreachable
/// database should turn into quick 503s the caller can back off from, not requests that
/// hang until they time out.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A [`Store`] backed by PostgreSQL. Cheap to clone; clones share the pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The feed's `LISTEN` session, opened by the first [`PgStore::listen_feed`].
    feed: Arc<tokio::sync::OnceCell<FeedListener>>,
}

impl PgStore {
    /// Connects to the database at `url` (a `postgres://` URL) with a pool of at most
    /// `max_connections`, using the server's default `search_path`. Opens one connection
    /// now, so an unreachable database fails here rather than on first use.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<PgStore> {
        Self::open(parse_url(url)?, max_connections).await
    }

    /// Like [`PgStore::connect`], but every connection works in `schema` (its
    /// `search_path`), which is created first if missing. Lets several independent Ordo
    /// databases, or tests, share one PostgreSQL database.
    ///
    /// `schema` must be a plain lower-case identifier (`[a-z_][a-z0-9_]*`, at most 63
    /// bytes): it is spliced into SQL and into the connection's startup options, where
    /// quoting rules differ, so only names that need no quoting anywhere are accepted.
    pub async fn connect_with_schema(url: &str, max_connections: u32, schema: &str) -> StoreResult<PgStore> {
        check_schema_name(schema)?;
        let options = parse_url(url)?;
        let mut conn = PgConnection::connect_with(&options).await.map_err(map)?;
        let created = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&mut conn)
            .await;
        // Close politely whatever happened; the creation's own error is the one to report.
        let _ = conn.close().await;
        created.map_err(map)?;
        Self::open(options.options([("search_path", schema)]), max_connections).await
    }

    async fn open(options: PgConnectOptions, max_connections: u32) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(map)?;
        Ok(PgStore {
            pool,
            feed: Arc::default(),
        })
    }

    /// Brings the schema up to date by running the migrations embedded from
    /// `migrations/`. Safe to run from several nodes at once: sqlx serialises migrators
    /// with an advisory lock and skips migrations already applied.
    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Other(format!("migrating the postgres schema failed: {e}")))
    }

    /// Closes the pool, waiting for connections in use to be returned, and the feed's
    /// listening session if one is open.
    pub async fn close(&self) {
        if let Some(feed) = self.feed.get() {
            feed.close().await;
        }
        self.pool.close().await;
    }
}

fn parse_url(url: &str) -> StoreResult<PgConnectOptions> {
    PgConnectOptions::from_str(url).map_err(|e| StoreError::Other(format!("invalid postgres url: {e}")))
}

fn check_schema_name(schema: &str) -> StoreResult<()> {
    let mut chars = schema.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(StoreError::Other(format!(
            "invalid schema name {schema:?}: use [a-z_][a-z0-9_]*, at most 63 bytes"
        )))
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// Several: row locks and unique constraints make concurrent batches safe, and the
    /// database (not this process) is what limits write throughput.
    fn parallel_writers(&self) -> usize {
        4
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map)?;
        Ok(())
    }

    async fn ingest_batch(
        &self,
        items: std::sync::Arc<[IngestItem]>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<IngestResult>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        // Nothing but the batch's own statements runs inside the transaction, so its row
        // locks are held only as long as the writes take. Dropping `tx` on an error rolls
        // back, so a batch either commits whole or not at all.
        let mut tx = PgTx::begin(&self.pool).await?;
        let results = ordo_store::workflow::ingest::ingest_batch(&mut tx, &items, now).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn get_order(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderRecord>> {
        orders::query::get_order(&self.pool, tenant, id).await
    }

    async fn search_orders(&self, tenant: &TenantId, query: &OrderQuery) -> StoreResult<Page<OrderSummary>> {
        orders::query::search_orders(&self.pool, tenant, query).await
    }

    async fn list_inbox(&self, tenant: &TenantId, query: &InboxQuery) -> StoreResult<Page<InboxEntry, Uuid>> {
        orders::query::list_inbox(&self.pool, tenant, query).await
    }

    async fn get_inbox(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxEntry>> {
        orders::query::get_inbox(&self.pool, tenant, id).await
    }

    async fn count_inbox(&self, tenant: &TenantId, status: InboxStatus) -> StoreResult<i64> {
        orders::query::count_inbox(&self.pool, tenant, status).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_lower_case_schema_names_are_accepted() {
        assert!(check_schema_name("t_0123abcd").is_ok());
        assert!(check_schema_name("_x").is_ok());
        for bad in ["", "1abc", "Abc", "a-b", "a;drop", "a b", &"x".repeat(64)] {
            assert!(check_schema_name(bad).is_err(), "{bad:?}");
        }
    }
}
