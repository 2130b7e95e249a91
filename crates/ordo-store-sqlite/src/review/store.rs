//! [`ReviewStore`] and [`HoldTx`] on SQLite: holds, the exception queue and actions on
//! one order.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::Decode;
use ordo_store::OrderSummary;
use ordo_store::review::records::{ExceptionQuery, ExceptionRow, HoldRecord, HoldTx, ReviewStore};
use ordo_store::{MAX_PAGE, StoreError, StoreResult};
use rusqlite::params;
use uuid::Uuid;

use crate::sql::record;
use crate::writer::WriteTx;
use crate::{SqliteStore, from_micros, get, map_err, micros};
use ordo_store::SUMMARY_COLUMNS;

const HOLD_COLUMNS: &str = "id, order_id, kind, hits, until, opened_at, opened_by, closed_at, closed_by, resolution";

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Other(format!("stored JSON is unreadable: {e}"))
}

type RawHold = (Uuid, Uuid, String, String, Option<i64>, i64, String);

fn hold_from_raw((id, order, kind, hits, until, opened_at, opened_by): RawHold) -> StoreResult<HoldRecord> {
    Ok(HoldRecord {
        id,
        order_id: OrderId(order),
        kind,
        hits: serde_json::from_str(&hits).map_err(json_err)?,
        until: until.map(from_micros).transpose()?,
        opened_at: from_micros(opened_at)?,
        opened_by,
        closed_at: None,
        closed_by: None,
        resolution: None,
    })
}

impl SqliteStore {
    async fn holds_where(&self, tenant: &TenantId, order: OrderId, open_only: bool) -> StoreResult<Vec<HoldRecord>> {
        let extra = if open_only { "AND closed_at IS NULL" } else { "" };
        sqlx::query(&format!(
            "SELECT {HOLD_COLUMNS} FROM order_holds WHERE tenant_id = ? AND order_id = ? {extra} ORDER BY opened_at, id"
        ))
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_all(&self.reader)
        .await
        .rows(map_err, record)
    }
}

#[async_trait::async_trait]
impl ReviewStore for SqliteStore {
    async fn order_holds(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Vec<HoldRecord>> {
        self.holds_where(tenant, id, false).await
    }

    async fn exceptions(&self, tenant: &TenantId, query: &ExceptionQuery) -> StoreResult<Vec<ExceptionRow>> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let filter = match query.kind.as_deref() {
            None => String::new(),
            Some("stock") => "AND NOT EXISTS (SELECT 1 FROM order_holds h WHERE h.tenant_id = o.tenant_id \
                              AND h.order_id = o.id AND h.closed_at IS NULL)"
                .into(),
            Some(_) => "AND EXISTS (SELECT 1 FROM order_holds h WHERE h.tenant_id = o.tenant_id \
                        AND h.order_id = o.id AND h.closed_at IS NULL AND h.kind = ?3)"
                .into(),
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM orders o WHERE o.tenant_id = ?1 AND o.status = 'on_hold' {filter} \
             ORDER BY o.updated_at, o.id LIMIT ?2"
        );
        let mut q = sqlx::query(&sql).bind(tenant.as_str()).bind(i64::from(limit));
        if let Some(kind) = query.kind.as_deref().filter(|k| *k != "stock") {
            q = q.bind(kind.to_owned());
        }
        let orders = q.fetch_all(&self.reader).await.rows(map_err, record::<OrderSummary>)?;
        let mut rows = Vec::with_capacity(orders.len());
        for order in orders {
            let holds = self.holds_where(tenant, order.id, true).await?;
            rows.push(ExceptionRow { order, holds });
        }
        Ok(rows)
    }

    async fn due_reviews(&self, tenant: &TenantId, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>> {
        sqlx::query(
            "SELECT DISTINCT order_id FROM order_holds WHERE tenant_id = ? AND closed_at IS NULL \
             AND until IS NOT NULL AND until <= ? ORDER BY order_id LIMIT ?",
        )
        .bind(tenant.as_str())
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| Ok(OrderId(get(row, "order_id")?)))
        .collect()
    }
}

impl HoldTx for WriteTx<'_> {
    async fn insert_hold(&mut self, tenant: &TenantId, hold: &HoldRecord) -> StoreResult<()> {
        self.execute(
            "INSERT INTO order_holds (tenant_id, id, order_id, kind, hits, until, opened_at, opened_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                tenant.as_str(),
                hold.id,
                hold.order_id.0,
                hold.kind,
                hold.hits.to_string(),
                hold.until.map(micros),
                micros(hold.opened_at),
                hold.opened_by
            ],
        )?;
        Ok(())
    }

    async fn open_holds(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<HoldRecord>> {
        self.query_all(
            "SELECT id, order_id, kind, hits, until, opened_at, opened_by FROM order_holds \
             WHERE tenant_id = ?1 AND order_id = ?2 AND closed_at IS NULL ORDER BY opened_at, id",
            params![tenant.as_str(), order.0],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?
        .into_iter()
        .map(hold_from_raw)
        .collect()
    }

    async fn close_holds(
        &mut self,
        tenant: &TenantId,
        holds: &[Uuid],
        by: &str,
        resolution: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for id in holds {
            self.execute(
                "UPDATE order_holds SET closed_at = ?3, closed_by = ?4, resolution = ?5 \
                 WHERE tenant_id = ?1 AND id = ?2 AND closed_at IS NULL",
                params![tenant.as_str(), id, micros(now), by, resolution],
            )?;
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
        Ok(self
            .query_all(
                "SELECT id FROM orders WHERE tenant_id = ?1 AND fingerprint = ?2 AND id != ?3 \
                 AND placed_at BETWEEN ?4 AND ?5 AND status != 'cancelled' ORDER BY placed_at LIMIT 20",
                params![tenant.as_str(), fingerprint, order.0, micros(from), micros(to)],
                |r| r.get::<_, Uuid>(0),
            )?
            .into_iter()
            .map(OrderId)
            .collect())
    }
}
