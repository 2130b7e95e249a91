//! Each filter a rule can apply to warehouses, and the reason given when it leaves the
//! order without a plan.

mod common;

use common::*;
use ordo_routing::route;

#[test]
fn safety_stock_is_held_back_unless_the_rule_says_otherwise() {
    let warehouses = [warehouse("WH-1", "CN-ZJ", HANGZHOU)];
    let mut stock = stock(&[("A", "WH-1", 5)]);
    stock.set_safety("A", "WH-1", 3);
    let request = order("o-6", &[("A", 3)]);

    let error = route(&fewest_packages(), &request, &warehouses, &stock).unwrap_err();
    assert_eq!(
        error.reasons,
        [(
            "fewest-packages".into(),
            "only 2 of 3 × A available above safety stock".into()
        )]
    );

    let dip_in = config(
        r#"
        [[rule]]
        name = "including-safety-stock"
        filters = { above_safety_stock = false }
        "#,
    );
    assert_eq!(codes(&route(&dip_in, &request, &warehouses, &stock).unwrap()), ["WH-1"]);
    assert!(route(&fewest_packages(), &order("o-7", &[("A", 2)]), &warehouses, &stock).is_ok());
}

#[test]
fn a_warehouse_at_its_daily_capacity_is_skipped_and_named() {
    let mut full = warehouse("WH-2", "CN-ZJ", HANGZHOU);
    full.daily_capacity = Some(100);
    full.shipped_today = 100;
    let warehouses = [warehouse("WH-1", "CN-SH", SHANGHAI), full];
    let stock = stock(&[("A", "WH-1", 1), ("A", "WH-2", 9)]);

    let error = route(&fewest_packages(), &order("o-8", &[("A", 3)]), &warehouses, &stock).unwrap_err();
    let (_, reason) = &error.reasons[0];
    assert_eq!(
        reason,
        "only 1 of 3 × A available above safety stock; capacity reached at WH-2"
    );

    let ignore_capacity = config(
        r#"
        [[rule]]
        name = "overtime"
        filters = { within_capacity = false }
        "#,
    );
    let plan = route(&ignore_capacity, &order("o-9", &[("A", 3)]), &warehouses, &stock).unwrap();
    assert_eq!(codes(&plan), ["WH-2"]);
}

#[test]
fn a_cold_chain_line_ships_only_from_a_cold_chain_warehouse_even_if_that_forces_a_split() {
    let mut cold = warehouse("WH-COLD", "CN-SH", SHANGHAI);
    cold.attributes = set(&["cold_chain"]);
    let warehouses = [warehouse("WH-AMB", "CN-ZJ", HANGZHOU), cold];
    let stock = stock(&[("ICE", "WH-AMB", 9), ("BREAD", "WH-AMB", 9), ("ICE", "WH-COLD", 9)]);
    let mut request = order("o-10", &[("ICE", 2), ("BREAD", 1)]);
    request.lines[0].attributes = set(&["cold_chain"]);

    let plan = route(&fewest_packages(), &request, &warehouses, &stock).unwrap();
    assert_eq!(
        packages(&plan),
        [
            ("WH-AMB".into(), vec![("BREAD".into(), 1)]),
            ("WH-COLD".into(), vec![("ICE".into(), 2)])
        ]
    );

    let error = route(&fewest_packages(), &request, &warehouses[..1], &stock).unwrap_err();
    assert_eq!(
        error.reasons[0].1,
        "only 0 of 2 × ICE available above safety stock with cold_chain"
    );
}

#[test]
fn a_warehouse_for_another_channel_does_not_ship_unless_the_rule_ignores_channels() {
    let mut tmall_only = warehouse("WH-T", "CN-ZJ", HANGZHOU);
    tmall_only.channels = vec!["tmall".into()];
    let warehouses = [tmall_only, warehouse("WH-GZ", "CN-GD", GUANGZHOU)];
    let stock = stock(&[("A", "WH-T", 5), ("A", "WH-GZ", 5)]);
    let request = order("o-11", &[("A", 1)]);

    assert_eq!(
        codes(&route(&fewest_packages(), &request, &warehouses, &stock).unwrap()),
        ["WH-GZ"]
    );
    let mut tmall_order = request.clone();
    tmall_order.channel = "tmall".into();
    assert_eq!(
        codes(&route(&fewest_packages(), &tmall_order, &warehouses, &stock).unwrap()),
        ["WH-T"]
    );

    let any_channel = config("[[rule]]\nname = \"any\"\nfilters = { serves_channel = false }\n");
    assert_eq!(
        codes(&route(&any_channel, &request, &warehouses, &stock).unwrap()),
        ["WH-T"]
    );
}

#[test]
fn region_patterns_limit_the_warehouses_and_can_name_the_destination() {
    let warehouses = [
        warehouse("WH-US", "US-CA", SHANGHAI), // Placed near to prove the pattern decides.
        warehouse("WH-GZ", "CN-GD", GUANGZHOU),
        warehouse("WH-HZ", "CN-ZJ", HANGZHOU),
    ];
    let stock = stock(&[("A", "WH-US", 5), ("A", "WH-GZ", 5), ("A", "WH-HZ", 5)]);
    let rules = config(
        r#"
        [[rule]]
        name = "same-province"
        filters = { regions = ["{region}"] }
        [[rule]]
        name = "china"
        filters = { regions = ["CN-*"] }
        rank = ["priority"]
        "#,
    );
    let plan = route(&rules, &order("o-12", &[("A", 1)]), &warehouses, &stock).unwrap();
    assert_eq!((plan.rule.as_str(), codes(&plan)), ("same-province", vec!["WH-HZ"]));

    let mut to_guangdong = order("o-13", &[("A", 1)]);
    to_guangdong.destination.region = Some("CN-GD".into());
    assert_eq!(
        codes(&route(&rules, &to_guangdong, &warehouses, &stock).unwrap()),
        ["WH-GZ"]
    );

    let mut to_sichuan = order("o-14", &[("A", 1)]);
    to_sichuan.destination.region = Some("CN-SC".into());
    let plan = route(&rules, &to_sichuan, &warehouses, &stock).unwrap();
    assert_eq!(plan.rule, "china");
    assert_ne!(codes(&plan), ["WH-US"]);
}

#[test]
fn rules_scoped_to_other_orders_are_skipped_and_empty_orders_refused() {
    let warehouses = [warehouse("W1", "CN-ZJ", HANGZHOU)];
    let stock = stock(&[("A", "W1", 5)]);
    let rules = config("[[rule]]\nname = \"tmall\"\nwhen = { channels = [\"tmall\"] }\n");
    let error = route(&rules, &order("o-22", &[("A", 1)]), &warehouses, &stock).unwrap_err();
    assert_eq!(
        error.reasons,
        [("tmall".into(), "applies only to channels tmall".into())]
    );

    let error = route(&rules, &order("o-23", &[("A", 0)]), &warehouses, &stock).unwrap_err();
    assert_eq!(error.reasons[0].0, "request");
}

#[test]
fn inactive_warehouses_never_ship() {
    let mut closed = warehouse("W1", "CN-ZJ", HANGZHOU);
    closed.active = false;
    let stock = stock(&[("A", "W1", 5)]);
    let error = route(&fewest_packages(), &order("o-24", &[("A", 1)]), &[closed], &stock).unwrap_err();
    assert_eq!(error.reasons[0].1, "no active warehouse; inactive at W1");
}
