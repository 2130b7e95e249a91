//! The inventory side of the storage port: warehouses, the SKU catalogue, bundles, stock
//! levels and their append-only movements.
//!
//! Every stock change is one conditional update of the level plus one movement row, in
//! one transaction, so balances always equal the sum of their movements (checked by
//! [`InventoryStore::check_inventory`]) and no concurrent writer can push a level past the
//! rules of [`ordo_core::inventory::apply`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use std::future::Future;

use ordo_core::inventory::{Component, Movement, MovementKind, StockLevel, apply};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::{Columns, Record, named, parsed};
use crate::stock::allocate::{AllocTx, TenantStock};

/// A warehouse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warehouse {
    /// Code, e.g. `HZ-01`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Latitude, degrees.
    pub latitude: Option<f64>,
    /// Longitude, degrees.
    pub longitude: Option<f64>,
    /// Region, e.g. `CN-ZJ`, `US-CA`.
    pub region: Option<String>,
    /// Channels it serves; empty means every channel.
    pub channels: Vec<String>,
    /// Orders it can ship a day.
    pub daily_capacity: Option<i64>,
    /// Lower ships first when all else is equal.
    pub priority: i64,
    /// Inactive warehouses take no reservations.
    pub active: bool,
}

impl Warehouse {
    /// Whether it serves a channel.
    pub fn serves(&self, channel: &str) -> bool {
        self.active && (self.channels.is_empty() || self.channels.iter().any(|c| c == channel))
    }
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuRecord {
    /// SKU code.
    pub code: String,
    /// Barcode (EAN/UPC).
    pub barcode: Option<String>,
    /// Name.
    pub name: String,
    /// Weight, grams.
    pub weight_g: Option<i64>,
    /// Length × width × height, millimetres.
    pub dimensions_mm: Option<[i64; 3]>,
    /// Attributes such as `cold_chain`, `hazmat`, `fragile`.
    pub attributes: Vec<String>,
    /// Cost price in minor units (never shown to customer service).
    pub cost_price_minor: Option<i64>,
    /// Currency of the cost price.
    pub cost_currency: Option<String>,
    /// Alert when total available falls below this.
    pub low_stock_threshold: Option<i64>,
    /// Components, when this SKU is a bundle.
    pub components: Vec<Component>,
}

/// A stock row as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    /// Warehouse code.
    pub warehouse: String,
    /// SKU code.
    pub sku: String,
    /// Level.
    pub level: StockLevel,
}

/// What to do to a stock level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockOp {
    /// Set on hand to an absolute count (a stock take or a WMS snapshot). With
    /// `expected_on_hand`, only if on hand is still that (optimistic sync).
    Set {
        /// New on hand.
        on_hand: i64,
        /// Apply only if on hand equals this.
        expected_on_hand: Option<i64>,
    },
    /// Change on hand by a signed amount.
    Adjust {
        /// Units to add (negative to remove).
        delta: i64,
    },
    /// Goods received.
    Receive {
        /// Units.
        quantity: i64,
    },
    /// Set the safety stock.
    SetSafetyStock {
        /// Units kept back.
        safety_stock: i64,
    },
}

/// A stock change request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    /// Warehouse code.
    pub warehouse: String,
    /// SKU code.
    pub sku: String,
    /// What to do.
    pub op: StockOp,
    /// Why, e.g. `cycle count`, `damaged`.
    pub reason: String,
    /// An outside reference, e.g. a PO or WMS snapshot id.
    pub reference: Option<String>,
    /// Who.
    pub actor: String,
}

/// Why a stock change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockChangeError {
    /// The warehouse is not in the tenant.
    #[error("unknown warehouse {0:?}")]
    UnknownWarehouse(String),
    /// The SKU is not in the catalogue.
    #[error("unknown sku {0:?}")]
    UnknownSku(String),
    /// Bundles have no stock of their own; stock their components.
    #[error("{0:?} is a bundle; stock its components instead")]
    IsBundle(String),
    /// `expected_on_hand` did not match.
    #[error("on hand is {actual}, not the expected {expected}")]
    Stale {
        /// What the caller expected.
        expected: i64,
        /// What it is.
        actual: i64,
    },
    /// The change would make on hand or safety stock negative.
    #[error("{0}")]
    Invalid(String),
}

/// A stored movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovementRecord {
    /// Its id (UUIDv7: sorts by time).
    pub id: Uuid,
    /// Warehouse code.
    pub warehouse: String,
    /// SKU code.
    pub sku: String,
    /// Kind.
    pub kind: MovementKind,
    /// Units (signed for adjustments).
    pub quantity: i64,
    /// On hand after it.
    pub on_hand_after: i64,
    /// Reserved after it.
    pub reserved_after: i64,
    /// Why.
    pub reason: String,
    /// Outside reference.
    pub reference: Option<String>,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Movement listing filters.
