//! The records that cross the storage port.

use crate::StoreResult;
use crate::columns::{Columns, Record, named, unreadable};
use chrono::{DateTime, Utc};
use ordo_core::allocation::PlanError;
use ordo_core::auth::Role;
use ordo_core::ingest::OrderState;
use ordo_core::{ChannelId, OrderId, OrderStatus, TenantId};
use serde::Serialize;
use uuid::Uuid;

/// A merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// An API token, stored by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id (shown in lists; not secret).
    pub id: Uuid,
    /// The tenant it acts for.
    pub tenant: TenantId,
    /// What it may do.
    pub role: Role,
    /// A label, e.g. `shopify connector`.
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub token_hash: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What became of an inbound payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxStatus {
    /// Applied.
    Processed,
    /// Could not be parsed or validated; kept for a fix and a replay.
    Failed,
    /// Refused (bad signature, reused idempotency key); kept for the record.
    Rejected,
    /// Failed once, then fixed by a replay with a corrected body.
    Resolved,
}

impl InboxStatus {
    /// All statuses.
    pub const ALL: [InboxStatus; 4] = [Self::Processed, Self::Failed, Self::Rejected, Self::Resolved];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Failed => "failed",
            Self::Rejected => "rejected",
            Self::Resolved => "resolved",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One inbound payload as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxEntry {
    /// Its id.
    pub id: Uuid,
    /// Where it came from, e.g. `api`, `replay`, `webhook:shopify`.
    pub source: String,
    /// The channel, when it could be read.
    pub channel: Option<String>,
    /// The channel's order number, when it could be read.
    pub external_id: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// What became of it.
    pub status: InboxStatus,
    /// Why it failed: a JSON object with `code`, `message` and `details`.
    pub error: Option<serde_json::Value>,
    /// The order it created or changed.
    pub order_id: Option<OrderId>,
    /// How the order was affected.
    pub outcome: Option<String>,
    /// Times it was processed (1 + replays in place).
    pub attempts: i32,
    /// The failed entry this one corrects.
    pub replay_of: Option<Uuid>,
    /// The entry that corrected this one.
    pub resolved_by: Option<Uuid>,
    /// The raw body, exactly as received; empty in listings.
    #[serde(skip)]
    pub body: Vec<u8>,
}

/// A payload to keep.
#[derive(Debug, Clone)]
pub struct NewInbox {
    /// Id for a new entry, or the id of the entry being reprocessed in place.
    pub id: Uuid,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// Where it came from.
    pub source: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// The raw body.
    pub body: Vec<u8>,
    /// Channel, when readable.
    pub channel: Option<String>,
    /// External id, when readable.
    pub external_id: Option<String>,
    /// How to write it.
    pub write: InboxWrite,
}

/// Whether an arrival is new or a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxWrite {
    /// A new payload.
    Insert,
    /// A corrected payload for a failed entry, which becomes `resolved` if this succeeds.
    Correct {
        /// The failed entry.
        replay_of: Uuid,
    },
    /// The failed entry `NewInbox::id` processed again as it is.
    Reprocess,
}

/// An idempotency key and the hash of the request it was first used with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// SHA-256 of the request body, hex.
    pub request_hash: String,
}

/// A stored order event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderEvent {
    /// Position in the order's history, from 1.
    pub seq: i64,
    /// Stable kind, e.g. `order.created`.
    pub kind: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `token:…`, `connector:…`, `rule:…`, `user:…`.
    pub actor: String,
    /// Details.
    pub data: serde_json::Value,
}

/// An order with its history.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    /// Current state.
    pub state: OrderState,
    /// When Ordo first stored it.
    pub created_at: DateTime<Utc>,
    /// When Ordo last changed it.
    pub updated_at: DateTime<Utc>,
    /// Full history, oldest first.
    pub events: Vec<OrderEvent>,
}

