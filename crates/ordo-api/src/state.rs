//! Shared state of the HTTP layer.

use std::sync::Arc;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use ordo_app::actions::OrderActions;
use ordo_app::connectors::Channels;
use ordo_app::fulfil::Warehouses;
use ordo_app::{FeedHub, IngestService, MatchSettings, TokenService};
use ordo_store::Store;

/// Limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest request body. 1 MiB holds an order of 1,000 lines with room to spare.
    pub body_limit_bytes: usize,
    /// Longest a request may take before a 408.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store, for reads.
    pub store: Arc<dyn Store>,
    /// Ingestion, for writes.
    pub ingest: IngestService,
    /// Token checks.
    pub tokens: TokenService,
    /// Renders `/metrics`; `None` when no recorder is installed (tests).
    pub metrics: Option<PrometheusHandle>,
    /// Limits.
    pub limits: HttpLimits,
    /// Rung after every write that may add feed events; live streams wait on it.
    pub feed: FeedHub,
    /// Windows for likely duplicates and merges.
    pub matching: MatchSettings,
    /// The channel connectors running on this node.
    pub channels: Channels,
    /// Order actions under the workflow and rules in force.
    pub actions: OrderActions,
    /// Exception-queue settings.
    pub review: ReviewSettings,
    /// The warehouse connectors of every tenant.
    pub warehouses: Warehouses,
    /// The keys connection credentials are sealed with; `None`: credentials cannot be
    /// saved.
    pub secrets: Option<ordo_app::secrets::SecretKeys>,
    /// This node among the others; `None` in tests without background work.
    pub cluster: Option<ordo_app::cluster::Cluster>,
    /// Tenants' saved policy versions.
    pub policy_book: ordo_app::policies::book::PolicyBook,
}

/// Exception-queue settings.
#[derive(Debug, Clone, Copy)]
pub struct ReviewSettings {
    /// Minutes a held order may wait before it is overdue.
    pub sla_minutes: i64,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self { sla_minutes: 240 }
    }
}
