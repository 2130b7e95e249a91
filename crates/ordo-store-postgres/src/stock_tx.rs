//! The row operations of one stock transaction ([`StockTx`]) in PostgreSQL, run by the
//! shared algorithm [`ordo_store::inventory::change_stock`].
//!
//! Transactions run at READ COMMITTED. That is enough because every level is read with
//! `SELECT … FOR UPDATE` before it is changed: concurrent changes of one level, from this
//! node or another, queue on the row lock and each computes from the balance the previous
//! one committed. A level row that does not exist yet is created before it is locked (see
//! [`PgStockTx::lock_level`]), so there is always a row to queue on.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::StockLevel;
use ordo_store::inventory::{MovementRecord, SkuKind, StockChange, StockTx};
use ordo_store::{StoreError, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::errors::map;

/// A level's key: tenant, warehouse, SKU.
type LevelKey = (String, String, String);

/// The stock operations of one open transaction.
pub(crate) struct PgStockTx<'c> {
    conn: &'c mut PgConnection,
    /// Level rows [`Self::lock_level`] created as zero placeholders that no write has
    /// filled in yet. A change refused after locking (stale, would go negative) or one that
    /// changes nothing must leave no trace, so [`Self::finish`] deletes these again.
    placeholders: Vec<LevelKey>,
}

impl<'c> PgStockTx<'c> {
    /// Works on `conn`, which must be inside a transaction: the locks taken here are only
    /// worth anything until it ends.
    pub(crate) fn new(conn: &'c mut PgConnection) -> Self {
        Self {
            conn,
            placeholders: Vec::new(),
        }
    }

    /// Deletes the placeholder rows nothing wrote to; call before committing. They are
    /// still locked by this transaction, so no one else can have touched them.
    pub(crate) async fn finish(self) -> StoreResult<()> {
        for (tenant, warehouse, sku) in &self.placeholders {
            sqlx::query("DELETE FROM stock_levels WHERE tenant_id = $1 AND sku = $2 AND warehouse = $3")
                .bind(tenant)
                .bind(sku)
                .bind(warehouse)
                .execute(&mut *self.conn)
                .await
                .map_err(map)?;
        }
        Ok(())
    }

    /// Locks every level `changes` name, in (SKU, warehouse) order, before the shared
    /// algorithm locks them again in the order given. Two calls naming the same levels in
    /// different orders would otherwise deadlock: PostgreSQL detects that only after
    /// `deadlock_timeout` (a second by default) and fails one call as retryable. Taking the
    /// locks in one global order makes that impossible, and relocking a row this
    /// transaction already holds costs no wait. One level needs no ordering.
    pub(crate) async fn lock_in_key_order(&mut self, tenant: &TenantId, changes: &[StockChange]) -> StoreResult<()> {
        let mut keys: Vec<(&str, &str)> = changes.iter().map(|c| (c.sku.as_str(), c.warehouse.as_str())).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() > 1 {
            for (sku, warehouse) in keys {
                // A key naming an unknown warehouse or SKU gets a placeholder here that
                // nothing writes to; `finish` deletes it again.
                self.lock_level(tenant, warehouse, sku).await?;
            }
        }
        Ok(())
    }

    async fn select_level_for_update(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
    ) -> StoreResult<Option<StockLevel>> {
        let row = sqlx::query(
            "SELECT on_hand, reserved, safety_stock FROM stock_levels
             WHERE tenant_id = $1 AND sku = $2 AND warehouse = $3 FOR UPDATE",
        )
        .bind(tenant.as_str())
        .bind(sku)
        .bind(warehouse)
        .fetch_optional(&mut *self.conn)
        .await
        .map_err(map)?;
        row.as_ref().map(level_from_row).transpose()
    }
}

fn key(tenant: &TenantId, warehouse: &str, sku: &str) -> LevelKey {
    (tenant.as_str().to_owned(), warehouse.to_owned(), sku.to_owned())
}

