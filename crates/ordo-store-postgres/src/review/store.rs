//! [`ReviewStore`] and [`HoldTx`] on PostgreSQL: holds, the exception queue and actions
//! on one order. Actions lock like every other path (stock, then the order row), so two
//! nodes acting on one order take turns.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::Decode;
use ordo_store::OrderSummary;
use ordo_store::review::records::{ExceptionQuery, ExceptionRow, HoldRecord, HoldTx, ReviewStore};
use ordo_store::{MAX_PAGE, StoreResult};
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;
use crate::sql::record;
use crate::tx::PgTx;
use ordo_store::SUMMARY_COLUMNS;

const HOLD_COLUMNS: &str =
    "id, order_id, kind, hits::text AS hits, until, opened_at, opened_by, closed_at, closed_by, resolution";

impl PgStore {
    async fn holds_where(&self, tenant: &TenantId, order: OrderId, open_only: bool) -> StoreResult<Vec<HoldRecord>> {
        let extra = if open_only { "AND closed_at IS NULL" } else { "" };
        sqlx::query(&format!(
            "SELECT {HOLD_COLUMNS} FROM order_holds WHERE tenant_id = $1 AND order_id = $2 {extra}
             ORDER BY opened_at, id"
        ))
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }
}

#[async_trait]
impl ReviewStore for PgStore {
    async fn order_holds(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Vec<HoldRecord>> {
        self.holds_where(tenant, id, false).await
    }

    async fn exceptions(&self, tenant: &TenantId, query: &ExceptionQuery) -> StoreResult<Vec<ExceptionRow>> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let filter = match query.kind.as_deref() {
            None => "AND $3::text IS NULL",
            Some("stock") => {
                "AND $3::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM order_holds h
                 WHERE h.tenant_id = o.tenant_id AND h.order_id = o.id AND h.closed_at IS NULL)"
            }
            Some(_) => {
                "AND EXISTS (SELECT 1 FROM order_holds h WHERE h.tenant_id = o.tenant_id
                 AND h.order_id = o.id AND h.closed_at IS NULL AND h.kind = $3)"
            }
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.status = 'on_hold' {filter}
             ORDER BY o.updated_at, o.id LIMIT $2"
        );
        let orders = sqlx::query(&sql)
            .bind(tenant.as_str())
            .bind(i64::from(limit))
            .bind(query.kind.clone())
            .fetch_all(&self.pool)
            .await
            .rows(map, record::<OrderSummary>)?;
        let mut rows = Vec::with_capacity(orders.len());
        for order in orders {
            let holds = self.holds_where(tenant, order.id, true).await?;
            rows.push(ExceptionRow { order, holds });
        }
        Ok(rows)
    }

    async fn due_reviews(&self, tenant: &TenantId, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT order_id FROM order_holds WHERE tenant_id = $1 AND closed_at IS NULL
             AND until IS NOT NULL AND until <= $2 ORDER BY order_id LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        Ok(ids.into_iter().map(OrderId).collect())
    }
}

impl HoldTx for PgTx {
    async fn insert_hold(&mut self, tenant: &TenantId, hold: &HoldRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO order_holds (tenant_id, id, order_id, kind, hits, until, opened_at, opened_by)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)",
        )
        .bind(tenant.as_str())
        .bind(hold.id)
        .bind(hold.order_id.0)
        .bind(&hold.kind)
        .bind(hold.hits.to_string())
        .bind(hold.until)
        .bind(hold.opened_at)
        .bind(&hold.opened_by)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn open_holds(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<HoldRecord>> {
        sqlx::query(&format!(
            "SELECT {HOLD_COLUMNS} FROM order_holds WHERE tenant_id = $1 AND order_id = $2 AND closed_at IS NULL
             ORDER BY opened_at, id"
        ))
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_all(self.conn())
        .await
        .rows(map, record)
    }

    async fn close_holds(
        &mut self,
        tenant: &TenantId,
        holds: &[Uuid],
        by: &str,
        resolution: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if holds.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE order_holds SET closed_at = $3, closed_by = $4, resolution = $5
             WHERE tenant_id = $1 AND id = ANY($2) AND closed_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(holds)
        .bind(now)
        .bind(by)
        .bind(resolution)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn same_fingerprint(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
        fingerprint: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OrderId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE tenant_id = $1 AND fingerprint = $2 AND id <> $3
             AND placed_at BETWEEN $4 AND $5 AND status <> 'cancelled' ORDER BY placed_at LIMIT 20",
        )
        .bind(tenant.as_str())
        .bind(fingerprint)
        .bind(order.0)
        .bind(from)
        .bind(to)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        Ok(ids.into_iter().map(OrderId).collect())
    }
}
