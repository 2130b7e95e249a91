//! What a candidate routing configuration would do to recent orders, compared with the one
//! in force, changing nothing: how many orders each routes, in how many packages, how
//! far and at what cost, and where the orders that change would ship.
//!
//! The replay sees the orders as the store's sourcing does (same requests, warehouses and
//! stock levels, built by `ordo_store::stock::sourcing`), so the current side is what the store
//! would decide today, and the only difference between the sides is the configuration.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use ordo_core::allocation::{Aliases, CatalogueEntry, demand};
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_routing::{RoutePlan, RouteRequest, Stock, Unroutable, replay};
use ordo_store::stock::sourcing::{add_level, route_request, routing_warehouse};
use ordo_store::{MAX_PAGE, OrderQuery, OrderSummary, Store, StoreError};
use serde::Serialize;

pub use ordo_routing::{ConfigError, DEFAULT_TOML, RoutingConfig, StockMode, Summary, WhatIf};

/// Orders replayed when the caller does not say.
pub const DEFAULT_LAST: usize = 500;
/// Most orders one report replays; bounds its reads (one per order) and its time.
pub const MAX_LAST: usize = 10_000;

/// Orders read at once while loading; enough to keep a PostgreSQL pool busy without
/// taking all of it from the node's other work.
const READS_IN_FLIGHT: usize = 4;

/// The routing configuration the store sources `tenant`'s orders with, which a candidate
/// is compared against.
pub fn current_config(tenant: &ordo_core::TenantId) -> std::sync::Arc<ordo_store::stock::sourcing::Installed> {
    ordo_store::stock::sourcing::installed_for(tenant)
}

/// The report: the engine's comparison, the candidate's change on every total, and where
/// each changed order would ship.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// How stock moved between the replayed orders.
    pub mode: StockMode,
    /// Totals under each configuration and the ids of the orders that change.
    #[serde(flatten)]
    pub what_if: WhatIf,
    /// Candidate minus current, total by total.
    pub delta: Delta,
    /// The changed orders, oldest first.
    pub changed: Vec<ChangedOrder>,
}

/// Candidate minus current; negative means the candidate has fewer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    /// Orders with a plan.
    pub routed: i64,
    /// Orders no rule could route.
    pub unroutable: i64,
    /// Packages.
    pub shipments: i64,
    /// Orders shipped in more than one package.
    pub split_orders: i64,
    /// Kilometres over the packages with a known distance.
    pub total_distance_km: f64,
    /// Cost over the packages with a known cost, in minor units.
    pub total_cost_minor: i64,
}

impl Delta {
    fn between(current: &Summary, candidate: &Summary) -> Self {
        let count = |a: usize, b: usize| i64::try_from(b).unwrap_or(i64::MAX) - i64::try_from(a).unwrap_or(i64::MAX);
        Self {
            routed: count(current.routed, candidate.routed),
            unroutable: count(current.unroutable, candidate.unroutable),
            shipments: count(current.shipments, candidate.shipments),
            split_orders: count(current.split_orders, candidate.split_orders),
            total_distance_km: candidate.total_distance_km - current.total_distance_km,
            total_cost_minor: candidate.total_cost_minor.saturating_sub(current.total_cost_minor),
        }
    }
}

/// One order that would ship differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedOrder {
    /// Ordo's id.
    pub order_id: OrderId,
    /// Channel.
    pub channel: String,
    /// Channel's order number.
    pub external_id: String,
    /// Status now.
    pub status: OrderStatus,
    /// Warehouses of the current plan, one per package; `None` when it is unroutable.
    pub current: Option<Vec<String>>,
    /// Warehouses of the candidate's plan; `None` when it is unroutable.
    pub candidate: Option<Vec<String>>,
}

/// Whether an order is replayed: one not yet paid may never ship, and a cancelled one
/// never will, so neither says anything about where orders ship. Every other status is
/// demand that was (or will be) shipped from somewhere, shipped orders included.
fn replayed(status: OrderStatus) -> bool {
    !matches!(status, OrderStatus::PendingPayment | OrderStatus::Cancelled)
}

