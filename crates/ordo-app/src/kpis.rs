//! The dashboard's figures for one tenant: per window (today, 7 days, 30 days; UTC days,
//! today included), in total, per channel and per warehouse, read from the rollups the
//! store keeps in the transactions that change them (`ordo_store::orders::kpis`), plus
//! what is true now (held orders, failed inbox entries, low stock, sync lag, oversold
//! units). Nothing here scans orders; time comes in as `now`.
//!
//! On-time shipping: orders carry no ship-by time, so an order shipped within its
//! channel's deadline from `placed_at` ([`KpiSettings::ship_within`], 48 h unless the
//! channel has its own) is on time. It is read from the placed → shipped histogram, so a
//! deadline between two bucket bounds counts only the buckets wholly within it; 1, 2, 4,
//! 8, 12, 24, 48 and 72 hours and 7 days are bounds, and exact.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use ordo_core::TenantId;
use ordo_store::orders::kpi_reads::KpiRead;
use ordo_store::orders::kpis::{self as rollups, OVER, quantile};
use ordo_store::{InboxStatus, Store, StoreResult};
use serde::Serialize;

/// How figures are judged.
#[derive(Debug, Clone)]
pub struct KpiSettings {
    /// An order shipped within this of being placed is on time, unless its channel says.
    pub ship_within: Duration,
    /// Deadlines of channels that have their own.
    pub ship_within_by_channel: BTreeMap<String, Duration>,
    /// A held order held longer than this is overdue.
    pub exception_sla: Duration,
}

impl Default for KpiSettings {
    fn default() -> Self {
        Self {
            ship_within: Duration::hours(48),
            ship_within_by_channel: BTreeMap::new(),
            exception_sla: Duration::hours(24),
        }
    }
}

impl KpiSettings {
    fn deadline(&self, channel: &str) -> i64 {
        self.ship_within_by_channel
            .get(channel)
            .unwrap_or(&self.ship_within)
            .num_seconds()
    }
}

/// How long a stage took, from its histogram.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latency {
    /// How many times it was measured.
    pub count: i64,
    /// Half took at most this many seconds (a bucket's upper bound); `None` with no
    /// measurement or beyond the largest bucket (30 days).
    pub p50_seconds: Option<i64>,
    /// 95 % took at most this many seconds, likewise.
    pub p95_seconds: Option<i64>,
}

/// The three stages orders go through after arriving.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Latencies {
    /// Placed → every line reserved.
    pub order_to_allocated: Latency,
    /// Allocated → request queued to the warehouse.
    pub allocated_to_sent: Latency,
    /// Request queued → shipped from that warehouse.
    pub sent_to_shipped: Latency,
}

/// The figures of one window (and one channel, one warehouse or all).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Orders created.
    pub orders_in: i64,
    /// Orders fully reserved for the first time.
    pub allocated: i64,
    /// Of those, reserved at more than one warehouse.
    pub split: i64,
    /// Of those, reserved wholly at the first-choice warehouse.
    pub first_route_filled: i64,
    /// `split / allocated`; `None` with nothing allocated.
    pub split_rate: Option<f64>,
    /// `first_route_filled / allocated`; `None` with nothing allocated.
    pub first_route_fill_rate: Option<f64>,
    /// Fulfilment requests queued (one per order and warehouse).
    pub sent: i64,
    /// Packages that left (one per order and warehouse each time).
    pub shipped: i64,
    /// Of those, within their channel's deadline from `placed_at`.
    pub shipped_on_time: i64,
    /// Of those, later.
    pub shipped_late: i64,
    /// `shipped_on_time / shipped`; `None` with nothing shipped.
    pub on_time_rate: Option<f64>,
    /// How long each stage took.
    pub latency: Latencies,
}

/// The same figures over the three windows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Windows {
    /// Today (UTC).
    pub today: Figures,
    /// The last 7 days, today included.
    #[serde(rename = "7d")]
    pub days_7: Figures,
    /// The last 30 days, today included.
    #[serde(rename = "30d")]
    pub days_30: Figures,
}

