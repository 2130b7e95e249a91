//! Holds and the exception queue, written once for every SQL store (see [`crate::sql`]).

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use uuid::Uuid;

use crate::StoreResult;
use crate::channels::records::ChannelTx;
use crate::columns::{Columns, Record};
use crate::orders::records::{MAX_PAGE, OrderSummary, SUMMARY_COLUMNS};
use crate::review::records::{ExceptionQuery, ExceptionRow, HoldRecord, HoldTx, ReviewStore};
use crate::sql::{Param, SqlRun, SqlTx};

/// An order's holds, oldest first (what a [`HoldRecord`] reads).
const HOLDS: &str = "SELECT id, order_id, kind, hits, until, opened_at, opened_by, closed_at, closed_by, resolution \
                     FROM order_holds WHERE tenant_id = $1 AND order_id = $2 ORDER BY opened_at, id";

/// An order's open holds, oldest first: asked of every order about to go to a warehouse.
const OPEN_HOLDS: &str = "SELECT id, order_id, kind, hits, until, opened_at, opened_by, closed_at, closed_by, \
                          resolution FROM order_holds WHERE tenant_id = $1 AND order_id = $2 AND closed_at IS NULL \
                          ORDER BY opened_at, id";

fn order_id(row: &dyn Columns) -> StoreResult<OrderId> {
    Ok(OrderId(row.id("order_id")?))
}

fn id(row: &dyn Columns) -> StoreResult<OrderId> {
    Ok(OrderId(row.id("id")?))
}

#[async_trait::async_trait]
impl<S: SqlRun> ReviewStore for S {
    async fn order_holds(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Vec<HoldRecord>> {
        self.rows(HOLDS, &[tenant.into(), id.0.into()], HoldRecord::read).await
    }

    async fn exceptions(&self, tenant: &TenantId, query: &ExceptionQuery) -> StoreResult<Vec<ExceptionRow>> {
        let limit = i64::from(query.limit.clamp(1, MAX_PAGE));
        let mut params: Vec<Param<'_>> = vec![tenant.into(), limit.into()];
        let filter = match query.kind.as_deref() {
            None => "",
            Some("stock") => {
                "AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.tenant_id = o.tenant_id \
                 AND h.order_id = o.id AND h.closed_at IS NULL)"
            }
            Some(kind) => {
                params.push(kind.into());
                "AND EXISTS (SELECT 1 FROM order_holds h WHERE h.tenant_id = o.tenant_id \
                 AND h.order_id = o.id AND h.closed_at IS NULL AND h.kind = $3)"
            }
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.status = 'on_hold' {filter} \
             ORDER BY o.updated_at, o.id LIMIT $2"
        );
        let orders = self.rows(&sql, &params, OrderSummary::read).await?;
        let mut rows = Vec::with_capacity(orders.len());
        for order in orders {
            let holds = self
                .rows(OPEN_HOLDS, &[tenant.into(), order.id.0.into()], HoldRecord::read)
                .await?;
            rows.push(ExceptionRow { order, holds });
        }
        Ok(rows)
    }

    async fn due_reviews(&self, tenant: &TenantId, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>> {
        let sql = "SELECT DISTINCT order_id FROM order_holds WHERE tenant_id = $1 AND closed_at IS NULL \
                   AND until IS NOT NULL AND until <= $2 ORDER BY order_id LIMIT $3";
        self.rows(sql, &[tenant.into(), now.into(), i64::from(limit).into()], order_id)
            .await
    }
}

impl<T: ChannelTx + SqlTx> HoldTx for T {
    async fn insert_hold(&mut self, tenant: &TenantId, hold: &HoldRecord) -> StoreResult<()> {
        let sql = "INSERT INTO order_holds (tenant_id, id, order_id, kind, hits, until, opened_at, opened_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let params = [
            tenant.into(),
            hold.id.into(),
            hold.order_id.0.into(),
            hold.kind.as_str().into(),
            (&hold.hits).into(),
            hold.until.into(),
            hold.opened_at.into(),
            hold.opened_by.as_str().into(),
        ];
        self.run(sql, &params).await?;
        Ok(())
    }

    async fn open_holds(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<HoldRecord>> {
        self.rows(OPEN_HOLDS, &[tenant.into(), order.0.into()], HoldRecord::read)
            .await
    }

    async fn close_holds(
        &mut self,
        tenant: &TenantId,
        holds: &[Uuid],
        by: &str,
        resolution: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for hold in holds {
            let sql = "UPDATE order_holds SET closed_at = $3, closed_by = $4, resolution = $5 \
                       WHERE tenant_id = $1 AND id = $2 AND closed_at IS NULL";
            self.run(
                sql,
                &[tenant.into(), (*hold).into(), now.into(), by.into(), resolution.into()],
            )
            .await?;
        }
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
        let sql = "SELECT id FROM orders WHERE tenant_id = $1 AND fingerprint = $2 AND id <> $3 \
                   AND placed_at BETWEEN $4 AND $5 AND status <> 'cancelled' ORDER BY placed_at LIMIT 20";
        let params = [
            tenant.into(),
            fingerprint.into(),
            order.0.into(),
            from.into(),
            to.into(),
        ];
        self.rows(sql, &params, id).await
    }
}
