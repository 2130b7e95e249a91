//! Review and exceptions: holds on orders, the reviewer that decides them, and the store
//! operations that act on one order at a person's or a rule's request.
//!
//! The store knows nothing of rule syntax: the application hands it a [`Reviewer`] (the
//! merchant's rule set behind a trait), which the ingestion transaction consults when an
//! order becomes paid, with facts only the transaction has (unknown SKUs under the locked
//! catalogue, likely duplicates among stored orders).

use std::future::Future;

use chrono::{DateTime, Utc};
use ordo_core::{Order, OrderId, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::{Columns, Record};
use crate::orders::records::OrderSummary;

/// What the transaction knows about an order that the rules may ask.
#[derive(Debug, Clone, Default)]
pub struct ReviewFacts {
    /// Now.
    pub now: DateTime<Utc>,
    /// When Ordo first saw it paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// SKUs neither the catalogue nor an alias knows.
    pub unknown_skus: Vec<String>,
    /// Ids of stored orders that look like the same order.
    pub possible_duplicates: Vec<String>,
    /// Whether the recipient's phone is valid, when it was checked.
    pub phone_valid: Option<bool>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Goes on.
    Approve,
    /// Waits for a person (or for `until`).
    Hold,
    /// Cancelled.
    Reject,
}

/// What a reviewer says of one order.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewVerdict {
    /// The decision.
    pub decision: ReviewDecision,
    /// The rules that matched, as JSON (name, code, message, field, suggestion, until).
    pub hits: serde_json::Value,
    /// Flags to set on the order (rule names whose outcome is `flag`).
    pub flags: Vec<String>,
    /// When a hold only defers review, the time to look again.
    pub until: Option<DateTime<Utc>>,
}

/// The merchant's review rules, as the store sees them.
pub trait Reviewer: Send + Sync + std::fmt::Debug {
    /// Whether the rules ask about likely duplicates (a query the store runs only then).
    fn wants_duplicates(&self) -> bool;
    /// Decides an order.
    fn review(&self, order: &Order, facts: &ReviewFacts) -> ReviewVerdict;
}

/// A hold on an order: why it waits and who let it go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldRecord {
    /// Id.
    pub id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// `review` (by rule) or `manual` (by a person).
    pub kind: String,
    /// Why: the rules that matched, or a person's note.
    pub hits: serde_json::Value,
    /// For a deferred review, when to look again.
    pub until: Option<DateTime<Utc>>,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// By whom.
    pub opened_by: String,
    /// Closed, if it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// By whom.
    pub closed_by: Option<String>,
    /// `approved`, `released`, `re_reviewed`, `cancelled`.
    pub resolution: Option<String>,
}

/// One entry of the exception queue: a held order and its open holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionRow {
    /// The order.
    pub order: OrderSummary,
    /// Its open holds (none when it only waits for stock).
    pub holds: Vec<HoldRecord>,
}

/// Which held orders to list.
#[derive(Debug, Clone, Default)]
pub struct ExceptionQuery {
    /// Only orders with an open hold of this kind (`review`, `manual`); `stock` for
    /// orders held with no open hold (waiting for stock or an unknown SKU).
    pub kind: Option<String>,
    /// Most rows.
    pub limit: u32,
}

/// Review operations of a store.
#[async_trait::async_trait]
pub trait ReviewStore: Send + Sync {
    /// Every hold an order has had, oldest first.
    async fn order_holds(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Vec<HoldRecord>>;

    /// Held orders, longest held first.
    async fn exceptions(&self, tenant: &TenantId, query: &ExceptionQuery) -> StoreResult<Vec<ExceptionRow>>;

    /// Orders whose deferred review is due.
    async fn due_reviews(&self, tenant: &TenantId, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>>;
}

/// What a store's transaction offers the review algorithms.
pub trait HoldTx: crate::channels::records::ChannelTx {
    /// Stores a new hold.
    fn insert_hold(&mut self, tenant: &TenantId, hold: &HoldRecord) -> impl Future<Output = StoreResult<()>> + Send;

    /// An order's open holds.
    fn open_holds(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
    ) -> impl Future<Output = StoreResult<Vec<HoldRecord>>> + Send;

    /// Closes these holds.
    #[allow(clippy::too_many_arguments)]
    fn close_holds(
        &mut self,
        tenant: &TenantId,
        holds: &[Uuid],
        by: &str,
        resolution: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Other orders with this fingerprint placed between `from` and `to`.
    fn same_fingerprint(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
        fingerprint: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<OrderId>>> + Send;
}

impl Record for HoldRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            order_id: OrderId(row.id("order_id")?),
            kind: row.text("kind")?,
            hits: row.json("hits")?,
            until: row.time_opt("until")?,
            opened_at: row.time("opened_at")?,
            opened_by: row.text("opened_by")?,
            closed_at: row.time_opt("closed_at")?,
            closed_by: row.text_opt("closed_by")?,
            resolution: row.text_opt("resolution")?,
        })
    }
}
