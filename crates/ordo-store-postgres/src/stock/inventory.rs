//! Inventory in PostgreSQL: warehouses, the catalogue with its bundles, stock levels and
//! their movements ([`InventoryStore`]).
//!
//! Stock changes run the shared algorithm ([`ordo_store::stock::inventory::change_stock`]) over
//! [`PgTx`]; `stock_tx.rs` holds the locking rules. Reads are single statements, so each sees
//! one consistent snapshot even at READ COMMITTED.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::{Component, StockLevel};
use ordo_store::Decode;
use ordo_store::stock::inventory::{
    self, Discrepancy, InventoryStore, MovementQuery, MovementRecord, SkuKind, SkuRecord, StockChange,
    StockChangeError, StockRow, Warehouse,
};
use ordo_store::{MAX_PAGE, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::PgStore;
use crate::errors::map;
use crate::sql::record;
use crate::stock::stock_tx::{level_from_row, sku_kind};
use crate::tx::PgTx;

/// Columns [`warehouse_from_row`] reads.
pub(crate) const WAREHOUSE_COLUMNS: &str =
    "code, name, latitude, longitude, region, channels, daily_capacity, priority, active";

/// A catalogue row with its components, read in one statement so that a concurrent
/// `upsert_sku` cannot pair the new row with the old components (READ COMMITTED takes a
/// snapshot per statement). The two arrays are in the same order, by component SKU.
const SKU_SELECT: &str = "SELECT s.code, s.barcode, s.name, s.weight_g, s.length_mm, s.width_mm, s.height_mm,
        s.attributes, s.cost_price_minor, s.cost_currency, s.low_stock_threshold,
        ARRAY(SELECT c.component_sku FROM bundle_components c
              WHERE c.tenant_id = s.tenant_id AND c.bundle_sku = s.code ORDER BY c.component_sku) AS component_skus,
        ARRAY(SELECT c.quantity FROM bundle_components c
              WHERE c.tenant_id = s.tenant_id AND c.bundle_sku = s.code ORDER BY c.component_sku) AS component_quantities
    FROM skus s";

fn sku_from_row(row: &PgRow) -> StoreResult<SkuRecord> {
    let Json(attributes): Json<Vec<String>> = row.try_get("attributes").map_err(map)?;
    let skus: Vec<String> = row.try_get("component_skus").map_err(map)?;
    let quantities: Vec<i64> = row.try_get("component_quantities").map_err(map)?;
    let dims: (Option<i64>, Option<i64>, Option<i64>) = (
        row.try_get("length_mm").map_err(map)?,
        row.try_get("width_mm").map_err(map)?,
        row.try_get("height_mm").map_err(map)?,
    );
    Ok(SkuRecord {
        code: row.try_get("code").map_err(map)?,
        barcode: row.try_get("barcode").map_err(map)?,
        name: row.try_get("name").map_err(map)?,
        weight_g: row.try_get("weight_g").map_err(map)?,
        dimensions_mm: match dims {
            (Some(l), Some(w), Some(h)) => Some([l, w, h]),
            _ => None,
        },
        attributes,
        cost_price_minor: row.try_get("cost_price_minor").map_err(map)?,
        cost_currency: row.try_get("cost_currency").map_err(map)?,
        low_stock_threshold: row.try_get("low_stock_threshold").map_err(map)?,
        components: skus
            .into_iter()
            .zip(quantities)
            .map(|(sku, quantity)| Component { sku, quantity })
            .collect(),
    })
}

const MOVEMENT_COLUMNS: &str =
    "id, warehouse, sku, kind, quantity, on_hand_after, reserved_after, reason, reference, actor, at";

/// Validates the components and writes the SKU and its components, inside the caller's
/// transaction. A refusal returns before anything is written.
async fn write_sku(
    conn: &mut PgConnection,
    tenant: &TenantId,
    sku: &SkuRecord,
    now: DateTime<Utc>,
) -> StoreResult<Result<(), StockChangeError>> {
    if let Err(error) = ordo_store::stock::inventory::validate_components(sku) {
        return Ok(Err(error));
    }
    if !sku.components.is_empty() {
        let parent: Option<String> = sqlx::query_scalar(
            "SELECT bundle_sku FROM bundle_components WHERE tenant_id = $1 AND component_sku = $2 LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(&sku.code)
        .fetch_optional(&mut *conn)
        .await
        .map_err(map)?;
        if let Some(parent) = parent {
            return Ok(Err(StockChangeError::Invalid(format!(
                "{} is a component of bundle {parent} and cannot become a bundle itself",
                sku.code
            ))));
        }
    }
    for component in &sku.components {
        match sku_kind(&mut *conn, tenant, &component.sku).await? {
            SkuKind::Unknown => return Ok(Err(StockChangeError::UnknownSku(component.sku.clone()))),
            SkuKind::Bundle => return Ok(Err(StockChangeError::IsBundle(component.sku.clone()))),
            SkuKind::Stocked if component.quantity < 1 => {
                return Ok(Err(StockChangeError::Invalid(format!(
                    "component {} quantity must be ≥ 1",
                    component.sku
                ))));
            }
            SkuKind::Stocked => {}
        }
    }
    let [length, width, height] = sku.dimensions_mm.map_or([None; 3], |d| d.map(Some));
    // The upsert locks the SKU row first, so concurrent upserts of one SKU replace its
    // components one after the other instead of interleaving deletes and inserts.
    sqlx::query(
        "INSERT INTO skus (tenant_id, code, barcode, name, weight_g, length_mm, width_mm, height_mm, attributes,
             cost_price_minor, cost_currency, low_stock_threshold, is_bundle, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (tenant_id, code) DO UPDATE SET
             barcode = excluded.barcode, name = excluded.name, weight_g = excluded.weight_g,
             length_mm = excluded.length_mm, width_mm = excluded.width_mm, height_mm = excluded.height_mm,
             attributes = excluded.attributes, cost_price_minor = excluded.cost_price_minor,
             cost_currency = excluded.cost_currency, low_stock_threshold = excluded.low_stock_threshold,
             is_bundle = excluded.is_bundle, updated_at = excluded.updated_at",
    )
    .bind(tenant.as_str())
    .bind(&sku.code)
    .bind(sku.barcode.as_deref())
    .bind(&sku.name)
    .bind(sku.weight_g)
    .bind(length)
    .bind(width)
    .bind(height)
    .bind(Json(&sku.attributes))
    .bind(sku.cost_price_minor)
    .bind(sku.cost_currency.as_deref())
    .bind(sku.low_stock_threshold)
    .bind(!sku.components.is_empty())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(map)?;
    sqlx::query("DELETE FROM bundle_components WHERE tenant_id = $1 AND bundle_sku = $2")
        .bind(tenant.as_str())
        .bind(&sku.code)
        .execute(&mut *conn)
        .await
        .map_err(map)?;
    if !sku.components.is_empty() {
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO bundle_components (tenant_id, bundle_sku, component_sku, quantity) ",
        );
        insert.push_values(&sku.components, |mut row, component| {
            row.push_bind(tenant.as_str())
                .push_bind(&sku.code)
                .push_bind(&component.sku)
                .push_bind(component.quantity);
        });
        insert.build().execute(&mut *conn).await.map_err(map)?;
    }
    Ok(Ok(()))
}

#[async_trait]
impl InventoryStore for PgStore {
    async fn upsert_warehouse(&self, tenant: &TenantId, w: &Warehouse, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO warehouses (tenant_id, code, name, latitude, longitude, region, channels, daily_capacity,
                 priority, active, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (tenant_id, code) DO UPDATE SET
                 name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude,
                 region = excluded.region, channels = excluded.channels, daily_capacity = excluded.daily_capacity,
                 priority = excluded.priority, active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(&w.code)
        .bind(&w.name)
        .bind(w.latitude)
        .bind(w.longitude)
        .bind(w.region.as_deref())
        .bind(Json(&w.channels))
        .bind(w.daily_capacity)
        .bind(w.priority)
        .bind(w.active)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn list_warehouses(&self, tenant: &TenantId) -> StoreResult<Vec<Warehouse>> {
        sqlx::query(&format!(
            "SELECT {WAREHOUSE_COLUMNS} FROM warehouses WHERE tenant_id = $1 ORDER BY code"
        ))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }

    async fn upsert_sku(
        &self,
        tenant: &TenantId,
        sku: &SkuRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), StockChangeError>> {
        let mut tx = self.pool.begin().await.map_err(map)?;
        let result = write_sku(&mut tx, tenant, sku, now).await?;
        // A refusal is decided before any write, but roll back explicitly anyway so that
        // "refused means nothing written" does not hang on that ordering.
        if result.is_ok() {
            tx.commit().await.map_err(map)?;
        } else {
            tx.rollback().await.map_err(map)?;
        }
        Ok(result)
    }

    async fn get_sku(&self, tenant: &TenantId, code: &str) -> StoreResult<Option<SkuRecord>> {
        let row = sqlx::query(&format!("{SKU_SELECT} WHERE s.tenant_id = $1 AND s.code = $2"))
            .bind(tenant.as_str())
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?;
        row.as_ref().map(sku_from_row).transpose()
    }

    async fn list_skus(&self, tenant: &TenantId, after: Option<&str>, limit: u32) -> StoreResult<Vec<SkuRecord>> {
        let mut sql = QueryBuilder::<Postgres>::new(SKU_SELECT);
        sql.push(" WHERE s.tenant_id = ").push_bind(tenant.as_str());
        if let Some(after) = after {
            sql.push(" AND s.code > ").push_bind(after);
        }
        sql.push(" ORDER BY s.code LIMIT ")
            .push_bind(i64::from(limit.clamp(1, MAX_PAGE)));
        sql.build().fetch_all(&self.pool).await.rows(map, sku_from_row)
    }

    async fn change_stock(
        &self,
        tenant: &TenantId,
        changes: &[StockChange],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Result<StockLevel, StockChangeError>>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        // Dropping `tx` on an error rolls back: the changes commit together or not at all.
        // The shared algorithm takes the locks in the global order (levels by (sku,
        // warehouse), then the feed counter), so concurrent calls do not deadlock.
        let mut tx = PgTx::begin(&self.pool).await?;
        let results = inventory::change_stock(&mut tx, tenant, changes, now).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn list_stock(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<StockRow>> {
        let mut sql = QueryBuilder::<Postgres>::new(
            "SELECT warehouse, sku, on_hand, reserved, safety_stock FROM stock_levels WHERE tenant_id = ",
        );
        sql.push_bind(tenant.as_str());
        if let Some(sku) = sku {
            sql.push(" AND sku = ").push_bind(sku);
        }
        sql.push(" ORDER BY sku, warehouse");
        sql.build()
            .fetch_all(&self.pool)
            .await
            .map_err(map)?
            .iter()
            .map(|row| {
                Ok(StockRow {
                    warehouse: row.try_get("warehouse").map_err(map)?,
                    sku: row.try_get("sku").map_err(map)?,
                    level: level_from_row(row)?,
                })
            })
            .collect()
    }

    async fn list_movements(&self, tenant: &TenantId, query: &MovementQuery) -> StoreResult<Vec<MovementRecord>> {
        let mut sql = QueryBuilder::<Postgres>::new(format!(
            "SELECT {MOVEMENT_COLUMNS} FROM stock_movements WHERE tenant_id = "
        ));
        sql.push_bind(tenant.as_str());
        if let Some(sku) = &query.sku {
            sql.push(" AND sku = ").push_bind(sku);
        }
        if let Some(warehouse) = &query.warehouse {
            sql.push(" AND warehouse = ").push_bind(warehouse);
        }
        if let Some(after) = query.after {
            sql.push(" AND id < ").push_bind(after);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, MAX_PAGE)));
        sql.build().fetch_all(&self.pool).await.rows(map, record)
    }

    async fn check_inventory(&self, tenant: &TenantId) -> StoreResult<Vec<Discrepancy>> {
        // Per movement kind, the change to (on hand, reserved); see MovementKind::deltas.
        // One statement, so levels and movements come from the same snapshot. SUM of
        // BIGINT is NUMERIC in PostgreSQL, hence the casts back.
        let rows = sqlx::query(
            "SELECT * FROM (
                 SELECT l.warehouse, l.sku, l.on_hand, l.reserved, l.safety_stock,
                     COALESCE(SUM(CASE WHEN m.kind IN ('receipt', 'return', 'adjustment') THEN m.quantity
                                       WHEN m.kind = 'shipment' THEN -m.quantity ELSE 0 END), 0)::BIGINT
                         AS moved_on_hand,
                     COALESCE(SUM(CASE WHEN m.kind = 'reservation' THEN m.quantity
                                       WHEN m.kind IN ('release', 'shipment') THEN -m.quantity ELSE 0 END), 0)::BIGINT
                         AS moved_reserved
                 FROM stock_levels l LEFT JOIN stock_movements m
                     ON m.tenant_id = l.tenant_id AND m.sku = l.sku AND m.warehouse = l.warehouse
                 WHERE l.tenant_id = $1
                 GROUP BY l.warehouse, l.sku, l.on_hand, l.reserved, l.safety_stock
             ) balances
             WHERE moved_on_hand <> on_hand OR moved_reserved <> reserved
             ORDER BY sku, warehouse",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        rows.iter()
            .map(|row| {
                Ok(Discrepancy {
                    warehouse: row.try_get("warehouse").map_err(map)?,
                    sku: row.try_get("sku").map_err(map)?,
                    stored: level_from_row(row)?,
                    from_movements: (
                        row.try_get("moved_on_hand").map_err(map)?,
                        row.try_get("moved_reserved").map_err(map)?,
                    ),
                })
            })
            .collect()
    }
}
