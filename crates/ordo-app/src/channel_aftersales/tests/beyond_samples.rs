//! What the platforms document beyond their samples, and malformed payloads refused with
//! a stable code and the JSON path of what was wrong.

use ordo_core::aftersale::CaseStatus;
use serde_json::{Value, json};

use super::*;

// --- Documented behaviour beyond the samples ----------------------------------------------

#[test]
fn shopify_adjustments_count_against_the_order_so_they_add_to_the_refund() {
    let mut payload = webhook_refund();
    let first = payload["refund_line_items"][0].clone();
    set(&mut payload, "/refund_line_items", json!([first]));
    set(
        &mut payload,
        "/refund_line_items/0/total_tax_set/shop_money/amount",
        json!("1.00"),
    );
    set(
        &mut payload,
        "/order_adjustments",
        json!([
            {"kind": "shipping_refund", "amount": "-5.00", "tax_amount": "-0.50"},
            {"kind": "refund_discrepancy", "amount": "2.50", "tax_amount": "0.00"}
        ]),
    );
    set(&mut payload, "/transactions/1/status", json!("failure"));
    set(&mut payload, "/transactions/0/amount", json!("93.99"));
    let r = refund("shopify", "refunds/create", &payload);
    assert_eq!((r.lines[0].amount, r.shipping, r.adjustments), (9099, 550, -250));
    assert_eq!((r.amount, r.itemised, r.mismatch()), (9399, 9399, None));
}

#[test]
fn shopify_return_lines_and_decline_as_documented() {
    // The Return object's documented shape: lines name the order line through the
    // fulfillment line; a decline carries its reason and note.
    let payload = json!({
        "id": 7, "admin_graphql_api_id": "gid://shopify/Return/7", "status": "DECLINED",
        "order": {"id": 4783296544821_u64, "admin_graphql_api_id": "gid://shopify/Order/4783296544821"},
        "return_line_items": [{
            "id": 11, "quantity": 2, "return_reason": "SIZE_TOO_SMALL",
            "fulfillment_line_item": {"id": 12, "line_item": {"id": 13, "admin_graphql_api_id": "gid://shopify/LineItem/13", "sku": "TEE-S"}}
        }],
        "decline": {"reason": "RETURN_PERIOD_ENDED", "note": "Past 30 days"}
    });
    let r = a_return("returns/decline", &payload);
    assert_eq!((r.channel_case_id.as_str(), r.status), ("7", CaseStatus::Declined));
    assert_eq!(
        r.lines,
        vec![ChannelReturnLine {
            line_id: Some("13".into()),
            sku: Some("TEE-S".into()),
            quantity: 2,
            reason: Some("SIZE_TOO_SMALL".into()),
        }]
    );
    assert_eq!(r.decline_reason.as_deref(), Some("RETURN_PERIOD_ENDED"));
    assert_eq!(r.decline_note.as_deref(), Some("Past 30 days"));
    for (word, status) in [
        ("OPEN", CaseStatus::AwaitingReturn),
        ("CANCELED", CaseStatus::Cancelled),
    ] {
        let payload = json!({"id": 7, "status": word});
        assert_eq!(a_return("returns/reopen", &payload).status, status);
    }
}

#[test]
fn topics_that_are_not_after_sale_are_none() {
    assert_eq!(parse("shopify", "orders/create", &json!({})), Ok(None));
    assert_eq!(parse("woocommerce", "order.updated", &json!({})), Ok(None));
    assert_eq!(error("magento", "refund", &json!({})).0, "unsupported_platform");
}

// --- Malformed payloads: code and path ------------------------------------------------------

#[test]
fn malformed_shopify_refund_without_an_id() {
    let mut payload = webhook_refund();
    let object = payload.as_object_mut().unwrap();
    object.remove("id");
    object.remove("admin_graphql_api_id");
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        ("missing_field", "id".into())
    );
}

#[test]
fn malformed_shopify_money_as_a_float() {
    let mut payload = webhook_refund();
    set(
        &mut payload,
        "/refund_line_items/0/subtotal_set/shop_money/amount",
        json!(89.99),
    );
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        (
            "money_not_text",
            "refund_line_items[0].subtotal_set.shop_money.amount".into()
        )
    );
    // Without the money set, the plain float `subtotal` is not read either.
    let mut payload = webhook_refund();
    payload["refund_line_items"][0]
        .as_object_mut()
        .unwrap()
        .remove("subtotal_set");
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        ("money_not_text", "refund_line_items[0].subtotal".into())
    );
    let mut payload = webhook_refund();
    set(&mut payload, "/transactions/1/amount", json!(10.0));
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        ("money_not_text", "transactions[1].amount".into())
    );
}

#[test]
fn malformed_shopify_quantities() {
    for bad in [json!("two"), json!(1.5), json!(-1)] {
        let mut payload = webhook_refund();
        set(&mut payload, "/refund_line_items/2/quantity", bad);
        assert_eq!(
            error("shopify", "refunds/create", &payload),
            ("invalid_quantity", "refund_line_items[2].quantity".into())
        );
    }
}

#[test]
fn malformed_shopify_ids_currencies_and_words() {
    let mut payload = webhook_refund();
    set(&mut payload, "/order_id", json!(4.5e18));
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        ("invalid_id", "order_id".into())
    );
    let mut payload = webhook_refund();
    set(&mut payload, "/transactions/0/currency", json!("EUR"));
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        ("currency_mismatch", "transactions[0].currency".into())
    );
    let mut payload = webhook_refund();
    set(
        &mut payload,
        "/refund_line_items/1/restock_type",
        json!("restock_later"),
    );
    assert_eq!(
        error("shopify", "refunds/create", &payload),
        ("unknown_restock_type", "refund_line_items[1].restock_type".into())
    );
    let payload = json!({"id": 1, "status": "archived"});
    assert_eq!(
        error("shopify", "returns/close", &payload),
        ("unknown_status", "status".into())
    );
    let mut payload = dispose_fixture();
    set(&mut payload, "/dispositions/1/type", json!("donated"));
    assert_eq!(
        error("shopify", "reverse_fulfillment_orders/dispose", &payload),
        ("unknown_disposition", "dispositions[1].type".into())
    );
}

#[test]
fn malformed_woocommerce_refunds() {
    let list = woo_list_fixture();
    let woo = |payload: &Value| {
        let e = woocommerce::parse_with_order("refunds", payload, None, Some("USD")).expect_err("refused");
        (e.code, e.path)
    };
    let mut payload = list.clone();
    payload[1].as_object_mut().unwrap().remove("id");
    assert_eq!(woo(&payload), ("missing_field", "[1].id".into()));
    let mut payload = list.clone();
    set(&mut payload, "/0/amount", json!(10.0));
    assert_eq!(woo(&payload), ("money_not_text", "[0].amount".into()));
    let mut payload = list.clone();
    set(&mut payload, "/1/line_items/0/quantity", json!(1));
    assert_eq!(woo(&payload), ("invalid_quantity", "[1].line_items[0].quantity".into()));
    let mut payload = list.clone();
    set(&mut payload, "/1/line_items/0/total", json!("-9.005"));
    assert_eq!(woo(&payload), ("invalid_money", "[1].line_items[0].total".into()));
    let mut payload = list;
    payload[0].as_object_mut().unwrap().remove("_links");
    assert_eq!(woo(&payload), ("order_id_missing", "[0].order_id".into()));
}
