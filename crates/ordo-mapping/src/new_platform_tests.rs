//! Magento, BigCommerce, WeChat Channels shop and Kuaishou shop: each payload mapped to
//! the canonical order and checked field by field, with its total against the stated
//! one. Which payloads are published examples and which are written from the
//! documentation is in tests/fixtures/PROVENANCE.md.

use ordo_core::order::FinancialStatus;
use ordo_core::{Order, OrderStatus};
use serde_json::json;

use crate::fixture_tests::{address, lines};
use crate::tests::{built_in, canonical, fixture};

use FinancialStatus::{Paid, PartiallyRefunded, Pending, Refunded, Voided};

fn utc(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// channel, external id, currency, payment state, whether prices include tax.
fn header(order: &Order) -> (&str, &str, &str, FinancialStatus, bool) {
    (
        order.channel.as_str(),
        order.external_id.as_str(),
        order.currency.code(),
        order.financial_status,
        order.taxes_included,
    )
}

/// Sets the status at `pointer` to each value and checks the payment state and whether
/// the order is cancelled.
fn statuses(
    file: &str,
    payload: &serde_json::Value,
    pointer: &str,
    table: &[(serde_json::Value, FinancialStatus, bool)],
) {
    let mapping = built_in(file);
    for (status, financial, cancelled) in table {
        let mut payload = payload.clone();
        *payload.pointer_mut(pointer).unwrap() = status.clone();
        let order = canonical(&mapping, &payload);
        assert_eq!(order.financial_status, *financial, "{file}: {pointer} = {status}");
        assert_eq!(order.cancelled_at.is_some(), *cancelled, "{file}: {pointer} = {status}");
    }
}

#[test]
fn magento_published_order_maps_and_its_abridged_items_are_flagged_against_grand_total() {
    let mapping = built_in("magento.order.toml");
    let order = canonical(&mapping, &fixture("magento_rest_v1_order_get_example.json"));
    assert_eq!(header(&order), ("magento", "000000003", "USD", Pending, false));
    assert_eq!(
        order.placed_at.to_rfc3339(),
        "2017-08-21T22:22:19+00:00",
        "UTC without an offset"
    );
    assert_eq!(utc(order.updated_at), "2017-08-21T22:22:20+00:00");
    assert_eq!(order.cancelled_at, None);
    assert_eq!(order.buyer.id.as_deref(), Some("3"));
    assert_eq!(order.buyer.name.as_deref(), Some("Jane Doe"));
    assert_eq!(order.buyer.email.as_deref(), Some("jdoe@example.com"));
    let want = [
        Some("Jane Doe"),
        Some("512-555-1111"),
        Some("US"),
        Some("New York"),
        Some("Purchase"),
        None,
        Some("123 Oak Ave"),
        Some("10577"),
    ];
    assert_eq!(address(&order), want);
    assert_eq!(lines(&order), [("WS12-M-Orange", 1, 2200, 0, 0)]);
    assert_eq!(order.lines[0].line_id.as_deref(), Some("3"));
    assert_eq!(order.shipping_fee, 500);
    // The publisher elided the other items ("..."), so the one item left and the
    // shipping come to 27.00 against a grand_total of 165: stored and flagged.
    assert_eq!(order.total_mismatch(), Some((16500, 2700)));
}

#[test]
fn magento_order_skips_configurable_children_and_comes_to_grand_total_in_the_order_currency() {
    let mapping = built_in("magento.order.toml");
    let payload = fixture("magento_order_configurable_discount_tax.json");
    let order = canonical(&mapping, &payload);
    // EUR is the order's currency; the base_* amounts in USD are not read.
    assert_eq!(header(&order), ("magento", "000001042", "EUR", Paid, false));
    assert_eq!(order.placed_at.to_rfc3339(), "2026-03-14T09:26:53+00:00");
    assert_eq!(order.buyer.name.as_deref(), Some("Maria Keller"));
    let want = [
        Some("Maria Keller"),
        Some("+49 30 1234567"),
        Some("DE"),
        Some("Berlin"),
        Some("Berlin"),
        None,
        Some("Kastanienallee 12"),
        Some("10435"),
    ];
    assert_eq!(address(&order), want);
    assert_eq!(order.destination().line2.as_deref(), Some("Hinterhaus"));
    // The configurable's child (parent_item_id 2101, price 0) is not a line.
    assert_eq!(
        lines(&order),
        [("MH07-L-Gray", 2, 5400, 1080, 1847), ("240-LV08", 1, 2300, 230, 261)]
    );
    assert!(order.lines[0].requires_shipping);
    assert!(!order.lines[1].requires_shipping, "a downloadable is virtual");
    // discount_amount −15.10 is the items' 13.10 and the shipping discount's 2.00.
    assert_eq!(order.discounts.len(), 1);
    assert_eq!(
        (order.discounts[0].code.as_deref(), order.discounts[0].amount),
        (Some("SPRING10"), 200)
    );
    assert_eq!(order.tax_lines[0].amount, 2203, "items' and shipping's tax");
    assert_eq!(order.shipping_fee, 700);
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(14493), None));

    let s = |v: &str| json!(v);
    statuses(
        "magento.order.toml",
        &payload,
        "/state",
        &[
            (s("new"), Pending, false),
            (s("pending_payment"), Pending, false),
            (s("payment_review"), Pending, false),
            (s("processing"), Paid, false),
            (s("complete"), Paid, false),
            (s("closed"), Refunded, false),
            (s("canceled"), Voided, true),
            // total_due is 0: the held order was paid.
            (s("holded"), Paid, false),
        ],
    );
    let mut held = payload.clone();
    held["state"] = json!("holded");
    held["total_due"] = json!(144.93);
    assert_eq!(canonical(&mapping, &held).financial_status, Pending);
    let cancelled = {
        let mut p = payload.clone();
        p["state"] = json!("canceled");
        canonical(&mapping, &p)
    };
    assert_eq!(utc(cancelled.cancelled_at), "2026-03-14T09:31:10+00:00");
    assert_eq!(OrderStatus::initial(&cancelled), OrderStatus::Cancelled);
}

