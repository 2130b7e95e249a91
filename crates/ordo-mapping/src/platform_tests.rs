//! The Chinese platforms' mappings. No sample payloads are published for them in a form
//! Ordo may copy, so these payloads are written by hand from the field names of each
//! platform's open API documentation (docs/channel-apis.md) and marked so in
//! tests/fixtures/PROVENANCE.md. They test the mappings against the documented names,
//! not against the platforms themselves.

use ordo_core::order::FinancialStatus;
use ordo_core::{Order, OrderStatus};
use serde_json::{Value, json};

use crate::fixture_tests::{address, lines};
use crate::tests::{built_in, canonical, fixture};

use FinancialStatus::{Paid, Pending, Refunded, Voided};

/// Sets `field` to each status and checks the payment state and whether it is cancelled.
fn statuses(file: &str, payload: &Value, field: &str, table: &[(Value, FinancialStatus, bool)]) {
    let mapping = built_in(file);
    for (status, financial, cancelled) in table {
        let mut payload = payload.clone();
        payload[field] = status.clone();
        let order = canonical(&mapping, &payload);
        assert_eq!(order.financial_status, *financial, "{file}: {field} = {status}");
        assert_eq!(order.cancelled_at.is_some(), *cancelled, "{file}: {field} = {status}");
    }
    let mut unknown = payload.clone();
    unknown[field] = json!("NOT_A_STATUS");
    assert_eq!(mapping.apply(&unknown).unwrap_err().field, "financial_status", "{file}");
}

fn utc(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn header(order: &Order) -> (&str, &str, &str, FinancialStatus, bool) {
    (
        order.channel.as_str(),
        order.external_id.as_str(),
        order.currency.code(),
        order.financial_status,
        order.taxes_included,
    )
}

#[test]
fn taobao_trade() {
    let mapping = built_in("taobao.order.toml");
    let payload = fixture("taobao_sample_order.json");
    let mapped = mapping.apply(&payload).unwrap();
    assert_eq!(
        mapped["placed_at"], "2026-11-11T00:03:27+08:00",
        "Beijing time, offset kept"
    );
    let order = canonical(&mapping, &payload);
    assert_eq!(header(&order), ("taobao", "4012345678901234567", "CNY", Paid, true));
    assert_eq!(order.placed_at.to_rfc3339(), "2026-11-10T16:03:27+00:00");
    assert_eq!(utc(order.updated_at), "2026-11-10T16:05:02+00:00");
    assert_eq!(order.remark.as_deref(), Some("请尽快发货，谢谢"));
    assert_eq!(order.buyer.id.as_deref(), Some("AAHk5d-EAAeGwJedwSHpXvlq"));
    assert_eq!(order.buyer.name.as_deref(), Some("小明爱喝茶"));
    let line1 = "文新街道文三路100号2幢301室";
    let want = [
        "王小明",
        "13800138000",
        "CN",
        "浙江省",
        "杭州市",
        "西湖区",
        line1,
        "310012",
    ]
    .map(Some);
    assert_eq!(address(&order), want);
    // The second sub-order has no outer_sku_id: Taobao's SKU id stands in.
    assert_eq!(
        lines(&order),
        [("TEA-LJ-250G", 1, 19990, 1000, 0), ("5123456789013", 2, 2995, 200, 0)]
    );
    assert_eq!(order.lines[0].line_id.as_deref(), Some("4012345678901234568"));
    assert_eq!(
        (order.shipping_fee, order.totals().total),
        (1000, 25780),
        "payment is 257.80"
    );

    // A tid beyond 2^53 sent only as a JSON number stays exact.
    let mut numeric = payload.clone();
    numeric.as_object_mut().unwrap().remove("tid_str");
    assert_eq!(
        canonical(&mapping, &numeric).external_id.as_str(),
        "4012345678901234567"
    );

    let closed = canonical(&mapping, &fixture("taobao_closed_order.json"));
    assert_eq!(header(&closed).3, Voided);
    assert_eq!(utc(closed.cancelled_at), "2026-11-12T01:30:05+00:00");
    assert_eq!(OrderStatus::initial(&closed), OrderStatus::Cancelled);
    assert_eq!(lines(&closed), [("HONEY-500G", 2, 4400, 0, 0)]);

    let s = |v: &str| json!(v);
    statuses(
        "taobao.order.toml",
        &payload,
        "status",
        &[
            (s("WAIT_BUYER_PAY"), Pending, false),
            (s("PAY_PENDING"), Pending, false),
            (s("WAIT_SELLER_SEND_GOODS"), Paid, false),
            (s("SELLER_CONSIGNED_PART"), Paid, false),
            (s("WAIT_BUYER_CONFIRM_GOODS"), Paid, false),
            (s("TRADE_BUYER_SIGNED"), Paid, false),
            (s("TRADE_FINISHED"), Paid, false),
            (s("TRADE_CLOSED"), Refunded, true),
            (s("TRADE_CLOSED_BY_TAOBAO"), Voided, true),
        ],
    );
}

#[test]
fn jd_order() {
    let mapping = built_in("jd.order.toml");
    let payload = fixture("jd_sample_order.json");
    assert_eq!(
        mapping.apply(&payload).unwrap()["placed_at"],
        "2026-06-18T20:15:33+08:00"
    );
    let order = canonical(&mapping, &payload);
    assert_eq!(header(&order), ("jd", "298765432101", "CNY", Paid, true));
    assert_eq!(order.placed_at.to_rfc3339(), "2026-06-18T12:15:33+00:00");
    assert_eq!(order.remark.as_deref(), Some("工作日白天送货"));
    assert_eq!(order.buyer.id.as_deref(), Some("jd_4f3a2b1c0d9e"));
    let full = "北京北京市朝阳区三环到四环之间建国路88号SOHO现代城A座1203";
    let want = [
        Some("李华"),
        Some("13912345678"),
        Some("CN"),
        Some("北京"),
        Some("北京市"),
        Some("朝阳区"),
        Some(full),
        None,
    ];
    assert_eq!(address(&order), want);
    // An empty outerSkuId falls back to JD's skuId; itemTotal is the quantity.
    assert_eq!(
        lines(&order),
        [("PHONE-X1-256-BLK", 1, 499900, 0, 0), ("100087654321", 2, 14950, 0, 0)]
    );
    // orderTotalPrice less the order-level sellerDiscount (100.00): orderPayment exactly.
    assert_eq!((order.shipping_fee, order.totals().total), (0, 519800));
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(519800), None));

    let cancelled = canonical(&mapping, &fixture("jd_cancelled_order.json"));
    assert_eq!(header(&cancelled).3, Voided);
    assert_eq!(utc(cancelled.cancelled_at), "2026-06-19T02:45:00+00:00");
    assert_eq!(
        (cancelled.shipping_fee, cancelled.totals().total),
        (600, 9500),
        "orderPayment 95.00"
    );

    let s = |v: &str| json!(v);
    statuses(
        "jd.order.toml",
        &payload,
        "orderState",
        &[
            (s("NOT_PAY"), Pending, false),
            (s("WAIT_SELLER_STOCK_OUT"), Paid, false),
            (s("WAIT_GOODS_RECEIVE_CONFIRM"), Paid, false),
            (s("FINISHED_L"), Paid, false),
            (s("LOCKED"), Paid, false),
            (s("POP_ORDER_PAUSE"), Paid, false),
            (s("TRADE_CANCELED"), Voided, true),
        ],
    );
}

