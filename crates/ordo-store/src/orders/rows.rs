//! The row operations on orders and the inbox that a store's transaction offers the
//! algorithms written once for every store (see `crate::workflow::ingest`): an adapter
//! only says how to read and write rows; the rules live in the algorithms.

use std::future::Future;

use chrono::{DateTime, Utc};
use ordo_core::ingest::{NewEvent, OrderState, Outcome};
use ordo_core::input::OrderInput;
use ordo_core::{ChannelId, ExternalOrderId, Order, OrderId, OrderStatus, TenantId};
use uuid::Uuid;

use crate::orders::kpis::KpiRows;
use crate::orders::records::{InboxStatus, NewInbox};
use crate::sql::SqlTx;
use crate::{StoreError, StoreResult};

/// An order row as locked for update, with the number of its last event.
#[derive(Debug, Clone)]
pub struct LockedOrder {
    /// The order.
    pub state: OrderState,
    /// Sequence number of its newest event.
    pub last_event_seq: i64,
}

/// What an idempotency key answered the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Hash of the first request's body.
    pub request_hash: String,
    /// The order it touched.
    pub order_id: OrderId,
    /// The inbox entry of the first request.
    pub inbox_id: Uuid,
    /// The first outcome.
    pub outcome: Outcome,
    /// Status after the first request.
    pub status: OrderStatus,
    /// Version after the first request.
    pub version: i64,
}

/// An inbox row to write.
#[derive(Debug, Clone)]
pub struct InboxRow<'a> {
    /// The payload.
    pub inbox: &'a NewInbox,
    /// Final status.
    pub status: InboxStatus,
    /// Why it failed.
    pub error: Option<serde_json::Value>,
    /// Order touched.
    pub order_id: Option<OrderId>,
    /// How.
    pub outcome: Option<&'static str>,
    /// The failed entry it corrects.
    pub replay_of: Option<Uuid>,
}

/// The row operations one ingestion transaction needs. Implemented by each adapter over
/// its own transaction type; only used generically, never as a trait object. The
/// transaction also runs the statements written once for every store ([`SqlTx`]).
pub trait IngestTx: SqlTx + Send {
    /// Called once per batch before any item, with the key of every order in it. A store
    /// that holds the whole database's write lock (SQLite) can read them all in one query;
    /// row-locking stores ignore it and lock in [`IngestTx::lock_order`].
    fn prefetch_orders(
        &mut self,
        _keys: &[(&TenantId, &ChannelId, &ExternalOrderId)],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        async { Ok(()) }
    }
    /// Called once per batch after every item, before commit: a store that buffered
    /// writes (to send them as multi-row statements) writes them now.
    fn flush(&mut self) -> impl Future<Output = StoreResult<()>> + Send {
        async { Ok(()) }
    }
    /// Status of an inbox entry, if it exists in the tenant.
    fn inbox_status(
        &mut self,
        tenant: &TenantId,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<Option<InboxStatus>>> + Send;
    /// Looks up an idempotency key.
    fn find_idempotency(
        &mut self,
        tenant: &TenantId,
        key: &str,
    ) -> impl Future<Output = StoreResult<Option<IdempotencyRecord>>> + Send;
    /// Records an idempotency key; false if another request recorded it first.
    fn insert_idempotency(
        &mut self,
        tenant: &TenantId,
        key: &str,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Reads and locks the order with this (channel, external id), if any.
    fn lock_order(
        &mut self,
        tenant: &TenantId,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> impl Future<Output = StoreResult<Option<LockedOrder>>> + Send;
    /// Inserts a new order; false if one with the same (channel, external id) exists.
    fn insert_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Rewrites an existing order.
    fn update_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Appends events numbered from `first_seq`.
    fn append_events(
        &mut self,
        tenant: &TenantId,
        order_id: OrderId,
        first_seq: i64,
        events: &[NewEvent],
        actor: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Inserts an inbox row.
    fn insert_inbox(&mut self, row: &InboxRow<'_>) -> impl Future<Output = StoreResult<()>> + Send;
    /// Rewrites the outcome of an existing inbox row and counts one more attempt.
    fn update_inbox(&mut self, row: &InboxRow<'_>) -> impl Future<Output = StoreResult<()>> + Send;
    /// Marks a failed entry as resolved by another.
    fn resolve_inbox(
        &mut self,
        tenant: &TenantId,
        id: Uuid,
        resolved_by: Uuid,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Adds what the transaction counted to the dashboard rollups, in this transaction.
    /// A store with several writers adds them after every other write, in the rows'
    /// order, so that transactions adding to the same rows wait for each other instead of
    /// deadlocking.
    fn add_kpis(&mut self, rows: KpiRows) -> impl Future<Output = StoreResult<()>> + Send;
}

/// The JSON document an order is stored as (the wire shape, which re-validates).
pub fn order_document(order: &Order) -> String {
    serde_json::to_string(&OrderInput::from_order(order)).unwrap_or_else(|_| "{}".to_owned())
}

/// Reads a stored order document back.
pub fn order_from_document(text: &str) -> StoreResult<Order> {
    let input: OrderInput =
        serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored order document unreadable: {e}")))?;
    input
        .validate()
        .map_err(|e| StoreError::Other(format!("stored order document invalid: {e}")))
}
