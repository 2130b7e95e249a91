//! The stock rows of the single writer's transaction.

use crate::micros;
use crate::writer::WriteTx;
use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::StockLevel;
use ordo_store::StoreResult;
use ordo_store::stock::inventory::{MovementRecord, SkuKind, StockTx};
use rusqlite::params;

impl StockTx for WriteTx<'_> {
    async fn warehouse_exists(&mut self, tenant: &TenantId, code: &str) -> StoreResult<bool> {
        let found = self.query_one(
            "SELECT 1 FROM warehouses WHERE tenant_id = ?1 AND code = ?2",
            params![tenant.as_str(), code],
            |_| Ok(()),
        )?;
        Ok(found.is_some())
    }

    async fn sku_kind(&mut self, tenant: &TenantId, code: &str) -> StoreResult<SkuKind> {
        let bundle = self.query_one(
            "SELECT is_bundle FROM skus WHERE tenant_id = ?1 AND code = ?2",
            params![tenant.as_str(), code],
            |r| r.get::<_, bool>(0),
        )?;
        Ok(match bundle {
            None => SkuKind::Unknown,
            Some(true) => SkuKind::Bundle,
            Some(false) => SkuKind::Stocked,
        })
    }

    async fn lock_level(&mut self, tenant: &TenantId, warehouse: &str, sku: &str) -> StoreResult<Option<StockLevel>> {
        self.query_one(
            "SELECT on_hand, reserved, safety_stock FROM stock_levels WHERE tenant_id = ?1 AND sku = ?2 AND warehouse = ?3",
            params![tenant.as_str(), sku, warehouse],
            |r| Ok(StockLevel { on_hand: r.get(0)?, reserved: r.get(1)?, safety_stock: r.get(2)? }),
        )
    }

    async fn write_level(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
        level: &StockLevel,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.execute(
            "INSERT INTO stock_levels (tenant_id, warehouse, sku, on_hand, reserved, safety_stock, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE SET \
             on_hand = excluded.on_hand, reserved = excluded.reserved, safety_stock = excluded.safety_stock, \
             updated_at = excluded.updated_at",
            params![
                tenant.as_str(),
                warehouse,
                sku,
                level.on_hand,
                level.reserved,
                level.safety_stock,
                micros(now)
            ],
        )?;
        Ok(())
    }

    async fn insert_movement(&mut self, tenant: &TenantId, m: &MovementRecord) -> StoreResult<()> {
        self.execute(
            "INSERT INTO stock_movements (tenant_id, id, warehouse, sku, kind, quantity, on_hand_after, reserved_after, \
             reason, reference, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                tenant.as_str(),
                m.id,
                m.warehouse,
                m.sku,
                m.kind.as_str(),
                m.quantity,
                m.on_hand_after,
                m.reserved_after,
                m.reason,
                m.reference,
                m.actor,
                micros(m.at)
            ],
        )?;
        Ok(())
    }
}