#[test]
fn douyin_shop_order() {
    let mapping = built_in("douyin.order.toml");
    let payload = fixture("douyin_sample_order.json");
    let order = canonical(&mapping, &payload);
    assert_eq!(header(&order), ("douyin", "6920123456789012345", "CNY", Paid, true));
    // create_time 1779254040 is 13:14 in Beijing.
    assert_eq!(order.placed_at.to_rfc3339(), "2026-05-20T05:14:00+00:00");
    assert_eq!(utc(order.updated_at), "2026-05-20T05:15:30+00:00");
    assert_eq!(order.remark.as_deref(), Some("坚果要新日期的"));
    let line1 = "粤海街道科技园南区深圳湾科技生态园10栋A座";
    let want = [
        Some("张伟"),
        Some("13700001111"),
        Some("CN"),
        Some("广东省"),
        Some("深圳市"),
        Some("南山区"),
        Some(line1),
        None,
    ];
    assert_eq!(address(&order), want);
    // Fen: goods_price 6900 is 69.00. No merchant code on the gift bag: Douyin's sku_id.
    assert_eq!(
        lines(&order),
        [("NUT-DAILY-500G", 2, 6900, 0, 0), ("1750000000002", 1, 1990, 0, 0)]
    );
    assert_eq!(order.lines[0].line_id.as_deref(), Some("6920123456789012346"));
    assert_eq!(
        (order.shipping_fee, order.totals().total),
        (800, 16590),
        "pay_amount is 16590 fen"
    );

    let cancelled = canonical(&mapping, &fixture("douyin_cancelled_order.json"));
    assert_eq!(header(&cancelled).3, Voided);
    assert_eq!(utc(cancelled.cancelled_at), "2026-05-21T01:00:00+00:00");
    assert_eq!(
        lines(&cancelled),
        [("MASK-50", 1, 5900, 0, 0)],
        "empty code: out_sku_id"
    );

    statuses(
        "douyin.order.toml",
        &payload,
        "order_status",
        &[
            (json!(1), Pending, false),
            (json!(105), Paid, false),
            (json!(2), Paid, false),
            (json!(101), Paid, false),
            (json!(3), Paid, false),
            (json!(5), Paid, false),
            (json!(4), Voided, true),
        ],
    );
}

