//! [`PgTx`]: the one transaction type the shared algorithms run over. It implements
//! [`IngestTx`](ordo_store::orders::rows::IngestTx) (`ingest_tx.rs`),
//! [`StockTx`](ordo_store::stock::inventory::StockTx) (`stock_tx.rs`) and
//! [`AllocTx`](ordo_store::stock::allocate::AllocTx) (`alloc_tx.rs`), because ingestion, stock
//! changes and order requests all reserve, publish and append to the feed in one
//! transaction.
//!
//! Transactions run at READ COMMITTED. That is enough because every decision is taken on
//! a row this transaction has locked (`SELECT … FOR UPDATE`) or on a unique constraint the
//! database enforces; see `allocate` in `ordo-store` for the lock order that keeps several
//! nodes from deadlocking.
//!
//! Writes of rows this transaction already holds or creates (stock levels, movements,
//! outbox messages, the quantities offered to channels) are buffered and written as one
//! multi-row statement per table, so a batch costs a few round trips instead of one per
//! row. Reads of those tables inside the transaction see the buffer (a level) or flush it
//! first (offered quantities; levels before `lock_skus`). Everything is written before the
//! feed counter is taken (the lock order puts it last) and in any case before commit.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ordo_core::inventory::StockLevel;
use ordo_store::stock::inventory::MovementRecord;
use ordo_store::{NewOutbox, StoreError, StoreResult};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::errors::map;
use crate::orders::batch::BatchCache;

/// A level's key: tenant, warehouse, SKU.
pub(crate) type LevelKey = (String, String, String);

/// How often a flow is run when it keeps failing as retryable (deadlock, serialisation).
const ATTEMPTS: u32 = 5;

/// An open transaction with its buffered writes.
pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    /// Level rows `lock_level` created as zero placeholders that no write has filled in
    /// yet. A change refused after locking (stale, would go negative) or one that changes
    /// nothing must leave no trace, so [`PgTx::commit`] deletes these again.
    pub(crate) placeholders: Vec<LevelKey>,
    /// Keyed (tenant, sku, warehouse), the order levels are locked in; the last write of
    /// a level wins.
    levels: BTreeMap<(String, String, String), (StockLevel, DateTime<Utc>)>,
    movements: Vec<(String, MovementRecord)>,
    outbox: Vec<(String, NewOutbox, DateTime<Utc>)>,
    /// Keyed (tenant, channel, sku): a later write of the same row replaces an earlier
    /// one (one upsert statement cannot touch a row twice), and the map's order is the
    /// order rows are locked in.
    published: BTreeMap<(String, String, String), (i64, DateTime<Utc>)>,
    /// The ingestion batch's locked orders and buffered inbox rows and events.
    pub(crate) batch: BatchCache,
    /// Dashboard figures, added at commit after every other write (`orders/kpis.rs`).
    pub(crate) kpis: ordo_store::orders::kpis::KpiRows,
}

impl PgTx {
    /// Begins a transaction on a pooled connection.
    pub(crate) async fn begin(pool: &PgPool) -> StoreResult<Self> {
        Ok(Self {
            tx: pool.begin().await.map_err(map)?,
            placeholders: Vec::new(),
            levels: BTreeMap::new(),
            movements: Vec::new(),
            outbox: Vec::new(),
            published: BTreeMap::new(),
            batch: BatchCache::default(),
            kpis: Default::default(),
        })
    }

