//! `route`: tries the rules in order; for each, narrows the warehouses by its filters,
//! asks the search for the plan with the fewest packages, and either returns that plan or
//! records in plain words why the rule produced none.

mod output;
mod reasons;

use std::collections::{BTreeMap, BTreeSet};

use crate::carrier::Lanes;
use crate::config::{RankKey, RoutingConfig, Rule, Tariff};
use crate::geo::{any_region_matches, haversine_km};
use crate::model::{RoutePlan, RouteRequest, Stock, Unroutable, Warehouse};
use crate::search::{self, Candidate, Outcome, Problem};
pub(crate) use output::{plan_of, shipment};
use reasons::{Excluded, Exclusions, Supply, out_of_scope, shortfall};

/// One SKU's demand: the order's lines of that SKU taken together.
pub(crate) struct Demand {
    pub sku: String,
    pub quantity: u32,
    pub unit_weight_g: u32,
    pub unit_dims_mm: Option<[u32; 3]>,
    pub attributes: BTreeSet<String>,
}

/// Merges lines by SKU in order of first appearance, since stock is per SKU; a unit's
/// weight and size are the largest given, so a package is never underestimated.
pub(crate) fn demands(request: &RouteRequest) -> Vec<Demand> {
    let mut out: Vec<Demand> = Vec::new();
    for line in request.lines.iter().filter(|l| l.quantity > 0) {
        let mut dims = line.dims_mm;
        if let Some(d) = dims.as_mut() {
            d.sort_unstable_by(|a, b| b.cmp(a));
        }
        match out.iter_mut().find(|d| d.sku == line.sku) {
            Some(d) => {
                d.quantity = d.quantity.saturating_add(line.quantity);
                d.unit_weight_g = d.unit_weight_g.max(line.weight_g);
                d.attributes.extend(line.attributes.iter().cloned());
                d.unit_dims_mm = match (d.unit_dims_mm, dims) {
                    (Some(a), Some(b)) => Some([a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])]),
                    _ => None,
                };
            }
            None => out.push(Demand {
                sku: line.sku.clone(),
                quantity: line.quantity,
                unit_weight_g: line.weight_g,
                unit_dims_mm: dims,
                attributes: line.attributes.clone(),
            }),
        }
    }
    out
}

/// What one warehouse offers this order, worked out once for all the rules.
struct Site<'w> {
    warehouse: &'w Warehouse,
    /// Per SKU of the demand: units available and safety stock.
    available: Vec<u32>,
    safety: Vec<u32>,
    distance_km: Option<f64>,
    lane: Option<Tariff>,
}

impl Site<'_> {
    fn shippable(&self, sku: usize, above_safety_stock: bool) -> u32 {
        let available = self.available[sku];
        if above_safety_stock {
            available.saturating_sub(self.safety[sku])
        } else {
            available
        }
    }
}

/// Routes one order: the first rule, in config order, that yields a plan wins.
///
/// Within a rule the plan has the fewest packages the rule's warehouses allow; among
/// those, the fewest lines split across warehouses; then the rule's ranking keys; then
/// the warehouse codes, so the same inputs always give the same plan.
pub fn route(
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
    let lanes = Lanes::new(&config.costs, &request.destination);
    // Each SKU's warehouse table looked up once, not once per warehouse and rule.
    let empty = BTreeMap::new();
    let available: Vec<&BTreeMap<String, u32>> = demand
        .iter()
        .map(|d| stock.available.get(&d.sku).unwrap_or(&empty))
        .collect();
    let safety: Vec<&BTreeMap<String, u32>> = demand
        .iter()
        .map(|d| stock.safety.get(&d.sku).unwrap_or(&empty))
        .collect();
    let mut sites: Vec<Site<'_>> = warehouses
        .iter()
        .map(|warehouse| {
            let at = |tables: &[&BTreeMap<String, u32>]| -> Vec<u32> {
                tables
                    .iter()
                    .map(|t| t.get(&warehouse.code).copied().unwrap_or(0))
                    .collect()
            };
            Site {
                warehouse,
                available: at(&available),
                safety: at(&safety),
                distance_km: warehouse
                    .point
                    .zip(request.destination.point)
                    .map(|(a, b)| haversine_km(a, b)),
                lane: lanes.tariff(warehouse.region.as_deref()),
            }
        })
        .collect();
    // Code order makes everything downstream independent of the input order.
    sites.sort_by(|a, b| a.warehouse.code.cmp(&b.warehouse.code));
    let mut reasons = Vec::with_capacity(config.rules.len());
    for rule in &config.rules {
        match route_with_rule(config, rule, request, &demand, &sites) {
            Ok(plan) => return Ok(plan),
            Err(reason) => reasons.push((rule.name.clone(), reason)),
        }
    }
    Err(Unroutable { reasons })
}