#[test]
fn pinduoduo_order() {
    let mapping = built_in("pinduoduo.order.toml");
    let payload = fixture("pinduoduo_sample_order.json");
    assert_eq!(
        mapping.apply(&payload).unwrap()["placed_at"],
        "2026-06-18T12:30:45+08:00"
    );
    let order = canonical(&mapping, &payload);
    assert_eq!(
        header(&order),
        ("pinduoduo", "260618-123456789012345", "CNY", Paid, true)
    );
    assert_eq!(order.placed_at.to_rfc3339(), "2026-06-18T04:30:45+00:00");
    assert_eq!(order.remark, None, "an empty buyer_memo is no remark");
    let line1 = "天府大道北段1700号环球中心W6区802";
    let want = [
        Some("陈静"),
        Some("13600002222"),
        Some("CN"),
        Some("四川省"),
        Some("成都市"),
        Some("武侯区"),
        Some(line1),
        None,
    ];
    assert_eq!(address(&order), want);
    // Floats in yuan: 29.9 and 4.95 are exactly 29.90 and 4.95.
    assert_eq!(
        lines(&order),
        [("TISSUE-3P-24", 1, 2990, 0, 0), ("1200000000002", 2, 495, 0, 0)]
    );
    // goods_amount 39.8 less the order-level discount_amount (3.0): pay_amount 36.8.
    assert_eq!((order.shipping_fee, order.totals().total), (0, 3680));
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(3680), None));

    // Refunded while awaiting shipment: cancelled. Its price is written 12.299999999999999.
    let refunded = canonical(&mapping, &fixture("pinduoduo_refunded_order.json"));
    assert_eq!(header(&refunded).3, Refunded);
    assert_eq!(utc(refunded.cancelled_at), "2026-06-19T10:02:33+00:00");
    assert_eq!(OrderStatus::initial(&refunded), OrderStatus::Cancelled);
    assert_eq!(lines(&refunded), [("SOCKS-5P", 1, 1230, 0, 0)]);
    assert_eq!(
        (refunded.shipping_fee, refunded.totals().total),
        (500, 1730),
        "pay_amount 17.3"
    );

    statuses(
        "pinduoduo.order.toml",
        &payload,
        "refund_status",
        &[
            (json!(1), Paid, false),
            (json!(2), Paid, false),
            (json!(4), Paid, false),
            (json!(3), Refunded, true),
        ],
    );
    // Refunded after shipping is a return, not a cancellation.
    let mut returned = fixture("pinduoduo_refunded_order.json");
    returned["order_status"] = json!(3);
    let returned = canonical(&mapping, &returned);
    assert_eq!((returned.financial_status, returned.cancelled_at), (Refunded, None));
    // A price with a real third decimal is refused, naming the line.
    let mut odd = payload.clone();
    odd["item_list"][0]["goods_price"] = json!(12.345);
    let error = mapping.apply(&odd).unwrap_err();
    assert_eq!(error.field, "lines[0].unit_price");
    assert!(error.message.contains("more than 2 decimal places"), "{error}");
}

#[test]
fn xiaohongshu_order() {
    let mapping = built_in("xiaohongshu.order.toml");
    let payload = fixture("xiaohongshu_sample_order.json");
    let order = canonical(&mapping, &payload);
    assert_eq!(
        header(&order),
        ("xiaohongshu", "P712345678901234567", "CNY", Paid, true)
    );
    // createdTime 1786194488000 ms is 21:08:08 in Beijing.
    assert_eq!(order.placed_at.to_rfc3339(), "2026-08-08T13:08:08+00:00");
    assert_eq!(utc(order.updated_at), "2026-08-08T13:09:30+00:00");
    assert_eq!(order.remark.as_deref(), Some("送人的，不要放发票"));
    let line1 = "漕溪北路88号圣爱大厦15楼";
    let want = [
        Some("刘洋"),
        Some("13500003333"),
        Some("CN"),
        Some("上海市"),
        Some("上海市"),
        Some("徐汇区"),
        Some(line1),
        None,
    ];
    assert_eq!(address(&order), want);
    assert_eq!(
        lines(&order),
        [("SERUM-HA-30", 2, 9900, 0, 0), ("64a1b2c3d4e5f60002", 1, 6000, 0, 0)]
    );
    assert_eq!(
        (order.shipping_fee, order.totals().total),
        (0, 25800),
        "totalPayAmount 25800 fen"
    );

    let cancelled = canonical(&mapping, &fixture("xiaohongshu_cancelled_order.json"));
    assert_eq!(header(&cancelled).3, Voided);
    assert_eq!(utc(cancelled.cancelled_at), "2026-08-09T02:20:00+00:00");
    assert_eq!((cancelled.shipping_fee, cancelled.totals().total), (1000, 12900));

    let paid = (2..=7).chain([10]).map(|s| (json!(s), Paid, false));
    let mut table: Vec<(Value, FinancialStatus, bool)> = vec![(json!(1), Pending, false)];
    table.extend(paid);
    table.extend([(json!(8), Refunded, true), (json!(9), Voided, true)]);
    statuses("xiaohongshu.order.toml", &payload, "orderStatus", &table);
}
