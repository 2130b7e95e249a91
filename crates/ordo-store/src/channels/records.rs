//! Records of the channel side: connector cursors, mapping drift, order flags, likely
//! duplicates and merged shipments.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::{Columns, Record, named, parsed};
use crate::orders::records::OrderSummary;

/// Fields that appeared in, or vanished from, one payload compared with what its mapping
/// expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftSighting {
    /// The mapping, e.g. `shopify.order`.
    pub mapping: String,
    /// Fields the payload has and the mapping has never seen.
    pub appeared: Vec<String>,
    /// Fields the mapping reads and the payload lacks.
    pub vanished: Vec<String>,
    /// The order it produced, if it produced one.
    pub order_id: Option<OrderId>,
    /// The inbox entry holding the payload.
    pub inbox_id: Uuid,
}

/// Whether a field appeared or vanished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftChange {
    /// New in the payloads.
    Appeared,
    /// Gone from the payloads.
    Vanished,
}

impl DriftChange {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Appeared => "appeared",
            Self::Vanished => "vanished",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "appeared" => Some(Self::Appeared),
            "vanished" => Some(Self::Vanished),
            _ => None,
        }
    }
}

/// One drifted field of one mapping, with when it was first and last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftRecord {
    /// The mapping.
    pub mapping: String,
    /// The field path, e.g. `line_items[].seller_sku`.
    pub field: String,
    /// Appeared or vanished.
    pub change: DriftChange,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
    /// In how many payloads.
    pub seen_count: i64,
    /// The last order it was seen on.
    pub last_order_id: Option<OrderId>,
    /// The last inbox entry it was seen in.
    pub last_inbox_id: Option<Uuid>,
}

/// A note on an order that someone should see (drift in its payload, for example).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderFlag {
    /// e.g. `schema_drift`.
    pub kind: String,
    /// Details.
    pub detail: serde_json::Value,
    /// When it was raised (last).
    pub at: DateTime<Utc>,
}

/// Orders shipped together: several orders of one buyer to one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeGroup {
    /// Its id.
    pub id: Uuid,
    /// The orders, in the order they were merged.
    pub order_ids: Vec<OrderId>,
    /// `rule` or the user who merged them.
    pub merged_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was undone, and by whom.
    pub dissolved_at: Option<DateTime<Utc>>,
    /// Who undid it.
    pub dissolved_by: Option<String>,
}

/// Why orders could not be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Fewer than two distinct orders.
    #[error("a merge needs at least two different orders")]
    TooFew,
    /// An order does not exist.
    #[error("order {0} was not found")]
    NotFound(OrderId),
    /// An order is not paid or already released to a warehouse.
    #[error("order {order} is {} and cannot be merged (only paid orders not yet released to a warehouse can)", status.as_str())]
    NotMergeable {
        /// The order.
        order: OrderId,
        /// Its status.
        status: OrderStatus,
    },
    /// Orders of different buyers or addresses.
    #[error("order {0} goes to another buyer or address")]
    DifferentDestination(OrderId),
    /// Placed too far apart.
    #[error("order {order} was placed more than {window_minutes} minutes from the others")]
    OutsideWindow {
        /// The order.
        order: OrderId,
        /// The window.
        window_minutes: i64,
    },
    /// Already in another merge.
    #[error("order {order} is already merged in {group}")]
    AlreadyMerged {
        /// The order.
        order: OrderId,
        /// Its group.
        group: Uuid,
    },
    /// Undoing a merge one of whose orders has moved on.
    #[error("order {order} is already {}; the merge can no longer be undone", status.as_str())]
    Released {
        /// The order.
        order: OrderId,
        /// Its status.
        status: OrderStatus,
    },
}

/// What an order has in common with others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderMatches {
    /// Orders with the same buyer, address, goods and amount within the window (any channel).
    pub possible_duplicates: Vec<OrderSummary>,
    /// Other mergeable orders of the same buyer to the same address within the window.
    pub merge_candidates: Vec<OrderSummary>,
    /// The active merge it belongs to.
    pub merge_group: Option<MergeGroup>,
}

/// An order's row as a merge sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRow {
    /// The order.
    pub id: OrderId,
    /// Its status.
    pub status: OrderStatus,
    /// Its buyer + address key.
    pub match_key: Option<String>,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// The active merge it is in.
    pub group: Option<Uuid>,
}