/// Held orders of one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exceptions {
    /// `review`, `manual` (open holds of that kind) or `stock` (waiting for stock).
    pub reason: String,
    /// How many orders.
    pub count: i64,
    /// How long the longest held one has been held.
    pub oldest_age_seconds: i64,
    /// How many have been held longer than [`KpiSettings::exception_sla`].
    pub overdue: i64,
}

/// One day's arrivals and shipments over every channel, for a chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Day {
    /// Its UTC midnight.
    pub day: DateTime<Utc>,
    /// Orders created.
    pub orders_in: i64,
    /// Packages that left.
    pub shipped: i64,
}

/// Everything the dashboard shows for one tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dashboard {
    /// When these figures were read.
    pub generated_at: DateTime<Utc>,
    /// Every channel and warehouse.
    pub windows: Windows,
    /// Per channel.
    pub by_channel: BTreeMap<String, Windows>,
    /// Per warehouse (orders in have none, so they show only in the other views).
    pub by_warehouse: BTreeMap<String, Windows>,
    /// Each of the 30 days, oldest first, today last (days with nothing included).
    pub daily: Vec<Day>,
    /// Held orders by reason, now.
    pub exceptions: Vec<Exceptions>,
    /// Inbox entries that failed and are not resolved, now.
    pub failed_inbox: i64,
    /// SKUs with an open low-stock alert, now.
    pub low_stock_skus: i64,
    /// Per channel: how far behind the platform its newest arrival was stored.
    pub sync_lag_seconds: BTreeMap<String, i64>,
    /// Units reserved for orders beyond what is on hand, now; 0 unless something is wrong
    /// (or a stock count found less than was reserved).
    pub oversold_units: i64,
}

/// Reads a tenant's dashboard as of `now`.
pub async fn dashboard(
    store: &dyn Store,
    tenant: &TenantId,
    settings: &KpiSettings,
    now: DateTime<Utc>,
) -> StoreResult<Dashboard> {
    let since = rollups::day_of(now) - Duration::days(29);
    let read = store.kpis(tenant, since).await?;
    let (windows, by_channel, by_warehouse) = summarise(&read, settings, now);
    let exceptions = store
        .held_by_reason(tenant, now - settings.exception_sla)
        .await?
        .into_iter()
        .map(|f| Exceptions {
            reason: f.reason,
            count: f.count,
            oldest_age_seconds: f.oldest.map_or(0, |t| (now - t).num_seconds().max(0)),
            overdue: f.overdue,
        })
        .collect();
    let sync_lag_seconds = read
        .sync
        .iter()
        .map(|s| (s.channel.clone(), (s.seen_at - s.changed_at).num_seconds().max(0)))
        .collect();
    Ok(Dashboard {
        generated_at: now,
        windows,
        by_channel,
        by_warehouse,
        daily: daily(&read, since),
        exceptions,
        failed_inbox: store.count_inbox(tenant, InboxStatus::Failed).await?,
        low_stock_skus: store.list_alerts(tenant, true).await?.len() as i64,
        sync_lag_seconds,
        oversold_units: store.oversold_units(tenant).await?,
    })
}

/// What one window of one view adds up to, before rates and percentiles.
#[derive(Debug, Default)]
struct Sums {
    counts: BTreeMap<String, i64>,
    histograms: BTreeMap<String, BTreeMap<i64, i64>>,
    on_time: i64,
}

