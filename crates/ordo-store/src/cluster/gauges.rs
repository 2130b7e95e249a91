//! What the operations gauges read: per tenant, the outbox waiting and dead by topic,
//! the open exception queue, and failed inbox entries. Grouped counts over indexed
//! columns, read every few seconds by each node.

use chrono::{DateTime, Utc};

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
}
