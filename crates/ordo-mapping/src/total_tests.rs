//! The money of every published order payload, against the total the platform states:
//! reproduced to the cent, or flagged with both figures where the published example does
//! not add up by itself, or refused with the field named. Plus a property per platform:
//! payloads built by the platform's own arithmetic always come to its stated total.

use ordo_core::input::OrderInput;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::tests::{built_in, fixture};

/// What became of one payload.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Ordo's total equals the stated one.
    Exact,
    /// Stored and flagged: (stated, computed) in minor units.
    Flagged(i64, i64),
    /// No total stated (a pending order); the order is stored.
    Unstated,
    /// Refused: the first field and code.
    Refused(String, &'static str),
}

fn outcome(mapping: &str, payload: &Value) -> Outcome {
    let mapped = built_in(mapping)
        .apply(payload)
        .unwrap_or_else(|e| panic!("{mapping}: {e}"));
    let input: OrderInput = serde_json::from_value(mapped).unwrap();
    match input.validate() {
        Err(errors) => Outcome::Refused(errors.0[0].field.clone(), errors.0[0].code),
        Ok(order) => match (order.stated_total, order.total_mismatch()) {
            (None, _) => Outcome::Unstated,
            (Some(_), None) => Outcome::Exact,
            (Some(_), Some((stated, computed))) => Outcome::Flagged(stated, computed),
        },
    }
}

/// Every order-bearing fixture: (platform mapping, file, where the orders are, what must
/// become of each).
fn published() -> Vec<(&'static str, &'static str, Vec<Value>, Vec<Outcome>)> {
    let at = |file: &str, pointer: &str| fixture(file).pointer(pointer).unwrap().clone();
    let each = |file: &str, pointer: &str| at(file, pointer).as_array().unwrap().clone();
    use Outcome::*;
    vec![
        (
            "shopify.order.toml",
            "shopify_webhook_2026-04_orders_create.json",
            vec![fixture("shopify_webhook_2026-04_orders_create.json")],
            vec![Exact],
        ),
        // Three lines at 199.00 plus 6 % tax, stated as 409.94 with line items of 398.00:
        // the documentation's example does not add up, and Ordo says so with both figures.
        (
            "shopify.order.toml",
            "shopify_rest_order_single.json",
            vec![at("shopify_rest_order_single.json", "/order")],
            vec![Flagged(40994, 60894)],
        ),
        (
            "woocommerce.order.toml",
            "woocommerce_rest_v3_order_retrieve.json",
            vec![fixture("woocommerce_rest_v3_order_retrieve.json")],
            vec![Exact],
        ),
        (
            "woocommerce.order.toml",
            "woocommerce_rest_v3_orders_list.json",
            each("woocommerce_rest_v3_orders_list.json", ""),
            vec![Exact, Exact],
        ),
        (
            "amazon.order.toml",
            "amazon_v0_hand_written_order.json",
            vec![fixture("amazon_v0_hand_written_order.json")],
            vec![Exact],
        ),
        // The published examples price a US order in yen with cents.
        (
            "amazon.order.toml",
            "amazon_v0_getOrder_with_items.json",
            vec![fixture("amazon_v0_getOrder_with_items.json")],
            vec![Refused("lines[0].unit_price".into(), "invalid_money")],
        ),
        (
            "amazon.order.2026.toml",
            "amazon_spapi_orders_2026-01-01_getOrder_example.json",
            vec![at("amazon_spapi_orders_2026-01-01_getOrder_example.json", "/order")],
            vec![Exact],
        ),
        (
            "amazon.order.2026.toml",
            "amazon_spapi_orders_2026-01-01_searchOrders_example.json",
            each("amazon_spapi_orders_2026-01-01_searchOrders_example.json", "/orders"),
            vec![Exact],
        ),
        (
            "taobao.order.toml",
            "taobao_sample_order.json",
            vec![fixture("taobao_sample_order.json")],
            vec![Exact],
        ),
        (
            "taobao.order.toml",
            "taobao_closed_order.json",
            vec![fixture("taobao_closed_order.json")],
            vec![Exact],
        ),
        (
            "jd.order.toml",
            "jd_sample_order.json",
            vec![fixture("jd_sample_order.json")],
            vec![Exact],
        ),
        (
            "jd.order.toml",
            "jd_cancelled_order.json",
            vec![fixture("jd_cancelled_order.json")],
            vec![Exact],
        ),
        (
            "douyin.order.toml",
            "douyin_sample_order.json",
            vec![fixture("douyin_sample_order.json")],
            vec![Exact],
        ),
        (
            "douyin.order.toml",
            "douyin_cancelled_order.json",
            vec![fixture("douyin_cancelled_order.json")],
            vec![Exact],
        ),
        (
            "pinduoduo.order.toml",
            "pinduoduo_sample_order.json",
            vec![fixture("pinduoduo_sample_order.json")],
            vec![Exact],
        ),
        (
            "pinduoduo.order.toml",
            "pinduoduo_refunded_order.json",
            vec![fixture("pinduoduo_refunded_order.json")],
            vec![Exact],
        ),
        (
            "xiaohongshu.order.toml",
            "xiaohongshu_sample_order.json",
            vec![fixture("xiaohongshu_sample_order.json")],
            vec![Exact],
        ),
        (
            "xiaohongshu.order.toml",
            "xiaohongshu_cancelled_order.json",
            vec![fixture("xiaohongshu_cancelled_order.json")],
            vec![Exact],
        ),
        // The publisher elided all items but the first ("..."): one item at 22.00 and
        // 5.00 shipping against a grand_total of 165.00.
        (
            "magento.order.toml",
            "magento_rest_v1_order_get_example.json",
            vec![fixture("magento_rest_v1_order_get_example.json")],
            vec![Flagged(16500, 2700)],
        ),
        (
            "magento.order.toml",
            "magento_order_configurable_discount_tax.json",
            vec![fixture("magento_order_configurable_discount_tax.json")],
            vec![Exact],
        ),
        (
            "bigcommerce.order.toml",
            "bigcommerce_v2_order_assembled.json",
            vec![fixture("bigcommerce_v2_order_assembled.json")],
            vec![Exact],
        ),
        (
            "wechat.order.toml",
            "wechat_channels_order_get.json",
            vec![at("wechat_channels_order_get.json", "/order")],
            vec![Exact],
        ),
        (
            "kuaishou.order.toml",
            "kuaishou_order_detail.json",
            vec![at("kuaishou_order_detail.json", "/data")],
            vec![Exact],
        ),
    ]
}

