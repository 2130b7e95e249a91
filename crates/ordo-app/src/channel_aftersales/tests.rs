//! Every published sample read to the cent, and malformed payloads refused by code and
//! path. Fixtures and their provenance: `crates/ordo-app/tests/fixtures/aftersales/`.
//! Documented behaviour the samples do not show, and malformed input: [`beyond_samples`].

use chrono::{DateTime, Utc};
use ordo_core::aftersale::{CaseKind, CaseStatus, Disposition};
use serde_json::Value;

use super::*;

mod beyond_samples;
mod china;

macro_rules! fixture {
    ($platform:literal, $file:literal) => {
        include_str!(concat!("../../tests/fixtures/aftersales/", $platform, "/", $file))
    };
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    Some(text.parse().unwrap())
}

fn refund(platform: &str, topic: &str, payload: &Value) -> ChannelRefund {
    match parse(platform, topic, payload) {
        Ok(Some(ChannelAfterSale::Refund(r))) => r,
        other => panic!("not a refund: {other:?}"),
    }
}

fn refunds(result: Result<Option<ChannelAfterSale>, AfterSaleParseError>) -> Vec<ChannelRefund> {
    match result {
        Ok(Some(ChannelAfterSale::Refunds(r))) => r,
        other => panic!("not a refund list: {other:?}"),
    }
}

fn a_return(topic: &str, payload: &Value) -> ChannelReturn {
    match parse("shopify", topic, payload) {
        Ok(Some(ChannelAfterSale::Return(r))) => r,
        other => panic!("not a return: {other:?}"),
    }
}

fn line(line_id: &str, sku: &str, amount: i64, tax: i64, restock_type: &str) -> ChannelRefundLine {
    ChannelRefundLine {
        line_id: Some(line_id.into()),
        sku: Some(sku.into()),
        quantity: 1,
        amount,
        tax,
        restock: restock_type != "no_restock",
        restock_type: Some(restock_type.into()),
    }
}

/// The error of `platform`/`topic` on `payload`, as (code, path).
fn error(platform: &str, topic: &str, payload: &Value) -> (&'static str, String) {
    let e = parse(platform, topic, payload).expect_err("refused");
    (e.code, e.path)
}

fn webhook_refund() -> Value {
    json(fixture!("shopify", "webhook_refunds_create_2025-10.json"))
}

fn dispose_fixture() -> Value {
    json(fixture!("shopify", "webhook_reverse_fulfillment_orders_dispose.json"))
}

fn woo_list_fixture() -> Value {
    json(fixture!("woocommerce", "refunds_list_response.json"))
}

fn set(payload: &mut Value, pointer: &str, value: Value) {
    *payload.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
}

// --- Shopify, one test per published sample -------------------------------------------

#[test]
fn shopify_refund_calculate_is_refused_as_a_calculation() {
    let payload = json(fixture!("shopify", "refund_calculate_line_item_full_shipping.json"));
    assert_eq!(
        error("shopify", "refund", &payload),
        ("refund_calculation", "refund".into())
    );
}

#[test]
fn shopify_refund_create_line_item_full_shipping() {
    let payload = json(fixture!("shopify", "refund_create_line_item_full_shipping.json"));
    let r = refund("shopify", "refund", &payload);
    assert_eq!(r.channel_refund_id, "929361472");
    assert_eq!(r.external_order_id, "450789469");
    assert_eq!(r.currency, "USD");
    assert_eq!(r.amount, 4194);
    assert_eq!(r.lines, vec![line("518995019", "IPOD2008RED", 0, 0, "no_restock")]);
    assert_eq!((r.shipping, r.duties, r.adjustments, r.itemised), (0, 0, 0, 0));
    // The sample refunds 41.94 in its transaction against a line of 0.00: both kept.
    assert_eq!(
        r.mismatch(),
        Some(RefundMismatch {
            refunded: 4194,
            itemised: 0
        })
    );
    assert_eq!(r.note.as_deref(), Some("wrong size"));
    assert_eq!(r.created_at, time("2025-07-02T16:38:34Z"));
    assert!(r.inexact_ids.is_empty());
}

