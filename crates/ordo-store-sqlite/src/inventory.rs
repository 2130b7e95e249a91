//! Inventory in SQLite: catalogue, stock levels and movements.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::{Component, MovementKind, StockLevel};
use ordo_store::inventory::{
    Discrepancy, InventoryStore, MovementQuery, MovementRecord, SkuKind, SkuRecord, StockChange, StockChangeError,
    StockRow, StockTx, Warehouse, change_stock,
};
use ordo_store::{MAX_PAGE, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use crate::{SqliteStore, from_micros, get, map_err, micros};

/// A stock transaction on the writer connection.
pub(crate) struct SqliteStockTx<'c> {
    pub(crate) conn: &'c mut SqliteConnection,
}

fn json_list(row: &SqliteRow, column: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(&get::<String>(row, column)?).map_err(|e| StoreError::Other(format!("column {column}: {e}")))
}

impl StockTx for SqliteStockTx<'_> {
    async fn warehouse_exists(&mut self, tenant: &TenantId, code: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM warehouses WHERE tenant_id = ? AND code = ?")
            .bind(tenant.as_str())
            .bind(code)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(row.is_some())
    }

    async fn sku_kind(&mut self, tenant: &TenantId, code: &str) -> StoreResult<SkuKind> {
        let row = sqlx::query("SELECT is_bundle FROM skus WHERE tenant_id = ? AND code = ?")
            .bind(tenant.as_str())
            .bind(code)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map_err)?;
        Ok(match row {
            None => SkuKind::Unknown,
            Some(row) if get::<bool>(&row, "is_bundle")? => SkuKind::Bundle,
            Some(_) => SkuKind::Stocked,
        })
    }

    async fn lock_level(&mut self, tenant: &TenantId, warehouse: &str, sku: &str) -> StoreResult<Option<StockLevel>> {
        let row = sqlx::query(
            "SELECT on_hand, reserved, safety_stock FROM stock_levels WHERE tenant_id = ? AND sku = ? AND warehouse = ?",
        )
        .bind(tenant.as_str())
        .bind(sku)
        .bind(warehouse)
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(map_err)?;
        row.map(|row| {
            Ok(StockLevel {
                on_hand: get(&row, "on_hand")?,
                reserved: get(&row, "reserved")?,
                safety_stock: get(&row, "safety_stock")?,
            })
        })
        .transpose()
    }

    async fn write_level(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
        level: &StockLevel,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO stock_levels (tenant_id, warehouse, sku, on_hand, reserved, safety_stock, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE SET \
             on_hand = excluded.on_hand, reserved = excluded.reserved, safety_stock = excluded.safety_stock, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(warehouse)
        .bind(sku)
        .bind(level.on_hand)
        .bind(level.reserved)
        .bind(level.safety_stock)
        .bind(micros(now))
        .execute(&mut *self.conn)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn insert_movement(&mut self, tenant: &TenantId, m: &MovementRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO stock_movements (tenant_id, id, warehouse, sku, kind, quantity, on_hand_after, reserved_after, \
             reason, reference, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(tenant.as_str())
        .bind(m.id)
        .bind(&m.warehouse)
        .bind(&m.sku)
        .bind(m.kind.as_str())
        .bind(m.quantity)
        .bind(m.on_hand_after)
        .bind(m.reserved_after)
        .bind(&m.reason)
        .bind(m.reference.as_deref())
        .bind(&m.actor)
        .bind(micros(m.at))
        .execute(&mut *self.conn)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}

fn warehouse_from_row(row: &SqliteRow) -> StoreResult<Warehouse> {
    Ok(Warehouse {
        code: get(row, "code")?,
        name: get(row, "name")?,
        latitude: get(row, "latitude")?,
        longitude: get(row, "longitude")?,
        region: get(row, "region")?,
        channels: json_list(row, "channels")?,
        daily_capacity: get(row, "daily_capacity")?,
        priority: get(row, "priority")?,
        active: get(row, "active")?,
    })
}

fn movement_from_row(row: &SqliteRow) -> StoreResult<MovementRecord> {
    let kind: String = get(row, "kind")?;
    Ok(MovementRecord {
        id: get(row, "id")?,
        warehouse: get(row, "warehouse")?,
        sku: get(row, "sku")?,
        kind: MovementKind::parse(&kind).ok_or_else(|| StoreError::Other(format!("unknown movement kind {kind:?}")))?,
        quantity: get(row, "quantity")?,
        on_hand_after: get(row, "on_hand_after")?,
        reserved_after: get(row, "reserved_after")?,
        reason: get(row, "reason")?,
        reference: get(row, "reference")?,
        actor: get(row, "actor")?,
        at: from_micros(get(row, "at")?)?,
    })
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

async fn write_sku(
    tx: &mut Transaction<'static, Sqlite>,
    tenant: &TenantId,
    sku: &SkuRecord,
    now: DateTime<Utc>,
) -> StoreResult<Result<(), StockChangeError>> {
    for component in &sku.components {
        let mut stock_tx = SqliteStockTx { conn: tx };
        match stock_tx.sku_kind(tenant, &component.sku).await? {
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
    sqlx::query(
        "INSERT INTO skus (tenant_id, code, barcode, name, weight_g, length_mm, width_mm, height_mm, attributes, \
         cost_price_minor, cost_currency, low_stock_threshold, is_bundle, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO UPDATE SET \
         barcode = excluded.barcode, name = excluded.name, weight_g = excluded.weight_g, length_mm = excluded.length_mm, \
         width_mm = excluded.width_mm, height_mm = excluded.height_mm, attributes = excluded.attributes, \
         cost_price_minor = excluded.cost_price_minor, cost_currency = excluded.cost_currency, \
         low_stock_threshold = excluded.low_stock_threshold, is_bundle = excluded.is_bundle, updated_at = excluded.updated_at",
    )
    .bind(tenant.as_str())
    .bind(&sku.code)
    .bind(sku.barcode.as_deref())
    .bind(&sku.name)
    .bind(sku.weight_g)
    .bind(length)
    .bind(width)
    .bind(height)
    .bind(serde_json::to_string(&sku.attributes).unwrap_or_else(|_| "[]".into()))
    .bind(sku.cost_price_minor)
    .bind(sku.cost_currency.as_deref())
    .bind(sku.low_stock_threshold)
    .bind(!sku.components.is_empty())
    .bind(micros(now))
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    sqlx::query("DELETE FROM bundle_components WHERE tenant_id = ? AND bundle_sku = ?")
        .bind(tenant.as_str())
        .bind(&sku.code)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    for component in &sku.components {
        sqlx::query(
            "INSERT INTO bundle_components (tenant_id, bundle_sku, component_sku, quantity) VALUES (?, ?, ?, ?)",
        )
        .bind(tenant.as_str())
        .bind(&sku.code)
        .bind(&component.sku)
        .bind(component.quantity)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
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
            .map_err(map_err)?
            .iter()
            .map(warehouse_from_row)
            .collect()
    }

    async fn upsert_sku(
        &self,
        tenant: &TenantId,
        sku: &SkuRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), StockChangeError>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let result = write_sku(&mut tx, tenant, sku, now).await?;
        if result.is_ok() {
            tx.commit().await.map_err(map_err)?;
        }
        Ok(result)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
        let results = change_stock(&mut SqliteStockTx { conn: &mut tx }, tenant, changes, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(results)
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
        sql.build()
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(movement_from_row)
            .collect()
    }

    async fn check_inventory(&self, tenant: &TenantId) -> StoreResult<Vec<Discrepancy>> {
        // Per movement kind, the change to (on hand, reserved); see MovementKind::deltas.
        let rows = sqlx::query(
            "SELECT l.warehouse, l.sku, l.on_hand, l.reserved, l.safety_stock, \
               COALESCE(SUM(CASE WHEN m.kind IN ('receipt', 'return', 'adjustment') THEN m.quantity \
                                 WHEN m.kind = 'shipment' THEN -m.quantity ELSE 0 END), 0) AS moved_on_hand, \
               COALESCE(SUM(CASE WHEN m.kind = 'reservation' THEN m.quantity \
                                 WHEN m.kind IN ('release', 'shipment') THEN -m.quantity ELSE 0 END), 0) AS moved_reserved \
             FROM stock_levels l LEFT JOIN stock_movements m \
               ON m.tenant_id = l.tenant_id AND m.sku = l.sku AND m.warehouse = l.warehouse \
             WHERE l.tenant_id = ? GROUP BY l.warehouse, l.sku, l.on_hand, l.reserved, l.safety_stock \
             HAVING moved_on_hand != l.on_hand OR moved_reserved != l.reserved ORDER BY l.sku, l.warehouse",
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