    pub(crate) fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Writes what is buffered (the dashboard figures last), deletes the placeholder rows
    /// nothing wrote to (still locked by this transaction, so no one else can have touched
    /// them) and commits.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        self.flush_buffers().await?;
        self.flush_kpis().await?;
        for (tenant, warehouse, sku) in std::mem::take(&mut self.placeholders) {
            sqlx::query("DELETE FROM stock_levels WHERE tenant_id = $1 AND sku = $2 AND warehouse = $3")
                .bind(tenant)
                .bind(sku)
                .bind(warehouse)
                .execute(self.conn())
                .await
                .map_err(map)?;
        }
        self.tx.commit().await.map_err(map)
    }

    /// Buffers a level write; the caller holds the row's lock (or creates the row).
    pub(crate) fn buffer_level(&mut self, key: &LevelKey, level: StockLevel, now: DateTime<Utc>) {
        let (tenant, warehouse, sku) = key.clone();
        self.levels.insert((tenant, sku, warehouse), (level, now));
    }

    /// A level written earlier in this transaction and not flushed yet.
    pub(crate) fn buffered_level(&self, key: &LevelKey) -> Option<StockLevel> {
        let (tenant, warehouse, sku) = key.clone();
        self.levels.get(&(tenant, sku, warehouse)).map(|(level, _)| *level)
    }

    pub(crate) fn has_buffered_levels(&self) -> bool {
        !self.levels.is_empty()
    }

    pub(crate) fn buffer_movement(&mut self, tenant: &str, movement: &MovementRecord) {
        self.movements.push((tenant.to_owned(), movement.clone()));
    }

    pub(crate) fn buffer_outbox(&mut self, tenant: &str, message: &NewOutbox, now: DateTime<Utc>) {
        self.outbox.push((tenant.to_owned(), message.clone(), now));
    }

    pub(crate) fn buffer_published(
        &mut self,
        tenant: &str,
        channel: &str,
        sku: &str,
        quantity: i64,
        now: DateTime<Utc>,
    ) {
        self.published
            .insert((tenant.to_owned(), channel.to_owned(), sku.to_owned()), (quantity, now));
    }

    /// Whether published quantities wait to be written (a read of them must flush first).
    pub(crate) fn has_buffered_published(&self) -> bool {
        !self.published.is_empty()
    }

    /// Writes every buffered row: at most four statements, whatever the batch size
    /// (arrays are bound whole, so there is no limit on bind parameters to hit).
    pub(crate) async fn flush_buffers(&mut self) -> StoreResult<()> {
        self.flush_batch().await?;
        self.flush_levels().await?;
        self.flush_published().await?;
        self.flush_movements().await?;
        self.flush_outbox().await
    }

    async fn flush_levels(&mut self) -> StoreResult<()> {
        if self.levels.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.levels);
        let mut columns = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for ((tenant, sku, warehouse), (level, at)) in rows {
            columns.0.push(tenant);
            columns.1.push(warehouse);
            columns.2.push(sku);
            columns.3.push(level.on_hand);
            columns.4.push(level.reserved);
            columns.5.push(level.safety_stock);
            columns.6.push(at);
        }
        // An upsert: a level may be written that no row holds yet.
        sqlx::query(
            "INSERT INTO stock_levels (tenant_id, warehouse, sku, on_hand, reserved, safety_stock, updated_at)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
                 $7::timestamptz[])
             ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE SET
                 on_hand = excluded.on_hand, reserved = excluded.reserved,
                 safety_stock = excluded.safety_stock, updated_at = excluded.updated_at",
        )
        .bind(columns.0)
        .bind(columns.1)
        .bind(columns.2)
        .bind(columns.3)
        .bind(columns.4)
        .bind(columns.5)
        .bind(columns.6)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn flush_published(&mut self) -> StoreResult<()> {
        if self.published.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.published);
        let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((tenant, channel, sku), (quantity, at)) in rows {
            columns.0.push(tenant);
            columns.1.push(channel);
            columns.2.push(sku);
            columns.3.push(quantity);
            columns.4.push(at);
        }
        sqlx::query(
            "INSERT INTO channel_stock (tenant_id, channel, sku, quantity, updated_at)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])
             ON CONFLICT (tenant_id, channel, sku) DO UPDATE SET
                 quantity = excluded.quantity, updated_at = excluded.updated_at",
        )
        .bind(columns.0)
        .bind(columns.1)
        .bind(columns.2)
        .bind(columns.3)
        .bind(columns.4)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn flush_movements(&mut self) -> StoreResult<()> {
        if self.movements.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.movements);
        let n = rows.len();
        let mut tenant = Vec::with_capacity(n);
        let mut id = Vec::with_capacity(n);
        let mut warehouse = Vec::with_capacity(n);
        let mut sku = Vec::with_capacity(n);
        let mut kind = Vec::with_capacity(n);
        let mut quantity = Vec::with_capacity(n);
        let mut on_hand_after = Vec::with_capacity(n);
        let mut reserved_after = Vec::with_capacity(n);
        let mut reason = Vec::with_capacity(n);
        let mut reference = Vec::with_capacity(n);
        let mut actor = Vec::with_capacity(n);
        let mut at = Vec::with_capacity(n);
        for (t, m) in rows {
            tenant.push(t);
            id.push(m.id);
            warehouse.push(m.warehouse);
            sku.push(m.sku);
            kind.push(m.kind.as_str());
            quantity.push(m.quantity);
            on_hand_after.push(m.on_hand_after);
            reserved_after.push(m.reserved_after);
            reason.push(m.reason);
            reference.push(m.reference);
            actor.push(m.actor);
            at.push(m.at);
        }
        sqlx::query(
            "INSERT INTO stock_movements (tenant_id, id, warehouse, sku, kind, quantity, on_hand_after,
                 reserved_after, reason, reference, actor, at)
             SELECT * FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                 $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])",
        )
        .bind(tenant)
        .bind(id)
        .bind(warehouse)
        .bind(sku)
        .bind(kind)
        .bind(quantity)
        .bind(on_hand_after)
        .bind(reserved_after)
        .bind(reason)
        .bind(reference)
        .bind(actor)
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn flush_outbox(&mut self) -> StoreResult<()> {
        if self.outbox.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.outbox);
        let n = rows.len();
        let mut tenant = Vec::with_capacity(n);
        let mut id: Vec<Uuid> = Vec::with_capacity(n);
        let mut topic = Vec::with_capacity(n);
        let mut destination = Vec::with_capacity(n);
        let mut payload = Vec::with_capacity(n);
        let mut at = Vec::with_capacity(n);
        for (t, m, now) in rows {
            tenant.push(t);
            id.push(m.id);
            topic.push(m.topic);
            destination.push(m.destination);
            payload.push(m.payload);
            at.push(now);
        }
        // Due at once: pending, no attempt yet, next attempt now.
        sqlx::query(
            "INSERT INTO outbox (tenant_id, id, topic, destination, payload, status, attempts, next_attempt_at,
                 last_error, created_at, updated_at)
             SELECT t, i, tp, d, p, 'pending', 0, a, NULL, a, a
             FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
                 AS m(t, i, tp, d, p, a)",
        )
        .bind(tenant)
        .bind(id)
        .bind(topic)
        .bind(destination)
        .bind(payload)
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }
}

/// Runs `attempt` (one whole transaction) until it succeeds, fails for good, or has been
/// retryable [`ATTEMPTS`] times. A short growing pause lets the transaction that won the
/// race commit first.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(StoreError::Retryable(_)) if tries < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(5 * u64::from(tries))).await;
            }
            other => return other,
        }
    }
}