/// The channel-side operations of a store.
#[async_trait::async_trait]
pub trait ChannelStore: Send + Sync {
    /// A connector's cursor for a channel.
    async fn get_cursor(&self, tenant: &TenantId, channel: &str) -> StoreResult<Option<serde_json::Value>>;

    /// Stores a connector's cursor.
    async fn put_cursor(
        &self,
        tenant: &TenantId,
        channel: &str,
        cursor: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Records a drift sighting, flags its order, and announces each field seen for the
    /// first time (feed event `mapping.drift` and a webhook message), in one transaction.
    /// Returns the fields seen for the first time.
    async fn record_drift(
        &self,
        tenant: &TenantId,
        sighting: &DriftSighting,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DriftRecord>>;

    /// Every drifted field, newest first.
    async fn list_drift(&self, tenant: &TenantId) -> StoreResult<Vec<DriftRecord>>;

    /// An order's flags.
    async fn order_flags(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<OrderFlag>>;

    /// Likely duplicates, merge candidates and the merge of one order.
    async fn order_matches(
        &self,
        tenant: &TenantId,
        order: OrderId,
        window: chrono::Duration,
    ) -> StoreResult<OrderMatches>;

    /// Groups of mergeable orders (same buyer and address, placed within `window` of the
    /// group's first, in no active merge), oldest first.
    async fn merge_candidates(
        &self,
        tenant: &TenantId,
        window: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<Vec<OrderSummary>>>;

    /// Groups of likely duplicates placed since `since`, newest first.
    async fn duplicate_groups(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Vec<OrderSummary>>>;

    /// Merges orders into one shipment, checking every rule under lock.
    async fn merge_orders(
        &self,
        tenant: &TenantId,
        orders: &[OrderId],
        window: chrono::Duration,
        merged_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<MergeGroup, MergeError>>;

    /// Undoes a merge while none of its orders has been released to a warehouse.
    async fn dissolve_merge(
        &self,
        tenant: &TenantId,
        group: Uuid,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Result<MergeGroup, MergeError>>>;

    /// Merges, newest first (active and undone).
    async fn list_merges(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<MergeGroup>>;
}

/// What a store's transaction offers the channel-side algorithms in [`crate::channels::steps`].
pub trait ChannelTx: crate::stock::allocate::AllocTx {
    /// Adds a sighting of one drifted field; true when it had never been seen.
    #[allow(clippy::too_many_arguments)]
    fn upsert_drift(
        &mut self,
        tenant: &TenantId,
        mapping: &str,
        field: &str,
        change: DriftChange,
        order: Option<OrderId>,
        inbox: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Sets an order's flag of this kind.
    fn put_flag(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
        flag: &OrderFlag,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Locks and reads these orders (sorted by id); missing ones are absent.
    fn merge_rows(
        &mut self,
        tenant: &TenantId,
        orders: &[OrderId],
    ) -> impl Future<Output = StoreResult<Vec<MergeRow>>> + Send;

    /// Stores a new merge and its active members.
    fn insert_merge(&mut self, tenant: &TenantId, group: &MergeGroup) -> impl Future<Output = StoreResult<()>> + Send;

    /// Reads a merge (locking it).
    fn merge_group(
        &mut self,
        tenant: &TenantId,
        group: Uuid,
    ) -> impl Future<Output = StoreResult<Option<MergeGroup>>> + Send;

    /// Marks a merge undone and frees its orders.
    fn dissolve(&mut self, tenant: &TenantId, group: &MergeGroup) -> impl Future<Output = StoreResult<()>> + Send;
}

impl Record for DriftRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            mapping: row.text("mapping")?,
            field: row.text("field")?,
            change: named(row, "change", DriftChange::parse)?,
            first_seen: row.time("first_seen")?,
            last_seen: row.time("last_seen")?,
            seen_count: row.int("seen_count")?,
            last_order_id: row.id_opt("last_order_id")?.map(OrderId),
            last_inbox_id: row.id_opt("last_inbox_id")?,
        })
    }
}

impl Record for MergeGroup {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            order_ids: parsed(row, "order_ids")?,
            merged_by: row.text("merged_by")?,
            created_at: row.time("created_at")?,
            dissolved_at: row.time_opt("dissolved_at")?,
            dissolved_by: row.text_opt("dissolved_by")?,
        })
    }
}
