//! Response shapes. They are the API's contract, kept apart from storage records so the
//! database can change without breaking clients.

use chrono::{DateTime, Utc};
use ordo_core::OrderStatus;
use ordo_core::ingest::OrderState;
use ordo_core::input::OrderInput;
use ordo_store::{InboxEntry, InboxStatus, IngestResult, OrderEvent, OrderRecord, OrderSummary};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The answer to an accepted order.
#[derive(Debug, Serialize, ToSchema)]
pub struct IngestResponse {
    /// Ordo's order id.
    pub id: Uuid,
    /// `created`, `updated`, `unchanged` (duplicate delivery) or `stale` (older version).
    pub outcome: String,
    /// Status afterwards.
    pub status: OrderStatus,
    /// Version afterwards.
    pub version: i64,
    /// Where the payload was kept.
    pub inbox_id: Uuid,
    /// True when this answers a repeated `Idempotency-Key`.
    pub idempotent_replay: bool,
}

impl IngestResponse {
    /// From an applied result; `None` for other results.
    pub fn from_result(result: &IngestResult) -> Option<Self> {
        match result {
            IngestResult::Applied {
                order_id,
                outcome,
                status,
                version,
                inbox_id,
                idempotent_replay,
            } => Some(Self {
                id: order_id.0,
                outcome: outcome.as_str().to_owned(),
                status: *status,
                version: *version,
                inbox_id: *inbox_id,
                idempotent_replay: *idempotent_replay,
            }),
            _ => None,
        }
    }
}

/// Totals computed by Ordo, as decimal strings.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsView {
    /// Sum of unit price × quantity.
    pub items: String,
    /// Sum of line discounts.
    pub discount: String,
    /// Sum of order-level discounts.
    pub order_discount: String,
    /// The order's tax (line taxes, or the order's tax lines when rounded per order).
    pub tax: String,
    /// Shipping fee.
    pub shipping: String,
    /// Fees and surcharges.
    pub fees: String,
    /// Tip.
    pub tip: String,
    /// What the buyer pays, computed from the parts.
    pub total: String,
    /// The total the channel stated, when it stated one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated_total: Option<String>,
    /// Stated minus computed, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_difference: Option<String>,
}

/// One event of an order's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Position, from 1.
    pub seq: i64,
    /// Stable kind, e.g. `order.created`.
    pub kind: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Details.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<OrderEvent> for EventView {
    fn from(e: OrderEvent) -> Self {
        Self {
            seq: e.seq,
            kind: e.kind,
            at: e.at,
            actor: e.actor,
            data: e.data,
        }
    }
}

/// An order with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// Ordo's id.
    pub id: Uuid,
    /// Status.
    pub status: OrderStatus,
    /// Version.
    pub version: i64,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The canonical order, in the same shape it is sent in.
    pub order: OrderInput,
    /// Totals.
    pub totals: TotalsView,
    /// Every event, oldest first.
    pub events: Vec<EventView>,
    /// Notes someone should see, e.g. `schema_drift` when its payload did not have the
    /// shape its mapping expects.
    pub flags: Vec<FlagView>,
    /// Orders with the same buyer, address, goods and amount within the duplicate window,
    /// on any channel.
    pub possible_duplicates: Vec<OrderSummaryView>,
    /// Orders that could ship with it (same buyer and address, within the merge window).
    pub merge_candidates: Vec<OrderSummaryView>,
    /// The merge it ships in.
    pub merge_id: Option<Uuid>,
    /// What the buyer paid, minor units (the computed total once paid).
    pub paid: i64,
    /// What went back in refunds.
    pub refunded: i64,
    /// What the merchant keeps.
    pub net: i64,
    /// `none`, `partly_refunded` or `refunded`: the money's state, beside the goods'.
    pub refund_state: String,
    /// Its after-sale cases.
    #[schema(value_type = Vec<Object>)]
    pub cases: Vec<serde_json::Value>,
    /// Its refunds.
    #[schema(value_type = Vec<Object>)]
    pub refunds: Vec<serde_json::Value>,
}

