//! Carrier rules and package costs, through the public API and through plans.

mod common;

use common::*;
use ordo_routing::{Destination, RoutingConfig, route, select_carrier};

fn carrier_of(
    config: &RoutingConfig,
    to: &Destination,
    weight_g: u32,
    dims: Option<[u32; 3]>,
    attrs: &[&str],
) -> String {
    select_carrier(&config.carriers, to, weight_g, dims, &set(attrs))
        .map_or("none".into(), |c| format!("{}/{}/{}", c.carrier, c.service, c.rule))
}

#[test]
fn the_default_carrier_rules_pick_by_attributes_weight_size_and_country() {
    let config = RoutingConfig::embedded_default();
    let cn = hangzhou();
    let us = Destination {
        country: "US".into(),
        region: Some("US-CA".into()),
        point: None,
    };
    let small = Some([300, 200, 100]);
    assert_eq!(
        carrier_of(&config, &cn, 800, small, &["cold_chain"]),
        "SF/cold-chain/sf-cold"
    );
    assert_eq!(carrier_of(&config, &cn, 800, small, &[]), "YTO/standard/yto-light");
    assert_eq!(
        carrier_of(&config, &cn, 800, None, &[]),
        "SF/standard/sf-standard",
        "unknown size"
    );
    assert_eq!(
        carrier_of(&config, &cn, 800, Some([601, 10, 10]), &[]),
        "SF/standard/sf-standard"
    );
    assert_eq!(carrier_of(&config, &cn, 3001, small, &[]), "SF/standard/sf-standard");
    assert_eq!(carrier_of(&config, &us, 800, small, &[]), "DHL/express/dhl-express");
    assert_eq!(
        carrier_of(&config, &us, 800, small, &["cold_chain"]),
        "none",
        "no cold chain abroad"
    );
}

#[test]
fn cheapest_pick_takes_the_lowest_price_for_the_package_weight() {
    let text = r#"
        carrier_pick = "cheapest"
        [[rule]]
        name = "r"
        [[carrier]]
        name = "flat"
        carrier = "A"
        service = "flat"
        first_kg = "15.00"
        per_kg = "0.00"
        currency = "CNY"
        [[carrier]]
        name = "by-weight"
        carrier = "B"
        service = "per-kg"
        first_kg = "5.00"
        per_kg = "3.00"
        currency = "CNY"
    "#;
    let config = config(text);
    // 5 + 3 × 3 = 14 beats 15 at 4 kg; 5 + 3 × 4 = 17 loses to 15 at 5 kg.
    assert_eq!(carrier_of(&config, &hangzhou(), 4000, None, &[]), "B/per-kg/by-weight");
    assert_eq!(carrier_of(&config, &hangzhou(), 5000, None, &[]), "A/flat/flat");
    let first = RoutingConfig {
        carriers: ordo_routing::CarrierTable {
            pick: ordo_routing::CarrierPick::First,
            ..config.carriers.clone()
        },
        ..config
    };
    assert_eq!(carrier_of(&first, &hangzhou(), 4000, None, &[]), "A/flat/flat");
}

#[test]
fn plans_carry_each_package_carrier_and_cost_from_the_carrier_price_or_the_lane() {
    let mut cold = warehouse("WH-COLD", "CN-SH", SHANGHAI);
    cold.attributes = set(&["cold_chain"]);
    let warehouses = [warehouse("WH-HZ", "CN-ZJ", HANGZHOU), cold];
    let stock = stock(&[("ICE", "WH-COLD", 9), ("BREAD", "WH-HZ", 9)]);
    let mut request = order("o-1", &[("ICE", 3), ("BREAD", 2)]);
    request.lines[0].attributes = set(&["cold_chain"]);
    request.lines[1].dims_mm = Some([100, 300, 200]);

    let plan = route(&RoutingConfig::embedded_default(), &request, &warehouses, &stock).unwrap();
    let [ice, bread] = [&plan.shipments[0], &plan.shipments[1]];
    assert_eq!((bread.warehouse.as_str(), bread.weight_g), ("WH-HZ", 1000));
    assert_eq!(bread.carrier.as_ref().unwrap().rule, "yto-light");
    assert_eq!(bread.cost_minor, Some(600), "same-province lane, first kilogram");
    assert_eq!((ice.warehouse.as_str(), ice.weight_g), ("WH-COLD", 1500));
    assert_eq!(ice.carrier.as_ref().unwrap().rule, "sf-cold");
    assert_eq!(
        ice.cost_minor,
        Some(2500 + 800),
        "the cold-chain price replaces the lane's"
    );
    assert_eq!(plan.total_cost_minor, Some(600 + 3300));
}

#[test]
fn ranking_by_cost_prefers_the_cheaper_lane_over_the_nearer_warehouse() {
    let text = r#"
        [[rule]]
        name = "cheapest"
        rank = ["cost", "distance"]
        [[cost]]
        from = "CN-GD"
        to = "CN"
        first_kg = "5.00"
        per_kg = "1.00"
        currency = "CNY"
        [[cost]]
        from = "CN-*"
        to = "CN"
        first_kg = "12.00"
        per_kg = "2.00"
        currency = "CNY"
    "#;
    let warehouses = [
        warehouse("WH-SH", "CN-SH", SHANGHAI),
        warehouse("WH-GZ", "CN-GD", GUANGZHOU),
    ];
    let stock = stock(&[("A", "WH-SH", 5), ("A", "WH-GZ", 5)]);
    let plan = route(&config(text), &order("o-2", &[("A", 1)]), &warehouses, &stock).unwrap();
    assert_eq!((codes(&plan), plan.total_cost_minor), (vec!["WH-GZ"], Some(500)));

    let no_lanes = fewest_packages();
    let plan = route(&no_lanes, &order("o-3", &[("A", 1)]), &warehouses, &stock).unwrap();
    assert_eq!((plan.shipments[0].cost_minor, plan.total_cost_minor), (None, None));
}
