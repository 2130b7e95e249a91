//! Dashboard figures kept as rollups: per tenant, UTC day, channel and warehouse, how many
//! orders came in, were allocated (split, filled by the first choice), sent and shipped
//! (`kpi_counts`), and how long each stage took, as histograms (`kpi_latency`). They are
//! added to in the transactions that make them true, never computed by scanning orders:
//! a transaction collects what it adds in a [`KpiTally`] and its store adds the sums
//! before commit ([`crate::orders::rows::IngestTx::add_kpis`]), one upsert per distinct
//! key however many orders the batch holds.
//!
//! What each figure counts:
//! - [`ORDERS_IN`]: orders created; a repeat, an update or an idempotent replay is not;
//! - [`ALLOCATED`]: orders whose every line became reserved for the first time (units
//!   reserved again after a short shipment or an edit do not count again), under the
//!   best-ranked warehouse that holds any of them; [`SPLIT`]: of those, reserved at more
//!   than one warehouse; [`FIRST_ROUTE_FILLED`]: all at the first-choice warehouse;
//! - [`SENT`]: fulfilment requests queued, one per order and warehouse;
//! - [`SHIPPED`]: one per order and warehouse each time units leave it.
//!
//! Latencies start at the order's `placed_at` ([`ORDER_TO_ALLOCATED`],
//! [`ORDER_TO_SHIPPED`], which on-time shipping is read from), at the allocation
//! ([`ALLOCATED_TO_SENT`]) and at the request to that warehouse ([`SENT_TO_SHIPPED`]).
//! Reading them back is [`crate::orders::kpi_reads`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::ingest::OrderState;
use ordo_core::{Order, OrderId, TenantId};

use crate::StoreResult;
use crate::sql::SqlTx;

/// Orders created.
pub const ORDERS_IN: &str = "orders_in";
/// Orders fully reserved for the first time.
pub const ALLOCATED: &str = "allocated";
/// Allocated orders reserved at more than one warehouse.
pub const SPLIT: &str = "split";
/// Allocated orders reserved wholly at their first-choice warehouse.
pub const FIRST_ROUTE_FILLED: &str = "first_route_filled";
/// Fulfilment requests queued (order × warehouse).
pub const SENT: &str = "sent";
/// Packages that left (order × warehouse × shipment).
pub const SHIPPED: &str = "shipped";

/// Placed → allocated.
pub const ORDER_TO_ALLOCATED: &str = "order_to_allocated";
/// Allocated → sent to the warehouse.
pub const ALLOCATED_TO_SENT: &str = "allocated_to_sent";
/// Sent to the warehouse → shipped from it.
pub const SENT_TO_SHIPPED: &str = "sent_to_shipped";
/// Placed → shipped (on time or late against a deadline chosen when read).
pub const ORDER_TO_SHIPPED: &str = "order_to_shipped";

/// Upper bounds of the latency buckets, in seconds, 1 s to 30 days: roughly log-scale, and
/// every deadline a dashboard is likely to ask about (1 h, 24 h, 48 h, 72 h, 7 days) is a
/// bound, so on-time counts read from them are exact.
pub const BUCKETS: [i64; 21] = [
    1, 2, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200, 604_800,
    1_209_600, 2_592_000,
];
/// The bucket of latencies beyond the largest bound.
pub const OVER: i64 = -1;

/// The bucket a latency of `seconds` falls in.
pub fn bucket(seconds: i64) -> i64 {
    BUCKETS.iter().copied().find(|b| seconds <= *b).unwrap_or(OVER)
}

/// The UTC midnight starting `at`'s day: the day a figure is counted under.
pub fn day_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// Where a figure is counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KpiKey {
    /// Whose.
    pub tenant: TenantId,
    /// UTC midnight of the day.
    pub day: DateTime<Utc>,
    /// The order's channel.
    pub channel: String,
    /// The warehouse; empty for figures that have none.
    pub warehouse: String,
}

