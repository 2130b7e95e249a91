use proptest::prelude::*;

use super::*;

fn level(on_hand: i64) -> StockLevel {
    StockLevel {
        on_hand,
        reserved: 0,
        safety_stock: 0,
    }
}

fn book(levels: &[(&str, &str, i64)]) -> Book {
    Book::new(
        levels
            .iter()
            .map(|(sku, w, on_hand)| ((sku.to_string(), w.to_string()), level(*on_hand))),
    )
}

fn demand(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(s, u)| (s.to_string(), *u)).collect()
}

fn wh(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

fn reserve(units: &[(&str, i64)], on_short: ShortStock) -> StockAction {
    StockAction::Reserve {
        demand: demand(units),
        on_short,
    }
}

#[test]
fn one_warehouse_that_has_everything_beats_a_split() {
    // A is best for SKU x but lacks y; B has both.
    let mut b = book(&[("x", "A", 5), ("x", "B", 5), ("y", "B", 5)]);
    let p = plan(
        &OrderStock::default(),
        &reserve(&[("x", 2), ("y", 1)], ShortStock::Hold),
        &wh(&["A", "B"]),
        &mut b,
    )
    .unwrap();
    assert_eq!(p.outcome, PlanOutcome::Reserved);
    assert!(p.stock.allocations.iter().all(|a| a.warehouse == "B"));
    assert_eq!(b.level("x", "B").reserved, 2);
}

#[test]
fn without_one_warehouse_it_splits_in_preference_order() {
    let mut b = book(&[("x", "A", 2), ("x", "B", 3)]);
    let p = plan(
        &OrderStock::default(),
        &reserve(&[("x", 4)], ShortStock::Hold),
        &wh(&["A", "B"]),
        &mut b,
    )
    .unwrap();
    assert_eq!(p.outcome, PlanOutcome::Reserved);
    assert_eq!(b.level("x", "A").reserved, 2);
    assert_eq!(b.level("x", "B").reserved, 2);
}

#[test]
fn hold_reserves_nothing_when_short_and_backorder_reserves_what_there_is() {
    let mut b = book(&[("x", "A", 3), ("y", "A", 10)]);
    let action = reserve(&[("x", 5), ("y", 1)], ShortStock::Hold);
    let p = plan(&OrderStock::default(), &action, &wh(&["A"]), &mut b).unwrap();
    assert_eq!(
        p.outcome,
        PlanOutcome::Short {
            held: true,
            reason: "insufficient_stock"
        }
    );
    assert!(p.moves.is_empty());
    assert_eq!(p.stock.shortages.len(), 2);

    let action = reserve(&[("x", 5), ("y", 1)], ShortStock::Backorder);
    let p = plan(&OrderStock::default(), &action, &wh(&["A"]), &mut b).unwrap();
    assert_eq!(
        p.outcome,
        PlanOutcome::Short {
            held: false,
            reason: "insufficient_stock"
        }
    );
    assert_eq!(b.level("x", "A").reserved, 3);
    assert_eq!(
        p.stock.shortages,
        vec![Shortage {
            sku: "x".into(),
            waiting: 2
        }]
    );
}

#[test]
fn a_removed_line_is_released_and_a_changed_one_adjusted() {
    let mut b = book(&[("x", "A", 10), ("y", "A", 10)]);
    let first = plan(
        &OrderStock::default(),
        &reserve(&[("x", 3), ("y", 2)], ShortStock::Hold),
        &wh(&["A"]),
        &mut b,
    )
    .unwrap();
    let second = plan(
        &first.stock,
        &reserve(&[("x", 1)], ShortStock::Hold),
        &wh(&["A"]),
        &mut b,
    )
    .unwrap();
    assert_eq!(b.level("x", "A").reserved, 1);
    assert_eq!(b.level("y", "A").reserved, 0);
    assert_eq!(second.stock.reserved(), demand(&[("x", 1)]));
}

#[test]
fn a_split_order_ships_one_warehouse_at_a_time() {
    let mut b = book(&[("x", "A", 3), ("x", "B", 2), ("y", "B", 5)]);
    let reserved = plan(
        &OrderStock::default(),
        &reserve(&[("x", 4), ("y", 1)], ShortStock::Hold),
        &wh(&["A", "B"]),
        &mut b,
    )
    .unwrap();
    assert_eq!(reserved.outcome, PlanOutcome::Reserved);
    let from_a = plan(
        &reserved.stock,
        &StockAction::Ship(ShipScope::warehouse("A")),
        &[],
        &mut b,
    )
    .unwrap();
    assert_eq!(from_a.outcome, PlanOutcome::PartlyShipped);
    assert_eq!(b.level("x", "A").on_hand, 0);
    assert_eq!(from_a.stock.reserved(), demand(&[("x", 1), ("y", 1)]));
    assert_eq!(status_after(OrderStatus::Packed, &from_a.outcome), OrderStatus::Packed);
    // Part of B's package, then the rest of it.
    let scope = ShipScope {
        warehouse: Some("B".into()),
        units: Some(demand(&[("y", 1)])),
    };
    let part = plan(&from_a.stock, &StockAction::Ship(scope), &[], &mut b).unwrap();
    assert_eq!(part.outcome, PlanOutcome::PartlyShipped);
    let too_many = ShipScope {
        warehouse: Some("B".into()),
        units: Some(demand(&[("x", 3)])),
    };
    assert!(matches!(
        plan(&part.stock, &StockAction::Ship(too_many), &[], &mut b),
        Err(PlanError::NotShippable {
            requested: 3,
            reserved: 1,
            ..
        })
    ));
    let rest = plan(&part.stock, &StockAction::Ship(ShipScope::warehouse("B")), &[], &mut b).unwrap();
    assert_eq!(rest.outcome, PlanOutcome::Shipped);
    assert_eq!(status_after(OrderStatus::Packed, &rest.outcome), OrderStatus::Shipped);
    assert!(rest.stock.reserved().is_empty());
    assert_eq!(b.level("x", "B").on_hand, 1);
    assert_eq!(b.level("y", "B").on_hand, 4);
}

#[test]
fn a_short_shipped_remainder_is_written_off_and_reserved_elsewhere() {
    let mut b = book(&[("x", "A", 5), ("x", "B", 5)]);
    let reserved = plan(
        &OrderStock::default(),
        &reserve(&[("x", 3)], ShortStock::Hold),
        &wh(&["A", "B"]),
        &mut b,
    )
    .unwrap();
    let shipped = StockAction::Ship(ShipScope {
        warehouse: Some("A".into()),
        units: Some(demand(&[("x", 1)])),
    });
    let part = plan(&reserved.stock, &shipped, &[], &mut b).unwrap();
    let short = StockAction::ShortShip {
        warehouse: "A".into(),
        units: demand(&[("x", 2)]),
        write_off: true,
    };
    let written_off = plan(&part.stock, &short, &[], &mut b).unwrap();
    assert_eq!(written_off.outcome, PlanOutcome::ShippedShort);
    assert_eq!(
        b.level("x", "A"),
        StockLevel {
            on_hand: 2,
            reserved: 0,
            safety_stock: 0
        }
    );
    assert_eq!(
        written_off.stock.shortages,
        vec![Shortage {
            sku: "x".into(),
            waiting: 2
        }]
    );
    // The rest is reserved again from what is left to ship, never the shipped unit.
    let rest = unshipped(demand(&[("x", 3)]), &written_off.stock);
    assert_eq!(rest, demand(&[("x", 2)]));
    let rerouted = plan(
        &written_off.stock,
        &reserve(&[("x", 2)], ShortStock::Hold),
        &wh(&["B"]),
        &mut b,
    )
    .unwrap();
    assert_eq!(rerouted.outcome, PlanOutcome::Reserved);
    assert_eq!(b.level("x", "B").reserved, 2);
    assert!(rerouted.stock.shortages.is_empty());
    let more_than_reserved = StockAction::ShortShip {
        warehouse: "B".into(),
        units: demand(&[("x", 3)]),
        write_off: true,
    };
    assert!(plan(&rerouted.stock, &more_than_reserved, &[], &mut b).is_err());
    // A cancelling warehouse keeps its stock: the units are only released there.
    let cancelled = StockAction::ShortShip {
        warehouse: "B".into(),
        units: demand(&[("x", 2)]),
        write_off: false,
    };
    let released = plan(&rerouted.stock, &cancelled, &[], &mut b).unwrap();
    assert_eq!(
        b.level("x", "B"),
        StockLevel {
            on_hand: 5,
            reserved: 0,
            safety_stock: 0
        }
    );
    assert_eq!(
        released.stock.shortages,
        vec![Shortage {
            sku: "x".into(),
            waiting: 2
        }]
    );
}

#[test]
fn ship_deducts_and_return_restocks_where_it_shipped_from() {
    let mut b = book(&[("x", "A", 10)]);
    let reserved = plan(
        &OrderStock::default(),
        &reserve(&[("x", 3)], ShortStock::Hold),
        &wh(&["A"]),
        &mut b,
    )
    .unwrap();
    let shipped = plan(
        &reserved.stock,
        &StockAction::Ship(ShipScope::all()),
        &wh(&["A"]),
        &mut b,
    )
    .unwrap();
    assert_eq!(
        b.level("x", "A"),
        StockLevel {
            on_hand: 7,
            reserved: 0,
            safety_stock: 0
        }
    );
    let returned = plan(
        &shipped.stock,
        &StockAction::Return(Some(demand(&[("x", 2)]))),
        &[],
        &mut b,
    )
    .unwrap();
    assert_eq!(b.level("x", "A").on_hand, 9);
    assert_eq!(returned.stock.allocations[0].returned, 2);
    let too_many = plan(
        &returned.stock,
        &StockAction::Return(Some(demand(&[("x", 2)]))),
        &[],
        &mut b,
    );
    assert!(matches!(too_many, Err(PlanError::NotReturnable { returnable: 1, .. })));
}

#[test]
fn release_gives_everything_back_and_clears_waiting_units() {
    let mut b = book(&[("x", "A", 2)]);
    let p = plan(
        &OrderStock::default(),
        &reserve(&[("x", 5)], ShortStock::Backorder),
        &wh(&["A"]),
        &mut b,
    )
    .unwrap();
    let released = plan(&p.stock, &StockAction::Release, &wh(&["A"]), &mut b).unwrap();
    assert!(released.stock.is_empty());
    assert_eq!(b.level("x", "A").reserved, 0);
}

#[test]
fn statuses_follow_the_plan() {
    let held = PlanOutcome::Short {
        held: true,
        reason: "insufficient_stock",
    };
    assert_eq!(
        status_after(OrderStatus::Paid, &PlanOutcome::Reserved),
        OrderStatus::Allocated
    );
    assert_eq!(status_after(OrderStatus::Paid, &held), OrderStatus::OnHold);
    assert_eq!(
        status_after(OrderStatus::OnHold, &PlanOutcome::Reserved),
        OrderStatus::Allocated
    );
    assert_eq!(
        status_after(OrderStatus::PendingPayment, &PlanOutcome::Reserved),
        OrderStatus::PendingPayment
    );
    let policy = StockPolicy::default();
    assert_eq!(wanted_action(OrderStatus::PendingPayment, policy, false), None);
    assert_eq!(
        wanted_action(OrderStatus::Paid, policy, false),
        Some(StockActionKind::Reserve)
    );
    assert_eq!(
        wanted_action(OrderStatus::Cancelled, policy, true),
        Some(StockActionKind::Release)
    );
    assert_eq!(wanted_action(OrderStatus::Paid, StockPolicy::OFF, true), None);
}

proptest! {
    /// Whatever sequence of demands, ships and releases several orders go through, each
    /// level's reserved equals the sum of the orders' reservations there and available
    /// never goes negative.
    #[test]
    fn reserved_always_equals_the_sum_of_allocations(
        steps in prop::collection::vec((0usize..4, 0u8..4, 0i64..6, 0i64..6, any::<bool>()), 1..60)
    ) {
        let mut b = book(&[("x", "A", 8), ("x", "B", 4), ("y", "B", 6)]);
        let warehouses = wh(&["A", "B"]);
        let mut orders = vec![OrderStock::default(); 4];
        for (who, op, x, y, backorder) in steps {
            let on_short = if backorder { ShortStock::Backorder } else { ShortStock::Hold };
            let action = match op {
                0 | 1 => reserve(&[("x", x), ("y", y)], on_short),
                2 => StockAction::Release,
                _ => StockAction::Ship(ShipScope::all()),
            };
            if let Ok(p) = plan(&orders[who], &action, &warehouses, &mut b) {
                orders[who] = p.stock;
            }
            for (sku, w) in [("x", "A"), ("x", "B"), ("y", "B"), ("y", "A")] {
                let sum: i64 = orders
                    .iter()
                    .flat_map(|o| &o.allocations)
                    .filter(|a| a.sku == sku && a.warehouse == w)
                    .map(|a| a.reserved)
                    .sum();
                prop_assert_eq!(b.level(sku, w).reserved, sum);
                prop_assert!(b.level(sku, w).on_hand >= b.level(sku, w).reserved);
            }
        }
    }
}
