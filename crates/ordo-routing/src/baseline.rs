//! The baseline Ordo is measured against: greedy per-SKU source selection, as Magento
//! MSI's priority algorithm does it. Each SKU is taken on its own from the warehouses in
//! priority order, so the number of packages is whatever falls out, never minimised.

use std::collections::BTreeMap;

use crate::carrier::Lanes;
use crate::config::RoutingConfig;
use crate::engine::{demands, plan_of, shipment};
use crate::geo::haversine_km;
use crate::model::{RoutePlan, RouteRequest, Stock, Unroutable, Warehouse};
use crate::search::{Candidate, Problem};

/// The rule name reported on baseline plans.
pub const GREEDY_PER_SKU: &str = "greedy-per-sku";

/// Routes like MSI: active warehouses that serve the order's channel, by priority (then
/// code), each SKU taking units above safety stock from the first until it is covered.
/// Attributes and capacity are not considered, as MSI does not. Costs and carriers come
/// from `config`'s tables so plans compare like for like; its rules are not used.
pub fn greedy_per_sku(
    config: &RoutingConfig,
    request: &RouteRequest,
    warehouses: &[Warehouse],
    stock: &Stock,
) -> Result<RoutePlan, Unroutable> {
    let demand = demands(request);
    if demand.is_empty() {
        return Err(Unroutable {
            reasons: vec![("request".into(), "the order has no line with a quantity".into())],
        });
    }
    let mut sources: Vec<&Warehouse> = warehouses
        .iter()
        .filter(|w| w.active && w.serves(&request.channel))
        .collect();
    sources.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.code.cmp(&b.code)));
    let destination = &request.destination;
    let lanes = Lanes::new(&config.costs, destination);
    let problem = Problem {
        demand: demand.iter().map(|d| d.quantity).collect(),
        unit_weight_g: demand.iter().map(|d| d.unit_weight_g).collect(),
        unit_dims_mm: demand.iter().map(|d| d.unit_dims_mm).collect(),
        attributes: demand.iter().map(|d| &d.attributes).collect(),
        candidates: sources
            .iter()
            .map(|w| {
                let shippable: Vec<u32> = demand.iter().map(|d| stock.shippable(&d.sku, &w.code, true)).collect();
                Candidate {
                    caps: shippable.iter().zip(&demand).map(|(&s, d)| s.min(d.quantity)).collect(),
                    shippable,
                    distance_km: w.point.zip(destination.point).map(|(a, b)| haversine_km(a, b)),
                    priority: w.priority,
                    lane: lanes.tariff(w.region.as_deref()),
                    code_rank: 0,
                }
            })
            .collect(),
        carriers: &config.carriers,
        destination,
        rank: &[],
        max_packages: usize::MAX,
    };
    // Candidate index → units per SKU; a BTreeMap so packages come out in a fixed order.
    let mut taken: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    let mut short = Vec::new();
    for (s, d) in demand.iter().enumerate() {
        let mut left = d.quantity;
        for (c, candidate) in problem.candidates.iter().enumerate() {
            if left == 0 {
                break;
            }
            let take = left.min(candidate.caps[s]);
            if take > 0 {
                taken.entry(c).or_insert_with(|| vec![0; demand.len()])[s] = take;
                left -= take;
            }
        }
        if left > 0 {
            short.push(format!(
                "only {} of {} × {} available above safety stock",
                d.quantity - left,
                d.quantity,
                d.sku
            ));
        }
    }
    if !short.is_empty() {
        return Err(Unroutable {
            reasons: vec![(GREEDY_PER_SKU.into(), short.join("; "))],
        });
    }
    let mut shipments: Vec<_> = taken
        .iter()
        .map(|(&c, alloc)| shipment(&config.carriers, &problem, c, sources[c], &demand, alloc))
        .collect();
    shipments.sort_by(|a, b| a.warehouse.cmp(&b.warehouse));
    Ok(plan_of(GREEDY_PER_SKU, shipments, true))
}