/// A search result row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderSummary {
    /// Ordo's id.
    pub id: OrderId,
    /// Channel.
    pub channel: String,
    /// Channel's order number.
    pub external_id: String,
    /// Status.
    pub status: OrderStatus,
    /// When placed.
    pub placed_at: DateTime<Utc>,
    /// Buyer's channel id.
    pub buyer_id: Option<String>,
    /// Buyer's name.
    pub buyer_name: Option<String>,
    /// Currency.
    pub currency: String,
    /// Total in minor units.
    pub total_minor: i64,
    /// Version.
    pub version: i64,
    /// Last change in Ordo.
    pub updated_at: DateTime<Utc>,
}

/// Where a page of orders continues: after this (placed_at, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    /// Placed-at of the last row seen.
    pub placed_at: DateTime<Utc>,
    /// Id of the last row seen.
    pub id: OrderId,
}

/// Order search filters. All given filters must match.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// Exact channel.
    pub channel: Option<ChannelId>,
    /// Exact external id.
    pub external_id: Option<String>,
    /// Exact status.
    pub status: Option<OrderStatus>,
    /// Buyer id, e-mail or phone, exactly.
    pub buyer: Option<String>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before.
    pub placed_to: Option<DateTime<Utc>>,
    /// Continue after.
    pub after: Option<OrderCursor>,
    /// Page size, 1..=MAX_PAGE.
    pub limit: u32,
}

/// Largest page any listing returns; bounds the work one request can cause.
pub const MAX_PAGE: u32 = 500;

/// A listing's page size as a query binds it: clamped to `1..=MAX_PAGE` rather than refused.
pub fn page_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
}

/// Inbox listing filters.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// Only this status.
    pub status: Option<InboxStatus>,
    /// Continue after this entry id (ids are UUIDv7, so they sort by arrival).
    pub after: Option<Uuid>,
    /// Page size, 1..=MAX_PAGE.
    pub limit: u32,
}

/// A page of results and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T, C = OrderCursor> {
    /// The rows.
    pub items: Vec<T>,
    /// Cursor for the next page, if there may be one.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page from a query that fetched up to `limit + 1` rows: the extra row only says
    /// another page exists, and the cursor is taken from the last row kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> C) -> Self {
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next }
    }
}

/// The cursor of an order summary.
pub fn order_cursor(summary: &OrderSummary) -> OrderCursor {
    OrderCursor {
        placed_at: summary.placed_at,
        id: summary.id,
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

impl Record for TokenRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            tenant: TenantId::parse(row.text("tenant_id")?).map_err(|e| unreadable("tenant_id", e))?,
            role: named(row, "role", Role::parse)?,
            name: row.text("name")?,
            token_hash: row.text("token_hash")?,
            created_at: row.time("created_at")?,
            revoked_at: row.time_opt("revoked_at")?,
        })
    }
}

/// Reads an inbox row without its body (listings leave it out to stay small); the body
/// is read where it was selected.
impl Record for InboxEntry {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            source: row.text("source")?,
            channel: row.text_opt("channel")?,
            external_id: row.text_opt("external_id")?,
            received_at: row.time("received_at")?,
            status: named(row, "status", InboxStatus::parse)?,
            error: row.json_opt("error")?,
            order_id: row.id_opt("order_id")?.map(OrderId),
            outcome: row.text_opt("outcome")?,
            attempts: small(row, "attempts")?,
            replay_of: row.id_opt("replay_of")?,
            resolved_by: row.id_opt("resolved_by")?,
            body: Vec::new(),
        })
    }
}

/// The columns an [`OrderSummary`] reads.
pub const SUMMARY_COLUMNS: &str =
    "id, channel, external_id, status, placed_at, buyer_id, buyer_name, currency, total_minor, version, updated_at";

impl Record for OrderSummary {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: OrderId(row.id("id")?),
            channel: row.text("channel")?,
            external_id: row.text("external_id")?,
            status: named(row, "status", OrderStatus::parse)?,
            placed_at: row.time("placed_at")?,
            buyer_id: row.text_opt("buyer_id")?,
            buyer_name: row.text_opt("buyer_name")?,
            currency: row.text("currency")?,
            total_minor: row.int("total_minor")?,
            version: row.int("version")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

/// A counter kept as a small integer.
pub(crate) fn small(row: &dyn Columns, name: &str) -> StoreResult<i32> {
    i32::try_from(row.int(name)?).map_err(|e| unreadable(name, e))
}
