//! What the operations gauges read: per tenant, the outbox waiting and dead by topic,
//! the open exception queue, and failed inbox entries. Grouped counts over indexed
//! columns, read every few seconds by each node. One tenant's held orders by reason and
//! its oversold units are read the same way for its dashboard.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;

use crate::StoreResult;
use crate::sql::SqlRun;

/// One figure of a tenant: what it counts (`topic`, `status`), how many, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantFigure {
    /// Whose.
    pub tenant: String,
    /// The outbox topic, or the exception kind; empty when the figure has none.
    pub topic: String,
    /// `pending` / `dead` for the outbox; `open` for exceptions; `failed` for the inbox.
    pub status: String,
    /// How many.
    pub count: i64,
    /// The oldest one's time (pending messages: when first due; exceptions: opened).
    pub oldest: Option<DateTime<Utc>>,
}

/// Operations figures, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait GaugeStore: Send + Sync {
    /// Outbox messages pending or dead, by tenant, topic and status.
    async fn outbox_figures(&self) -> StoreResult<Vec<TenantFigure>>;
    /// Open exceptions (holds) by tenant.
    async fn exception_figures(&self) -> StoreResult<Vec<TenantFigure>>;
    /// Failed inbox entries by tenant.
    async fn inbox_figures(&self) -> StoreResult<Vec<TenantFigure>>;
    /// One tenant's held orders by reason: the kind of their open holds (`review`,
    /// `manual`; an order with both counts under each) or `stock` (held with no open hold:
    /// waiting for stock or an unknown SKU), with the oldest and how many were held
    /// before `overdue_before`. Reasons with no order are left out.
    async fn held_by_reason(&self, tenant: &TenantId, overdue_before: DateTime<Utc>) -> StoreResult<Vec<HeldFigure>>;
    /// Units promised to orders that are not on hand, summed over one tenant's levels
    /// (each level's `reserved − on_hand` where positive, its shortfall): 0 unless a count
    /// found less than was reserved, or a reservation oversold.
    async fn oversold_units(&self, tenant: &TenantId) -> StoreResult<i64>;
}

/// Held orders of one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFigure {
    /// `review`, `manual` or `stock`.
    pub reason: String,
    /// How many orders.
    pub count: i64,
    /// When the longest held one was held (a stock hold: its last change).
    pub oldest: Option<DateTime<Utc>>,
    /// How many were held before the time asked about.
    pub overdue: i64,
}

fn figure(row: &dyn crate::columns::Columns) -> StoreResult<TenantFigure> {
    Ok(TenantFigure {
        tenant: row.text("tenant_id")?,
        topic: row.text("topic")?,
        status: row.text("status")?,
        count: row.int("n")?,
        oldest: row.time_opt("oldest")?,
    })
}

#[async_trait::async_trait]
impl<S: SqlRun> GaugeStore for S {
    async fn outbox_figures(&self) -> StoreResult<Vec<TenantFigure>> {
        let sql = "SELECT tenant_id, topic, status, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox \
                   WHERE status IN ('pending', 'dead') GROUP BY tenant_id, topic, status";
        self.rows(sql, &[], figure).await
    }

    async fn exception_figures(&self) -> StoreResult<Vec<TenantFigure>> {
        let sql = "SELECT tenant_id, '' AS topic, 'open' AS status, COUNT(*) AS n, MIN(opened_at) AS oldest \
                   FROM order_holds WHERE closed_at IS NULL GROUP BY tenant_id";
        self.rows(sql, &[], figure).await
    }

    async fn inbox_figures(&self) -> StoreResult<Vec<TenantFigure>> {
        let sql = "SELECT tenant_id, '' AS topic, status, COUNT(*) AS n, MIN(received_at) AS oldest \
                   FROM inbox WHERE status = 'failed' GROUP BY tenant_id, status";
        self.rows(sql, &[], figure).await
    }

    async fn held_by_reason(&self, tenant: &TenantId, overdue_before: DateTime<Utc>) -> StoreResult<Vec<HeldFigure>> {
        // The exception queue's own definition (`ReviewStore::exceptions`): on hold, by
        // the kind of its open holds, or `stock` with none.
        let sql = "SELECT h.kind AS reason, COUNT(DISTINCT h.order_id) AS n, MIN(h.opened_at) AS oldest, \
                   COUNT(DISTINCT CASE WHEN h.opened_at < $2 THEN h.order_id END) AS overdue \
                   FROM order_holds h JOIN orders o ON o.tenant_id = h.tenant_id AND o.id = h.order_id \
                   WHERE h.tenant_id = $1 AND h.closed_at IS NULL AND o.status = 'on_hold' GROUP BY h.kind \
                   UNION ALL \
                   SELECT 'stock' AS reason, COUNT(*) AS n, MIN(o.updated_at) AS oldest, \
                   COUNT(CASE WHEN o.updated_at < $2 THEN 1 END) AS overdue FROM orders o \
                   WHERE o.tenant_id = $1 AND o.status = 'on_hold' AND NOT EXISTS (SELECT 1 FROM order_holds h \
                   WHERE h.tenant_id = o.tenant_id AND h.order_id = o.id AND h.closed_at IS NULL)";
        let rows = self
            .rows(sql, &[tenant.into(), overdue_before.into()], |row| {
                Ok(HeldFigure {
                    reason: row.text("reason")?,
                    count: row.int("n")?,
                    oldest: row.time_opt("oldest")?,
                    overdue: row.int("overdue")?,
                })
            })
            .await?;
        let mut rows: Vec<HeldFigure> = rows.into_iter().filter(|f| f.count > 0).collect();
        rows.sort_by(|a, b| a.reason.cmp(&b.reason));
        Ok(rows)
    }

    async fn oversold_units(&self, tenant: &TenantId) -> StoreResult<i64> {
        let sql = "SELECT CAST(COALESCE(SUM(reserved - on_hand), 0) AS BIGINT) AS n FROM stock_levels \
                   WHERE tenant_id = $1 AND reserved > on_hand";
        Ok(self.row(sql, &[tenant.into()], |row| row.int("n")).await?.unwrap_or(0))
    }
}
