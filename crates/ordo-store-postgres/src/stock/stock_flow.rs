//! What an order holds, the orders waiting for stock and forecasts in PostgreSQL
//! ([`StockFlowStore`]), and the numbering of staged feed events.
//!
//! The two writes run the shared flows ([`ordo_store::stock::allocate`]) over [`PgTx`] in one
//! transaction, rerun a few times when they lose a race (deadlock, a SKU that came to be
//! involved while locking). Reads are single statements, so each sees one snapshot.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::{StockFlowStore, StoreResult};
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;
use crate::stock::rows::order_stock_from_rows;

#[async_trait]
impl StockFlowStore for PgStore {
    async fn get_order_stock(&self, tenant: &TenantId, id: OrderId) -> StoreResult<OrderStock> {
        let rows = sqlx::query(
            "SELECT sku, warehouse, reserved, shipped, returned, waiting FROM order_stock
             WHERE tenant_id = $1 AND order_id = $2 ORDER BY sku, warehouse",
        )
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        order_stock_from_rows(&rows)
    }

    async fn waiting_orders(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<OrderId>> {
        // Available as StockLevel::available computes it, summed over active warehouses,
        // only for SKUs someone waits for (the partial index finds those). An order is
        // listed once everything it waits for is there: retrying it earlier would fail.
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "WITH wanted AS (
                 SELECT DISTINCT sku FROM order_stock WHERE tenant_id = $1 AND waiting > 0
             ), stocked AS (
                 SELECT w.sku,
                        COALESCE(SUM(GREATEST(l.on_hand - l.reserved - l.safety_stock, 0))
                                 FILTER (WHERE h.active), 0) AS available
                 FROM wanted w
                 LEFT JOIN stock_levels l ON l.tenant_id = $1 AND l.sku = w.sku
                 LEFT JOIN warehouses h ON h.tenant_id = l.tenant_id AND h.code = l.warehouse
                 GROUP BY w.sku
             )
             SELECT s.order_id FROM order_stock s JOIN stocked k ON k.sku = s.sku
             WHERE s.tenant_id = $1 AND s.waiting > 0
             GROUP BY s.order_id HAVING bool_and(k.available >= s.waiting)
             ORDER BY s.order_id LIMIT $2",
        )
        .bind(tenant.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        Ok(ids.into_iter().map(OrderId).collect())
    }

    async fn unpaid_orders(
        &self,
        tenant: &TenantId,
        placed_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OrderId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE tenant_id = $1 AND status = $2 AND placed_at < $3
             ORDER BY placed_at, id LIMIT $4",
        )
        .bind(tenant.as_str())
        .bind(OrderStatus::PendingPayment.as_str())
        .bind(placed_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        Ok(ids.into_iter().map(OrderId).collect())
    }

    async fn refresh_forecasts(
        &self,
        tenant: &TenantId,
        window_days: u32,
        cover_days: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let window = window_days.max(1);
        let since = now - Duration::days(i64::from(window));
        // units × cover ÷ window rounded up, in integers; NULL when nothing sold. Only rows
        // whose value changes are written, and counted.
        let done = sqlx::query(
            "WITH sold AS (
                 SELECT sku, SUM(quantity)::BIGINT AS units FROM stock_movements
                 WHERE tenant_id = $1 AND kind = 'reservation' AND at >= $2
                 GROUP BY sku
             ), next AS (
                 SELECT s.code,
                     CASE WHEN COALESCE(x.units, 0) > 0 THEN (x.units * $3 + $4 - 1) / $4 END AS value
                 FROM skus s LEFT JOIN sold x ON x.sku = s.code
                 WHERE s.tenant_id = $1
             )
             UPDATE skus s SET forecast_threshold = n.value
             FROM next n
             WHERE s.tenant_id = $1 AND s.code = n.code AND s.forecast_threshold IS DISTINCT FROM n.value",
        )
        .bind(tenant.as_str())
        .bind(since)
        .bind(i64::from(cover_days))
        .bind(i64::from(window))
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(done.rows_affected())
    }
}

/// Staged feed events numbered per call, at most: bounds one numbering transaction.
const NUMBER_AT_ONCE: i64 = 5000;

impl PgStore {
    /// Moves a tenant's committed staged feed events into the feed, numbered after the
    /// tenant's last event in staging order. One short transaction under the tenant's
    /// counter lock, so concurrent readers (on any node) number each event once and
    /// numbers never go back; a quick check first keeps idle reads lock-free.
    pub(crate) async fn number_staged_feed(&self, tenant: &TenantId) -> StoreResult<()> {
        let staged: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM feed_staged WHERE tenant_id = $1)")
            .bind(tenant.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(map)?;
        if !staged {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(map)?;
        sqlx::query("INSERT INTO feed_heads (tenant_id, last_seq) VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING")
            .bind(tenant.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        // The lock first, in a statement of its own: the next statement's snapshot is then
        // taken after any other numbering transaction committed.
        let head: i64 = sqlx::query_scalar("SELECT last_seq FROM feed_heads WHERE tenant_id = $1 FOR UPDATE")
            .bind(tenant.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(map)?;
        sqlx::query(
            "WITH moved AS (
                 DELETE FROM feed_staged WHERE tenant_id = $1 AND id IN (
                     SELECT id FROM feed_staged WHERE tenant_id = $1 ORDER BY id LIMIT $2
                 )
                 RETURNING id, kind, data, at
             ), numbered AS (
                 INSERT INTO feed (tenant_id, seq, kind, data, at)
                 SELECT $1, $3 + row_number() OVER (ORDER BY moved.id), moved.kind, moved.data, moved.at
                 FROM moved
                 RETURNING seq
             )
             UPDATE feed_heads SET last_seq = COALESCE((SELECT max(seq) FROM numbered), last_seq)
             WHERE tenant_id = $1",
        )
        .bind(tenant.as_str())
        .bind(NUMBER_AT_ONCE)
        .bind(head)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        tx.commit().await.map_err(map)
    }
}
