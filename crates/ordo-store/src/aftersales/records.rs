//! What after-sales stores: cases with their lines and events, and refunds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::OrderId;
use ordo_core::aftersale::refund::RefundLine;
use ordo_core::aftersale::{CaseError, CaseKind, CaseLine, CaseStatus, Receipt};
use serde::Serialize;
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::{Columns, Record, named, parsed};

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRecord {
    /// Its id.
    pub id: Uuid,
    /// The order it is about.
    pub order_id: OrderId,
    /// The order's channel.
    pub channel: String,
    /// The order's id on its channel.
    pub external_order_id: String,
    /// What was asked for.
    pub kind: CaseKind,
    /// Ordo's state.
    pub status: CaseStatus,
    /// Why, in the buyer's or the merchant's words.
    pub reason: Option<String>,
    /// The channel's own id of the case, when it came from the channel.
    pub channel_case_id: Option<String>,
    /// The channel's own status, verbatim.
    pub channel_status: Option<String>,
    /// Units asked for and what happened to them.
    pub lines: Vec<CaseLine>,
    /// What an exchange or reship sends out (SKU, units).
    pub exchange_lines: Vec<(String, i64)>,
    /// The order that sends them.
    pub exchange_order_id: Option<OrderId>,
    /// The return's label or tracking, as given.
    pub return_tracking: Option<serde_json::Value>,
    /// Bumped by every change.
    pub version: i64,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The columns a [`CaseRecord`] reads.
pub const CASE_COLUMNS: &str = "id, order_id, channel, external_order_id, kind, status, reason, channel_case_id, \
                                channel_status, lines, exchange_lines, exchange_order_id, return_tracking, version, \
                                created_at, updated_at";

impl Record for CaseRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            order_id: OrderId(row.id("order_id")?),
            channel: row.text("channel")?,
            external_order_id: row.text("external_order_id")?,
            kind: named(row, "kind", CaseKind::parse)?,
            status: named(row, "status", CaseStatus::parse)?,
            reason: row.text_opt("reason")?,
            channel_case_id: row.text_opt("channel_case_id")?,
            channel_status: row.text_opt("channel_status")?,
            lines: parsed(row, "lines")?,
            exchange_lines: parsed(row, "exchange_lines")?,
            exchange_order_id: row.id_opt("exchange_order_id")?.map(OrderId),
            return_tracking: row.json_opt("return_tracking")?,
            version: row.int("version")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

/// One thing that happened to a case; never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseEvent {
    /// 1, 2, … per case.
    pub seq: i64,
    /// `requested`, `approved`, `received`, `refunded`, `channel_status` …
    pub kind: String,
    /// The state afterwards.
    pub status: CaseStatus,
    /// Details.
    pub data: serde_json::Value,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Record for CaseEvent {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            seq: row.int("seq")?,
            kind: row.text("kind")?,
            status: named(row, "status", CaseStatus::parse)?,
            data: row.json("data")?,
            actor: row.text("actor")?,
            at: row.time("at")?,
        })
    }
}

/// Money that went back to a buyer, with or without a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRecord {
    /// Its id.
    pub id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// The case it settles, if any.
    pub case_id: Option<Uuid>,
    /// The channel's id of the refund (idempotency: one refund per channel id).
    pub channel_refund_id: Option<String>,
    /// ISO 4217.
    pub currency: String,
    /// The amount, minor units.
    pub amount: i64,
    /// Of which shipping.
    pub shipping: i64,
    /// Restocking fee kept back.
    pub restocking_fee: i64,
    /// Per line.
    pub lines: Vec<RefundLine>,
    /// `ordo` (computed or entered here) or `channel` (taken as the channel gave it).
    pub source: String,
    /// What the channel stated when it differs from the parts (both figures kept).
    pub stated_amount: Option<i64>,
    /// A note.
    pub note: Option<String>,
    /// Who.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The columns a [`RefundRecord`] reads.
pub const REFUND_COLUMNS: &str = "id, order_id, case_id, channel_refund_id, currency, amount, shipping, restocking_fee, \
                                  lines, source, stated_amount, note, created_by, created_at";