/// Replays the tenant's `last` newest orders that ship (not pending payment, not
/// cancelled), oldest first, under `current` and `candidate`, and compares them.
/// `last` is clamped to `1..=MAX_LAST`. Only reads.
///
/// - **Requests** are built as the store's sourcing builds them: aliases resolved, bundles
///   expanded, to the centroid of the address's region. An order naming a SKU the
///   catalogue does not know is replayed with it as written, so it is unroutable on both
///   sides.
/// - **Warehouses** are all of the tenant's, inactive ones included (they never ship), so a
///   candidate that stops filtering by channel can use them all.
/// - **Starting stock** is each level's current `on_hand` and safety stock. Reservations
///   are not subtracted: most of them belong to the replayed orders, which the replay
///   decides again (subtracting them would count them twice). Units already shipped are
///   gone from `on_hand`, so over a long window the replay sees less stock than the
///   orders did; both sides see the same, which is what the comparison needs.
pub async fn what_if_recent(
    store: &Arc<dyn Store>,
    tenant: &TenantId,
    current: &RoutingConfig,
    candidate: &RoutingConfig,
    last: usize,
    mode: StockMode,
) -> Result<Report, StoreError> {
    let summaries = recent_orders(store, tenant, last.clamp(1, MAX_LAST)).await?;
    let (catalogue, aliases) = catalogue(store, tenant).await?;
    let mut requests: Vec<RouteRequest> = Vec::with_capacity(summaries.len());
    let ids: Vec<OrderId> = summaries.iter().map(|s| s.id).collect();
    let orders = futures_util::stream::iter(ids)
        .map(|id| {
            let (store, tenant) = (Arc::clone(store), tenant.clone());
            async move { store.get_order(&tenant, id).await }
        })
        .buffered(READS_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    let mut kept: Vec<&OrderSummary> = Vec::with_capacity(summaries.len());
    for (summary, record) in summaries.iter().zip(orders) {
        // Gone since it was listed (e.g. merged away): nothing to replay.
        let Some(record) = record else { continue };
        let order = &record.state.order;
        let needed = demand(order, &catalogue, &aliases).unwrap_or_else(|_| as_written(order));
        let mut request = route_request(order, &needed);
        request.order_id = summary.id.to_string();
        requests.push(request);
        kept.push(summary);
    }
    let warehouses: Vec<_> = store
        .list_warehouses(tenant)
        .await?
        .iter()
        .map(routing_warehouse)
        .collect();
    let mut stock = Stock::new();
    for row in store.list_stock(tenant, None).await? {
        add_level(
            &mut stock,
            &row.sku,
            &row.warehouse,
            row.level.on_hand,
            row.level.safety_stock,
        );
    }
    // Routing thousands of orders twice is CPU work: off the async workers, so the node
    // keeps answering while a report runs.
    let (current, candidate) = (current.clone(), candidate.clone());
    let (requests, before, after) = tokio::task::spawn_blocking(move || {
        let before = replay(&current, &requests, &warehouses, &stock, mode);
        let after = replay(&candidate, &requests, &warehouses, &stock, mode);
        (requests, before, after)
    })
    .await
    .map_err(|e| StoreError::Other(format!("what-if replay failed: {e}")))?;
    let what_if = WhatIf::compare(&requests, &before, &after);
    let ids: HashSet<&str> = what_if.changed_orders.iter().map(String::as_str).collect();
    let changed = kept
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(s, _)| ids.contains(s.id.to_string().as_str()))
        .map(|(s, (a, b))| ChangedOrder {
            order_id: s.id,
            channel: s.channel.clone(),
            external_id: s.external_id.clone(),
            status: s.status,
            current: shipping_from(a),
            candidate: shipping_from(b),
        })
        .collect();
    Ok(Report {
        mode,
        delta: Delta::between(&what_if.current, &what_if.candidate),
        what_if,
        changed,
    })
}

/// The `last` newest replayed orders, oldest first (the order they were decided in).
async fn recent_orders(
    store: &Arc<dyn Store>,
    tenant: &TenantId,
    last: usize,
) -> Result<Vec<OrderSummary>, StoreError> {
    let mut found = Vec::with_capacity(last);
    let mut query = OrderQuery {
        limit: MAX_PAGE,
        ..OrderQuery::default()
    };
    loop {
        let page = store.search_orders(tenant, &query).await?;
        found.extend(page.items.into_iter().filter(|s| replayed(s.status)));
        match page.next {
            Some(next) if found.len() < last => query.after = Some(next),
            _ => break,
        }
    }
    found.truncate(last);
    found.reverse();
    Ok(found)
}

/// The whole catalogue and every alias, for resolving orders' lines as allocation does.
async fn catalogue(
    store: &Arc<dyn Store>,
    tenant: &TenantId,
) -> Result<(BTreeMap<String, CatalogueEntry>, Aliases), StoreError> {
    let mut entries = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_skus(tenant, after.as_deref(), MAX_PAGE).await?;
        let full = page.len() == MAX_PAGE as usize;
        after = page.last().map(|s| s.code.clone());
        for sku in page {
            let entry = if sku.components.is_empty() {
                CatalogueEntry::Stocked
            } else {
                CatalogueEntry::Bundle(sku.components)
            };
            entries.insert(sku.code, entry);
        }
        if !full {
            break;
        }
    }
    let aliases = store
        .list_sku_aliases(tenant)
        .await?
        .into_iter()
        .map(|a| ((a.channel, a.alias), a.sku))
        .collect();
    Ok((entries, aliases))
}

/// An order's lines by SKU as written, for an order the catalogue cannot resolve.
fn as_written(order: &ordo_core::Order) -> BTreeMap<String, i64> {
    let mut units = BTreeMap::new();
    for line in &order.lines {
        *units.entry(line.sku.as_str().to_owned()).or_insert(0) += i64::from(line.quantity.get());
    }
    units
}

/// The warehouses a plan ships from, one per package, or `None` when unroutable.
fn shipping_from(outcome: &Result<RoutePlan, Unroutable>) -> Option<Vec<String>> {
    outcome
        .as_ref()
        .ok()
        .map(|plan| plan.shipments.iter().map(|s| s.warehouse.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unpaid_and_cancelled_orders_are_left_out() {
        let left_out: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| !replayed(*s)).collect();
        assert_eq!(left_out, [OrderStatus::PendingPayment, OrderStatus::Cancelled]);
    }

    #[test]
    fn a_delta_is_candidate_minus_current() {
        let current = Summary {
            routed: 3,
            shipments: 5,
            split_orders: 2,
            total_distance_km: 100.0,
            total_cost_minor: 900,
            ..Summary::default()
        };
        let candidate = Summary {
            routed: 2,
            unroutable: 1,
            shipments: 2,
            total_distance_km: 250.0,
            total_cost_minor: 600,
            ..Summary::default()
        };
        let delta = Delta::between(&current, &candidate);
        assert_eq!(
            (delta.routed, delta.unroutable, delta.shipments, delta.split_orders),
            (-1, 1, -3, -2)
        );
        assert_eq!((delta.total_distance_km, delta.total_cost_minor), (150.0, -300));
    }
}
