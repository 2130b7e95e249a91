//! [`AllocTx`] on the writer's transaction: the rows that tie orders to stock.
//!
//! Lists of SKUs go in as one JSON array parameter read with `json_each`, so every
//! statement is a single cached one whatever the list's length. Nothing here locks: the
//! writer's `BEGIN IMMEDIATE` already holds the database's write lock.

use chrono::{DateTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::ingest::OrderState;
use ordo_core::inventory::StockLevel;
use ordo_core::{ChannelId, ExternalOrderId, OrderId, TenantId};
use ordo_store::orders::rows::order_from_document;
use ordo_store::stock::allocate::AllocTx;
use ordo_store::stock::inventory::{StockRow, Warehouse};
use ordo_store::{CatalogueRow, ChannelRule, NewFeedEvent, NewOutbox, SkuAlias, StockAlert, StoreError, StoreResult};
use rusqlite::params;

use crate::micros;
use crate::stock::rows::{
    OrderStockRow, PARCEL_COLUMNS, catalogue_join_row, channel_rule, group_catalogue, json_array, json_err,
    order_stock_from_rows,
};
use crate::writer::{WriteTx, status};

impl AllocTx for WriteTx<'_> {
    async fn lock_skus(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<StockRow>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        self.query_all(
            "SELECT warehouse, sku, on_hand, reserved, safety_stock FROM stock_levels \
             WHERE tenant_id = ?1 AND sku IN (SELECT value FROM json_each(?2)) ORDER BY sku, warehouse",
            params![tenant.as_str(), json_array(skus)],
            |r| {
                Ok(StockRow {
                    warehouse: r.get(0)?,
                    sku: r.get(1)?,
                    level: StockLevel {
                        on_hand: r.get(2)?,
                        reserved: r.get(3)?,
                        safety_stock: r.get(4)?,
                    },
                })
            },
        )
    }

    async fn catalogue(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<CatalogueRow>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.query_all(
            &format!(
                "SELECT s.code, s.low_stock_threshold, s.forecast_threshold, b.component_sku, b.quantity, \
             {PARCEL_COLUMNS} FROM skus s \
             LEFT JOIN bundle_components b ON b.tenant_id = s.tenant_id AND b.bundle_sku = s.code \
             WHERE s.tenant_id = ?1 AND s.code IN (SELECT value FROM json_each(?2)) ORDER BY s.code, b.component_sku"
            ),
            params![tenant.as_str(), json_array(skus)],
            catalogue_join_row,
        )?;
        Ok(group_catalogue(rows))
    }

    async fn aliases(&mut self, tenant: &TenantId, names: &[String]) -> StoreResult<Vec<SkuAlias>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        self.query_all(
            "SELECT channel, alias, sku FROM sku_aliases \
             WHERE tenant_id = ?1 AND alias IN (SELECT value FROM json_each(?2)) ORDER BY alias, channel",
            params![tenant.as_str(), json_array(names)],
            |r| {
                Ok(SkuAlias {
                    channel: r.get(0)?,
                    alias: r.get(1)?,
                    sku: r.get(2)?,
                })
            },
        )
    }

    async fn bundles_containing(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<CatalogueRow>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.query_all(
            &format!(
                "SELECT s.code, s.low_stock_threshold, s.forecast_threshold, b.component_sku, b.quantity, \
             {PARCEL_COLUMNS} FROM skus s \
             JOIN bundle_components b ON b.tenant_id = s.tenant_id AND b.bundle_sku = s.code \
             WHERE s.tenant_id = ?1 AND s.code IN (SELECT bundle_sku FROM bundle_components \
               WHERE tenant_id = ?1 AND component_sku IN (SELECT value FROM json_each(?2))) \
             ORDER BY s.code, b.component_sku"
            ),
            params![tenant.as_str(), json_array(skus)],
            catalogue_join_row,
        )?;
        Ok(group_catalogue(rows))
    }

    async fn warehouses(&mut self, tenant: &TenantId) -> StoreResult<Vec<Warehouse>> {
        let rows = self.query_all(
            "SELECT code, name, latitude, longitude, region, channels, daily_capacity, priority, active \
             FROM warehouses WHERE tenant_id = ?1 ORDER BY code",
            params![tenant.as_str()],
            |r| {
                Ok((
                    Warehouse {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        latitude: r.get(2)?,
                        longitude: r.get(3)?,
                        region: r.get(4)?,
                        channels: Vec::new(),
                        daily_capacity: r.get(6)?,
                        priority: r.get(7)?,
                        active: r.get(8)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(mut w, channels)| {
                w.channels = serde_json::from_str(&channels).map_err(|e| json_err("channels", e))?;
                Ok(w)
            })
            .collect()
    }

    async fn all_skus(&mut self, tenant: &TenantId) -> StoreResult<Vec<String>> {
        self.query_all(
            "SELECT code FROM skus WHERE tenant_id = ?1 ORDER BY code",
            params![tenant.as_str()],
            |r| r.get(0),
        )
    }

    async fn write_channel_rule(
        &mut self,
        tenant: &TenantId,
        rule: &ChannelRule,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO channel_rules (tenant_id, channel, ratio_permille, buffer, overrides, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, channel) DO UPDATE SET \
             ratio_permille = excluded.ratio_permille, buffer = excluded.buffer, overrides = excluded.overrides, \
             updated_at = excluded.updated_at",
            params![
                tenant.as_str(),
                rule.channel,
                rule.policy.ratio_permille,
                rule.policy.buffer,
                serde_json::to_string(&rule.overrides).unwrap_or_else(|_| "{}".into()),
                micros(now)
            ],
        )?;
        Ok(())
    }

    async fn channel_rules(&mut self, tenant: &TenantId) -> StoreResult<Vec<ChannelRule>> {
        let rows = self.query_all(
            "SELECT channel, ratio_permille, buffer, overrides FROM channel_rules WHERE tenant_id = ?1 ORDER BY channel",
            params![tenant.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?)),
        )?;
        rows.into_iter()
            .map(|(channel, ratio, buffer, overrides)| channel_rule(channel, ratio, buffer, &overrides))
            .collect()
    }

    async fn held_skus(
        &mut self,
        tenant: &TenantId,
        orders: &[(&ChannelId, &ExternalOrderId)],
    ) -> StoreResult<Vec<String>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<[&str; 2]> = orders
            .iter()
            .map(|(channel, external_id)| [channel.as_str(), external_id.as_str()])
            .collect();
        self.query_all(
            "SELECT DISTINCT s.sku FROM json_each(?2) j \
             JOIN orders o ON o.tenant_id = ?1 AND o.channel = json_extract(j.value, '$[0]') \
               AND o.external_id = json_extract(j.value, '$[1]') \
             JOIN order_stock s ON s.tenant_id = ?1 AND s.order_id = o.id ORDER BY s.sku",
            params![
                tenant.as_str(),
                serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())
            ],
            |r| r.get(0),
        )
    }

    async fn peek_order(&mut self, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderState>> {
        let row = self.query_one(
            "SELECT status, version, document FROM orders WHERE tenant_id = ?1 AND id = ?2",
            params![tenant.as_str(), id.0],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
        )?;
        let Some((order_status, version, document)) = row else {
            return Ok(None);
        };
        Ok(Some(OrderState {
            id,
            order: order_from_document(&document)?,
            status: status(&order_status)?,
            version,
        }))
    }

    async fn order_stock(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<OrderStock> {
        let rows = self.query_all(
            "SELECT sku, warehouse, reserved, shipped, returned, waiting FROM order_stock \
             WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY sku, warehouse",
            params![tenant.as_str(), order.0],
            |r| {
                Ok(OrderStockRow {
                    sku: r.get(0)?,
                    warehouse: r.get(1)?,
                    reserved: r.get(2)?,
                    shipped: r.get(3)?,
                    returned: r.get(4)?,
                    waiting: r.get(5)?,
                })
            },
        )?;
        Ok(order_stock_from_rows(rows))
    }

    async fn write_order_stock(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
        stock: &OrderStock,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.execute(
            "DELETE FROM order_stock WHERE tenant_id = ?1 AND order_id = ?2",
            params![tenant.as_str(), order.0],
        )?;
        let allocations = stock
            .allocations
            .iter()
            .filter(|a| a.reserved != 0 || a.shipped != 0 || a.returned != 0)
            .map(|a| (&a.sku, a.warehouse.as_str(), a.reserved, a.shipped, a.returned, 0));
        let shortages = stock
            .shortages
            .iter()
            .filter(|s| s.waiting > 0)
            .map(|s| (&s.sku, "", 0, 0, 0, s.waiting));
        for (sku, warehouse, reserved, shipped, returned, waiting) in allocations.chain(shortages) {
            self.execute(
                "INSERT INTO order_stock (tenant_id, order_id, sku, warehouse, reserved, shipped, returned, waiting, \
                 updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    tenant.as_str(),
                    order.0,
                    sku,
                    warehouse,
                    reserved,
                    shipped,
                    returned,
                    waiting,
                    micros(now)
                ],
            )?;
        }
        Ok(())
    }

    async fn published(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<(String, String, i64)>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        self.query_all(
            "SELECT channel, sku, quantity FROM channel_stock \
             WHERE tenant_id = ?1 AND sku IN (SELECT value FROM json_each(?2)) ORDER BY sku, channel",
            params![tenant.as_str(), json_array(skus)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    async fn write_published(
        &mut self,
        tenant: &TenantId,
        channel: &str,
        sku: &str,
        quantity: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO channel_stock (tenant_id, channel, sku, quantity, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (tenant_id, channel, sku) DO UPDATE SET quantity = excluded.quantity, \
             updated_at = excluded.updated_at",
            params![tenant.as_str(), channel, sku, quantity, micros(now)],
        )?;
        Ok(())
    }

    async fn open_alerts(&mut self, tenant: &TenantId, skus: &[String]) -> StoreResult<Vec<String>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        self.query_all(
            "SELECT sku FROM stock_alerts WHERE tenant_id = ?1 AND closed_at IS NULL \
             AND sku IN (SELECT value FROM json_each(?2)) ORDER BY sku",
            params![tenant.as_str(), json_array(skus)],
            |r| r.get(0),
        )
    }

    async fn open_alert(&mut self, tenant: &TenantId, alert: &StockAlert) -> StoreResult<()> {
        self.execute(
            "INSERT INTO stock_alerts (tenant_id, id, sku, available, threshold, opened_at, closed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                tenant.as_str(),
                alert.id,
                alert.sku,
                alert.available,
                alert.threshold,
                micros(alert.opened_at),
                alert.closed_at.map(micros)
            ],
        )?;
        Ok(())
    }

    async fn close_alert(&mut self, tenant: &TenantId, sku: &str, now: DateTime<Utc>) -> StoreResult<()> {
        self.execute(
            "UPDATE stock_alerts SET closed_at = ?3 WHERE tenant_id = ?1 AND sku = ?2 AND closed_at IS NULL",
            params![tenant.as_str(), sku, micros(now)],
        )?;
        Ok(())
    }

    async fn insert_outbox(&mut self, tenant: &TenantId, message: &NewOutbox, now: DateTime<Utc>) -> StoreResult<()> {
        self.execute(
            "INSERT INTO outbox (tenant_id, id, topic, destination, payload, status, attempts, next_attempt_at, \
             last_error, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, NULL, ?6, ?6)",
            params![
                tenant.as_str(),
                message.id,
                message.topic,
                message.destination,
                message.payload.to_string(),
                micros(now)
            ],
        )?;
        Ok(())
    }

    async fn append_feed(&mut self, tenant: &TenantId, events: &[NewFeedEvent], now: DateTime<Utc>) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let count = events.len() as i64;
        let last = self
            .query_one(
                "INSERT INTO feed_heads (tenant_id, last_seq) VALUES (?1, ?2) ON CONFLICT (tenant_id) \
                 DO UPDATE SET last_seq = last_seq + excluded.last_seq RETURNING last_seq",
                params![tenant.as_str(), count],
                |r| r.get::<_, i64>(0),
            )?
            .ok_or_else(|| StoreError::Other("the feed counter returned no row".into()))?;
        for (offset, event) in events.iter().enumerate() {
            self.execute(
                "INSERT INTO feed (tenant_id, seq, kind, data, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    tenant.as_str(),
                    last - count + 1 + offset as i64,
                    event.kind,
                    event.data.to_string(),
                    micros(now)
                ],
            )?;
        }
        Ok(())
    }
}