#[test]
fn bigcommerce_assembled_order_reads_rfc_2822_times_and_four_place_amounts_and_comes_to_total_inc_tax() {
    let mapping = built_in("bigcommerce.order.toml");
    let payload = fixture("bigcommerce_v2_order_assembled.json");
    assert_eq!(
        mapping.apply(&payload).unwrap()["placed_at"],
        "2026-03-10T17:42:08+00:00"
    );
    let order = canonical(&mapping, &payload);
    assert_eq!(header(&order), ("bigcommerce", "3071", "USD", Paid, false));
    assert_eq!(order.placed_at.to_rfc3339(), "2026-03-10T17:42:08+00:00");
    assert_eq!(utc(order.updated_at), "2026-03-10T17:45:31+00:00");
    assert_eq!(order.remark.as_deref(), Some("Please leave at the side door."));
    assert_eq!(order.buyer.id.as_deref(), Some("58"));
    assert_eq!(order.buyer.email.as_deref(), Some("dana.whitfield@example.com"));
    let want = [
        Some("Dana Whitfield"),
        Some("5125550142"),
        Some("US"),
        Some("Texas"),
        Some("Austin"),
        None,
        Some("4120 Guadalupe St"),
        Some("78751"),
    ];
    assert_eq!(address(&order), want);
    // "24.9900" is 24.99; the products' applied_discounts are the order's discounts' shares.
    assert_eq!(
        lines(&order),
        [("POUR-CER-WHT", 2, 2499, 0, 412), ("BEAN-ETH-1LB", 1, 3500, 0, 231)]
    );
    assert_eq!(order.lines[0].line_id.as_deref(), Some("9001"));
    assert_eq!(
        order.discounts.iter().map(|d| d.amount).sum::<i64>(),
        700,
        "manual 2.00 and coupon 5.00"
    );
    assert_eq!(order.tax_lines[0].amount, 726, "total_tax, shipping's included");
    assert_eq!(order.fees.iter().map(|f| f.amount).sum::<i64>(), 150, "handling");
    assert_eq!(order.shipping_fee, 1000);
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(9674), None));

    // A store with tax-inclusive pricing: amounts with tax, and the tax not added again.
    let mut inclusive = payload.clone();
    inclusive["is_tax_inclusive_pricing"] = json!(true);
    let order = canonical(&mapping, &inclusive);
    assert!(order.taxes_included);
    assert_eq!((order.lines[0].unit_price, order.shipping_fee), (2705, 1083));
    assert_eq!(order.totals().total, 2 * 2705 + 3731 - 700 + 1083 + 150);

    // A custom fee of the order's `fees` joins handling.
    let mut with_fee = payload.clone();
    with_fee["fees"] = json!([{"id": 1, "type": "custom_fee", "display_name_customer": "Gift note", "cost_ex_tax": "2.0000", "cost_inc_tax": "2.0000"}]);
    with_fee["total_inc_tax"] = json!("98.7400");
    let order = canonical(&mapping, &with_fee);
    assert_eq!(order.fees.iter().map(|f| f.amount).sum::<i64>(), 350);
    assert_eq!(order.total_mismatch(), None);

    let n = |v: i64| json!(v);
    statuses(
        "bigcommerce.order.toml",
        &payload,
        "/status_id",
        &[
            (n(0), Pending, false),
            (n(1), Pending, false),
            (n(7), Pending, false),
            (n(11), Paid, false),
            (n(2), Paid, false),
            (n(10), Paid, false),
            (n(4), Refunded, false),
            (n(14), PartiallyRefunded, false),
            (n(5), Voided, true),
            (n(6), Voided, true),
        ],
    );
}

