//! Ordo's storage port.
//!
//! [`Store`] is everything the application asks of a database. Adapters
//! (`ordo-store-sqlite`, `ordo-store-postgres`) implement it and own their migrations;
//! what both run as written (statements and algorithms) lives here once, over the small
//! traits of [`sql`] and [`columns`] and the per-transaction traits of each domain (e.g.
//! [`orders::rows::IngestTx`] under [`workflow::ingest::ingest_batch`], the one ingestion
//! algorithm); each domain's `contract` module (feature `contract`) is the suite every
//! adapter must pass.
//!
//! Invariants every adapter keeps:
//! - every row carries its tenant, and every query is scoped by it;
//! - an inbound payload's inbox row commits in the same transaction as its effect;
//! - (tenant, channel, external id) names at most one order, under any concurrency.

// Shared by every domain and naming none of them.
pub mod columns;
pub mod sql;

// The domains, lowest first: each depends only on those above it in this list (checked
// by `tests/layers.rs`); ARCHITECTURE.md has the map. The blank lines keep rustfmt from
// sorting them.
pub mod orders;

pub mod delivery;

pub mod stock;

pub mod channels;

pub mod review;

pub mod fulfilment;

pub mod workflow;

pub mod settings;

pub mod cluster;

pub mod aftersales;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use uuid::Uuid;

pub use columns::{Columns, Decode, Record};

pub use aftersales::AfterSaleStore;
pub use channels::baselines::DriftBaselineStore;
pub use channels::records::ChannelStore;
pub use cluster::gauges::{GaugeStore, HeldFigure, TenantFigure};
pub use cluster::leases::{Lease, LeaseStore, LeaseTake, NodeBeat};
pub use delivery::records::{
    FeedEvent, NewFeedEvent, NewOutbox, OutboxMessage, OutboxQueue, OutboxStatus, OutboxStore,
};
pub use delivery::subscriptions::{SubscriptionHandover, SubscriptionStore};
pub use fulfilment::consolidate_records::ConsolidationStore;
pub use fulfilment::shipments::{Parcel, Shipment, ShipmentStore};
pub use orders::kpi_reads::KpiStore;
pub use orders::records::*;
pub use orders::sql::TenantStore;
pub use orders::trace::OrderTraceStore;
pub use review::records::ReviewStore;
pub use settings::connections::{Connection, ConnectionKind, ConnectionStamp, ConnectionStore};
pub use settings::policies::{PolicyStamp, PolicyStore, PolicyVersion};
pub use settings::users::{SavedView, Session, User, UserChange, UserStore};
pub use stock::inventory::InventoryStore;
pub use stock::records::*;
pub use stock::sql::ChannelStockStore;
pub use workflow::{
    IngestItem, IngestResult, OrderAction, OrderActionOutcome, OrderRequest, OrderRequestOutcome, Review, WorkflowStore,
};

/// A store failure, in the port's own terms; no driver type leaks out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (in this tenant).
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness or state conflict.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or is overloaded; retrying later may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A transient concurrency failure (deadlock, serialisation); retrying now may work.
    #[error("transient conflict: {0}")]
    Retryable(String),
    /// Anything else: a bug or corrupt data.
    #[error("store error: {0}")]
    Other(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the application stores and reads.
#[async_trait]
pub trait Store:
    InventoryStore
    + StockFlowStore
    + ChannelStore
    + ConsolidationStore
    + ReviewStore
    + SubscriptionStore
    + SubscriptionHandover
    + ShipmentStore
    + OutboxStore
    + OutboxQueue
    + WorkflowStore
    + TenantStore
    + ChannelStockStore
    + ConnectionStore
    + PolicyStore
    + UserStore
    + OrderTraceStore
    + DriftBaselineStore
    + LeaseStore
    + GaugeStore
    + KpiStore
    + AfterSaleStore
    + Send
    + Sync
    + 'static
{
    /// Short name of the backend, e.g. `sqlite`.
    fn backend(&self) -> &'static str;

    /// How many ingestion batches may usefully run at once: 1 for a single-writer store.
    fn parallel_writers(&self) -> usize;

    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Applies a batch of arrivals in one transaction, returning one result per item in
    /// the same order. Either all of it commits or none of it does.
    ///
    /// The batch is shared (`Arc`) so that a caller can retry it without copying every
    /// payload and order again.
    async fn ingest_batch(&self, items: Arc<[IngestItem]>, now: DateTime<Utc>) -> StoreResult<Vec<IngestResult>>;

    /// An order with its full event history.
    async fn get_order(&self, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderRecord>>;

    /// Searches orders, newest placed first.
    async fn search_orders(&self, tenant: &TenantId, query: &OrderQuery) -> StoreResult<Page<OrderSummary>>;

    /// Lists inbox entries, newest first, without bodies.
    async fn list_inbox(&self, tenant: &TenantId, query: &InboxQuery) -> StoreResult<Page<InboxEntry, Uuid>>;

    /// One inbox entry with its raw body.
    async fn get_inbox(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxEntry>>;

    /// Counts inbox entries by status (for metrics and health).
    async fn count_inbox(&self, tenant: &TenantId, status: InboxStatus) -> StoreResult<i64>;
}
