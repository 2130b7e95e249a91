//! The engine's choices: fewest packages first, then the rule's ranking; falling
//! through the rules; the search bound; and the reasons given when nothing passes.

mod common;

use common::*;
use ordo_routing::{Destination, Warehouse, greedy_per_sku, route};

#[test]
fn one_warehouse_shipping_everything_beats_a_nearer_split() {
    let warehouses = [
        warehouse("WH-SH", "CN-SH", SHANGHAI),
        warehouse("WH-HZ", "CN-ZJ", HANGZHOU),
        warehouse("WH-BJ", "CN-BJ", BEIJING),
    ];
    let stock = stock(&[
        ("A", "WH-SH", 9),
        ("B", "WH-HZ", 9),
        ("A", "WH-BJ", 9),
        ("B", "WH-BJ", 9),
    ]);
    let nearest_first = config(
        r#"
        [[rule]]
        name = "nearest"
        rank = ["distance"]
        "#,
    );
    let plan = route(
        &nearest_first,
        &order("o-1", &[("A", 1), ("B", 1)]),
        &warehouses,
        &stock,
    )
    .unwrap();
    assert_eq!(codes(&plan), ["WH-BJ"]);
    let far = plan.total_distance_km.unwrap();
    assert!(far > 1000.0, "Beijing is over 1000 km from Hangzhou: {far}");
}

#[test]
fn greedy_per_sku_makes_three_packages_where_the_engine_makes_two() {
    let mut warehouses: Vec<Warehouse> = ["W1", "W2", "W3", "W4"]
        .iter()
        .map(|c| warehouse(c, "CN-ZJ", HANGZHOU))
        .collect();
    for (w, priority) in warehouses.iter_mut().zip([1, 2, 3, 4]) {
        w.priority = priority;
    }
    let stock = stock(&[
        ("A", "W1", 5),
        ("B", "W2", 5),
        ("C", "W3", 5),
        ("B", "W4", 5),
        ("C", "W4", 5),
    ]);
    let request = order("o-2", &[("A", 1), ("B", 1), ("C", 1)]);
    let config = fewest_packages();

    let baseline = greedy_per_sku(&config, &request, &warehouses, &stock).unwrap();
    assert_eq!(codes(&baseline), ["W1", "W2", "W3"]);
    assert_eq!(baseline.rule, "greedy-per-sku");

    let plan = route(&config, &request, &warehouses, &stock).unwrap();
    assert_eq!(
        packages(&plan),
        [
            ("W1".into(), vec![("A".into(), 1)]),
            ("W4".into(), vec![("B".into(), 1), ("C".into(), 1)])
        ]
    );
}

#[test]
fn an_order_falls_through_to_the_next_rule_and_each_rule_says_why_it_passed() {
    let warehouses = [
        warehouse("WH-SH", "CN-SH", SHANGHAI),
        warehouse("WH-GZ", "CN-GD", GUANGZHOU),
    ];
    let stock = stock(&[("A", "WH-SH", 2), ("B", "WH-GZ", 2)]);
    let rules = config(
        r#"
        [[rule]]
        name = "single"
        filters = { regions = ["CN-*"], ship_complete = true }
        max_shipments = 1

        [[rule]]
        name = "split"
        "#,
    );
    let plan = route(&rules, &order("o-3", &[("A", 1), ("B", 1)]), &warehouses, &stock).unwrap();
    assert_eq!(plan.rule, "split");
    assert_eq!(codes(&plan), ["WH-GZ", "WH-SH"]);

    let single = route(&rules, &order("o-4", &[("A", 2)]), &warehouses, &stock).unwrap();
    assert_eq!(single.rule, "single");

    let error = route(&rules, &order("o-5", &[("A", 3), ("B", 1)]), &warehouses, &stock).unwrap_err();
    assert_eq!(
        error.reasons,
        [
            ("single".into(), "no warehouse has 3 × A above safety stock".into()),
            ("split".into(), "only 2 of 3 × A available above safety stock".into()),
        ]
    );
}

#[test]
fn a_hangzhou_order_ships_from_shanghai_rather_than_guangzhou() {
    let warehouses = [
        warehouse("WH-GZ", "CN-GD", GUANGZHOU),
        warehouse("WH-SH", "CN-SH", SHANGHAI),
    ];
    let stock = stock(&[("A", "WH-GZ", 5), ("A", "WH-SH", 5)]);
    let nearest = config("[[rule]]\nname = \"nearest\"\nrank = [\"distance\"]\n");
    let plan = route(&nearest, &order("o-15", &[("A", 1)]), &warehouses, &stock).unwrap();
    assert_eq!(codes(&plan), ["WH-SH"]);
    let km = plan.shipments[0].distance_km.unwrap();
    assert!(
        (155.0..175.0).contains(&km),
        "Shanghai–Hangzhou is about 165 km, got {km}"
    );
}

