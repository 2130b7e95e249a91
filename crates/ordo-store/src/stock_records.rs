//! Records of the order-stock side: catalogue facts a transaction needs, channel rules,
//! the live feed, the outbox and low-stock alerts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::allocation::{OrderStock, PlanError, StockPolicy};
use ordo_core::inventory::{ChannelPolicy, Component, SkuOverride};
use ordo_core::{OrderId, OrderStatus, TenantId};
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

/// An event for the live feed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeedEvent {
    /// e.g. `availability.changed`, `order.created`, `stock.low`.
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
}

/// An event of the live feed, numbered per tenant in commit order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedEvent {
    /// Sequence number; resume after it.
    pub seq: i64,
    /// Kind.
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
    /// Commit time.
    pub at: DateTime<Utc>,
}

/// A message for an outside system, written in the transaction that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbox {
    /// Its id.
    pub id: Uuid,
    /// `channel.stock` (for a channel connector) or `webhook` (for alert subscribers).
    pub topic: String,
    /// Who it is for, e.g. the channel code.
    pub destination: String,
    /// The message.
    pub payload: serde_json::Value,
}

/// Where an outbox message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or retried).
    Pending,
    /// Sent and acknowledged.
    Delivered,
    /// Gave up after the last retry.
    Dead,
    /// Nobody is configured to receive it.
    Dropped,
}

impl OutboxStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Dropped => "dropped",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead, Self::Dropped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A stored outbox message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxMessage {
    /// Its id.
    pub id: Uuid,
    /// Tenant.
    pub tenant: String,
    /// Topic.
    pub topic: String,
    /// Destination.
    pub destination: String,
    /// The message.
    pub payload: serde_json::Value,
    /// Where it is.
    pub status: OutboxStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// Not before this time.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Written at.
    pub created_at: DateTime<Utc>,
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

/// Something done to an order's stock from outside the channel feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRequest {
    /// It left the warehouse, whole or one package at a time: reserved becomes a
    /// deduction, each parcel is recorded as a shipment (found again by its tracking
    /// number) and the tracking goes back to the channel through the outbox (topic
    /// `channel.tracking`). The order is `shipped` once nothing is reserved or waiting.
    Ship(Shipment),
    /// A warehouse shipped what `shipped` says (possibly nothing) and will not ship
    /// `short` (empty: nothing it still holds for the order, as when it cancelled): those
    /// units are released there, written off too when `write_off` (it shipped short: they
    /// are missing), and reserved again at another warehouse, which is sent them, or the
    /// order waits on hold for stock.
    ShortShip {
        /// The warehouse.
        warehouse: String,
        /// What did ship.
        shipped: Shipment,
        /// SKU → units it will not ship; empty for everything it holds for the order.
        short: BTreeMap<String, i64>,
        /// Why, as the warehouse said.
        reason: Option<String>,
        /// Whether the units are missing at the warehouse (a count correction).
        write_off: bool,
    },
    /// Goods came back: SKU → units, or all shipped units.
    Return(Option<BTreeMap<String, i64>>),
    /// Cancel it and release its stock.
    Cancel {
        /// Why, recorded on the event.
        reason: String,
    },
    /// Cancel it because it stayed unpaid past the cutoff (only if it still is unpaid).
    ExpireUnpaid,
    /// Try again to reserve what it is waiting for.
    Retry,
}

/// How a shipment left, as the channel is told.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// Carrier name or code, e.g. `SF Express`, `UPS`.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// A tracking page.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// The warehouse it left; `None` ships what is reserved anywhere.
    #[serde(default)]
    pub warehouse: Option<String>,
    /// SKU → units in this parcel; empty when not said (with no units given anywhere in
    /// the shipment, everything reserved in its warehouse ships).
    #[serde(default)]
    pub units: BTreeMap<String, i64>,
    /// Further parcels of the same shipment, each with its own tracking.
    #[serde(default)]
    pub parcels: Vec<Parcel>,
}

/// One more parcel of a shipment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parcel {
    /// Carrier name or code.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// A tracking page.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// SKU → units in it; empty when not said.
    #[serde(default)]
    pub units: BTreeMap<String, i64>,
}

impl Shipment {
    /// Every parcel, the first one (this shipment's own fields) included.
    pub fn all_parcels(&self) -> Vec<Parcel> {
        let first = Parcel {
            carrier: self.carrier.clone(),
            tracking_number: self.tracking_number.clone(),
            tracking_url: self.tracking_url.clone(),
            units: self.units.clone(),
        };
        std::iter::once(first).chain(self.parcels.iter().cloned()).collect()
    }

