//! What-if: replays a batch of orders under the current and a candidate configuration and
//! reports what would change, before anyone switches the rules in production.

use serde::{Deserialize, Serialize};

use crate::config::RoutingConfig;
use crate::engine::route;
use crate::model::{RoutePlan, RouteRequest, Stock, Unroutable, Warehouse};

/// How stock moves between the orders of a replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockMode {
    /// Each routed order takes its units from stock and one package per shipment from its
    /// warehouse's daily capacity, so later orders see what earlier ones left, as they
    /// would in production. The default.
    #[default]
    Consume,
    /// Every order sees the starting stock; useful to compare rules order by order.
    Fixed,
}

/// Totals of one configuration over a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Orders replayed.
    pub orders: usize,
    /// Orders with a plan.
    pub routed: usize,
    /// Orders no rule could route.
    pub unroutable: usize,
    /// Packages over all plans.
    pub shipments: usize,
    /// Orders shipped in more than one package.
    pub split_orders: usize,
    /// Sum of the known package distances.
    pub total_distance_km: f64,
    /// Sum of the known package costs, in minor units.
    pub total_cost_minor: i64,
}

/// The comparison of two configurations over the same orders and starting stock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WhatIf {
    /// Totals under the configuration in force.
    pub current: Summary,
    /// Totals under the proposed one.
    pub candidate: Summary,
    /// Orders, in batch order, whose packages (warehouses and units) differ, or that
    /// become routable or unroutable. A plan that differs only by rule name is unchanged.
    pub changed_orders: Vec<String>,
}

/// Replays `requests` in order under both configurations, each from the same starting
/// `warehouses` and `stock`, consuming stock order by order ([`StockMode::Consume`]).
pub fn what_if(
    current: &RoutingConfig,
    candidate: &RoutingConfig,
    requests: &[RouteRequest],
    warehouses: &[Warehouse],
    stock: &Stock,
) -> WhatIf {
    what_if_with(current, candidate, requests, warehouses, stock, StockMode::Consume)
}

/// [`what_if`] with a choice of how stock moves between orders.
pub fn what_if_with(
    current: &RoutingConfig,
    candidate: &RoutingConfig,
    requests: &[RouteRequest],
    warehouses: &[Warehouse],
    stock: &Stock,
    mode: StockMode,
) -> WhatIf {
    let before = replay(current, requests, warehouses, stock, mode);
    let after = replay(candidate, requests, warehouses, stock, mode);
    WhatIf::compare(requests, &before, &after)
}

impl WhatIf {
    /// The comparison of two [`replay`]s of the same `requests`, for a caller that also
    /// wants the plans themselves (e.g. to show where changed orders would ship) without
    /// routing everything twice more.
    pub fn compare(
        requests: &[RouteRequest],
        before: &[Result<RoutePlan, Unroutable>],
        after: &[Result<RoutePlan, Unroutable>],
    ) -> Self {
        let changed_orders = requests
            .iter()
            .zip(before.iter().zip(after))
            .filter(|(_, (a, b))| packages(a) != packages(b))
            .map(|(request, _)| request.order_id.clone())
            .collect();
        WhatIf {
            current: summarise(before),
            candidate: summarise(after),
            changed_orders,
        }
    }
}

/// Routes every request under one configuration, in order.
pub fn replay(
    config: &RoutingConfig,
    requests: &[RouteRequest],
    warehouses: &[Warehouse],
    stock: &Stock,
    mode: StockMode,
) -> Vec<Result<RoutePlan, Unroutable>> {
    let mut warehouses = warehouses.to_vec();
    let mut stock = stock.clone();
    let mut outcomes = Vec::with_capacity(requests.len());
    for request in requests {
        let outcome = route(config, request, &warehouses, &stock);
        if let (Ok(plan), StockMode::Consume) = (&outcome, mode) {
            for package in &plan.shipments {
                for (sku, units) in &package.lines {
                    stock.take(sku, &package.warehouse, *units);
                }
                if let Some(w) = warehouses.iter_mut().find(|w| w.code == package.warehouse) {
                    w.shipped_today = w.shipped_today.saturating_add(1);
                }
            }
        }
        outcomes.push(outcome);
    }
    outcomes
}

/// One package as it physically ships: the warehouse and its `(sku, units)` lines.
type Package<'a> = (&'a str, &'a [(String, u32)]);

/// What physically ships, or `None` for an unroutable order.
fn packages(outcome: &Result<RoutePlan, Unroutable>) -> Option<Vec<Package<'_>>> {
    let plan = outcome.as_ref().ok()?;
    Some(
        plan.shipments
            .iter()
            .map(|s| (s.warehouse.as_str(), s.lines.as_slice()))
            .collect(),
    )
}

fn summarise(outcomes: &[Result<RoutePlan, Unroutable>]) -> Summary {
    let mut summary = Summary {
        orders: outcomes.len(),
        ..Summary::default()
    };
    for plan in outcomes.iter().filter_map(|o| o.as_ref().ok()) {
        summary.routed += 1;
        summary.shipments += plan.shipments.len();
        summary.split_orders += usize::from(plan.shipments.len() > 1);
        summary.total_distance_km += plan.shipments.iter().filter_map(|s| s.distance_km).sum::<f64>();
        let costs = plan.shipments.iter().filter_map(|s| s.cost_minor);
        summary.total_cost_minor = costs.fold(summary.total_cost_minor, i64::saturating_add);
    }
    summary.unroutable = summary.orders - summary.routed;
    summary
}