#[test]
fn every_published_order_comes_to_the_stated_total_or_is_flagged_or_refused_by_name() {
    let mut report = std::collections::BTreeMap::<&str, [usize; 4]>::new();
    for (mapping, file, payloads, want) in published() {
        let got: Vec<Outcome> = payloads.iter().map(|p| outcome(mapping, p)).collect();
        assert_eq!(got, want, "{mapping} on {file}");
        let row = report.entry(mapping).or_default();
        for o in &got {
            row[match o {
                Outcome::Exact => 0,
                Outcome::Flagged(..) => 1,
                Outcome::Unstated => 2,
                Outcome::Refused(..) => 3,
            }] += 1;
        }
    }
    println!("mapping: exact / flagged with both figures / no stated total / refused");
    for (mapping, [exact, flagged, unstated, refused]) in &report {
        println!("{mapping}: {exact} / {flagged} / {unstated} / {refused}");
    }
}

#[test]
fn a_woocommerce_order_of_virtual_goods_needs_no_address_and_one_of_goods_is_held_for_it() {
    let mut virtual_goods = fixture("woocommerce_rest_v3_order_retrieve.json");
    virtual_goods["shipping_lines"] = json!([]);
    virtual_goods["shipping_total"] = json!("0.00");
    virtual_goods["total"] = json!("19.35");
    for field in [
        "first_name",
        "last_name",
        "address_1",
        "address_2",
        "city",
        "state",
        "postcode",
        "country",
    ] {
        virtual_goods["shipping"][field] = json!("");
    }
    let mapping = built_in("woocommerce.order.toml");
    let input: OrderInput = serde_json::from_value(mapping.apply(&virtual_goods).unwrap()).unwrap();
    let order = input.validate().unwrap();
    assert!(!order.ships(), "no shipping lines: nothing ships");
    assert_eq!(order.total_mismatch(), None);
    // The same empty address on goods that ship: stored, with nothing to ship to.
    let mut goods = virtual_goods.clone();
    goods["shipping_lines"] = fixture("woocommerce_rest_v3_order_retrieve.json")["shipping_lines"].clone();
    let input: OrderInput = serde_json::from_value(mapping.apply(&goods).unwrap()).unwrap();
    let order = input.validate().unwrap();
    assert!(order.ships());
    assert!(order.destination().line1.is_empty() && order.destination().country.is_empty());
}

