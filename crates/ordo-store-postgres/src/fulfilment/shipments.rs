//! [`ShipmentStore`] on PostgreSQL. A tracking update locks its order row, so two nodes
//! applying updates for one order take turns.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::Decode;
use ordo_store::fulfilment::shipments::ShipmentTx;
use ordo_store::fulfilment::shipments::{
    PROBLEMS, ShipmentQuery, ShipmentRecord, ShipmentStore, TrackingChange, TrackingInbound, TrackingOutcome,
    record_tracking,
};
use ordo_store::{MAX_PAGE, StoreError, StoreResult};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;
use crate::sql::record;
use crate::tx::{PgTx, retrying};

const COLUMNS: &str = "id, order_id, warehouse, carrier, tracking_number, tracking_url, units::text AS units, status, \
                       status_detail, shipped_at, updated_at, delivered_at, acknowledged_at";

fn unreadable(e: serde_json::Error) -> StoreError {
    StoreError::Other(format!("stored JSON is unreadable: {e}"))
}

fn problems() -> Vec<String> {
    PROBLEMS.iter().map(|p| (*p).to_owned()).collect()
}

pub(crate) async fn insert_shipment(conn: &mut PgConnection, tenant: &TenantId, s: &ShipmentRecord) -> StoreResult<()> {
    let units = serde_json::to_string(&s.units).map_err(unreadable)?;
    sqlx::query(
        "INSERT INTO shipments (tenant_id, id, order_id, warehouse, carrier, tracking_number, tracking_url, units,
             status, status_detail, shipped_at, updated_at, delivered_at, acknowledged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14)",
    )
    .bind(tenant.as_str())
    .bind(s.id)
    .bind(s.order_id.0)
    .bind(&s.warehouse)
    .bind(&s.carrier)
    .bind(&s.tracking_number)
    .bind(&s.tracking_url)
    .bind(units)
    .bind(&s.status)
    .bind(&s.status_detail)
    .bind(s.shipped_at)
    .bind(s.updated_at)
    .bind(s.delivered_at)
    .bind(s.acknowledged_at)
    .execute(conn)
    .await
    .map_err(map)?;
    Ok(())
}

pub(crate) async fn order_shipments(
    conn: &mut PgConnection,
    tenant: &TenantId,
    order: OrderId,
) -> StoreResult<Vec<ShipmentRecord>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM shipments WHERE tenant_id = $1 AND order_id = $2 ORDER BY id"
    ))
    .bind(tenant.as_str())
    .bind(order.0)
    .fetch_all(conn)
    .await
    .rows(map, record)
}

pub(crate) async fn update_shipment(conn: &mut PgConnection, tenant: &TenantId, s: &ShipmentRecord) -> StoreResult<()> {
    sqlx::query(
        "UPDATE shipments SET status = $3, status_detail = $4, updated_at = $5, delivered_at = $6, acknowledged_at = $7
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(s.id)
    .bind(&s.status)
    .bind(&s.status_detail)
    .bind(s.updated_at)
    .bind(s.delivered_at)
    .bind(s.acknowledged_at)
    .execute(conn)
    .await
    .map_err(map)?;
    Ok(())
}

impl PgStore {
    async fn record_tracking_once(
        &self,
        tenant: &TenantId,
        order: OrderId,
        change: &TrackingChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TrackingOutcome>> {
        let mut tx = PgTx::begin(&self.pool).await?;
        let outcome = record_tracking(&mut tx, tenant, order, change, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

#[async_trait::async_trait]
impl ShipmentStore for PgStore {
    async fn list_shipments(&self, tenant: &TenantId, query: &ShipmentQuery) -> StoreResult<Vec<ShipmentRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM shipments WHERE tenant_id = $1
               AND ($2::uuid IS NULL OR order_id = $2)
               AND ($3::text IS NULL OR status = $3)
               AND (NOT $4 OR (status = ANY($5) AND acknowledged_at IS NULL))
             ORDER BY id DESC LIMIT $6"
        ))
        .bind(tenant.as_str())
        .bind(query.order.map(|o| o.0))
        .bind(&query.status)
        .bind(query.problems)
        .bind(problems())
        .bind(i64::from(query.limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }

    async fn shipments_by_tracking(
        &self,
        tenant: &TenantId,
        tracking_number: &str,
    ) -> StoreResult<Vec<ShipmentRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM shipments WHERE tenant_id = $1 AND tracking_number = $2 ORDER BY id"
        ))
        .bind(tenant.as_str())
        .bind(tracking_number)
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }

    async fn record_tracking(
        &self,
        tenant: &TenantId,
        order: OrderId,
        change: &TrackingChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TrackingOutcome>> {
        retrying(|| self.record_tracking_once(tenant, order, change, now)).await
    }

    async fn acknowledge_problem(&self, tenant: &TenantId, shipment: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE shipments SET acknowledged_at = $3 WHERE tenant_id = $1 AND id = $2
               AND status = ANY($4) AND acknowledged_at IS NULL",
        )
        .bind(tenant.as_str())
        .bind(shipment)
        .bind(now)
        .bind(problems())
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_tracking_inbound(&self, tenant: &TenantId, row: &TrackingInbound) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tracking_inbound (tenant_id, id, source, received_at, body, status, error, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
        )
        .bind(tenant.as_str())
        .bind(row.id)
        .bind(&row.source)
        .bind(row.received_at)
        .bind(&row.body)
        .bind(&row.status)
        .bind(row.error.as_ref().map(|e| e.to_string()))
        .bind(row.attempts)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn finish_tracking_inbound(
        &self,
        tenant: &TenantId,
        id: Uuid,
        status: &str,
        error: Option<&serde_json::Value>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE tracking_inbound SET status = $3, error = $4::jsonb, attempts = attempts + 1
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(status)
        .bind(error.map(|e| e.to_string()))
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn list_tracking_inbound(
        &self,
        tenant: &TenantId,
        status: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<TrackingInbound>> {
        sqlx::query(
            "SELECT id, source, received_at, status, error::text AS error, attempts, ''::bytea AS body
             FROM tracking_inbound WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
             ORDER BY id DESC LIMIT $3",
        )
        .bind(tenant.as_str())
        .bind(status)
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }

    async fn get_tracking_inbound(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<TrackingInbound>> {
        sqlx::query(
            "SELECT id, source, received_at, status, error::text AS error, attempts, body
             FROM tracking_inbound WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .rows(map, record)
    }
}

impl ShipmentTx for PgTx {
    async fn insert_shipment(&mut self, tenant: &TenantId, shipment: &ShipmentRecord) -> StoreResult<()> {
        crate::fulfilment::shipments::insert_shipment(self.conn(), tenant, shipment).await
    }

    async fn order_shipments(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<ShipmentRecord>> {
        crate::fulfilment::shipments::order_shipments(self.conn(), tenant, order).await
    }

    async fn update_shipment(&mut self, tenant: &TenantId, shipment: &ShipmentRecord) -> StoreResult<()> {
        crate::fulfilment::shipments::update_shipment(self.conn(), tenant, shipment).await
    }
}
