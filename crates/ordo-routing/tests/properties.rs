//! Properties over random networks and orders: every plan ships exactly what was ordered
//! from stock that exists, with no more packages than the per-SKU baseline, and with the
//! fewest packages a brute-force search can find.

mod common;

use std::collections::BTreeMap;

use common::*;
use ordo_routing::{GeoPoint, RoutePlan, RouteRequest, Stock, Warehouse, greedy_per_sku, route};
use proptest::prelude::*;

/// The baseline's eligibility (channel and safety stock; no capacity or attributes), so
/// the two can be compared like for like.
const LIKE_THE_BASELINE: &str = r#"
[[rule]]
name = "fewest"
filters = { within_capacity = false, attributes = false }
rank = ["cost", "distance", "priority", "stock_balance"]
"#;

const SKUS: [&str; 4] = ["A", "B", "C", "D"];

#[derive(Debug, Clone)]
struct Case {
    warehouses: Vec<Warehouse>,
    stock: Stock,
    request: RouteRequest,
}

fn case() -> impl Strategy<Value = Case> {
    let site = (
        0_i64..4,
        proptest::option::of((20.0..45.0_f64, 100.0..125.0_f64)),
        any::<bool>(),
        0_u8..10,
    );
    let holdings = proptest::collection::vec((0_u32..7, 0_u32..3), SKUS.len());
    (
        proptest::collection::vec((site, holdings), 1..7),
        proptest::collection::vec((0..SKUS.len(), 1_u32..6), 1..4),
    )
        .prop_map(|(sites, lines)| {
            let mut stock = Stock::new();
            let mut warehouses = Vec::new();
            for (i, ((priority, point, web, region), holdings)) in sites.into_iter().enumerate() {
                let code = format!("W{i}");
                for (sku, (available, safety)) in SKUS.iter().zip(holdings) {
                    stock
                        .set_available(sku, &code, available)
                        .set_safety(sku, &code, safety);
                }
                let mut w = warehouse(&code, &format!("CN-{region}"), HANGZHOU);
                w.point = point.map(|(lat, lng)| GeoPoint { lat, lng });
                w.priority = priority;
                // About one in two warehouses ships for another channel only.
                w.channels = if web { Vec::new() } else { vec!["tmall".into()] };
                warehouses.push(w);
            }
            let lines: Vec<(&str, u32)> = lines.into_iter().map(|(s, q)| (SKUS[s], q)).collect();
            Case {
                warehouses,
                stock,
                request: order("p", &lines),
            }
        })
}

fn ordered(request: &RouteRequest) -> BTreeMap<String, u32> {
    let mut by_sku = BTreeMap::new();
    for line in &request.lines {
        *by_sku.entry(line.sku.clone()).or_default() += line.quantity;
    }
    by_sku
}

/// The fewest packages any subset of eligible warehouses can cover the order with.
fn brute_force_minimum(case: &Case) -> Option<usize> {
    let eligible: Vec<&Warehouse> = case
        .warehouses
        .iter()
        .filter(|w| w.serves(&case.request.channel))
        .collect();
    let want = ordered(&case.request);
    (1_u32..(1 << eligible.len()))
        .filter(|mask| {
            want.iter().all(|(sku, &q)| {
                let held: u32 = (0..eligible.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| case.stock.shippable(sku, &eligible[i].code, true))
                    .sum();
                held >= q
            })
        })
        .map(|mask| mask.count_ones() as usize)
        .min()
}

fn check_ships_exactly_what_exists(case: &Case, plan: &RoutePlan) -> Result<(), TestCaseError> {
    let want = ordered(&case.request);
    for (sku, &q) in &want {
        prop_assert_eq!(plan.units_of(sku), q, "units of {}", sku);
    }
    let mut seen = Vec::new();
    for package in &plan.shipments {
        prop_assert!(!seen.contains(&&package.warehouse), "one package per warehouse");
        seen.push(&package.warehouse);
        prop_assert!(!package.lines.is_empty() && package.lines.iter().all(|(_, q)| *q > 0));
        for (sku, q) in &package.lines {
            prop_assert!(want.contains_key(sku));
            prop_assert!(
                *q <= case.stock.shippable(sku, &package.warehouse, true),
                "{} at {}",
                sku,
                package.warehouse
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn plans_ship_exactly_the_order_in_the_fewest_packages_never_more_than_greedy(case in case()) {
        let config = config(LIKE_THE_BASELINE);
        let plan = route(&config, &case.request, &case.warehouses, &case.stock);
        let baseline = greedy_per_sku(&config, &case.request, &case.warehouses, &case.stock);
        prop_assert_eq!(plan.is_ok(), baseline.is_ok());
        prop_assert_eq!(plan.as_ref().ok().map(|p| p.shipments.len()), brute_force_minimum(&case));
        if let (Ok(plan), Ok(baseline)) = (&plan, &baseline) {
            check_ships_exactly_what_exists(&case, plan)?;
            check_ships_exactly_what_exists(&case, baseline)?;
            prop_assert!(plan.shipments.len() <= baseline.shipments.len());
            prop_assert!(plan.search_complete);
        }
    }

    #[test]
    fn the_plan_does_not_depend_on_the_order_warehouses_are_listed_in(case in case()) {
        let config = ordo_routing::RoutingConfig::embedded_default();
        let first = route(&config, &case.request, &case.warehouses, &case.stock);
        let mut reversed = case.warehouses.clone();
        reversed.reverse();
        prop_assert_eq!(&first, &route(&config, &case.request, &reversed, &case.stock));
        if let Ok(plan) = &first {
            check_ships_exactly_what_exists(&case, plan)?;
        }
    }
}