#[test]
fn shopify_refunds_list_order_450789469() {
    let payload = json(fixture!("shopify", "refunds_list_order_450789469.json"));
    let list = refunds(parse("shopify", "refunds", &payload));
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(
        (r.channel_refund_id.as_str(), r.external_order_id.as_str()),
        ("509562969", "450789469")
    );
    assert_eq!(r.amount, 20900);
    assert_eq!(
        r.lines,
        vec![
            line("703073504", "IPOD2008BLACK", 19964, 398, "legacy_restock"),
            line("466157049", "IPOD2008GREEN", 19965, 398, "legacy_restock"),
        ]
    );
    assert_eq!(r.itemised, 39929);
    assert_eq!(
        r.mismatch(),
        Some(RefundMismatch {
            refunded: 20900,
            itemised: 39929
        })
    );
    assert_eq!(r.created_at, time("2025-07-02T16:38:15Z"));
    assert!(r.inexact_ids.is_empty());
}

#[test]
fn shopify_webhook_refunds_create_2025_10() {
    let r = refund("shopify", "refunds/create", &webhook_refund());
    // The GraphQL ids are exact; the sample's numeric ids went through a float.
    assert_eq!(r.channel_refund_id, "890088186047892319");
    assert_eq!(r.external_order_id, "820982911946154500");
    assert_eq!(r.currency, "USD");
    assert_eq!(r.amount, 7500 + 1000);
    assert_eq!(
        r.lines,
        vec![
            line("487817672276298554", "SKU2006-001", 8999, 0, "no_restock"),
            line("976318377106520349", "SKU2006-020", 15999, 0, "no_restock"),
            line("315789986012684393", "SKU2006-035", 11999, 0, "no_restock"),
        ]
    );
    assert_eq!(r.itemised, 36997);
    assert_eq!(
        r.mismatch(),
        Some(RefundMismatch {
            refunded: 8500,
            itemised: 36997
        })
    );
    // The order id has no GraphQL id beside it: the order is 820982911946154508 in the
    // orders/create sample, so the rounded one is flagged rather than trusted.
    assert_eq!(
        r.inexact_ids,
        vec![
            "id",
            "order_id",
            "refund_line_items[0].line_item_id",
            "refund_line_items[1].line_item_id",
            "refund_line_items[2].line_item_id",
        ]
    );
    assert_eq!(r.created_at, time("2022-01-01T00:00:00Z"));
    assert_eq!(r.note.as_deref(), Some("Things were damaged"));
}

#[test]
fn shopify_webhook_returns_request() {
    let r = a_return(
        "returns/request",
        &json(fixture!("shopify", "webhook_returns_request.json")),
    );
    assert_eq!(r.channel_case_id, "123134564567890");
    assert_eq!(r.external_order_id.as_deref(), Some("4783296544821"));
    assert_eq!(
        (r.channel_status.as_str(), r.status),
        ("requested", CaseStatus::Requested)
    );
    assert_eq!(r.kind, CaseKind::ReturnRefund);
    assert!(r.lines.is_empty());
}

#[test]
fn shopify_webhook_returns_approve() {
    let r = a_return(
        "returns/approve",
        &json(fixture!("shopify", "webhook_returns_approve.json")),
    );
    assert_eq!(r.channel_case_id, "123134564567890");
    assert_eq!(r.external_order_id.as_deref(), Some("4783296544821"));
    assert_eq!(
        (r.channel_status.as_str(), r.status),
        ("open", CaseStatus::AwaitingReturn)
    );
    assert_eq!(r.kind, CaseKind::Exchange);
}

#[test]
fn shopify_webhook_returns_close() {
    let r = a_return(
        "returns/close",
        &json(fixture!("shopify", "webhook_returns_close.json")),
    );
    assert_eq!(r.channel_case_id, "123134564567890");
    assert_eq!(r.external_order_id.as_deref(), Some("4783296544821"));
    assert_eq!((r.channel_status.as_str(), r.status), ("closed", CaseStatus::Closed));
}

