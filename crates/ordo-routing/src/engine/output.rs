//! Turning the search's numbers back into packages with SKUs, weights, costs and carriers.

use super::Demand;
use crate::carrier::select_rule;
use crate::config::CarrierTable;
use crate::model::{CarrierChoice, PlannedShipment, RoutePlan, Warehouse};
use crate::search::{Problem, package_attributes, package_dims_mm, package_weight_g};

/// The package candidate `c` (`warehouse`) ships: what the search scored, in full.
pub(crate) fn shipment(
    carriers: &CarrierTable,
    problem: &Problem<'_>,
    c: usize,
    warehouse: &Warehouse,
    demand: &[Demand],
    alloc: &[u32],
) -> PlannedShipment {
    let destination = problem.destination;
    let weight_g = package_weight_g(problem, alloc);
    let dims = package_dims_mm(problem, alloc);
    let attributes = package_attributes(problem, alloc);
    let carrier_rule = select_rule(carriers, destination, weight_g, dims, &attributes);
    // A carrier's own price is the more specific quote, so it replaces the lane's.
    let tariff = carrier_rule.and_then(|r| r.tariff).or(problem.candidates[c].lane);
    PlannedShipment {
        warehouse: warehouse.code.clone(),
        lines: demand
            .iter()
            .zip(alloc)
            .filter(|(_, q)| **q > 0)
            .map(|(d, &q)| (d.sku.clone(), q))
            .collect(),
        distance_km: problem.candidates[c].distance_km,
        weight_g,
        cost_minor: tariff.map(|t| t.price_minor(weight_g)),
        carrier: carrier_rule.map(|r| CarrierChoice {
            carrier: r.carrier.clone(),
            service: r.service.clone(),
            rule: r.name.clone(),
        }),
    }
}

/// Assembles a plan and its totals (a total is unknown when any package's is).
pub(crate) fn plan_of(rule: &str, shipments: Vec<PlannedShipment>, search_complete: bool) -> RoutePlan {
    // Saturating: an absurd tariff must not be able to panic the engine.
    let total_cost_minor = shipments
        .iter()
        .try_fold(0_i64, |total, s| s.cost_minor.map(|c| total.saturating_add(c)));
    let total_distance_km = shipments.iter().map(|s| s.distance_km).sum::<Option<f64>>();
    RoutePlan {
        rule: rule.to_owned(),
        shipments,
        total_cost_minor,
        total_distance_km,
        search_complete,
    }
}