impl StockTx for PgStockTx<'_> {
    async fn warehouse_exists(&mut self, tenant: &TenantId, code: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM warehouses WHERE tenant_id = $1 AND code = $2")
            .bind(tenant.as_str())
            .bind(code)
            .fetch_optional(&mut *self.conn)
            .await
            .map_err(map)?;
        Ok(row.is_some())
    }

    async fn sku_kind(&mut self, tenant: &TenantId, code: &str) -> StoreResult<SkuKind> {
        let is_bundle: Option<bool> =
            sqlx::query_scalar("SELECT is_bundle FROM skus WHERE tenant_id = $1 AND code = $2")
                .bind(tenant.as_str())
                .bind(code)
                .fetch_optional(&mut *self.conn)
                .await
                .map_err(map)?;
        Ok(match is_bundle {
            None => SkuKind::Unknown,
            Some(true) => SkuKind::Bundle,
            Some(false) => SkuKind::Stocked,
        })
    }

    /// Never actually returns `None`: a missing level is created at zero and returned
    /// locked. Locking only an existing row would let two transactions that both find none
    /// both compute from zero, and the second write would overwrite the first.
    async fn lock_level(&mut self, tenant: &TenantId, warehouse: &str, sku: &str) -> StoreResult<Option<StockLevel>> {
        if let Some(level) = self.select_level_for_update(tenant, warehouse, sku).await? {
            return Ok(Some(level));
        }
        // If another transaction inserted the row and has not committed, this waits for
        // it, then inserts nothing; either way the SELECT below (a fresh snapshot at READ
        // COMMITTED) finds the row and queues on its lock.
        let inserted = sqlx::query(
            "INSERT INTO stock_levels (tenant_id, warehouse, sku, on_hand, reserved, safety_stock, updated_at)
             VALUES ($1, $2, $3, 0, 0, 0, now())
             ON CONFLICT (tenant_id, sku, warehouse) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(warehouse)
        .bind(sku)
        .execute(&mut *self.conn)
        .await
        .map_err(map)?;
        if inserted.rows_affected() == 1 {
            self.placeholders.push(key(tenant, warehouse, sku));
        }
        match self.select_level_for_update(tenant, warehouse, sku).await? {
            Some(level) => Ok(Some(level)),
            // Should not happen: a placeholder is only ever deleted by the transaction that
            // inserted it, before it commits, and then the INSERT above would have inserted.
            // Should it happen anyway, rerunning the transaction is the cure.
            None => Err(StoreError::Retryable(format!(
                "stock level {sku} in {warehouse} vanished while being created"
            ))),
        }
    }

    async fn write_level(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
        level: &StockLevel,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        // An upsert although the row is always there (lock_level made it): the port does
        // not promise that a write follows a lock, and an upsert is right either way.
        sqlx::query(
            "INSERT INTO stock_levels (tenant_id, warehouse, sku, on_hand, reserved, safety_stock, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE SET
                 on_hand = excluded.on_hand, reserved = excluded.reserved,
                 safety_stock = excluded.safety_stock, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(warehouse)
        .bind(sku)
        .bind(level.on_hand)
        .bind(level.reserved)
        .bind(level.safety_stock)
        .bind(now)
        .execute(&mut *self.conn)
        .await
        .map_err(map)?;
        let written = key(tenant, warehouse, sku);
        self.placeholders.retain(|k| *k != written);
        Ok(())
    }

    async fn insert_movement(&mut self, tenant: &TenantId, m: &MovementRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO stock_movements (tenant_id, id, warehouse, sku, kind, quantity, on_hand_after,
                 reserved_after, reason, reference, actor, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
        .bind(m.at)
        .execute(&mut *self.conn)
        .await
        .map_err(map)?;
        Ok(())
    }
}

pub(crate) fn level_from_row(row: &PgRow) -> StoreResult<StockLevel> {
    Ok(StockLevel {
        on_hand: row.try_get("on_hand").map_err(map)?,
        reserved: row.try_get("reserved").map_err(map)?,
        safety_stock: row.try_get("safety_stock").map_err(map)?,
    })
}
