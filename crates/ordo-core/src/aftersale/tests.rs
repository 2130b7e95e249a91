use std::collections::BTreeMap;

use proptest::prelude::*;

use super::refund::{line_costs, paid, quote, spread};
use super::*;
use crate::input::OrderInput;
use crate::order::Order;

fn order(json: &str) -> Order {
    serde_json::from_str::<OrderInput>(json).unwrap().validate().unwrap()
}

fn example() -> Order {
    order(crate::input::EXAMPLE_JSON)
}

fn units(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
}

#[test]
fn approval_waits_for_goods_only_when_goods_come_back() {
    let flow = CaseFlow::default();
    let next = |kind| flow.next(kind, CaseStatus::Requested, CaseAction::Approve, &[]);
    assert_eq!(next(CaseKind::ReturnRefund), Ok(CaseStatus::AwaitingReturn));
    assert_eq!(next(CaseKind::Exchange), Ok(CaseStatus::AwaitingReturn));
    assert_eq!(next(CaseKind::RefundOnly), Ok(CaseStatus::Approved));
    assert_eq!(next(CaseKind::Reship), Ok(CaseStatus::Approved));
}

#[test]
fn a_case_cannot_be_cancelled_after_its_first_receipt() {
    let flow = CaseFlow::default();
    let err = flow
        .next(
            CaseKind::ReturnRefund,
            CaseStatus::PartlyReceived,
            CaseAction::Cancel,
            &[],
        )
        .unwrap_err();
    assert_eq!(err.code(), "illegal_case_transition");
    assert!(err.to_string().contains("awaiting_return"), "{err}");
}

#[test]
fn receipt_is_partial_until_every_unit_is_accounted_for() {
    let flow = CaseFlow::default();
    let lines = vec![CaseLine::new("TEE", None, 2)];
    let receipt = |disposition| Receipt {
        sku: "TEE".into(),
        quantity: 1,
        disposition,
        warehouse: None,
    };
    let once = receive(&lines, &[receipt(Disposition::Restock)]).unwrap();
    assert_eq!(
        flow.next(
            CaseKind::ReturnRefund,
            CaseStatus::AwaitingReturn,
            CaseAction::Receive,
            &once
        ),
        Ok(CaseStatus::PartlyReceived)
    );
    let twice = receive(&once, &[receipt(Disposition::Missing)]).unwrap();
    assert_eq!((twice[0].received, twice[0].missing, twice[0].restocked), (1, 1, 1));
    assert_eq!(
        flow.next(
            CaseKind::ReturnRefund,
            CaseStatus::PartlyReceived,
            CaseAction::Receive,
            &twice
        ),
        Ok(CaseStatus::Received)
    );
    let err = receive(&twice, &[receipt(Disposition::WriteOff)]).unwrap_err();
    assert_eq!(err.code(), "quantity_exceeded");
}

#[test]
fn new_lines_merge_skus_and_stop_at_what_is_available() {
    let available = units(&[("TEE-RED-M", 2), ("MUG-01", 1)]);
    let lines = new_lines(
        CaseKind::ReturnRefund,
        &[("TEE-RED-M".into(), 1), ("TEE-RED-M".into(), 1)],
        &available,
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].quantity, 2);
    let err = new_lines(
        CaseKind::ReturnRefund,
        &[("MUG-01".into(), 2)],
        &available,
        &BTreeMap::new(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "quantity_exceeded");
    assert!(err.to_string().starts_with("lines[0]:"), "{err}");
    let err = new_lines(CaseKind::Exchange, &[], &available, &BTreeMap::new()).unwrap_err();
    assert_eq!(err.code(), "lines_required");
    assert!(new_lines(CaseKind::RefundOnly, &[], &available, &BTreeMap::new()).is_ok());
}

#[test]
fn a_refund_of_one_line_takes_its_price_less_discount() {
    let order = example();
    let q = quote(&order, &units(&[("MUG-01", 1)]), &BTreeMap::new(), 0, 0, 0).unwrap();
    assert_eq!(q.amount, 3550 - 550);
    assert_eq!(q.refundable, paid(&order));
    let with_shipping = quote(&order, &units(&[("MUG-01", 1)]), &BTreeMap::new(), 0, 1000, 0).unwrap();
    assert_eq!(with_shipping.amount, 3000 + 1000);
    let fee = quote(&order, &units(&[("TEE-RED-M", 2)]), &BTreeMap::new(), 0, 0, 100).unwrap();
    assert_eq!((fee.restocking_fee, fee.amount), (1580, 15800 - 1580));
}

#[test]
fn a_refund_cannot_exceed_what_was_paid_or_sold() {
    let order = example();
    let err = quote(&order, &units(&[("MUG-01", 2)]), &BTreeMap::new(), 0, 0, 0).unwrap_err();
    assert_eq!(err.code(), "quantity_exceeded");
    let capped = quote(
        &order,
        &units(&[("MUG-01", 1)]),
        &BTreeMap::new(),
        paid(&order) - 100,
        0,
        0,
    )
    .unwrap();
    assert_eq!(capped.amount, 100);
    assert_eq!(
        refund::check_amount(101, capped.refundable).unwrap_err().code(),
        "refund_exceeds_paid"
    );
}

#[test]
fn order_discounts_and_order_tax_are_spread_over_the_lines() {
    let order = order(
        r#"{"channel": "web", "external_id": "W-2", "placed_at": "2026-11-22T10:15:00Z",
            "currency": "USD", "financial_status": "paid",
            "lines": [{"sku": "A", "quantity": 3, "unit_price": "10.00"},
                      {"sku": "B", "quantity": 1, "unit_price": "5.01"}],
            "discounts": [{"code": "X", "amount": "3.33"}],
            "tax_lines": [{"title": "VAT", "amount": "2.71"}], "tax_rounding": "per_order"}"#,
    );
    let costs = line_costs(&order);
    let totals = order.totals();
    assert_eq!(costs.iter().sum::<i64>(), totals.total - totals.shipping);
    // Refunding every unit one at a time gives back the line's cost exactly.
    let mut refunded = BTreeMap::new();
    let mut sum = 0;
    for _ in 0..3 {
        let q = quote(&order, &units(&[("A", 1)]), &refunded, 0, 0, 0).unwrap();
        sum += q.amount;
        *refunded.entry("A".to_owned()).or_insert(0) += 1;
    }
    assert_eq!(sum, costs[0]);
}

proptest! {
    #[test]
    fn spread_parts_add_up(amount in -1_000_000i64..1_000_000, weights in prop::collection::vec(0i64..100_000, 1..8)) {
        let parts = spread(amount, &weights);
        prop_assert_eq!(parts.iter().sum::<i64>(), amount);
    }

    #[test]
    fn unit_by_unit_refunds_add_up_to_the_line(cost in 0i64..10_000_000, quantity in 1i64..50) {
        let total: i64 = (0..quantity).map(|k| {
            let upto = |n: i64| i128::from(cost) * i128::from(n) / i128::from(quantity);
            (upto(k + 1) - upto(k)) as i64
        }).sum();
        prop_assert_eq!(total, cost);
    }
}

#[test]
fn every_name_round_trips() {
    for kind in CaseKind::ALL {
        assert_eq!(CaseKind::parse(kind.as_str()), Some(*kind));
    }
    for status in CaseStatus::ALL {
        assert_eq!(CaseStatus::parse(status.as_str()), Some(*status));
    }
    for d in Disposition::ALL {
        assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
    }
}
