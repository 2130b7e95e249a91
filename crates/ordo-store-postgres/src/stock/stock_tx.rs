//! The row operations of one stock transaction ([`StockTx`]) in PostgreSQL, over
//! [`PgTx`], run by the shared algorithm [`ordo_store::stock::inventory::change_stock`].
//!
//! Transactions run at READ COMMITTED. That is enough because every level is read with
//! `SELECT … FOR UPDATE` before it is changed: concurrent changes of one level, from this
//! node or another, queue on the row lock and each computes from the balance the previous
//! one committed. A level row that does not exist yet is created before it is locked (see
//! `lock_level`), so there is always a row to queue on. The shared algorithm first locks
//! every existing level of the SKUs involved in (sku, warehouse) order
//! ([`AllocTx::lock_skus`](ordo_store::stock::allocate::AllocTx::lock_skus)) and then visits the
//! changes in that same order, so concurrent calls cannot deadlock on levels either.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::StockLevel;
use ordo_store::stock::inventory::{MovementRecord, SkuKind, StockTx};
use ordo_store::{StoreError, StoreResult};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::errors::map;
use crate::tx::{LevelKey, PgTx};

impl PgTx {
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
        .fetch_optional(self.conn())
        .await
        .map_err(map)?;
        row.as_ref().map(level_from_row).transpose()
    }
}

/// What a catalogue code is, read on any connection (also used by `upsert_sku`).
pub(crate) async fn sku_kind(conn: &mut PgConnection, tenant: &TenantId, code: &str) -> StoreResult<SkuKind> {
    let is_bundle: Option<bool> = sqlx::query_scalar("SELECT is_bundle FROM skus WHERE tenant_id = $1 AND code = $2")
        .bind(tenant.as_str())
        .bind(code)
        .fetch_optional(conn)
        .await
        .map_err(map)?;
    Ok(match is_bundle {
        None => SkuKind::Unknown,
        Some(true) => SkuKind::Bundle,
        Some(false) => SkuKind::Stocked,
    })
}

fn key(tenant: &TenantId, warehouse: &str, sku: &str) -> LevelKey {
    (tenant.as_str().to_owned(), warehouse.to_owned(), sku.to_owned())
}

impl StockTx for PgTx {
    async fn warehouse_exists(&mut self, tenant: &TenantId, code: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM warehouses WHERE tenant_id = $1 AND code = $2")
            .bind(tenant.as_str())
            .bind(code)
            .fetch_optional(self.conn())
            .await
            .map_err(map)?;
        Ok(row.is_some())
    }

    async fn sku_kind(&mut self, tenant: &TenantId, code: &str) -> StoreResult<SkuKind> {
        sku_kind(self.conn(), tenant, code).await
    }

    /// Never actually returns `None`: a missing level is created at zero and returned
    /// locked. Locking only an existing row would let two transactions that both find none
    /// both compute from zero, and the second write would overwrite the first.
    async fn lock_level(&mut self, tenant: &TenantId, warehouse: &str, sku: &str) -> StoreResult<Option<StockLevel>> {
        // Written earlier in this transaction: locked then, and the buffer is newer than
        // the row.
        if let Some(level) = self.buffered_level(&key(tenant, warehouse, sku)) {
            return Ok(Some(level));
        }
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
        .execute(self.conn())
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
        // Buffered (see `PgTx`): the row is locked already (lock_level made it), and a
        // later lock_level of the same key in this transaction reads the buffer.
        let written = key(tenant, warehouse, sku);
        self.buffer_level(&written, *level, now);
        self.placeholders.retain(|k| *k != written);
        Ok(())
    }

    /// Buffered: nothing reads movements back inside the transaction, so they are
    /// written in one statement at the end (see [`PgTx`]).
    async fn insert_movement(&mut self, tenant: &TenantId, m: &MovementRecord) -> StoreResult<()> {
        self.buffer_movement(tenant.as_str(), m);
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