#[test]
fn wechat_channels_order_maps_fen_and_epoch_seconds_and_comes_to_order_price() {
    let mapping = built_in("wechat.order.toml");
    let payload = fixture("wechat_channels_order_get.json");
    let order = canonical(&mapping, &payload);
    assert_eq!(header(&order), ("wechat", "3724917285610843392", "CNY", Paid, true));
    assert_eq!(order.placed_at.to_rfc3339(), "2026-03-07T08:02:00+00:00");
    assert_eq!(utc(order.updated_at), "2026-03-07T08:03:07+00:00");
    assert_eq!(order.remark.as_deref(), Some("送礼用，不要放发票"));
    assert_eq!(order.buyer.id.as_deref(), Some("oAbCd1x-7kQm3_RfS9tLwZy0uV2E"));
    let want = [
        Some("陈静"),
        Some("13905911234"),
        Some("CN"),
        Some("福建省"),
        Some("福州市"),
        Some("鼓楼区"),
        Some("五四路128号恒力城B座1605"),
        Some("350001"),
    ];
    assert_eq!(address(&order), want);
    // The second SKU has no merchant code: WeChat's SKU id stands in.
    assert_eq!(
        lines(&order),
        [("TEA-BMD-200", 1, 5980, 0, 0), ("1987654321002", 2, 1290, 0, 0)]
    );
    assert_eq!(order.discounts[0].amount, 1000);
    assert_eq!(order.shipping_fee, 800);
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(8360), None));

    // The response's envelope or the order alone.
    assert_eq!(
        canonical(&mapping, &payload["order"]).external_id.as_str(),
        "3724917285610843392"
    );

    // Freight the merchant changed is the freight charged.
    let mut changed = payload.clone();
    changed["order"]["order_detail"]["price_info"]["is_change_freight"] = json!(true);
    changed["order"]["order_detail"]["price_info"]["change_freight"] = json!(0);
    changed["order"]["order_detail"]["price_info"]["order_price"] = json!(7560);
    let order = canonical(&mapping, &changed);
    assert_eq!((order.shipping_fee, order.total_mismatch()), (0, None));

    // An influencer's discount lowers order_price beyond the merchant's: flagged with both.
    let mut finder = payload.clone();
    finder["order"]["order_detail"]["price_info"]["finder_discounted_price"] = json!(300);
    finder["order"]["order_detail"]["price_info"]["order_price"] = json!(8060);
    assert_eq!(canonical(&mapping, &finder).total_mismatch(), Some((8060, 8360)));

    let n = |v: i64| json!(v);
    statuses(
        "wechat.order.toml",
        &payload,
        "/order/status",
        &[
            (n(10), Pending, false),
            (n(12), Paid, false),
            (n(20), Paid, false),
            (n(21), Paid, false),
            (n(30), Paid, false),
            (n(100), Paid, false),
            (n(200), Refunded, true),
            (n(250), Voided, true),
        ],
    );
}

#[test]
fn kuaishou_order_is_one_line_in_fen_and_epoch_millis_and_comes_to_total_fee() {
    let mapping = built_in("kuaishou.order.toml");
    let payload = fixture("kuaishou_order_detail.json");
    let order = canonical(&mapping, &payload);
    assert_eq!(header(&order), ("kuaishou", "2417300128845612", "CNY", Paid, true));
    assert_eq!(order.placed_at.to_rfc3339(), "2026-03-08T06:45:12+00:00");
    assert_eq!(utc(order.updated_at), "2026-03-08T06:46:31+00:00");
    assert_eq!(order.remark.as_deref(), Some("尽量今天发货"));
    assert_eq!(order.buyer.name.as_deref(), Some("爱吃辣的小张"));
    let want = [
        Some("张伟"),
        Some("15023456789"),
        Some("CN"),
        Some("重庆市"),
        Some("重庆市"),
        Some("渝中区"),
        Some("解放碑街道民族路188号环球金融中心2301"),
        None,
    ];
    assert_eq!(address(&order), want);
    assert_eq!(lines(&order), [("CQ-NOODLE-SAUCE-300", 2, 3990, 0, 0)]);
    assert_eq!(order.lines[0].line_id.as_deref(), Some("2417300128845612"));
    assert_eq!(order.discounts[0].amount, 500);
    assert_eq!(order.shipping_fee, 600);
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(8080), None));

    // Without a merchant SKU code, Kuaishou's SKU id.
    let mut no_code = payload.clone();
    no_code["data"]["orderItemInfo"]["skuNick"] = json!("");
    assert_eq!(canonical(&mapping, &no_code).lines[0].sku.as_str(), "3105123456789");

    let n = |v: i64| json!(v);
    statuses(
        "kuaishou.order.toml",
        &payload,
        "/data/orderBaseInfo/status",
        &[
            (n(10), Pending, false),
            (n(30), Paid, false),
            (n(40), Paid, false),
            (n(50), Paid, false),
            (n(70), Paid, false),
            // Failed after payment: refunded.
            (n(80), Refunded, true),
        ],
    );
    // Failed before payment: nothing taken.
    let mut unpaid = payload.clone();
    unpaid["data"]["orderBaseInfo"]["status"] = json!(80);
    unpaid["data"]["orderBaseInfo"]["payTime"] = json!(0);
    assert_eq!(canonical(&mapping, &unpaid).financial_status, Voided);
    unpaid["data"]["orderBaseInfo"]
        .as_object_mut()
        .unwrap()
        .remove("payTime");
    assert_eq!(canonical(&mapping, &unpaid).financial_status, Voided);
}