impl Sums {
    fn figures(&self) -> Figures {
        let count = |metric: &str| self.counts.get(metric).copied().unwrap_or(0);
        let latency = |stage: &str| {
            let empty = BTreeMap::new();
            let h = self.histograms.get(stage).unwrap_or(&empty);
            Latency {
                count: h.values().sum(),
                p50_seconds: quantile(h, 0.5),
                p95_seconds: quantile(h, 0.95),
            }
        };
        let rate = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
        let allocated = count(rollups::ALLOCATED);
        let shipped = count(rollups::SHIPPED);
        let timed: i64 = self
            .histograms
            .get(rollups::ORDER_TO_SHIPPED)
            .map_or(0, |h| h.values().sum());
        Figures {
            orders_in: count(rollups::ORDERS_IN),
            allocated,
            split: count(rollups::SPLIT),
            first_route_filled: count(rollups::FIRST_ROUTE_FILLED),
            split_rate: rate(count(rollups::SPLIT), allocated),
            first_route_fill_rate: rate(count(rollups::FIRST_ROUTE_FILLED), allocated),
            sent: count(rollups::SENT),
            shipped,
            shipped_on_time: self.on_time,
            shipped_late: timed - self.on_time,
            on_time_rate: rate(self.on_time, timed),
            latency: Latencies {
                order_to_allocated: latency(rollups::ORDER_TO_ALLOCATED),
                allocated_to_sent: latency(rollups::ALLOCATED_TO_SENT),
                sent_to_shipped: latency(rollups::SENT_TO_SHIPPED),
            },
        }
    }
}

type Views = (Windows, BTreeMap<String, Windows>, BTreeMap<String, Windows>);

/// Adds the rollups up per window, in total, per channel and per warehouse.
pub fn summarise(read: &KpiRead, settings: &KpiSettings, now: DateTime<Utc>) -> Views {
    let today = rollups::day_of(now);
    let starts = [today, today - Duration::days(6), today - Duration::days(29)];
    // [window] of sums, per view: "" is the total.
    let mut channels: BTreeMap<&str, [Sums; 3]> = BTreeMap::new();
    let mut warehouses: BTreeMap<&str, [Sums; 3]> = BTreeMap::new();
    let mut total: [Sums; 3] = Default::default();
    for c in &read.counts {
        for (w, start) in starts.iter().enumerate() {
            if c.day < *start {
                continue;
            }
            let add = |sums: &mut [Sums; 3]| *sums[w].counts.entry(c.metric.clone()).or_default() += c.value;
            add(&mut total);
            add(channels.entry(&c.channel).or_default());
            if !c.warehouse.is_empty() {
                add(warehouses.entry(&c.warehouse).or_default());
            }
        }
    }
    for b in &read.latency {
        let deadline = settings.deadline(&b.channel);
        let on_time = b.stage == rollups::ORDER_TO_SHIPPED && b.bucket != OVER && b.bucket <= deadline;
        for (w, start) in starts.iter().enumerate() {
            if b.day < *start {
                continue;
            }
            let add = |sums: &mut [Sums; 3]| {
                let sums = &mut sums[w];
                *sums
                    .histograms
                    .entry(b.stage.clone())
                    .or_default()
                    .entry(b.bucket)
                    .or_default() += b.n;
                if on_time {
                    sums.on_time += b.n;
                }
            };
            add(&mut total);
            add(channels.entry(&b.channel).or_default());
            if !b.warehouse.is_empty() {
                add(warehouses.entry(&b.warehouse).or_default());
            }
        }
    }
    let windows = |sums: &[Sums; 3]| Windows {
        today: sums[0].figures(),
        days_7: sums[1].figures(),
        days_30: sums[2].figures(),
    };
    let by = |views: BTreeMap<&str, [Sums; 3]>| views.iter().map(|(k, s)| ((*k).to_owned(), windows(s))).collect();
    (windows(&total), by(channels), by(warehouses))
}

/// Orders in and shipped on each of the 30 days from `first`, empty days kept so a chart
/// shows them as zero.
fn daily(read: &KpiRead, first: DateTime<Utc>) -> Vec<Day> {
    let mut days: Vec<Day> = (0..30)
        .map(|n| Day {
            day: first + Duration::days(n),
            ..Day::default()
        })
        .collect();
    for c in &read.counts {
        let Some(day) = usize::try_from((c.day - first).num_days())
            .ok()
            .and_then(|i| days.get_mut(i))
        else {
            continue;
        };
        match c.metric.as_str() {
            rollups::ORDERS_IN => day.orders_in += c.value,
            rollups::SHIPPED => day.shipped += c.value,
            _ => {}
        }
    }
    days
}

#[cfg(test)]
mod tests;