impl Record for RefundRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            order_id: OrderId(row.id("order_id")?),
            case_id: row.id_opt("case_id")?,
            channel_refund_id: row.text_opt("channel_refund_id")?,
            currency: row.text("currency")?,
            amount: row.int("amount")?,
            shipping: row.int("shipping")?,
            restocking_fee: row.int("restocking_fee")?,
            lines: parsed(row, "lines")?,
            source: row.text("source")?,
            stated_amount: row.int_opt("stated_amount")?,
            note: row.text_opt("note")?,
            created_by: row.text("created_by")?,
            created_at: row.time("created_at")?,
        })
    }
}

/// A case to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The order.
    pub order_id: OrderId,
    /// What is asked for.
    pub kind: CaseKind,
    /// Why.
    pub reason: Option<String>,
    /// (SKU, units) asked for.
    pub lines: Vec<(String, i64)>,
    /// (SKU, units) an exchange or reship sends.
    pub exchange_lines: Vec<(String, i64)>,
    /// The channel's id of the case: opening it again returns the stored one.
    pub channel_case_id: Option<String>,
    /// The channel's status, verbatim.
    pub channel_status: Option<String>,
}

/// Something done to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseCommand {
    /// Agree.
    Approve,
    /// Refuse, with why.
    Decline(Option<String>),
    /// Withdraw, with why.
    Cancel(Option<String>),
    /// A label or the buyer's tracking for the goods coming back.
    AttachReturn(serde_json::Value),
    /// Goods counted on receipt.
    Receive(Vec<Receipt>),
    /// The inspection's note.
    Inspect(Option<String>),
    /// Finish.
    Close,
    /// Open again.
    Reopen,
    /// The channel reports its own status (kept verbatim; Ordo's state moves only
    /// through the other commands).
    ChannelStatus(String),
    /// The order that sends an exchange or reship, and what it is worth against what
    /// comes back (minor units; positive: the buyer owes it).
    LinkOrder {
        /// The outbound order.
        order: OrderId,
        /// The price difference, when it could be valued.
        price_difference: Option<i64>,
    },
}

/// A refund to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// The order.
    pub order_id: OrderId,
    /// The case it settles.
    pub case_id: Option<Uuid>,
    /// The channel's id: a second refund with it returns the first.
    pub channel_refund_id: Option<String>,
    /// SKU → units refunded (the case's received units when a case is named and this is
    /// empty).
    pub units: BTreeMap<String, i64>,
    /// Shipping refunded.
    pub shipping: i64,
    /// The amount; computed from the units when absent.
    pub amount: Option<i64>,
    /// Restocking fee in per mille of the goods, when Ordo computes.
    pub restocking_fee_permille: i64,
    /// `ordo` or `channel`.
    pub source: String,
    /// What the channel stated, when it differs from its parts.
    pub stated_amount: Option<i64>,
    /// A note.
    pub note: Option<String>,
}

/// Why an after-sale request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AfterSaleError {
    /// No such case in the tenant.
    #[error("case {0} not found")]
    CaseNotFound(Uuid),
    /// No such order in the tenant.
    #[error("order {0} not found")]
    OrderNotFound(OrderId),
    /// The case or refund breaks a rule.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// A warehouse that does not exist or a SKU the catalogue does not stock.
    #[error("lines[{index}].warehouse: {message}")]
    Stock {
        /// Index in the request.
        index: usize,
        /// What was wrong.
        message: String,
    },
}

impl AfterSaleError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CaseNotFound(_) | Self::OrderNotFound(_) => "not_found",
            Self::Case(e) => e.code(),
            Self::Stock { .. } => "invalid_warehouse",
        }
    }
}

/// Case listing filters.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Only this state.
    pub status: Option<CaseStatus>,
    /// Only this order.
    pub order_id: Option<OrderId>,
    /// Page size.
    pub limit: u32,
}

/// A case with everything about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseDetail {
    /// The case.
    #[serde(flatten)]
    pub case: CaseRecord,
    /// Its events, oldest first.
    pub events: Vec<CaseEvent>,
    /// Refunds that settle it.
    pub refunds: Vec<RefundRecord>,
}