#[test]
fn unknown_points_make_distances_unknown_and_rank_last_without_failing() {
    let mut nowhere = warehouse("WH-A", "CN-ZJ", HANGZHOU);
    nowhere.point = None;
    let warehouses = [nowhere, warehouse("WH-B", "CN-GD", GUANGZHOU)];
    let stock = stock(&[("A", "WH-A", 5), ("A", "WH-B", 5)]);
    let nearest = config("[[rule]]\nname = \"nearest\"\nrank = [\"distance\"]\n");

    let plan = route(&nearest, &order("o-16", &[("A", 1)]), &warehouses, &stock).unwrap();
    assert_eq!(codes(&plan), ["WH-B"], "a known distance ranks before an unknown one");

    let mut no_address_point = order("o-17", &[("A", 1)]);
    no_address_point.destination = Destination {
        point: None,
        ..hangzhou()
    };
    let plan = route(&nearest, &no_address_point, &warehouses, &stock).unwrap();
    assert_eq!(codes(&plan), ["WH-A"], "with every distance unknown the codes decide");
    assert_eq!((plan.shipments[0].distance_km, plan.total_distance_km), (None, None));
}

#[test]
fn a_line_is_split_only_when_no_plan_with_as_many_packages_keeps_it_whole() {
    let warehouses = [warehouse("W1", "CN-ZJ", HANGZHOU), warehouse("W2", "CN-ZJ", HANGZHOU)];
    let request = order("o-18", &[("A", 5), ("B", 5)]);
    // Two packages either way; one assignment keeps both lines whole.
    let stock_ = stock(&[("A", "W1", 5), ("B", "W1", 3), ("A", "W2", 2), ("B", "W2", 5)]);
    let plan = route(&fewest_packages(), &request, &warehouses, &stock_).unwrap();
    assert_eq!(
        packages(&plan),
        [
            ("W1".into(), vec![("A".into(), 5)]),
            ("W2".into(), vec![("B".into(), 5)])
        ]
    );

    let short = stock(&[("A", "W1", 3), ("A", "W2", 3)]);
    let plan = route(&fewest_packages(), &order("o-19", &[("A", 5)]), &warehouses, &short).unwrap();
    assert_eq!(plan.units_of("A"), 5);
    assert_eq!(plan.shipments.len(), 2);

    let whole_lines = config("[[rule]]\nname = \"whole\"\nsplit_lines = false\n");
    let error = route(&whole_lines, &order("o-20", &[("A", 5)]), &warehouses, &short).unwrap_err();
    assert_eq!(error.reasons[0].1, "no warehouse has 5 × A above safety stock");
}

#[test]
fn max_shipments_and_ship_complete_explain_themselves() {
    let warehouses = [warehouse("W1", "CN-ZJ", HANGZHOU), warehouse("W2", "CN-ZJ", HANGZHOU)];
    let stock = stock(&[("A", "W1", 5), ("B", "W2", 5)]);
    let request = order("o-21", &[("A", 1), ("B", 1)]);
    let rules = config(
        r#"
        [[rule]]
        name = "one-box"
        max_shipments = 1
        [[rule]]
        name = "complete"
        filters = { ship_complete = true }
        "#,
    );
    let error = route(&rules, &request, &warehouses, &stock).unwrap_err();
    assert_eq!(
        error.reasons,
        [
            (
                "one-box".into(),
                "needs more than 1 package(s); the rule allows 1".into()
            ),
            ("complete".into(), "no warehouse has every line (A, B) at once".into()),
        ]
    );
}

#[test]
fn priority_and_stock_balance_break_ties_when_cost_and_distance_cannot() {
    let mut first = warehouse("W-B", "CN-ZJ", HANGZHOU);
    first.priority = 1;
    let mut second = warehouse("W-A", "CN-ZJ", HANGZHOU);
    second.priority = 2;
    let stock_ = stock(&[("A", "W-A", 100), ("A", "W-B", 5)]);
    let by_priority = config("[[rule]]\nname = \"p\"\nrank = [\"priority\"]\n");
    let warehouses = [first, second];
    assert_eq!(
        codes(&route(&by_priority, &order("o-25", &[("A", 3)]), &warehouses, &stock_).unwrap()),
        ["W-B"]
    );

    let by_balance = config("[[rule]]\nname = \"b\"\nrank = [\"stock_balance\"]\n");
    let plan = route(&by_balance, &order("o-26", &[("A", 3)]), &warehouses, &stock_).unwrap();
    assert_eq!(
        codes(&plan),
        ["W-A"],
        "taking from the fuller warehouse leaves stock more even"
    );
}