/// A note on an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    /// e.g. `schema_drift`.
    pub kind: String,
    /// Details.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<OrderRecord> for OrderView {
    fn from(record: OrderRecord) -> Self {
        let OrderState {
            id,
            order,
            status,
            version,
        } = record.state;
        let totals = order.totals();
        let money = |minor| order.money(minor).to_decimal_string();
        Self {
            id: id.0,
            status,
            version,
            created_at: record.created_at,
            updated_at: record.updated_at,
            totals: TotalsView {
                items: money(totals.items),
                discount: money(totals.discount),
                order_discount: money(totals.order_discount),
                tax: money(totals.tax),
                shipping: money(totals.shipping),
                fees: money(totals.fees),
                tip: money(totals.tip),
                total: money(totals.total),
                stated_total: order.stated_total.map(money),
                total_difference: order
                    .total_mismatch()
                    .map(|(stated, computed)| money(stated - computed)),
            },
            order: OrderInput::from_order(&order),
            events: record.events.into_iter().map(EventView::from).collect(),
            flags: Vec::new(),
            possible_duplicates: Vec::new(),
            merge_candidates: Vec::new(),
            merge_id: None,
            paid: 0,
            refunded: 0,
            net: 0,
            refund_state: "none".into(),
            cases: Vec::new(),
            refunds: Vec::new(),
        }
    }
}

/// A row of an order search.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummaryView {
    /// Ordo's id.
    pub id: Uuid,
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
    /// Total, decimal string.
    pub total: String,
    /// Version.
    pub version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<OrderSummary> for OrderSummaryView {
    fn from(s: OrderSummary) -> Self {
        let total = ordo_core::Currency::parse(&s.currency)
            .map(|currency| {
                ordo_core::Money {
                    minor: s.total_minor,
                    currency,
                }
                .to_decimal_string()
            })
            .unwrap_or_else(|_| s.total_minor.to_string());
        Self {
            id: s.id.0,
            channel: s.channel,
            external_id: s.external_id,
            status: s.status,
            placed_at: s.placed_at,
            buyer_id: s.buyer_id,
            buyer_name: s.buyer_name,
            currency: s.currency,
            total,
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageView<T: ToSchema> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An inbox entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxEntryView {
    /// Its id.
    pub id: Uuid,
    /// Where it came from: `api`, `replay`, `webhook:…`.
    pub source: String,
    /// Channel, when readable.
    pub channel: Option<String>,
    /// External id, when readable.
    pub external_id: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `processed`, `failed`, `rejected` or `resolved`.
    #[schema(value_type = String)]
    pub status: InboxStatus,
    /// Why it failed.
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
    /// The order it touched.
    pub order_id: Option<Uuid>,
    /// How.
    pub outcome: Option<String>,
    /// Times processed.
    pub attempts: i32,
    /// The failed entry this one corrects.
    pub replay_of: Option<Uuid>,
    /// The entry that corrected this one.
    pub resolved_by: Option<Uuid>,
    /// The raw body as text, when it is UTF-8 (single-entry reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The raw body as hex, when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_hex: Option<String>,
}

impl InboxEntryView {
    /// From an entry; the body is included when the entry carries one.
    pub fn new(e: InboxEntry, with_body: bool) -> Self {
        let (body, body_hex) = if !with_body {
            (None, None)
        } else {
            match String::from_utf8(e.body) {
                Ok(text) => (Some(text), None),
                Err(bytes) => (
                    None,
                    Some(bytes.into_bytes().iter().map(|b| format!("{b:02x}")).collect()),
                ),
            }
        };
        Self {
            id: e.id,
            source: e.source,
            channel: e.channel,
            external_id: e.external_id,
            received_at: e.received_at,
            status: e.status,
            error: e.error,
            order_id: e.order_id.map(|id| id.0),
            outcome: e.outcome,
            attempts: e.attempts,
            replay_of: e.replay_of,
            resolved_by: e.resolved_by,
            body,
            body_hex,
        }
    }
}
