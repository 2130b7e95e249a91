//! Background work on stock, run by every node (all of it is safe to run on several nodes
//! at once: each step is one locked transaction that re-checks its preconditions).
//!
//! - Unpaid orders past the timeout are cancelled and their reservations released.
//! - Orders waiting for stock (held or backordered) are retried once stock is available.
//! - Each SKU's forecast threshold (N days of average sales) is refreshed now and then.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ordo_core::allocation::{ReserveWhen, StockPolicy};
use ordo_store::{OrderRequest, Store, StoreResult};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::feed::FeedHub;

/// How orders use stock, and how often the sweeper looks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StockSettings {
    /// Reserve when, and what to do when short.
    pub policy: StockPolicy,
    /// Cancel orders unpaid this long after they were placed (only under
    /// `reserve_when = placed`, where unpaid orders hold stock); `None` never does.
    pub unpaid_timeout: Option<chrono::Duration>,
    /// Alert when available covers fewer than this many days of average sales.
    pub low_stock_days: u32,
    /// Days of sales the average is taken over.
    pub sales_window_days: u32,
    /// Pause between sweeps.
    pub sweep_interval: Duration,
    /// Pause between forecast refreshes (and feed pruning).
    pub forecast_interval: Duration,
    /// Feed events older than this are deleted; a subscriber away longer resumes at the
    /// oldest event kept.
    pub feed_retention: chrono::Duration,
    /// Likely duplicates and merges.
    pub matching: MatchSettings,
}

/// How orders of one buyer are matched: as likely duplicates, and for merging into one
/// shipment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchSettings {
    /// Orders placed within this of each other may be merged.
    pub merge_window: chrono::Duration,
    /// Orders alike placed within this of each other are likely duplicates.
    pub duplicate_window: chrono::Duration,
    /// Whether the sweeper merges candidates by itself (else they wait for a person).
    pub auto_merge: bool,
}

impl Default for MatchSettings {
    fn default() -> Self {
        Self {
            merge_window: chrono::Duration::minutes(60),
            duplicate_window: chrono::Duration::hours(24),
            auto_merge: false,
        }
    }
}

impl Default for StockSettings {
    fn default() -> Self {
        Self {
            policy: StockPolicy::default(),
            unpaid_timeout: Some(chrono::Duration::minutes(30)),
            low_stock_days: 3,
            sales_window_days: 28,
            sweep_interval: Duration::from_secs(1),
            forecast_interval: Duration::from_secs(600),
            feed_retention: chrono::Duration::days(7),
            matching: MatchSettings::default(),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Unpaid orders cancelled.
    pub expired: usize,
    /// Waiting orders retried.
    pub retried: usize,
    /// Merges made by rule.
    pub merged: usize,
    /// SKUs whose forecast threshold changed.
    pub forecasts: u64,
    /// Feed events deleted as older than the retention.
    pub pruned: u64,
}

/// Orders handled per tenant per sweep; the rest wait for the next sweep.
const PER_SWEEP: u32 = 200;

/// One sweep over every tenant, each under its own inventory policy when `policies` are
/// given (else under `settings`).
pub async fn sweep_once(
    store: &dyn Store,
    settings: &StockSettings,
    policies: Option<&crate::policies::Policies>,
    forecasts: bool,
) -> StoreResult<SweepReport> {
    let mut report = SweepReport::default();
    let node = *settings;
    for tenant in store.list_tenants().await? {
        let tenant = tenant.id;
        let settings = &match policies {
            Some(policies) => {
                let inventory = policies.for_tenant(&tenant).inventory;
                StockSettings {
                    policy: inventory.stock(),
                    unpaid_timeout: inventory.unpaid_timeout(),
                    low_stock_days: inventory.low_stock_days,
                    ..node
                }
            }
            None => node,
        };
        // Only orders that hold stock while unpaid are expired: under `reserve_when = paid`
        // an unpaid order holds nothing, and cancelling it here would turn away a payment
        // the channel may still take.
        if let Some(timeout) = settings
            .unpaid_timeout
            .filter(|_| settings.policy.reserve_when == ReserveWhen::Placed)
        {
            let cutoff = Utc::now() - timeout;
            for id in store.unpaid_orders(&tenant, cutoff, PER_SWEEP).await? {
                let result = store
                    .order_request(
                        &tenant,
                        id,
                        &OrderRequest::ExpireUnpaid,
                        settings.policy,
                        "ordo:unpaid-timeout",
                        Utc::now(),
                    )
                    .await?;
                // Refused means it got paid (or cancelled) in the meantime: nothing to do.
                report.expired += usize::from(result.is_ok());
            }
        }
        if settings.matching.auto_merge {
            let window = settings.matching.merge_window;
            for group in store.merge_candidates(&tenant, window, PER_SWEEP).await? {
                let ids: Vec<_> = group.iter().map(|o| o.id).collect();
                // Refused means one of them moved on meanwhile: left for the next sweep.
                let merged = store.merge_orders(&tenant, &ids, window, "rule", Utc::now()).await?;
                report.merged += usize::from(merged.is_ok());
            }
        }
        for id in store.waiting_orders(&tenant, PER_SWEEP).await? {
            let result = store
                .order_request(
                    &tenant,
                    id,
                    &OrderRequest::Retry,
                    settings.policy,
                    "ordo:stock-arrived",
                    Utc::now(),
                )
                .await?;
            report.retried += usize::from(result.is_ok());
        }
        if forecasts {
            report.forecasts += store
                .refresh_forecasts(&tenant, settings.sales_window_days, settings.low_stock_days, Utc::now())
                .await?;
            report.pruned += store.prune_feed(&tenant, Utc::now() - settings.feed_retention).await?;
        }
    }
    Ok(report)
}

/// Runs sweeps until `stop` turns true.
pub fn spawn_sweeper(
    store: Arc<dyn Store>,
    cluster: crate::cluster::Cluster,
    settings: StockSettings,
    policies: crate::policies::Policies,
    feed: FeedHub,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_forecast: Option<std::time::Instant> = None;
        loop {
            tokio::select! {
                () = tokio::time::sleep(settings.sweep_interval) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            // One node sweeps at a time: expiring, retrying and merging twice would
            // only race.
            if !cluster.lead("stock").await {
                continue;
            }
            let forecasts = last_forecast.is_none_or(|t| t.elapsed() >= settings.forecast_interval);
            match sweep_once(store.as_ref(), &settings, Some(&policies), forecasts).await {
                Ok(report) => {
                    if forecasts {
                        last_forecast = Some(std::time::Instant::now());
                    }
                    if report != SweepReport::default() {
                        tracing::info!(?report, "stock sweep");
                        metrics::counter!("ordo_orders_expired_total").increment(report.expired as u64);
                        metrics::counter!("ordo_orders_retried_total").increment(report.retried as u64);
                        feed.bump();
                    }
                }
                Err(error) => tracing::warn!(%error, "stock sweep failed; trying again next round"),
            }
        }
    })
}