/// What transactions add to the rollups, summed per key. The maps' order is the order a
/// store writes rows in, the same in every transaction (so concurrent ones cannot deadlock).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiRows {
    /// (key, metric) → how many more.
    pub counts: BTreeMap<(KpiKey, &'static str), i64>,
    /// (key, stage, bucket) → how many more.
    pub latency: BTreeMap<(KpiKey, &'static str, i64), i64>,
    /// (tenant, channel) → (platform's last change, stored at) of the newest arrival.
    pub sync: BTreeMap<(TenantId, String), (DateTime<Utc>, DateTime<Utc>)>,
}

impl KpiRows {
    /// Whether there is nothing to add.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.latency.is_empty() && self.sync.is_empty()
    }

    /// Adds `other` to these (for a store that writes several tallies at once).
    pub fn merge(&mut self, other: KpiRows) {
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
        for (key, n) in other.latency {
            *self.latency.entry(key).or_default() += n;
        }
        for (key, mark) in other.sync {
            let entry = self.sync.entry(key).or_insert(mark);
            if mark.1 >= entry.1 {
                *entry = mark;
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Entry {
    Count(KpiKey, &'static str),
    Latency(KpiKey, &'static str, i64),
    Sync(TenantId, String, DateTime<Utc>, DateTime<Utc>),
}

/// What one transaction adds, as it goes. Kept as a log so that an attempt the
/// transaction abandons half-way (an order inserted concurrently by another node) can be
/// taken back ([`KpiTally::rewind`]); summed when written ([`KpiTally::take`]).
#[derive(Debug, Clone, Default)]
pub struct KpiTally {
    log: Vec<Entry>,
    /// Orders allocated in this transaction: where in the log, and when.
    allocated: BTreeMap<OrderId, (usize, DateTime<Utc>)>,
}

fn key(tenant: &TenantId, order: &Order, warehouse: &str, now: DateTime<Utc>) -> KpiKey {
    KpiKey {
        tenant: tenant.clone(),
        day: day_of(now),
        channel: order.channel.as_str().to_owned(),
        warehouse: warehouse.to_owned(),
    }
}

/// Whole seconds from `from` to `to`; a start in the future (a platform's clock ahead of
/// ours) counts as no time.
fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_seconds().max(0)
}

impl KpiTally {
    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// A point to [`KpiTally::rewind`] to.
    pub fn mark(&self) -> usize {
        self.log.len()
    }

    /// Forgets what was counted since `mark`.
    pub fn rewind(&mut self, mark: usize) {
        self.log.truncate(mark);
        self.allocated.retain(|_, (at, _)| *at < mark);
    }

    fn stage(&mut self, key: &KpiKey, stage: &'static str, from: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        if let Some(from) = from {
            self.log
                .push(Entry::Latency(key.clone(), stage, bucket(seconds(from, now))));
        }
    }

    /// A new order was stored.
    pub fn order_in(&mut self, tenant: &TenantId, order: &Order, now: DateTime<Utc>) {
        self.log.push(Entry::Count(key(tenant, order, "", now), ORDERS_IN));
    }

    /// An order arrived from its channel (new or not): how far behind the platform.
    pub fn arrival(&mut self, tenant: &TenantId, order: &Order, now: DateTime<Utc>) {
        let changed = order.updated_at.unwrap_or(order.placed_at);
        self.log.push(Entry::Sync(
            tenant.clone(),
            order.channel.as_str().to_owned(),
            changed,
            now,
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn allocated(
        &mut self,
        tenant: &TenantId,
        id: OrderId,
        order: &Order,
        warehouse: &str,
        split: bool,
        first_route: bool,
        now: DateTime<Utc>,
    ) {
        self.allocated.insert(id, (self.log.len(), now));
        let key = key(tenant, order, warehouse, now);
        self.log.push(Entry::Count(key.clone(), ALLOCATED));
        if split {
            self.log.push(Entry::Count(key.clone(), SPLIT));
        }
        if first_route {
            self.log.push(Entry::Count(key.clone(), FIRST_ROUTE_FILLED));
        }
        self.stage(&key, ORDER_TO_ALLOCATED, Some(order.placed_at), now);
    }

    /// Counts an order's stock plan if it is the order's first full reservation (from
    /// `before` to `after`): an order that was already wholly reserved, or has shipped
    /// some units, is reserving again, not being allocated. `ranked` is the sourcing
    /// order, first choice first.
    pub fn allocation(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        (before, after): (&OrderStock, &OrderStock),
        ranked: &[String],
        now: DateTime<Utc>,
    ) {
        let held_all = before.shortages.is_empty() && before.allocations.iter().any(|a| a.reserved > 0);
        if held_all || before.allocations.iter().any(|a| a.shipped > 0) || !after.shortages.is_empty() {
            return;
        }
        let at: BTreeSet<&str> = after
            .allocations
            .iter()
            .filter(|a| a.reserved > 0)
            .map(|a| a.warehouse.as_str())
            .collect();
        let Some(main) = ranked
            .iter()
            .map(String::as_str)
            .find(|w| at.contains(w))
            .or_else(|| at.first().copied())
        else {
            return;
        };
        let first_route = at.len() == 1 && ranked.first().is_some_and(|w| w == main);
        self.allocated(tenant, state.id, &state.order, main, at.len() > 1, first_route, now);
    }

    /// When `id` was allocated, if it was in this transaction.
    pub fn allocated_at(&self, id: OrderId) -> Option<DateTime<Utc>> {
        self.allocated.get(&id).map(|(_, at)| *at)
    }

    /// A fulfilment request for `order` was queued to `warehouse`.
    pub fn sent(
        &mut self,
        tenant: &TenantId,
        order: &Order,
        warehouse: &str,
        allocated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        let key = key(tenant, order, warehouse, now);
        self.log.push(Entry::Count(key.clone(), SENT));
        self.stage(&key, ALLOCATED_TO_SENT, allocated_at, now);
    }

    /// Units of `order` left `warehouse`.
    pub fn shipped(
        &mut self,
        tenant: &TenantId,
        order: &Order,
        warehouse: &str,
        sent_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        let key = key(tenant, order, warehouse, now);
        self.log.push(Entry::Count(key.clone(), SHIPPED));
        self.stage(&key, SENT_TO_SHIPPED, sent_at, now);
        self.stage(&key, ORDER_TO_SHIPPED, Some(order.placed_at), now);
    }

    /// The sums of everything counted, leaving the tally empty.
    pub fn take(&mut self) -> KpiRows {
        self.allocated.clear();
        let mut rows = KpiRows::default();
        for entry in std::mem::take(&mut self.log) {
            match entry {
                Entry::Count(key, metric) => *rows.counts.entry((key, metric)).or_default() += 1,
                Entry::Latency(key, stage, bucket) => *rows.latency.entry((key, stage, bucket)).or_default() += 1,
                Entry::Sync(tenant, channel, changed, seen) => {
                    let mark = rows.sync.entry((tenant, channel)).or_insert((changed, seen));
                    // The newest change seen: what the platform had most recently.
                    if changed > mark.0 {
                        *mark = (changed, seen);
                    }
                }
            }
        }
        rows
    }
}

/// The warehouses units of an order left between two of its holdings.
pub fn shipped_from(before: &OrderStock, after: &OrderStock) -> BTreeSet<String> {
    after
        .allocations
        .iter()
        .filter(|a| {
            let had = before
                .allocations
                .iter()
                .find(|b| b.sku == a.sku && b.warehouse == a.warehouse)
                .map_or(0, |b| b.shipped);
            a.shipped > had
        })
        .map(|a| a.warehouse.clone())
        .collect()
}

/// When an order stored earlier reached the stages latencies start from, read from its
/// events (asked only when the stage was not reached in the same transaction).
#[derive(Debug, Clone, Default)]
pub struct StageTimes {
    /// Its last allocation.
    pub allocated: Option<DateTime<Utc>>,
    /// Each push: when, and the warehouses it sent to.
    pub pushes: Vec<(DateTime<Utc>, Vec<String>)>,
    /// Its last short shipment, which sends what is left to other warehouses.
    pub rerouted: Option<DateTime<Utc>>,
}

impl StageTimes {
    /// When the order's request to `warehouse` was queued: the last push naming it, else
    /// (sent on after a short shipment) the last reroute, else the last push.
    pub fn sent_at(&self, warehouse: &str) -> Option<DateTime<Utc>> {
        let named = self
            .pushes
            .iter()
            .rev()
            .find(|(_, to)| to.iter().any(|w| w == warehouse));
        named
            .map(|(at, _)| *at)
            .or(self.rerouted)
            .or_else(|| self.pushes.last().map(|(at, _)| *at))
    }
}

/// Reads an order's stage times inside a transaction.
pub async fn stage_times<T: SqlTx>(tx: &mut T, tenant: &TenantId, order: OrderId) -> StoreResult<StageTimes> {
    let sql = "SELECT kind, at, data FROM order_events WHERE tenant_id = $1 AND order_id = $2 \
               AND kind IN ('order.allocated', 'order.transitioned', 'order.shipped_short') ORDER BY seq";
    let rows = tx
        .rows(sql, &[tenant.into(), order.0.into()], |row| {
            Ok((row.text("kind")?, row.time("at")?, row.json("data")?))
        })
        .await?;
    let mut times = StageTimes::default();
    for (kind, at, data) in rows {
        match kind.as_str() {
            "order.allocated" => times.allocated = Some(at),
            "order.shipped_short" => times.rerouted = Some(at),
            _ if data["to"] == "sent_to_warehouse" => {
                let to = data["requests"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["warehouse"].as_str().map(str::to_owned))
                    .collect();
                times.pushes.push((at, to));
            }
            _ => {}
        }
    }
    Ok(times)
}

/// The `q`-quantile (0 < q ≤ 1) of a histogram given as (bucket, n): the upper bound of
/// the bucket it falls in, so "p95 = 300" reads "95 % took at most 300 s". `None` when
/// there is nothing, or when it falls beyond the largest bound ([`OVER`]).
pub fn quantile(buckets: &BTreeMap<i64, i64>, q: f64) -> Option<i64> {
    let total: i64 = buckets.values().sum();
    if total <= 0 {
        return None;
    }
    let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    for bound in BUCKETS {
        seen += buckets.get(&bound).copied().unwrap_or(0);
        if seen >= rank {
            return Some(bound);
        }
    }
    None
}
