//! [`ShipmentStore`] on SQLite. Shipments are written in the transactions that ship
//! orders and read rarely (a carrier's update, an operator's listing), so every access
//! runs on the writer thread with one row mapper.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::fulfilment::shipments::ShipmentTx;
use ordo_store::fulfilment::shipments::{
    PROBLEMS, ShipmentQuery, ShipmentRecord, ShipmentStore, TrackingChange, TrackingInbound, TrackingOutcome,
    record_tracking,
};
use ordo_store::{MAX_PAGE, StoreError, StoreResult};
use rusqlite::params;
use uuid::Uuid;

use crate::sql::writer_record;
use crate::writer::{WriteTx, run_to_completion};
use crate::{SqliteStore, micros};

const COLUMNS: &str = "id, order_id, warehouse, carrier, tracking_number, tracking_url, units, status, \
                       status_detail, shipped_at, updated_at, delivered_at, acknowledged_at";

impl WriteTx<'_> {
    pub(crate) fn insert_shipment_row(&mut self, tenant: &TenantId, s: &ShipmentRecord) -> StoreResult<()> {
        let units = serde_json::to_string(&s.units).map_err(|e| StoreError::Other(e.to_string()))?;
        self.execute(
            &format!("INSERT INTO shipments (tenant_id, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
            params![
                tenant.as_str(),
                s.id,
                s.order_id.0,
                s.warehouse,
                s.carrier,
                s.tracking_number,
                s.tracking_url,
                units,
                s.status,
                s.status_detail,
                micros(s.shipped_at),
                micros(s.updated_at),
                s.delivered_at.map(micros),
                s.acknowledged_at.map(micros)
            ],
        )?;
        Ok(())
    }

    pub(crate) fn shipments_of(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<ShipmentRecord>> {
        self.query_all(
            &format!("SELECT {COLUMNS} FROM shipments WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY id"),
            params![tenant.as_str(), order.0],
            writer_record,
        )
    }

    pub(crate) fn update_shipment_row(&mut self, tenant: &TenantId, s: &ShipmentRecord) -> StoreResult<()> {
        self.execute(
            "UPDATE shipments SET status = ?3, status_detail = ?4, updated_at = ?5, delivered_at = ?6, \
             acknowledged_at = ?7 WHERE tenant_id = ?1 AND id = ?2",
            params![
                tenant.as_str(),
                s.id,
                s.status,
                s.status_detail,
                micros(s.updated_at),
                s.delivered_at.map(micros),
                s.acknowledged_at.map(micros)
            ],
        )?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ShipmentStore for SqliteStore {
    async fn list_shipments(&self, tenant: &TenantId, query: &ShipmentQuery) -> StoreResult<Vec<ShipmentRecord>> {
        let tenant = tenant.as_str().to_owned();
        let query = query.clone();
        let problems = PROBLEMS.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ");
        self.rw
            .transaction(move |tx| {
                let mut sql = format!("SELECT {COLUMNS} FROM shipments WHERE tenant_id = ?1");
                if query.order.is_some() {
                    sql.push_str(" AND order_id = ?2");
                }
                if query.status.is_some() {
                    sql.push_str(" AND status = ?3");
                }
                if query.problems {
                    sql.push_str(&format!(" AND status IN ({problems}) AND acknowledged_at IS NULL"));
                }
                sql.push_str(" ORDER BY id DESC LIMIT ?4");
                let limit = query.limit.clamp(1, MAX_PAGE);
                tx.query_all(
                    &sql,
                    params![tenant, query.order.map(|o| o.0), query.status, limit],
                    writer_record,
                )
            })
            .await
    }

    async fn shipments_by_tracking(
        &self,
        tenant: &TenantId,
        tracking_number: &str,
    ) -> StoreResult<Vec<ShipmentRecord>> {
        let (tenant, number) = (tenant.as_str().to_owned(), tracking_number.to_owned());
        self.rw
            .transaction(move |tx| {
                tx.query_all(
                    &format!(
                        "SELECT {COLUMNS} FROM shipments WHERE tenant_id = ?1 AND tracking_number = ?2 ORDER BY id"
                    ),
                    params![tenant, number],
                    writer_record,
                )
            })
            .await
    }

    async fn record_tracking(
        &self,
        tenant: &TenantId,
        order: OrderId,
        change: &TrackingChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TrackingOutcome>> {
        let (tenant, change) = (tenant.clone(), change.clone());
        self.rw
            .transaction(move |tx| run_to_completion(record_tracking(tx, &tenant, order, &change, now)))
            .await
    }

    async fn acknowledge_problem(&self, tenant: &TenantId, shipment: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        let tenant = tenant.as_str().to_owned();
        let problems = PROBLEMS.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ");
        self.rw
            .transaction(move |tx| {
                let done = tx.execute(
                    &format!(
                        "UPDATE shipments SET acknowledged_at = ?3 WHERE tenant_id = ?1 AND id = ?2 \
                         AND status IN ({problems}) AND acknowledged_at IS NULL"
                    ),
                    params![tenant, shipment, micros(now)],
                )?;
                Ok(done == 1)
            })
            .await
    }

    async fn insert_tracking_inbound(&self, tenant: &TenantId, row: &TrackingInbound) -> StoreResult<()> {
        let tenant = tenant.as_str().to_owned();
        let row = row.clone();
        self.rw
            .transaction(move |tx| {
                tx.execute(
                    "INSERT INTO tracking_inbound (tenant_id, id, source, received_at, body, status, error, attempts) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        tenant,
                        row.id,
                        row.source,
                        micros(row.received_at),
                        row.body,
                        row.status,
                        row.error.map(|e| e.to_string()),
                        row.attempts
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn finish_tracking_inbound(
        &self,
        tenant: &TenantId,
        id: Uuid,
        status: &str,
        error: Option<&serde_json::Value>,
    ) -> StoreResult<()> {
        let (tenant, status) = (tenant.as_str().to_owned(), status.to_owned());
        let error = error.map(|e| e.to_string());
        self.rw
            .transaction(move |tx| {
                tx.execute(
                    "UPDATE tracking_inbound SET status = ?3, error = ?4, attempts = attempts + 1 \
                     WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant, id, status, error],
                )?;
                Ok(())
            })
            .await
    }

    async fn list_tracking_inbound(
        &self,
        tenant: &TenantId,
        status: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<TrackingInbound>> {
        let (tenant, status) = (tenant.as_str().to_owned(), status.map(str::to_owned));
        let limit = limit.clamp(1, MAX_PAGE);
        self.rw
            .transaction(move |tx| {
                tx.query_all(
                    "SELECT id, source, received_at, status, error, attempts, X'' AS body FROM tracking_inbound \
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT ?3",
                    params![tenant, status, limit],
                    writer_record,
                )
            })
            .await
    }

    async fn get_tracking_inbound(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<TrackingInbound>> {
        let tenant = tenant.as_str().to_owned();
        self.rw
            .transaction(move |tx| {
                tx.query_one(
                    "SELECT id, source, received_at, status, error, attempts, body FROM tracking_inbound \
                     WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant, id],
                    writer_record,
                )
            })
            .await
    }
}

impl ShipmentTx for WriteTx<'_> {
    async fn insert_shipment(&mut self, tenant: &TenantId, shipment: &ShipmentRecord) -> StoreResult<()> {
        self.insert_shipment_row(tenant, shipment)
    }

    async fn order_shipments(&mut self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<ShipmentRecord>> {
        self.shipments_of(tenant, order)
    }

    async fn update_shipment(&mut self, tenant: &TenantId, shipment: &ShipmentRecord) -> StoreResult<()> {
        self.update_shipment_row(tenant, shipment)
    }
}
