//! Inventory in SQLite: catalogue, stock levels and movements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::{Component, StockLevel};
use ordo_store::Decode;
use ordo_store::stock::inventory::{
    Discrepancy, InventoryStore, MovementQuery, MovementRecord, SkuKind, SkuRecord, StockChange, StockChangeError,
    StockRow, StockTx, Warehouse, change_stock, validate_components,
};
use ordo_store::{MAX_PAGE, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite};

use crate::sql::record;
use crate::writer::{WriteTx, run_to_completion};
use crate::{SqliteStore, get, map_err, micros};

fn json_list(row: &SqliteRow, column: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(&get::<String>(row, column)?).map_err(|e| StoreError::Other(format!("column {column}: {e}")))
}

impl SqliteStore {
    async fn sku_from_row(&self, tenant: &TenantId, row: &SqliteRow) -> StoreResult<SkuRecord> {
        let code: String = get(row, "code")?;
        let components = if get::<bool>(row, "is_bundle")? {
            sqlx::query(
                "SELECT component_sku, quantity FROM bundle_components WHERE tenant_id = ? AND bundle_sku = ? \
                 ORDER BY component_sku",
            )
            .bind(tenant.as_str())
            .bind(&code)
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|c| {
                Ok(Component {
                    sku: get(c, "component_sku")?,
                    quantity: get(c, "quantity")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let dims: (Option<i64>, Option<i64>, Option<i64>) =
            (get(row, "length_mm")?, get(row, "width_mm")?, get(row, "height_mm")?);
        Ok(SkuRecord {
            code,
            barcode: get(row, "barcode")?,
            name: get(row, "name")?,
            weight_g: get(row, "weight_g")?,
            dimensions_mm: match dims {
                (Some(l), Some(w), Some(h)) => Some([l, w, h]),
                _ => None,
            },
            attributes: json_list(row, "attributes")?,
            cost_price_minor: get(row, "cost_price_minor")?,
            cost_currency: get(row, "cost_currency")?,
            low_stock_threshold: get(row, "low_stock_threshold")?,
            components,
        })
    }
}

/// Writes a catalogue entry and its components, after checking them.
fn write_sku(
    tx: &mut WriteTx<'_>,
    tenant: &TenantId,
    sku: &SkuRecord,
    now: DateTime<Utc>,
) -> StoreResult<Result<(), StockChangeError>> {
    if let Err(error) = validate_components(sku) {
        return Ok(Err(error));
    }
    for component in &sku.components {
        match run_to_completion(tx.sku_kind(tenant, &component.sku))? {
            SkuKind::Unknown => return Ok(Err(StockChangeError::UnknownSku(component.sku.clone()))),
            SkuKind::Bundle => return Ok(Err(StockChangeError::IsBundle(component.sku.clone()))),
            SkuKind::Stocked => {}
        }
    }
    if !sku.components.is_empty() {
        let parent = tx.query_one(
            "SELECT bundle_sku FROM bundle_components WHERE tenant_id = ?1 AND component_sku = ?2 LIMIT 1",
            rusqlite::params![tenant.as_str(), sku.code],
            |r| r.get::<_, String>(0),
        )?;
        if let Some(parent) = parent {
            return Ok(Err(StockChangeError::Invalid(format!(
                "{} is a component of bundle {parent} and cannot become a bundle itself",
                sku.code
            ))));
        }
    }
    let [length, width, height] = sku.dimensions_mm.map_or([None; 3], |d| d.map(Some));
    tx.execute(
        "INSERT INTO skus (tenant_id, code, barcode, name, weight_g, length_mm, width_mm, height_mm, attributes, \
         cost_price_minor, cost_currency, low_stock_threshold, is_bundle, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (tenant_id, code) DO UPDATE SET \
         barcode = excluded.barcode, name = excluded.name, weight_g = excluded.weight_g, length_mm = excluded.length_mm, \
         width_mm = excluded.width_mm, height_mm = excluded.height_mm, attributes = excluded.attributes, \
         cost_price_minor = excluded.cost_price_minor, cost_currency = excluded.cost_currency, \
         low_stock_threshold = excluded.low_stock_threshold, is_bundle = excluded.is_bundle, updated_at = excluded.updated_at",
        rusqlite::params![
            tenant.as_str(),
            sku.code,
            sku.barcode,
            sku.name,
            sku.weight_g,
            length,
            width,
            height,
            serde_json::to_string(&sku.attributes).unwrap_or_else(|_| "[]".into()),
            sku.cost_price_minor,
            sku.cost_currency,
            sku.low_stock_threshold,
            !sku.components.is_empty(),
            micros(now)
        ],
    )?;
    tx.execute(
        "DELETE FROM bundle_components WHERE tenant_id = ?1 AND bundle_sku = ?2",
        rusqlite::params![tenant.as_str(), sku.code],
    )?;
    for component in &sku.components {
        tx.execute(
            "INSERT INTO bundle_components (tenant_id, bundle_sku, component_sku, quantity) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![tenant.as_str(), sku.code, component.sku, component.quantity],
        )?;
    }
    Ok(Ok(()))
}

#[async_trait]
impl InventoryStore for SqliteStore {
    async fn upsert_warehouse(&self, tenant: &TenantId, w: &Warehouse, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO warehouses (tenant_id, code, name, latitude, longitude, region, channels, daily_capacity, \
             priority, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO UPDATE \
             SET name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude, \
             region = excluded.region, channels = excluded.channels, daily_capacity = excluded.daily_capacity, \
             priority = excluded.priority, active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(&w.code)
        .bind(&w.name)
        .bind(w.latitude)
        .bind(w.longitude)
        .bind(w.region.as_deref())
        .bind(serde_json::to_string(&w.channels).unwrap_or_else(|_| "[]".into()))
        .bind(w.daily_capacity)
        .bind(w.priority)
        .bind(w.active)
        .bind(micros(now))
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_warehouses(&self, tenant: &TenantId) -> StoreResult<Vec<Warehouse>> {
        sqlx::query("SELECT * FROM warehouses WHERE tenant_id = ? ORDER BY code")
            .bind(tenant.as_str())
            .fetch_all(&self.reader)
            .await
            .rows(map_err, record)
    }

    async fn upsert_sku(
        &self,
        tenant: &TenantId,
        sku: &SkuRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), StockChangeError>> {
        let (tenant, sku) = (tenant.clone(), sku.clone());
        self.rw.transaction(move |tx| write_sku(tx, &tenant, &sku, now)).await
    }

    async fn get_sku(&self, tenant: &TenantId, code: &str) -> StoreResult<Option<SkuRecord>> {
        let row = sqlx::query("SELECT * FROM skus WHERE tenant_id = ? AND code = ?")
            .bind(tenant.as_str())
            .bind(code)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.sku_from_row(tenant, &row).await?)),
        }
    }

    async fn list_skus(&self, tenant: &TenantId, after: Option<&str>, limit: u32) -> StoreResult<Vec<SkuRecord>> {
        let rows = sqlx::query("SELECT * FROM skus WHERE tenant_id = ? AND code > ? ORDER BY code LIMIT ?")
            .bind(tenant.as_str())
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?;
        let mut skus = Vec::with_capacity(rows.len());
        for row in &rows {
            skus.push(self.sku_from_row(tenant, row).await?);
        }
        Ok(skus)
    }

    async fn change_stock(
        &self,
        tenant: &TenantId,
        changes: &[StockChange],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Result<StockLevel, StockChangeError>>> {
        let (tenant, changes) = (tenant.clone(), changes.to_vec());
        self.rw
            .transaction(move |tx| run_to_completion(change_stock(tx, &tenant, &changes, now)))
            .await
    }

    async fn list_stock(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<StockRow>> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT warehouse, sku, on_hand, reserved, safety_stock FROM stock_levels WHERE tenant_id = ",
        );
        sql.push_bind(tenant.as_str());
        if let Some(sku) = sku {
            sql.push(" AND sku = ").push_bind(sku.to_owned());
        }
        sql.push(" ORDER BY sku, warehouse");
        sql.build()
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(StockRow {
                    warehouse: get(row, "warehouse")?,
                    sku: get(row, "sku")?,
                    level: StockLevel {
                        on_hand: get(row, "on_hand")?,
                        reserved: get(row, "reserved")?,
                        safety_stock: get(row, "safety_stock")?,
                    },
                })
            })
            .collect()
    }

    async fn list_movements(&self, tenant: &TenantId, query: &MovementQuery) -> StoreResult<Vec<MovementRecord>> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM stock_movements WHERE tenant_id = ");
        sql.push_bind(tenant.as_str());
        if let Some(sku) = &query.sku {
            sql.push(" AND sku = ").push_bind(sku.clone());
        }
        if let Some(warehouse) = &query.warehouse {
            sql.push(" AND warehouse = ").push_bind(warehouse.clone());
        }
        if let Some(after) = query.after {
            sql.push(" AND id < ").push_bind(after);
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, MAX_PAGE)));
        sql.build().fetch_all(&self.reader).await.rows(map_err, record)
    }

    async fn check_inventory(&self, tenant: &TenantId) -> StoreResult<Vec<Discrepancy>> {
        // Per movement kind, the change to (on hand, reserved); see MovementKind::deltas.
        // Movements are summed in one pass first: joining them level by level made SQLite
        // walk a SKU's movements once per warehouse.
        let rows = sqlx::query(
            "WITH moved AS ( \
               SELECT sku, warehouse, \
                 SUM(CASE WHEN kind IN ('receipt', 'return', 'adjustment') THEN quantity \
                          WHEN kind = 'shipment' THEN -quantity ELSE 0 END) AS on_hand, \
                 SUM(CASE WHEN kind = 'reservation' THEN quantity \
                          WHEN kind IN ('release', 'shipment') THEN -quantity ELSE 0 END) AS reserved \
               FROM stock_movements WHERE tenant_id = ?1 GROUP BY sku, warehouse) \
             SELECT l.warehouse, l.sku, l.on_hand, l.reserved, l.safety_stock, \
               COALESCE(m.on_hand, 0) AS moved_on_hand, COALESCE(m.reserved, 0) AS moved_reserved \
             FROM stock_levels l LEFT JOIN moved m ON m.sku = l.sku AND m.warehouse = l.warehouse \
             WHERE l.tenant_id = ?1 \
               AND (COALESCE(m.on_hand, 0) != l.on_hand OR COALESCE(m.reserved, 0) != l.reserved) \
             ORDER BY l.sku, l.warehouse",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(Discrepancy {
                    warehouse: get(row, "warehouse")?,
                    sku: get(row, "sku")?,
                    stored: StockLevel {
                        on_hand: get(row, "on_hand")?,
                        reserved: get(row, "reserved")?,
                        safety_stock: get(row, "safety_stock")?,
                    },
                    from_movements: (get(row, "moved_on_hand")?, get(row, "moved_reserved")?),
                })
            })
            .collect()
    }
}
