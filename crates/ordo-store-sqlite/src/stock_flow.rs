//! [`StockFlowStore`] in SQLite: order requests and channel rules run the shared flows in
//! one writer transaction; listings read from the pool.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::allocation::{OrderStock, StockPolicy};
use ordo_core::{OrderId, TenantId};
use ordo_store::allocate::{order_request, put_channel_rule};
use ordo_store::{
    ChannelRule, FeedEvent, MAX_PAGE, OrderRequest, OrderRequestError, OrderRequestOutcome, OutboxMessage,
    OutboxStatus, SkuAlias, StockAlert, StockFlowStore, StoreError, StoreResult,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::stock_rows::{OrderStockRow, channel_rule, order_stock_from_rows};
use crate::writer::run_to_completion;
use crate::{SqliteStore, from_micros, get, map_err, micros};

fn limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
}

fn json_column(row: &SqliteRow, column: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(&get::<String>(row, column)?).map_err(|e| StoreError::Other(format!("column {column}: {e}")))
}

fn outbox_from_row(row: &SqliteRow) -> StoreResult<OutboxMessage> {
    let status: String = get(row, "status")?;
    Ok(OutboxMessage {
        id: get(row, "id")?,
        tenant: get(row, "tenant_id")?,
        topic: get(row, "topic")?,
        destination: get(row, "destination")?,
        payload: json_column(row, "payload")?,
        status: OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Other(format!("unknown outbox status {status:?}")))?,
        attempts: get(row, "attempts")?,
        next_attempt_at: from_micros(get(row, "next_attempt_at")?)?,
        last_error: get(row, "last_error")?,
        created_at: from_micros(get(row, "created_at")?)?,
    })
}

fn order_ids(rows: Vec<SqliteRow>) -> StoreResult<Vec<OrderId>> {
    rows.iter().map(|row| Ok(OrderId(get(row, "id")?))).collect()
}

#[async_trait]
impl StockFlowStore for SqliteStore {
    async fn order_request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>> {
        let (tenant, request, actor) = (tenant.clone(), request.clone(), actor.to_owned());
        // A refused request has written nothing before it was refused, so committing it
        // is harmless.
        self.rw
            .transaction(move |tx| run_to_completion(order_request(tx, &tenant, id, &request, policy, &actor, now)))
            .await
    }

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

    async fn put_channel_rule(&self, tenant: &TenantId, rule: &ChannelRule, now: DateTime<Utc>) -> StoreResult<()> {
        let (tenant, rule) = (tenant.clone(), rule.clone());
        self.rw
            .transaction(move |tx| run_to_completion(put_channel_rule(tx, &tenant, &rule, now)))
            .await
    }

    async fn list_channel_rules(&self, tenant: &TenantId) -> StoreResult<Vec<ChannelRule>> {
        sqlx::query(
            "SELECT channel, ratio_permille, buffer, overrides FROM channel_rules WHERE tenant_id = ? ORDER BY channel",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| {
            channel_rule(
                get(row, "channel")?,
                get(row, "ratio_permille")?,
                get(row, "buffer")?,
                &get::<String>(row, "overrides")?,
            )
        })
        .collect()
    }

    async fn list_published(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<(String, String, i64)>> {
        let mut sql: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT channel, sku, quantity FROM channel_stock WHERE tenant_id = ");
        sql.push_bind(tenant.as_str());
        if let Some(sku) = sku {
            sql.push(" AND sku = ").push_bind(sku.to_owned());
        }
        sql.push(" ORDER BY channel, sku");
        sql.build()
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| Ok((get(row, "channel")?, get(row, "sku")?, get(row, "quantity")?)))
            .collect()
    }

