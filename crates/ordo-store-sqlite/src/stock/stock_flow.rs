//! [`StockFlowStore`] in SQLite: what an order holds, the orders waiting for stock (with
//! a planner hint) and forecasts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::{OrderId, TenantId};
use ordo_store::{StockFlowStore, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;

use ordo_store::page_limit as limit;

use crate::stock::rows::{OrderStockRow, order_stock_from_rows};
use crate::{SqliteStore, get, map_err, micros};

fn order_ids(rows: Vec<SqliteRow>) -> StoreResult<Vec<OrderId>> {
    rows.iter().map(|row| Ok(OrderId(get(row, "id")?))).collect()
}

#[async_trait]
impl StockFlowStore for SqliteStore {
    async fn get_order_stock(&self, tenant: &TenantId, id: OrderId) -> StoreResult<OrderStock> {
        let rows = sqlx::query(
            "SELECT sku, warehouse, reserved, shipped, returned, waiting FROM order_stock \
             WHERE tenant_id = ? AND order_id = ? ORDER BY sku, warehouse",
        )
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?;
        let rows = rows
            .iter()
            .map(|row| {
                Ok(OrderStockRow {
                    sku: get(row, "sku")?,
                    warehouse: get(row, "warehouse")?,
                    reserved: get(row, "reserved")?,
                    shipped: get(row, "shipped")?,
                    returned: get(row, "returned")?,
                    waiting: get(row, "waiting")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(order_stock_from_rows(rows))
    }

    async fn waiting_orders(&self, tenant: &TenantId, limit_: u32) -> StoreResult<Vec<OrderId>> {
        // Shortage rows (warehouse '') through the partial index on waiting rows: left to
        // itself the planner walks every row of the tenant in primary key order to save
        // the sort. Ids are UUIDv7, so id order is age order. An order is listed once
        // everything it waits for is there: retrying it earlier would fail.
        let rows = sqlx::query(
            "SELECT s.order_id AS id FROM order_stock s INDEXED BY order_stock_waiting \
             WHERE s.tenant_id = ?1 AND s.waiting > 0 AND s.warehouse = '' \
             GROUP BY s.order_id \
             HAVING MIN(COALESCE((SELECT SUM(MAX(l.on_hand - l.reserved - l.safety_stock, 0)) FROM stock_levels l \
                    JOIN warehouses w ON w.tenant_id = l.tenant_id AND w.code = l.warehouse AND w.active \
                    WHERE l.tenant_id = s.tenant_id AND l.sku = s.sku), 0) >= s.waiting) = 1 \
             ORDER BY s.order_id LIMIT ?2",
        )
        .bind(tenant.as_str())
        .bind(limit(limit_))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?;
        order_ids(rows)
    }

    async fn unpaid_orders(
        &self,
        tenant: &TenantId,
        placed_before: DateTime<Utc>,
        limit_: u32,
    ) -> StoreResult<Vec<OrderId>> {
        let rows = sqlx::query(
            "SELECT id FROM orders WHERE tenant_id = ? AND status = 'pending_payment' AND placed_at < ? \
             ORDER BY placed_at, id LIMIT ?",
        )
        .bind(tenant.as_str())
        .bind(micros(placed_before))
        .bind(limit(limit_))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?;
        order_ids(rows)
    }

    async fn refresh_forecasts(
        &self,
        tenant: &TenantId,
        window_days: u32,
        cover_days: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        if window_days == 0 {
            return Err(StoreError::Other("a forecast window must be at least one day".into()));
        }
        let since = micros(now - chrono::Duration::days(i64::from(window_days)));
        let tenant = tenant.clone();
        // ⌈units × cover ÷ window⌉ in integers; NULL (no forecast) without recent sales.
        // `IS NOT` leaves unchanged rows alone, so the count is of real changes.
        // MATERIALIZED: otherwise the sum is computed twice per SKU (SET and WHERE).
        let changed = self
            .rw
            .transaction(move |tx| {
                tx.execute(
                    "WITH f AS MATERIALIZED ( \
                       SELECT s.code, (SELECT CASE WHEN SUM(m.quantity) > 0 THEN (SUM(m.quantity) * ?3 + ?4 - 1) / ?4 END \
                         FROM stock_movements m WHERE m.tenant_id = s.tenant_id AND m.sku = s.code \
                           AND m.kind = 'reservation' AND m.at >= ?2) AS value \
                       FROM skus s WHERE s.tenant_id = ?1) \
                     UPDATE skus SET forecast_threshold = f.value FROM f \
                     WHERE skus.tenant_id = ?1 AND skus.code = f.code AND skus.forecast_threshold IS NOT f.value",
                    rusqlite::params![tenant.as_str(), since, i64::from(cover_days), i64::from(window_days)],
                )
            })
            .await?;
        Ok(changed as u64)
    }
}