#[derive(Debug, Clone, Default)]
pub struct MovementQuery {
    /// Only this SKU.
    pub sku: Option<String>,
    /// Only this warehouse.
    pub warehouse: Option<String>,
    /// Continue after this movement id (newest first).
    pub after: Option<Uuid>,
    /// Page size.
    pub limit: u32,
}

/// A stock level that disagrees with its movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    /// Warehouse code.
    pub warehouse: String,
    /// SKU code.
    pub sku: String,
    /// The stored level.
    pub stored: StockLevel,
    /// On hand and reserved as summed from movements.
    pub from_movements: (i64, i64),
}

/// The inventory operations of a store.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Creates or replaces a warehouse.
    async fn upsert_warehouse(&self, tenant: &TenantId, warehouse: &Warehouse, now: DateTime<Utc>) -> StoreResult<()>;

    /// Lists warehouses by code.
    async fn list_warehouses(&self, tenant: &TenantId) -> StoreResult<Vec<Warehouse>>;

    /// Creates or replaces a catalogue entry (and its bundle components). Components must
    /// exist and must not be bundles themselves.
    async fn upsert_sku(
        &self,
        tenant: &TenantId,
        sku: &SkuRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<(), StockChangeError>>;

    /// One catalogue entry; bundle components come sorted by SKU.
    async fn get_sku(&self, tenant: &TenantId, code: &str) -> StoreResult<Option<SkuRecord>>;

    /// Catalogue page by code, after `after`.
    async fn list_skus(&self, tenant: &TenantId, after: Option<&str>, limit: u32) -> StoreResult<Vec<SkuRecord>>;

    /// Applies stock changes, each on its own (one may fail while others apply), in one
    /// transaction. Returns each change's new level or why it was refused.
    async fn change_stock(
        &self,
        tenant: &TenantId,
        changes: &[StockChange],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Result<StockLevel, StockChangeError>>>;

    /// Stock rows, optionally for one SKU, by (sku, warehouse).
    async fn list_stock(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<StockRow>>;

    /// Movements, newest first.
    async fn list_movements(&self, tenant: &TenantId, query: &MovementQuery) -> StoreResult<Vec<MovementRecord>>;

    /// Stock levels whose balances differ from the sum of their movements.
    async fn check_inventory(&self, tenant: &TenantId) -> StoreResult<Vec<Discrepancy>>;
}

/// Checks a bundle's component list on its own: no component twice, none the bundle
/// itself, every quantity at least 1. (Whether components exist is the store's check.)
pub fn validate_components(sku: &SkuRecord) -> Result<(), StockChangeError> {
    let mut seen = std::collections::HashSet::new();
    for component in &sku.components {
        if component.sku == sku.code {
            return Err(StockChangeError::Invalid(format!(
                "{} cannot be a component of itself",
                sku.code
            )));
        }
        if !seen.insert(component.sku.as_str()) {
            return Err(StockChangeError::Invalid(format!(
                "component {} is listed twice",
                component.sku
            )));
        }
        if component.quantity < 1 {
            return Err(StockChangeError::Invalid(format!(
                "component {} quantity must be at least 1",
                component.sku
            )));
        }
    }
    Ok(())
}

/// What a stock transaction can tell about a SKU code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkuKind {
    /// Not in the catalogue.
    Unknown,
    /// A stocked SKU.
    Stocked,
    /// A bundle of other SKUs.
    Bundle,
}

/// The row operations a stock transaction needs; implemented by each adapter over its
/// own transaction type, used only generically.
pub trait StockTx: Send {
    /// Whether the warehouse exists in the tenant.
    fn warehouse_exists(&mut self, tenant: &TenantId, code: &str) -> impl Future<Output = StoreResult<bool>> + Send;
    /// What the SKU is.
    fn sku_kind(&mut self, tenant: &TenantId, code: &str) -> impl Future<Output = StoreResult<SkuKind>> + Send;
    /// Reads and locks a level; `None` if the row does not exist yet. A row-locking store
    /// must lock the key even when there is no row (e.g. insert a zero row first), or two
    /// writers that both see `None` lose one update.
    fn lock_level(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
    ) -> impl Future<Output = StoreResult<Option<StockLevel>>> + Send;
    /// Writes a level (insert or update).
    fn write_level(
        &mut self,
        tenant: &TenantId,
        warehouse: &str,
        sku: &str,
        level: &StockLevel,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Appends a movement.
    fn insert_movement(
        &mut self,
        tenant: &TenantId,
        movement: &MovementRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Applies stock changes inside an open transaction: the one algorithm every adapter runs.
pub async fn change_stock<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    changes: &[StockChange],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Result<StockLevel, StockChangeError>>> {
    // Every level of the SKUs (and of bundles sharing them) is locked first, so that the
    // availability published afterwards is exact.
    let skus = changes.iter().map(|c| c.sku.clone()).collect();
    let mut ctx = TenantStock::load(tx, tenant, skus).await?;
    // Rows are locked in (sku, warehouse) order, whatever order the caller gave, so that
    // concurrent calls on several nodes cannot deadlock; results keep the caller's order.
    let mut sequence: Vec<usize> = (0..changes.len()).collect();
    sequence
        .sort_by(|a, b| (&changes[*a].sku, &changes[*a].warehouse).cmp(&(&changes[*b].sku, &changes[*b].warehouse)));
    let mut results: Vec<Option<Result<StockLevel, StockChangeError>>> = vec![None; changes.len()];
    for index in sequence {
        let change = &changes[index];
        let result = change_one(tx, tenant, change, now).await?;
        if let Ok(level) = &result
            && *level != ctx.book.level(&change.sku, &change.warehouse)
        {
            ctx.book.set(&change.sku, &change.warehouse, *level);
        }
        results[index] = Some(result);
    }
    ctx.publish(tx, tenant, now).await?;
    ctx.append_feed(tx, tenant, now).await?;
    Ok(results
        .into_iter()
        .map(|r| r.expect("every change was applied"))
        .collect())
}

async fn change_one<T: StockTx>(
    tx: &mut T,
    tenant: &TenantId,
    change: &StockChange,
    now: DateTime<Utc>,
) -> StoreResult<Result<StockLevel, StockChangeError>> {
    if !tx.warehouse_exists(tenant, &change.warehouse).await? {
        return Ok(Err(StockChangeError::UnknownWarehouse(change.warehouse.clone())));
    }
    match tx.sku_kind(tenant, &change.sku).await? {
        SkuKind::Unknown => return Ok(Err(StockChangeError::UnknownSku(change.sku.clone()))),
        SkuKind::Bundle => return Ok(Err(StockChangeError::IsBundle(change.sku.clone()))),
        SkuKind::Stocked => {}
    }
    let current = tx
        .lock_level(tenant, &change.warehouse, &change.sku)
        .await?
        .unwrap_or_default();
    let movement = match change.op {
        StockOp::Set {
            on_hand,
            expected_on_hand,
        } => {
            if let Some(expected) = expected_on_hand
                && expected != current.on_hand
            {
                return Ok(Err(StockChangeError::Stale {
                    expected,
                    actual: current.on_hand,
                }));
            }
            (on_hand != current.on_hand).then_some(Movement {
                kind: MovementKind::Adjustment,
                quantity: on_hand - current.on_hand,
            })
        }
        StockOp::Adjust { delta } => (delta != 0).then_some(Movement {
            kind: MovementKind::Adjustment,
            quantity: delta,
        }),
        StockOp::Receive { quantity } => Some(Movement {
            kind: MovementKind::Receipt,
            quantity,
        }),
        StockOp::SetSafetyStock { safety_stock } => {
            if safety_stock < 0 {
                return Ok(Err(StockChangeError::Invalid(format!(
                    "safety stock must not be negative (got {safety_stock})"
                ))));
            }
            let next = StockLevel {
                safety_stock,
                ..current
            };
            tx.write_level(tenant, &change.warehouse, &change.sku, &next, now)
                .await?;
            return Ok(Ok(next));
        }
    };
    let Some(movement) = movement else {
        return Ok(Ok(current));
    };
    let next = match apply(current, movement) {
        Ok(next) => next,
        Err(error) => return Ok(Err(StockChangeError::Invalid(error.to_string()))),
    };
    tx.write_level(tenant, &change.warehouse, &change.sku, &next, now)
        .await?;
    let record = MovementRecord {
        id: Uuid::now_v7(),
        warehouse: change.warehouse.clone(),
        sku: change.sku.clone(),
        kind: movement.kind,
        quantity: movement.quantity,
        on_hand_after: next.on_hand,
        reserved_after: next.reserved,
        reason: change.reason.clone(),
        reference: change.reference.clone(),
        actor: change.actor.clone(),
        at: now,
    };
    tx.insert_movement(tenant, &record).await?;
    Ok(Ok(next))
}

impl Record for Warehouse {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            code: row.text("code")?,
            name: row.text("name")?,
            latitude: row.float_opt("latitude")?,
            longitude: row.float_opt("longitude")?,
            region: row.text_opt("region")?,
            channels: parsed(row, "channels")?,
            daily_capacity: row.int_opt("daily_capacity")?,
            priority: row.int("priority")?,
            active: row.flag("active")?,
        })
    }
}

impl Record for MovementRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            warehouse: row.text("warehouse")?,
            sku: row.text("sku")?,
            kind: named(row, "kind", MovementKind::parse)?,
            quantity: row.int("quantity")?,
            on_hand_after: row.int("on_hand_after")?,
            reserved_after: row.int("reserved_after")?,
            reason: row.text("reason")?,
            reference: row.text_opt("reference")?,
            actor: row.text("actor")?,
            at: row.time("at")?,
        })
    }
}