/// Amounts in cents as decimal text.
fn text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Shopify's arithmetic: total_price = line items − total_discounts (every discount,
    /// allocated to lines or to the shipping line) + shipping + total_tax (the lines' and
    /// the shipping's) + tip.
    #[test]
    fn shopify_payloads_always_come_to_their_total_price(
        lines in proptest::collection::vec((1i64..50_000, 1i64..5, 0i64..100, 0i64..3_000), 1..6),
        shipping in 0i64..2_000, ship_off in 0i64..100, ship_tax in 0i64..300, tip in 0i64..500,
    ) {
        let ship_off = shipping * ship_off / 100;
        let mut items = 0;
        let mut line_discounts = 0;
        let mut taxes = 0;
        let line_items: Vec<Value> = lines.iter().enumerate().map(|(i, (price, qty, off, tax))| {
            let discount = price * qty * off / 100;
            items += price * qty;
            line_discounts += discount;
            taxes += tax;
            // Allocations carry the discount; `total_discount` shows 0, as Shopify often does.
            json!({"id": i, "sku": format!("S{i}"), "quantity": qty, "price": text(*price), "total_discount": "0.00",
                   "discount_allocations": [{"amount": text(discount)}],
                   "tax_lines": [{"price": text(*tax), "rate": 0.1, "title": "T"}]})
        }).collect();
        let total = items - line_discounts + shipping - ship_off + taxes + ship_tax + tip;
        let payload = json!({
            "id": 1, "created_at": "2026-01-01T00:00:00Z", "currency": "USD", "financial_status": "paid",
            "line_items": line_items, "total_discounts": text(line_discounts + ship_off),
            "discount_codes": [{"code": "X", "amount": text(line_discounts + ship_off)}],
            "total_shipping_price_set": {"shop_money": {"amount": text(shipping)}},
            "shipping_lines": [{"price": text(shipping), "discount_allocations": [{"amount": text(ship_off)}],
                                "tax_lines": [{"price": text(ship_tax), "rate": 0.1, "title": "T"}]}],
            "tax_lines": [{"price": text(taxes + ship_tax), "rate": 0.1, "title": "T"}],
            "total_tip_received": text(tip), "total_price": text(total),
            "shipping_address": {"name": "A", "country_code": "US", "address1": "1 St"},
        });
        prop_assert_eq!(outcome("shopify.order.toml", &payload), Outcome::Exact);
    }

    /// WooCommerce's arithmetic, rounding tax once per rate for the order: total = line
    /// totals + shipping + fees + the rounded tax of the order's tax lines, while each
    /// line's tax carries four places.
    #[test]
    fn woocommerce_payloads_always_come_to_their_total(
        lines in proptest::collection::vec((1i64..20_000, 1i64..4, 0i64..50), 1..6),
        shipping in 0i64..2_000, fee in -500i64..500, shown_with_tax in any::<bool>(),
    ) {
        let mut sum = 0;
        let mut tax_unrounded = 0; // in hundredths of a cent
        let line_items: Vec<Value> = lines.iter().enumerate().map(|(i, (price, qty, off))| {
            let subtotal = price * qty;
            let total = subtotal - subtotal * off / 100;
            sum += total;
            let tax = total * 1925 / 10_000 * 100 / 100; // 19.25 % in hundredths of a cent
            tax_unrounded += tax;
            json!({"id": i, "sku": format!("S{i}"), "quantity": qty, "subtotal": text(subtotal), "total": text(total),
                   "total_tax": format!("{}.{:04}", tax / 10_000, tax % 10_000)})
        }).collect();
        let tax = (tax_unrounded + 50) / 100; // rounded once, half up, to cents
        let fee_text = if fee < 0 { format!("-{}", text(-fee)) } else { text(fee) };
        let total = sum + shipping + fee + tax;
        prop_assume!(total >= 0);
        let payload = json!({
            "id": 7, "date_created_gmt": "2026-01-01T00:00:00", "currency": "EUR", "status": "processing",
            // Whether the shop shows prices with tax changes nothing in what the API sends.
            "prices_include_tax": shown_with_tax, "line_items": line_items, "shipping_total": text(shipping),
            "tax_lines": [{"label": "MwSt", "rate_percent": 19.25, "tax_total": text(tax), "shipping_tax_total": "0.00"}],
            "fee_lines": [{"name": "Handling", "total": fee_text}], "total": text(total),
            "shipping": {"first_name": "A", "last_name": "B", "country": "DE", "address_1": "Hauptstr. 1"},
        });
        prop_assert_eq!(outcome("woocommerce.order.toml", &payload), Outcome::Exact);
    }
}

#[test]
fn a_pending_amazon_order_without_totals_or_address_is_stored_as_pending() {
    // Before payment Amazon sends no OrderTotal, no item prices and no address; the
    // marketplace names the currency.
    let mut pending = fixture("amazon_v0_hand_written_order.json");
    pending["OrderStatus"] = json!("Pending");
    pending["MarketplaceId"] = json!("A1F83G8C2ARO7P");
    for key in ["OrderTotal", "ShippingAddress"] {
        pending.as_object_mut().unwrap().remove(key);
    }
    for item in pending["OrderItems"].as_array_mut().unwrap() {
        for key in [
            "ItemPrice",
            "ItemTax",
            "ShippingPrice",
            "ShippingTax",
            "ShippingDiscount",
            "PromotionDiscount",
        ] {
            item.as_object_mut().unwrap().remove(key);
        }
    }
    let input: OrderInput = serde_json::from_value(built_in("amazon.order.toml").apply(&pending).unwrap()).unwrap();
    let order = input.validate().unwrap();
    assert_eq!(order.currency.code(), "GBP");
    assert_eq!(order.financial_status, ordo_core::order::FinancialStatus::Pending);
    // Only the buyer's name is known: no street, no country, so nothing to ship to yet.
    assert!(order.destination().line1.is_empty() && order.destination().country.is_empty());
    assert_eq!(order.stated_total, None);
    assert_eq!(order.totals().total, 0);
}
