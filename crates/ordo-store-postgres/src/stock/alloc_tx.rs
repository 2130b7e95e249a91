//! The row operations that tie orders to stock ([`AllocTx`]) in PostgreSQL, over [`PgTx`].
//!
//! Ingestion runs these once per batch, so each is one statement whatever the number of
//! SKUs or orders (lists are bound as arrays), and row writes that can wait (offered
//! quantities, outbox messages) are buffered until the feed append or commit (see
//! [`PgTx`]). The one lock that matters for "no oversell" is [`AllocTx::lock_skus`]:
//! every reservation is planned on levels it locked, and it locks in (sku, warehouse)
//! order, the order every other stock transaction uses too.

use chrono::{DateTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::ingest::OrderState;
use ordo_core::{ChannelId, ExternalOrderId, OrderId, TenantId};
use ordo_store::Decode;
use ordo_store::stock::allocate::AllocTx;
use ordo_store::stock::inventory::{StockRow, Warehouse};
use ordo_store::{CatalogueRow, ChannelRule, NewFeedEvent, NewOutbox, SkuAlias, StockAlert, StoreResult};
use sqlx::Row;
use sqlx::types::Json;

use crate::delivery::feed::FEED_CHANNEL;
use crate::errors::map;
use crate::orders::ingest_tx::{ORDER_STATE_COLUMNS, order_state_from_row};
use crate::sql::record;
use crate::stock::inventory::WAREHOUSE_COLUMNS;
use crate::stock::rows::{
    CATALOGUE_SELECT, CHANNEL_RULE_COLUMNS, alias_from_row, catalogue_from_row, channel_rule_from_row,
    order_stock_from_rows,
};
use crate::stock::stock_tx::level_from_row;
use crate::tx::PgTx;

impl AllocTx for PgTx {
    async fn lock_skus(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<StockRow>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        // Levels written earlier in this transaction must be read back as written.
        if self.has_buffered_levels() {
            self.flush_buffers().await?;
        }
        // A transaction-scoped advisory lock per SKU first, in sorted order: it also covers
        // levels that do not exist yet, so a level another node creates meanwhile is
        // visible to the statement below (which takes its snapshot after the wait).
        sqlx::query(
            "SELECT count(pg_advisory_xact_lock(hashtextextended($1 || '/' || sku, 0)))
             FROM (SELECT unnest($2::text[]) COLLATE \"C\" AS sku ORDER BY 1) AS wanted",
        )
        .bind(tenant.as_str())
        .bind(skus)
        .execute(self.conn())
        .await
        .map_err(map)?;
        // The Sort runs below the row locking, so rows are locked one by one in this order
        // (codes are COLLATE "C": byte order, the same order the other nodes use).
        let rows = sqlx::query(
            "SELECT warehouse, sku, on_hand, reserved, safety_stock FROM stock_levels
             WHERE tenant_id = $1 AND sku = ANY($2)
             ORDER BY sku, warehouse FOR UPDATE",
        )
        .bind(tenant.as_str())
        .bind(skus)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        rows.iter()
            .map(|row| {
                Ok(StockRow {
                    warehouse: row.try_get("warehouse").map_err(map)?,
                    sku: row.try_get("sku").map_err(map)?,
                    level: level_from_row(row)?,
                })
            })
            .collect()
    }

    async fn catalogue(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<CatalogueRow>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query(&format!(
            "{CATALOGUE_SELECT} WHERE s.tenant_id = $1 AND s.code = ANY($2) ORDER BY s.code"
        ))
        .bind(tenant.as_str())
        .bind(skus)
        .fetch_all(self.conn())
        .await
        .rows(map, catalogue_from_row)
    }

    async fn aliases(&mut self, tenant: &TenantId, names: &[String]) -> StoreResult<Vec<SkuAlias>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT channel, alias, sku FROM sku_aliases WHERE tenant_id = $1 AND alias = ANY($2)
             ORDER BY alias, channel",
        )
        .bind(tenant.as_str())
        .bind(names)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        rows.iter().map(alias_from_row).collect()
    }

    async fn bundles_containing(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<CatalogueRow>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query(&format!(
            "{CATALOGUE_SELECT} WHERE s.tenant_id = $1 AND s.code IN (
                 SELECT b.bundle_sku FROM bundle_components b
                 WHERE b.tenant_id = $1 AND b.component_sku = ANY($2))
             ORDER BY s.code"
        ))
        .bind(tenant.as_str())
        .bind(skus)
        .fetch_all(self.conn())
        .await
        .rows(map, catalogue_from_row)
    }

    async fn warehouses(&mut self, tenant: &TenantId) -> StoreResult<Vec<Warehouse>> {
        sqlx::query(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 ORDER BY code"
        ))
        .bind(tenant.as_str())
        .fetch_all(self.conn())
        .await
        .rows(map, record)
    }

    async fn all_skus(&mut self, tenant: &TenantId) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT code FROM skus WHERE tenant_id = $1 ORDER BY code")
            .bind(tenant.as_str())
            .fetch_all(self.conn())
            .await
            .map_err(map)
    }

    async fn write_channel_rule(
        &mut self,
        tenant: &TenantId,
        rule: &ChannelRule,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO channel_rules (tenant_id, channel, ratio_permille, buffer, overrides, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, channel) DO UPDATE SET
                 ratio_permille = excluded.ratio_permille, buffer = excluded.buffer,
                 overrides = excluded.overrides, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(&rule.channel)
        .bind(rule.policy.ratio_permille)
        .bind(rule.policy.buffer)
        .bind(Json(&rule.overrides))
        .bind(now)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn channel_rules(&mut self, tenant: &TenantId) -> StoreResult<Vec<ChannelRule>> {
        sqlx::query(&format!(
            "SELECT {CHANNEL_RULE_COLUMNS} FROM channel_rules WHERE tenant_id = $1 ORDER BY channel"
        ))
        .bind(tenant.as_str())
        .fetch_all(self.conn())
        .await
        .rows(map, channel_rule_from_row)
    }

    async fn held_skus(
        &mut self,
        tenant: &TenantId,
        orders: &[(&ChannelId, &ExternalOrderId)],
    ) -> StoreResult<Vec<String>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let channels: Vec<&str> = orders.iter().map(|(c, _)| c.as_str()).collect();
        let external_ids: Vec<&str> = orders.iter().map(|(_, e)| e.as_str()).collect();
        sqlx::query_scalar(
            "SELECT DISTINCT s.sku FROM orders o
             JOIN UNNEST($2::text[], $3::text[]) AS k(channel, external_id)
                 ON o.channel = k.channel AND o.external_id = k.external_id
             JOIN order_stock s ON s.tenant_id = o.tenant_id AND s.order_id = o.id
             WHERE o.tenant_id = $1
             ORDER BY s.sku",
        )
        .bind(tenant.as_str())
        .bind(channels)
        .bind(external_ids)
        .fetch_all(self.conn())
        .await
        .map_err(map)
    }

    async fn peek_order(&mut self, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderState>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_STATE_COLUMNS} FROM orders WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_optional(self.conn())
        .await
        .map_err(map)?;
        row.as_ref().map(order_state_from_row).transpose()
    }

    async fn order_stock(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<OrderStock> {
        let rows = sqlx::query(
            "SELECT sku, warehouse, reserved, shipped, returned, waiting FROM order_stock
             WHERE tenant_id = $1 AND order_id = $2 ORDER BY sku, warehouse",
        )
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        order_stock_from_rows(&rows)
    }

    async fn write_order_stock(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
        stock: &OrderStock,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut sku = Vec::new();
        let mut warehouse = Vec::new();
        let mut reserved = Vec::new();
        let mut shipped = Vec::new();
        let mut returned = Vec::new();
        let mut waiting = Vec::new();
        for a in &stock.allocations {
            if a.reserved != 0 || a.shipped != 0 || a.returned != 0 {
                sku.push(a.sku.as_str());
                warehouse.push(a.warehouse.as_str());
                reserved.push(a.reserved);
                shipped.push(a.shipped);
                returned.push(a.returned);
                waiting.push(0_i64);
            }
        }
        for s in stock.shortages.iter().filter(|s| s.waiting > 0) {
            sku.push(s.sku.as_str());
            warehouse.push("");
            reserved.push(0);
            shipped.push(0);
            returned.push(0);
            waiting.push(s.waiting);
        }
        // One statement: upsert the new rows and delete the order's other rows. Both see
        // the rows as they were before the statement, so the delete never meets a row the
        // upsert wrote (its NOT EXISTS excludes exactly those keys).
        sqlx::query(
            "WITH new AS (
                 SELECT * FROM UNNEST($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
                     AS n(sku, warehouse, reserved, shipped, returned, waiting)
             ), upserted AS (
                 INSERT INTO order_stock
                     (tenant_id, order_id, sku, warehouse, reserved, shipped, returned, waiting, updated_at)
                 SELECT $1, $2, sku, warehouse, reserved, shipped, returned, waiting, $9 FROM new
                 ON CONFLICT (tenant_id, order_id, sku, warehouse) DO UPDATE SET
                     reserved = excluded.reserved, shipped = excluded.shipped, returned = excluded.returned,
                     waiting = excluded.waiting, updated_at = excluded.updated_at
             )
             DELETE FROM order_stock o
             WHERE o.tenant_id = $1 AND o.order_id = $2
                 AND NOT EXISTS (SELECT 1 FROM new n WHERE n.sku = o.sku AND n.warehouse = o.warehouse)",
        )
        .bind(tenant.as_str())
        .bind(order.0)
        .bind(sku)
        .bind(warehouse)
        .bind(reserved)
        .bind(shipped)
        .bind(returned)
        .bind(waiting)
        .bind(now)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn published(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<(String, String, i64)>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        // Quantities written earlier in this transaction must be read back as written.
        if self.has_buffered_published() {
            self.flush_buffers().await?;
        }
        let rows = sqlx::query(
            "SELECT channel, sku, quantity FROM channel_stock
             WHERE tenant_id = $1 AND sku = ANY($2) ORDER BY channel, sku",
        )
        .bind(tenant.as_str())
        .bind(skus)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("channel").map_err(map)?,
                    row.try_get("sku").map_err(map)?,
                    row.try_get("quantity").map_err(map)?,
                ))
            })
            .collect()
    }

    async fn write_published(
        &mut self,
        tenant: &TenantId,
        channel: &str,
        sku: &str,
        quantity: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.buffer_published(tenant.as_str(), channel, sku, quantity, now);
        Ok(())
    }

    async fn open_alerts(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<String>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query_scalar(
            "SELECT sku FROM stock_alerts WHERE tenant_id = $1 AND sku = ANY($2) AND closed_at IS NULL ORDER BY sku",
        )
        .bind(tenant.as_str())
        .bind(skus)
        .fetch_all(self.conn())
        .await
        .map_err(map)
    }

    async fn open_alert(&mut self, tenant: &TenantId, alert: &StockAlert) -> StoreResult<()> {
        // A SKU's levels are locked while its alert is decided, so a second open alert
        // should not arise; should a SKU without levels race, the first one stays.
        sqlx::query(
            "INSERT INTO stock_alerts (tenant_id, id, sku, available, threshold, opened_at, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, sku) WHERE closed_at IS NULL DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(alert.id)
        .bind(&alert.sku)
        .bind(alert.available)
        .bind(alert.threshold)
        .bind(alert.opened_at)
        .bind(alert.closed_at)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn close_alert(&mut self, tenant: &TenantId, sku: &str, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE stock_alerts SET closed_at = $3 WHERE tenant_id = $1 AND sku = $2 AND closed_at IS NULL")
            .bind(tenant.as_str())
            .bind(sku)
            .bind(now)
            .execute(self.conn())
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn insert_outbox(&mut self, tenant: &TenantId, message: &NewOutbox, now: DateTime<Utc>) -> StoreResult<()> {
        self.buffer_outbox(tenant.as_str(), message, now);
        Ok(())
    }

    async fn append_feed(&mut self, tenant: &TenantId, events: &[NewFeedEvent], now: DateTime<Utc>) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.flush_buffers().await?;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let data: Vec<&serde_json::Value> = events.iter().map(|e| &e.data).collect();
        // Staged without a lock (see migration 0004); readers number them after commit.
        // The notification is delivered only if and when this transaction commits.
        sqlx::query(
            "WITH staged AS (
                 INSERT INTO feed_staged (tenant_id, kind, data, at)
                 SELECT $1, e.kind, e.data, $4
                 FROM UNNEST($2::text[], $3::jsonb[]) WITH ORDINALITY AS e(kind, data, n)
                 ORDER BY e.n
                 RETURNING 1
             )
             SELECT pg_notify($5, $1), (SELECT count(*) FROM staged)",
        )
        .bind(tenant.as_str())
        .bind(kinds)
        .bind(data)
        .bind(now)
        .bind(FEED_CHANNEL)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }
}