fn route_with_rule(
    config: &RoutingConfig,
    rule: &Rule,
    request: &RouteRequest,
    demand: &[Demand],
    sites: &[Site<'_>],
) -> Result<RoutePlan, String> {
    if let Some(why) = out_of_scope(rule, request) {
        return Err(why);
    }
    let filters = &rule.filters;
    let destination = &request.destination;
    let above_safety = filters.above_safety_stock;
    let mut excluded = Exclusions::default();
    let mut kept: Vec<&Site<'_>> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    // What the filtered warehouses hold before `ship_complete` narrows them further, so a
    // failure can say which line no single warehouse has.
    let mut supply = Supply {
        total: vec![0; demand.len()],
        most_at_one: vec![0; demand.len()],
    };
    for site in sites {
        let warehouse = site.warehouse;
        let why = if !warehouse.active {
            Some(Excluded::Inactive)
        } else if filters.serves_channel && !warehouse.serves(&request.channel) {
            Some(Excluded::OtherChannel)
        } else if !filters.regions.is_empty()
            && !any_region_matches(&filters.regions, warehouse.region.as_deref(), Some(destination))
        {
            Some(Excluded::OtherRegion)
        } else if filters.within_capacity && !warehouse.has_capacity() {
            Some(Excluded::AtCapacity)
        } else {
            None
        };
        if let Some(why) = why {
            // Only warehouses that hold something the order needs are worth naming.
            if (0..demand.len()).any(|s| site.shippable(s, above_safety) > 0) {
                excluded.add(why, &warehouse.code);
            }
            continue;
        }
        let caps: Vec<u32> = demand
            .iter()
            .enumerate()
            .map(|(s, d)| {
                if filters.attributes && !d.attributes.is_subset(&warehouse.attributes) {
                    return 0;
                }
                let cap = site.shippable(s, above_safety).min(d.quantity);
                if !rule.split_lines && cap < d.quantity { 0 } else { cap }
            })
            .collect();
        for (s, &cap) in caps.iter().enumerate() {
            supply.total[s] += u64::from(cap);
            supply.most_at_one[s] = supply.most_at_one[s].max(cap);
        }
        let complete = caps.iter().zip(demand).all(|(&c, d)| c == d.quantity);
        if caps.iter().all(|&c| c == 0) || (filters.ship_complete && !complete) {
            continue;
        }
        candidates.push(Candidate {
            shippable: (0..demand.len()).map(|s| site.shippable(s, above_safety)).collect(),
            caps,
            distance_km: site.distance_km,
            priority: warehouse.priority,
            lane: site.lane,
            code_rank: candidates.len(),
        });
        kept.push(site);
    }
    search_order(rule, &mut candidates, &mut kept);

    let problem = Problem {
        demand: demand.iter().map(|d| d.quantity).collect(),
        unit_weight_g: demand.iter().map(|d| d.unit_weight_g).collect(),
        unit_dims_mm: demand.iter().map(|d| d.unit_dims_mm).collect(),
        attributes: demand.iter().map(|d| &d.attributes).collect(),
        candidates,
        carriers: &config.carriers,
        destination,
        rank: &rule.rank,
        max_packages: rule.max_shipments.map_or(usize::MAX, |m| m as usize),
    };
    match search::solve(&problem) {
        Outcome::Found { plan, exhaustive } => {
            let mut shipments: Vec<_> = plan
                .warehouses
                .iter()
                .zip(&plan.alloc)
                .map(|(&c, alloc)| shipment(&config.carriers, &problem, c, kept[c].warehouse, demand, alloc))
                .collect();
            shipments.sort_by(|a, b| a.warehouse.cmp(&b.warehouse));
            Ok(plan_of(&rule.name, shipments, exhaustive))
        }
        Outcome::Short => {
            let any_active = sites.iter().any(|s| s.warehouse.active);
            Err(excluded.explain(shortfall(rule, demand, any_active, &supply)))
        }
        Outcome::TooManyPackages { exhaustive } => {
            let max = rule.max_shipments.unwrap_or(0);
            let reason = if exhaustive {
                format!("needs more than {max} package(s); the rule allows {max}")
            } else {
                format!("no plan within {max} package(s) found within the search budget")
            };
            Err(excluded.explain(reason))
        }
    }
}

/// Puts the candidates (built in code order) in search order: by the rule's first ranking
/// key, then code. The search itself is exact whatever the order; the order only decides
/// which plans are seen first if the work budget runs out.
fn search_order(rule: &Rule, candidates: &mut Vec<Candidate>, kept: &mut Vec<&Site<'_>>) {
    let key = |c: &Candidate| -> (bool, i128) {
        match rule.rank.first() {
            Some(RankKey::Cost) => (c.lane.is_none(), c.lane.map_or(0, |t| i128::from(t.first_kg_minor))),
            Some(RankKey::Distance) => (
                c.distance_km.is_none(),
                c.distance_km.map_or(0, |km| (km * 1000.0) as i128),
            ),
            Some(RankKey::Priority) => (false, i128::from(c.priority)),
            Some(RankKey::StockBalance) | None => (false, -c.shippable.iter().map(|&s| i128::from(s)).sum::<i128>()),
        }
    };
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| (key(&candidates[i]), candidates[i].code_rank));
    let mut taken: Vec<Option<(Candidate, &Site<'_>)>> = candidates.drain(..).zip(kept.drain(..)).map(Some).collect();
    for i in order {
        if let Some((candidate, site)) = taken[i].take() {
            candidates.push(candidate);
            kept.push(site);
        }
    }
}
