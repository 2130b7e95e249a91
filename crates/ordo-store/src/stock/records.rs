//! Records of the order-stock side: catalogue facts a transaction needs, channel rules,
//! the live feed, the outbox and low-stock alerts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::inventory::{ChannelPolicy, Component, SkuOverride};
use ordo_core::{OrderId, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreResult;

/// What a stock transaction needs to know about a catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueRow {
    /// SKU code.
    pub code: String,
    /// Components when it is a bundle; empty for a stocked SKU.
    pub components: Vec<Component>,
    /// Alert below this many available units (set by hand).
    pub low_stock_threshold: Option<i64>,
    /// Alert below this many (N days of average sales, refreshed by Ordo).
    pub forecast_threshold: Option<i64>,
    /// Weight of one unit, grams: what a package weighs, for the carrier rules.
    pub weight_g: Option<i64>,
    /// Length × width × height of one unit, millimetres, when all three are known.
    pub dims_mm: Option<[i64; 3]>,
    /// Attributes such as `cold_chain`, `hazmat`: a package needs a carrier that takes them.
    pub attributes: Vec<String>,
}

/// Another name a channel uses for a catalogue SKU (a listing id, an old code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuAlias {
    /// The channel it applies to; empty for every channel.
    pub channel: String,
    /// The name the channel sends.
    pub alias: String,
    /// The catalogue SKU it stands for.
    pub sku: String,
}

/// How one channel is offered stock: its policy and per-SKU overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRule {
    /// Channel code, e.g. `shopify`.
    pub channel: String,
    /// Ratio and buffer.
    pub policy: ChannelPolicy,
    /// Per-SKU fixed quantities or caps.
    #[serde(default)]
    pub overrides: BTreeMap<String, SkuOverride>,
}

/// A low-stock alert: opened when available falls below the threshold, closed when it
/// recovers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockAlert {
    /// Its id.
    pub id: Uuid,
    /// SKU.
    pub sku: String,
    /// Available when it opened.
    pub available: i64,
    /// The threshold it fell below.
    pub threshold: i64,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Closed, if stock recovered.
    pub closed_at: Option<DateTime<Utc>>,
}

/// The order-stock, channel, feed, alert and outbox operations of a store.
#[async_trait::async_trait]
pub trait StockFlowStore: Send + Sync {
    /// What an order holds.
    async fn get_order_stock(&self, tenant: &TenantId, id: OrderId) -> StoreResult<OrderStock>;

    /// Orders waiting for a SKU that now has available stock, oldest first.
    async fn waiting_orders(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<OrderId>>;

    /// Orders still pending payment that were placed before `placed_before`, oldest first.
    async fn unpaid_orders(
        &self,
        tenant: &TenantId,
        placed_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OrderId>>;

    /// Recomputes each SKU's forecast threshold: average daily units reserved over the
    /// last `window_days`, times `cover_days`, rounded up. Returns how many SKUs changed.
    async fn refresh_forecasts(
        &self,
        tenant: &TenantId,
        window_days: u32,
        cover_days: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}