    /// The units every parcel names together; empty when none names any.
    pub fn units_named(&self) -> BTreeMap<String, i64> {
        let mut total = BTreeMap::new();
        for parcel in self.all_parcels() {
            for (sku, units) in parcel.units {
                *total.entry(sku).or_insert(0) += units;
            }
        }
        total
    }

    /// Which reserved units it takes.
    pub fn scope(&self) -> ordo_core::allocation::ShipScope {
        let units = self.units_named();
        ordo_core::allocation::ShipScope {
            warehouse: self.warehouse.clone(),
            units: (!units.is_empty()).then_some(units),
        }
    }
}

/// Why an order request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderRequestError {
    /// No such order in the tenant.
    #[error("no such order")]
    NotFound,
    /// Not allowed from the order's status.
    #[error("{action} is not allowed while the order is {status}; allowed from: {}", allowed.join(", "))]
    IllegalState {
        /// The request.
        action: &'static str,
        /// The order's status.
        status: &'static str,
        /// Statuses that allow it.
        allowed: Vec<&'static str>,
    },
    /// The stock plan refused it.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// What an order request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequestOutcome {
    /// The status afterwards.
    pub status: OrderStatus,
    /// What the order holds afterwards.
    pub stock: OrderStock,
    /// Version afterwards.
    pub version: i64,
}

/// The order-stock, channel, feed, alert and outbox operations of a store.
#[async_trait::async_trait]
pub trait StockFlowStore: Send + Sync {
    /// Ships, returns, cancels, expires or retries one order, with its stock, in one
    /// transaction.
    async fn order_request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>>;

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

    /// Creates or replaces an alias; `Ok(false)` if its SKU is not in the catalogue (or is
    /// itself only an alias).
    async fn put_sku_alias(&self, tenant: &TenantId, alias: &SkuAlias, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Every alias, by (channel, alias).
    async fn list_sku_aliases(&self, tenant: &TenantId) -> StoreResult<Vec<SkuAlias>>;

    /// Deletes an alias; false if there was none.
    async fn delete_sku_alias(&self, tenant: &TenantId, channel: &str, alias: &str) -> StoreResult<bool>;

    /// Creates or replaces a channel rule and queues the channel's new quantities.
    async fn put_channel_rule(&self, tenant: &TenantId, rule: &ChannelRule, now: DateTime<Utc>) -> StoreResult<()>;

    /// Channel rules by channel.
    async fn list_channel_rules(&self, tenant: &TenantId) -> StoreResult<Vec<ChannelRule>>;

    /// Quantities last offered to channels, as (channel, sku, quantity), optionally for one SKU.
    async fn list_published(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<(String, String, i64)>>;

    /// Feed events after `after`, oldest first.
    async fn read_feed(&self, tenant: &TenantId, after: i64, limit: u32) -> StoreResult<Vec<FeedEvent>>;

    /// The number of the tenant's newest feed event (0 when none). Stores override this
    /// paging default with one query.
    async fn feed_head(&self, tenant: &TenantId) -> StoreResult<i64> {
        let mut head = 0;
        loop {
            match self.read_feed(tenant, head, 500).await?.last() {
                Some(event) => head = event.seq,
                None => return Ok(head),
            }
        }
    }

    /// Hints that another node sharing the database appended to a tenant's feed (each
    /// message a tenant id; an empty one or a lag means "re-read everything"). `None` for
    /// a store only one node uses.
    async fn feed_wakeups(&self) -> StoreResult<Option<tokio::sync::broadcast::Receiver<String>>> {
        Ok(None)
    }

    /// Deletes feed events committed before `before` (the feed is for live subscribers
    /// and short outages, not an archive); returns how many went.
    async fn prune_feed(&self, tenant: &TenantId, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Low-stock alerts, newest first.
    async fn list_alerts(&self, tenant: &TenantId, open_only: bool) -> StoreResult<Vec<StockAlert>>;

    /// A tenant's outbox messages, newest first.
    async fn list_outbox(
        &self,
        tenant: &TenantId,
        topic: Option<&str>,
        status: Option<OutboxStatus>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>>;

    /// Pending messages of a topic, over every tenant, due by `now`, oldest first.
    async fn due_outbox(&self, topic: &str, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OutboxMessage>>;

    /// Records a delivery attempt.
    async fn finish_outbox(
        &self,
        id: Uuid,
        status: OutboxStatus,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<()>;

    /// Records many attempts at once: (id, status, next attempt, error). A store may do it
    /// in one transaction, which is what lets a busy warehouse connector keep up.
    async fn finish_outbox_many(
        &self,
        outcomes: &[(Uuid, OutboxStatus, DateTime<Utc>, Option<String>)],
    ) -> StoreResult<()> {
        for (id, status, next, error) in outcomes {
            self.finish_outbox(*id, *status, *next, error.as_deref()).await?;
        }
        Ok(())
    }

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