#[test]
fn shopify_webhook_returns_update() {
    let payload = json(fixture!("shopify", "webhook_returns_update.json"));
    let Ok(Some(ChannelAfterSale::ReturnUpdate(u))) = parse("shopify", "returns/update", &payload) else {
        panic!("not an update");
    };
    assert_eq!(u.channel_case_id, "123134564567890");
    assert_eq!(u.removed, vec![("987654321".to_owned(), 2)]);
}

#[test]
fn shopify_webhook_reverse_deliveries_attach_deliverable() {
    let payload = json(fixture!(
        "shopify",
        "webhook_reverse_deliveries_attach_deliverable.json"
    ));
    let Ok(Some(ChannelAfterSale::ReturnShipment(s))) =
        parse("shopify", "reverse_deliveries/attach_deliverable", &payload)
    else {
        panic!("not a shipment");
    };
    assert_eq!(
        (s.channel_case_id.as_str(), s.channel_delivery_id.as_str()),
        ("123134564567890", "9080907654321")
    );
    assert_eq!(s.carrier.as_deref(), Some("USPS"));
    assert_eq!(s.tracking_number.as_deref(), Some("123345345"));
    assert_eq!((s.tracking_url, s.label_url), (None, None));
}

#[test]
fn shopify_webhook_reverse_fulfillment_orders_dispose() {
    let payload = json(fixture!("shopify", "webhook_reverse_fulfillment_orders_dispose.json"));
    let Ok(Some(ChannelAfterSale::Disposed(d))) = parse("shopify", "reverse_fulfillment_orders/dispose", &payload)
    else {
        panic!("not a disposal");
    };
    assert_eq!(d.channel_reference, "11111111");
    let seen: Vec<_> = d
        .dispositions
        .iter()
        .map(|x| {
            (
                x.line_id.as_deref(),
                x.quantity,
                x.disposition,
                x.location_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("2222222"), 1, Disposition::Restock, Some("3333333")),
            (Some("2222223"), 1, Disposition::Restock, Some("3333333")),
        ]
    );
}

// --- WooCommerce, one test per published sample -----------------------------------------

#[test]
fn woocommerce_refund_create_request_is_not_json() {
    // The published request sample lacks a colon and a bracket; it is what one sends, not
    // what Ordo reads, and is kept to show it is not silently accepted.
    assert!(serde_json::from_str::<Value>(fixture!("woocommerce", "refund_create_request.json")).is_err());
}

#[test]
fn woocommerce_refund_create_response() {
    let payload = json(fixture!("woocommerce", "refund_create_response.json"));
    let Ok(Some(ChannelAfterSale::Refund(r))) = woocommerce::parse_with_order("refund", &payload, None, Some("USD"))
    else {
        panic!("not a refund");
    };
    assert_eq!(
        (r.channel_refund_id.as_str(), r.external_order_id.as_str()),
        ("726", "723")
    );
    assert_eq!((r.amount, r.itemised), (1000, 0));
    assert!(r.lines.is_empty());
    assert_eq!(r.note, None);
    assert_eq!(r.created_at, time("2017-03-21T20:07:11Z"));
    // Without the order's currency the amount cannot be read exactly.
    assert_eq!(
        error("woocommerce", "refund", &payload),
        ("currency_missing", "currency".into())
    );
}

#[test]
fn woocommerce_refunds_list_response() {
    let payload = json(fixture!("woocommerce", "refunds_list_response.json"));
    let list = refunds(woocommerce::parse_with_order(
        "refunds",
        &payload,
        Some("723"),
        Some("USD"),
    ));
    let figures: Vec<_> = list
        .iter()
        .map(|r| {
            (
                r.channel_refund_id.as_str(),
                r.amount,
                r.itemised,
                r.mismatch().is_some(),
            )
        })
        .collect();
    // 726 refunds an amount with no lines (a WooCommerce "amount only" refund): flagged.
    assert_eq!(figures, vec![("726", 1000, 0, true), ("724", 900, 900, false)]);
    assert_eq!(
        list[1].lines,
        vec![ChannelRefundLine {
            line_id: Some("311".into()),
            sku: Some("87".into()),
            quantity: 1,
            amount: 900,
            tax: 0,
            restock: false,
            restock_type: None,
        }]
    );
    assert!(list.iter().all(|r| r.external_order_id == "723" && r.currency == "USD"));
}