    async fn read_feed(&self, tenant: &TenantId, after: i64, limit_: u32) -> StoreResult<Vec<FeedEvent>> {
        sqlx::query("SELECT seq, kind, data, at FROM feed WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?")
            .bind(tenant.as_str())
            .bind(after)
            .bind(limit(limit_))
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(FeedEvent {
                    seq: get(row, "seq")?,
                    kind: get(row, "kind")?,
                    data: json_column(row, "data")?,
                    at: from_micros(get(row, "at")?)?,
                })
            })
            .collect()
    }

    async fn put_sku_alias(&self, tenant: &TenantId, alias: &SkuAlias, now: DateTime<Utc>) -> StoreResult<bool> {
        // Only to a catalogue SKU, so an alias never points at another alias.
        let done = sqlx::query(
            "INSERT INTO sku_aliases (tenant_id, channel, alias, sku, updated_at) \
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM skus WHERE tenant_id = ?1 AND code = ?4) \
             ON CONFLICT (tenant_id, alias, channel) DO UPDATE SET sku = excluded.sku, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(&alias.channel)
        .bind(&alias.alias)
        .bind(&alias.sku)
        .bind(micros(now))
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn list_sku_aliases(&self, tenant: &TenantId) -> StoreResult<Vec<SkuAlias>> {
        sqlx::query("SELECT channel, alias, sku FROM sku_aliases WHERE tenant_id = ? ORDER BY channel, alias")
            .bind(tenant.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(SkuAlias {
                    channel: get(row, "channel")?,
                    alias: get(row, "alias")?,
                    sku: get(row, "sku")?,
                })
            })
            .collect()
    }

    async fn delete_sku_alias(&self, tenant: &TenantId, channel: &str, alias: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM sku_aliases WHERE tenant_id = ? AND channel = ? AND alias = ?")
            .bind(tenant.as_str())
            .bind(channel)
            .bind(alias)
            .execute(&self.writer)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn feed_head(&self, tenant: &TenantId) -> StoreResult<i64> {
        let head: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM feed_heads WHERE tenant_id = ?")
            .bind(tenant.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        Ok(head.unwrap_or(0))
    }

    async fn list_alerts(&self, tenant: &TenantId, open_only: bool) -> StoreResult<Vec<StockAlert>> {
        // Ids are UUIDv7: newest first is id order, along the primary key.
        let sql = if open_only {
            "SELECT * FROM stock_alerts WHERE tenant_id = ? AND closed_at IS NULL ORDER BY id DESC"
        } else {
            "SELECT * FROM stock_alerts WHERE tenant_id = ? ORDER BY id DESC"
        };
        sqlx::query(sql)
            .bind(tenant.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(StockAlert {
                    id: get(row, "id")?,
                    sku: get(row, "sku")?,
                    available: get(row, "available")?,
                    threshold: get(row, "threshold")?,
                    opened_at: from_micros(get(row, "opened_at")?)?,
                    closed_at: get::<Option<i64>>(row, "closed_at")?.map(from_micros).transpose()?,
                })
            })
            .collect()
    }

    async fn list_outbox(
        &self,
        tenant: &TenantId,
        topic: Option<&str>,
        status: Option<OutboxStatus>,
        limit_: u32,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM outbox WHERE tenant_id = ");
        sql.push_bind(tenant.as_str());
        if let Some(topic) = topic {
            sql.push(" AND topic = ").push_bind(topic.to_owned());
        }
        if let Some(status) = status {
            sql.push(" AND status = ").push_bind(status.as_str());
        }
        // Ids are UUIDv7: newest first is id order, along the primary key.
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit(limit_));
        sql.build()
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(outbox_from_row)
            .collect()
    }

    async fn due_outbox(&self, topic: &str, now: DateTime<Utc>, limit_: u32) -> StoreResult<Vec<OutboxMessage>> {
        sqlx::query(
            "SELECT * FROM outbox WHERE topic = ? AND status = 'pending' AND next_attempt_at <= ? \
             ORDER BY next_attempt_at, id LIMIT ?",
        )
        .bind(topic)
        .bind(micros(now))
        .bind(limit(limit_))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(outbox_from_row)
        .collect()
    }

    async fn prune_feed(&self, tenant: &TenantId, before: DateTime<Utc>) -> StoreResult<u64> {
        let tenant = tenant.as_str().to_owned();
        let cutoff = micros(before);
        // Numbers follow commit order and so does `at`: everything up to the newest old
        // event goes, along the primary key.
        let deleted = self
            .rw
            .transaction(move |tx| {
                tx.execute(
                    "DELETE FROM feed WHERE tenant_id = ?1 AND seq <= \
                     (SELECT COALESCE(MAX(seq), 0) FROM feed WHERE tenant_id = ?1 AND at < ?2)",
                    rusqlite::params![tenant, cutoff],
                )
            })
            .await?;
        Ok(deleted as u64)
    }

    async fn finish_outbox(
        &self,
        id: Uuid,
        status: OutboxStatus,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<()> {
        let error = error.map(str::to_owned);
        // The port passes no clock here; updated_at is bookkeeping only, so wall time.
        let updated = micros(Utc::now());
        let changed = self
            .rw
            .transaction(move |tx| {
                tx.execute(
                    "UPDATE outbox SET status = ?1, next_attempt_at = ?2, last_error = ?3, attempts = attempts + 1, \
                     updated_at = ?4 WHERE id = ?5",
                    rusqlite::params![status.as_str(), micros(next_attempt_at), error, updated, id],
                )
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("outbox message {id}")));
        }
        Ok(())
    }

    async fn finish_outbox_many(
        &self,
        outcomes: &[(Uuid, OutboxStatus, DateTime<Utc>, Option<String>)],
    ) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let outcomes = outcomes.to_vec();
        let updated = micros(Utc::now());
        self.rw
            .transaction(move |tx| {
                for (id, status, next, error) in &outcomes {
                    tx.execute(
                        "UPDATE outbox SET status = ?1, next_attempt_at = ?2, last_error = ?3, \
                         attempts = attempts + 1, updated_at = ?4 WHERE id = ?5",
                        rusqlite::params![status.as_str(), micros(*next), error, updated, id],
                    )?;
                }
                Ok(())
            })
            .await
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
