//! What-if replays: both configurations from the same starting stock, stock consumed
//! order by order unless asked otherwise, and the orders whose packages change.

mod common;

use common::*;
use ordo_routing::{StockMode, Summary, what_if, what_if_with};

const NEAREST: &str = "[[rule]]\nname = \"nearest\"\nrank = [\"distance\"]\n";
const BY_PRIORITY: &str = "[[rule]]\nname = \"by-priority\"\nrank = [\"priority\"]\n";

fn network() -> (Vec<ordo_routing::Warehouse>, ordo_routing::Stock) {
    let mut near = warehouse("WH-SH", "CN-SH", SHANGHAI);
    near.priority = 2;
    let mut far = warehouse("WH-GZ", "CN-GD", GUANGZHOU);
    far.priority = 1;
    (
        vec![near, far],
        stock(&[("A", "WH-SH", 2), ("A", "WH-GZ", 10), ("B", "WH-SH", 5)]),
    )
}

#[test]
fn changed_orders_and_totals_show_what_a_new_ranking_would_do() {
    let (warehouses, stock) = network();
    let orders = [
        order("o-1", &[("A", 1)]),
        order("o-2", &[("A", 1)]),
        order("o-3", &[("A", 1)]),
    ];
    let report = what_if(&config(NEAREST), &config(BY_PRIORITY), &orders, &warehouses, &stock);

    // Nearest: Shanghai until its two units are gone, then Guangzhou. By priority: all
    // Guangzhou, so the third order is the same under both.
    assert_eq!(report.changed_orders, ["o-1", "o-2"]);
    let base = Summary {
        orders: 3,
        routed: 3,
        unroutable: 0,
        shipments: 3,
        split_orders: 0,
        ..Summary::default()
    };
    assert_eq!(
        Summary {
            total_distance_km: 0.0,
            total_cost_minor: 0,
            ..report.current.clone()
        },
        base
    );
    assert_eq!(
        Summary {
            total_distance_km: 0.0,
            total_cost_minor: 0,
            ..report.candidate.clone()
        },
        base
    );
    assert!(report.current.total_distance_km < report.candidate.total_distance_km);
    assert!(
        (report.candidate.total_distance_km - 3.0 * 1000.0).abs() < 300.0,
        "three trips from Guangzhou"
    );

    let fixed = what_if_with(
        &config(NEAREST),
        &config(BY_PRIORITY),
        &orders,
        &warehouses,
        &stock,
        StockMode::Fixed,
    );
    assert_eq!(
        fixed.changed_orders,
        ["o-1", "o-2", "o-3"],
        "without consumption Shanghai never runs out"
    );
}

#[test]
fn orders_that_become_unroutable_or_stop_splitting_are_counted() {
    let (warehouses, stock) = network();
    let split = order("o-4", &[("A", 8), ("B", 1)]);
    let single_only = config("[[rule]]\nname = \"single\"\nmax_shipments = 1\n");
    let report = what_if(&config(NEAREST), &single_only, &[split], &warehouses, &stock);
    assert_eq!(report.changed_orders, ["o-4"]);
    assert_eq!(
        (
            report.current.routed,
            report.current.split_orders,
            report.current.shipments
        ),
        (1, 1, 2)
    );
    assert_eq!(
        (
            report.candidate.routed,
            report.candidate.unroutable,
            report.candidate.shipments
        ),
        (0, 1, 0)
    );
}

#[test]
fn a_replay_uses_up_daily_capacity_as_well_as_stock() {
    let (mut warehouses, stock) = network();
    warehouses[0].daily_capacity = Some(1);
    let orders = [order("o-5", &[("B", 1)]), order("o-6", &[("B", 1)])];
    let report = what_if(&config(NEAREST), &config(NEAREST), &orders, &warehouses, &stock);
    assert!(report.changed_orders.is_empty(), "the same config changes nothing");
    assert_eq!(
        (report.current.routed, report.current.unroutable),
        (1, 1),
        "Shanghai is full after one package"
    );
}
