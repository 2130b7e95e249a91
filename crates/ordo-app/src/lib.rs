//! Ordo's use cases, over any [`ordo_store::Store`].
//!
//! - [`pipeline`]: group commit. Arrivals queue up and are written many to a transaction,
//!   so one fsync acknowledges many orders; nobody is answered before their commit.
//! - [`payload`]: turns an inbound body into a canonical order or a precise error.
//! - [`service`]: ingestion and inbox replay as the API and connectors call them.
//! - [`tokens`]: API tokens: minting, hashing, and a short-lived lookup cache.
//! - [`feed`]: wakes live-stream subscribers after commits.
//! - [`jobs`]: the stock sweeper (unpaid timeouts, waiting orders, sales forecasts).
//! - [`consolidation`]: merged and pooled (B2B) orders leave as one shipment.
//! - [`webhooks`]: signed, retried delivery of alert messages from the outbox.
//! - [`mappings`]: the platform mappings in force, reloaded while the node runs.
//! - [`channel_hooks`]: platform webhook signatures (Shopify, WooCommerce).
//! - [`whatif`]: a candidate routing configuration replayed over recent orders.
//!
//! Invariant: this crate decides nothing about orders itself (that is `ordo-core`) and
//! speaks no SQL (that is the adapters); it orders IO and time around them.

pub mod actions;
pub mod aftersales;
pub mod channel_aftersales;
pub mod channel_hooks;
pub mod cluster;
pub mod connections;
pub mod connectors;
pub mod connectors_aftersales;
pub mod consolidation;
pub mod drift;
pub mod dry_run;
pub mod exceptions;
pub mod feed;
pub mod fulfil;
pub mod jobs;
pub mod kpis;
pub mod mappings;
pub mod ops;
pub mod payload;
pub mod pipeline;
pub mod policies;
pub mod prepare;
pub mod secrets;
pub mod service;
pub mod subscriptions;
pub mod tokens;
pub mod tracking;
pub mod users;
pub mod webhooks;
pub mod whatif;

pub use feed::FeedHub;
pub use jobs::{MatchSettings, StockSettings};
pub use mappings::MappingRegistry;
pub use pipeline::{IngestError, Pipeline, PipelineConfig};
pub use service::{HookOutcome, IngestService, Ingested, Principal, ReplayError};
pub use tokens::TokenService;

/// How long a deliverer holds the outbox messages it claimed (see
/// `ordo_store::OutboxQueue::claim_outbox`): longer than any one delivery round takes, so
/// that no other node takes them meanwhile, and short enough that a node that died
/// mid-round delays its messages by at most this.
pub const DELIVERY_LEASE: chrono::Duration = chrono::Duration::seconds(60);