#[test]
fn the_same_inputs_in_any_order_give_the_same_plan() {
    let mut warehouses: Vec<Warehouse> = (0..12)
        .map(|i| {
            warehouse(
                &format!("W{i:02}"),
                if i % 2 == 0 { "CN-ZJ" } else { "CN-GD" },
                HANGZHOU,
            )
        })
        .collect();
    let mut entries = Vec::new();
    for (i, w) in warehouses.iter().enumerate() {
        for (j, sku) in ["A", "B", "C"].iter().enumerate() {
            if (i + j) % 3 != 0 {
                entries.push((*sku, w.code.as_str(), 2 + (i as u32 % 3)));
            }
        }
    }
    let owned: Vec<(String, String, u32)> = entries
        .iter()
        .map(|(s, w, q)| (s.to_string(), w.to_string(), *q))
        .collect();
    let borrowed: Vec<(&str, &str, u32)> = owned.iter().map(|(s, w, q)| (s.as_str(), w.as_str(), *q)).collect();
    let stock = stock(&borrowed);
    let request = order("o-27", &[("A", 3), ("B", 4), ("C", 2)]);
    let config = ordo_routing::RoutingConfig::embedded_default();
    let first = route(&config, &request, &warehouses, &stock).unwrap();
    warehouses.reverse();
    for _ in 0..3 {
        assert_eq!(route(&config, &request, &warehouses, &stock).unwrap(), first);
        warehouses.rotate_left(5);
    }
}

#[test]
fn past_the_search_bound_a_greedy_cover_still_ships_everything_and_says_so() {
    // 60 warehouses holding one unit each of one of six SKUs, and an order of five of
    // each: thirty packages at least, far too many subsets to enumerate.
    let warehouses: Vec<Warehouse> = (0..60)
        .map(|i| warehouse(&format!("W{i:02}"), "CN-ZJ", HANGZHOU))
        .collect();
    let skus = ["S0", "S1", "S2", "S3", "S4", "S5"];
    let mut stock = ordo_routing::Stock::new();
    for (i, w) in warehouses.iter().enumerate() {
        stock.set_available(skus[i % 6], &w.code, 1);
    }
    let lines: Vec<(&str, u32)> = skus.iter().map(|s| (*s, 5)).collect();
    let request = order("o-big", &lines);
    let config = fewest_packages();

    let plan = route(&config, &request, &warehouses, &stock).unwrap();
    assert!(!plan.search_complete);
    assert_eq!(plan.shipments.len(), 30);
    assert!(skus.iter().all(|s| plan.units_of(s) == 5));
    let baseline = greedy_per_sku(&config, &request, &warehouses, &stock).unwrap();
    assert!(plan.shipments.len() <= baseline.shipments.len());
}

#[test]
fn a_three_line_order_over_fifty_warehouses_is_searched_in_full() {
    let warehouses: Vec<Warehouse> = (0..50)
        .map(|i| {
            warehouse(
                &format!("W{i:02}"),
                "CN-ZJ",
                if i % 2 == 0 { SHANGHAI } else { CHENGDU },
            )
        })
        .collect();
    let mut stock = ordo_routing::Stock::new();
    for (i, w) in warehouses.iter().enumerate() {
        // Each warehouse holds two of the three SKUs, so one package is never enough.
        for (j, sku) in ["A", "B", "C"].iter().enumerate() {
            if (i + j) % 3 != 0 {
                stock.set_available(sku, &w.code, 3);
            }
        }
    }
    let plan = route(
        &fewest_packages(),
        &order("o-50", &[("A", 2), ("B", 2), ("C", 2)]),
        &warehouses,
        &stock,
    )
    .unwrap();
    assert!(plan.search_complete);
    assert_eq!(plan.shipments.len(), 2);
}

#[test]
fn when_the_budget_runs_out_the_plans_seen_first_are_the_nearest() {
    // 48 warehouses, one SKU each, the nearest with the highest codes: four lines have
    // 12⁴ covers, more than the budget scores, so the search stops early; it must still
    // have seen the nearest warehouse of each SKU, not the lowest codes.
    let warehouses: Vec<Warehouse> = (0..48)
        .map(|i| {
            let point = ordo_routing::GeoPoint {
                lat: HANGZHOU.lat + 0.05 * i as f64,
                lng: HANGZHOU.lng,
            };
            warehouse(&format!("W{:02}", 47 - i), "CN-ZJ", point)
        })
        .collect();
    let mut stock = ordo_routing::Stock::new();
    for (i, w) in warehouses.iter().enumerate() {
        stock.set_available(["A", "B", "C", "D"][i % 4], &w.code, 3);
    }
    let nearest =
        ordo_routing::RoutingConfig::from_toml("[[rule]]\nname = \"n\"\nrank = [\"distance\"]\n", "t").unwrap();
    let request = order("o-near", &[("A", 1), ("B", 1), ("C", 1), ("D", 1)]);
    let plan = route(&nearest, &request, &warehouses, &stock).unwrap();
    assert!(!plan.search_complete);
    assert_eq!(codes(&plan), ["W44", "W45", "W46", "W47"]);
}
