//! Taobao, Douyin and Pinduoduo after-sale records, each read from payloads written from
//! the platform's documentation (`tests/fixtures/aftersales/{taobao,douyin,pinduoduo}`),
//! and malformed ones refused by code and path.

use super::*;
use serde_json::json;

macro_rules! fixture {
    ($platform:literal, $file:literal) => {
        include_str!(concat!("../../../tests/fixtures/aftersales/", $platform, "/", $file))
    };
}

fn cases(platform: &str, topic: &str, payload: &Value) -> Vec<(ChannelReturn, Option<ChannelRefund>)> {
    let flatten = |event: ChannelAfterSale| match event {
        ChannelAfterSale::Case { case, refund } => (case, refund),
        other => panic!("not a case: {other:?}"),
    };
    match parse(platform, topic, payload) {
        Ok(Some(ChannelAfterSale::Several(events))) => events.into_iter().map(flatten).collect(),
        Ok(Some(event)) => vec![flatten(event)],
        other => panic!("not after-sale records: {other:?}"),
    }
}

fn taobao_list() -> Value {
    json(fixture!("taobao", "refunds_receive_get_response.json"))
}

fn douyin_list() -> Value {
    json(fixture!("douyin", "aftersale_list_response.json"))
}

fn pdd_list() -> Value {
    json(fixture!("pinduoduo", "refund_list_increment_get_response.json"))
}

#[test]
fn taobao_refunds_receive_get_reads_each_refund_with_its_status_verbatim() {
    let list = cases("taobao", "refunds", &taobao_list());
    assert_eq!(list.len(), 3);

    let (case, refund) = &list[0];
    assert_eq!(case.channel_case_id, "120012345678901234");
    assert_eq!(case.external_order_id.as_deref(), Some("4012345678901234567"));
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("SUCCESS", CaseStatus::Refunded)
    );
    assert_eq!(case.kind, CaseKind::ReturnRefund);
    assert_eq!(case.lines.len(), 1);
    assert_eq!(case.lines[0].line_id.as_deref(), Some("4012345678901234568"));
    assert_eq!(case.lines[0].sku.as_deref(), Some("TEA-LJ-250G"));
    let refund = refund.as_ref().expect("SUCCESS moved money");
    assert_eq!(refund.channel_refund_id, "120012345678901234");
    assert_eq!(refund.external_order_id, "4012345678901234567");
    assert_eq!(
        (refund.currency.as_str(), refund.amount, refund.itemised),
        ("CNY", 19800, 19800)
    );
    assert_eq!(refund.lines[0].line_id.as_deref(), Some("4012345678901234568"));
    assert_eq!(refund.mismatch(), None);
    // Beijing time, eight hours ahead of UTC.
    assert_eq!(refund.created_at, time("2026-11-16T10:05:02Z"));

    let (case, refund) = &list[1];
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("WAIT_SELLER_AGREE", CaseStatus::Requested)
    );
    assert_eq!(case.kind, CaseKind::RefundOnly);
    assert_eq!(case.lines[0].reason.as_deref(), Some("未按约定时间发货"));
    assert!(refund.is_none(), "no money moved while the seller has not agreed");

    let (case, refund) = &list[2];
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("WAIT_BUYER_RETURN_GOODS", CaseStatus::AwaitingReturn)
    );
    assert_eq!(case.lines[0].quantity, 2);
    assert!(refund.is_none());
}

#[test]
fn taobao_refund_get_reads_one_refused_refund() {
    let payload = json(fixture!("taobao", "refund_get_response.json"));
    let list = cases("taobao", "refund", &payload);
    let (case, refund) = &list[0];
    assert_eq!(case.channel_case_id, "120012345678907777");
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("SELLER_REFUSE_BUYER", CaseStatus::Declined)
    );
    assert!(refund.is_none());
    // The same record alone, as the connector keeps each one.
    let one = &payload["refund_get_response"]["refund"];
    assert_eq!(cases("taobao", "aftersale", one)[0].0, *case);
}

#[test]
fn taobao_every_documented_status_is_read_and_others_refused() {
    let mut record = taobao_list()["refunds_receive_get_response"]["refunds"]["refund"][1].clone();
    for (word, status) in [
        ("WAIT_SELLER_AGREE", CaseStatus::Requested),
        ("WAIT_BUYER_RETURN_GOODS", CaseStatus::AwaitingReturn),
        ("WAIT_SELLER_CONFIRM_GOODS", CaseStatus::AwaitingReturn),
        ("SELLER_REFUSE_BUYER", CaseStatus::Declined),
        ("CLOSED", CaseStatus::Cancelled),
        ("SUCCESS", CaseStatus::Refunded),
    ] {
        record["status"] = json!(word);
        let (case, refund) = cases("taobao", "aftersale", &record).remove(0);
        assert_eq!(case.status, status, "{word}");
        assert_eq!(refund.is_some(), word == "SUCCESS", "{word}");
    }
    record["status"] = json!("WAIT_SOMETHING");
    assert_eq!(
        error("taobao", "aftersale", &record),
        ("unknown_status", "status".into())
    );
}

#[test]
fn taobao_money_is_decimal_text_only() {
    let mut record = taobao_list()["refunds_receive_get_response"]["refunds"]["refund"][0].clone();
    record["refund_fee"] = json!(198.0);
    assert_eq!(
        error("taobao", "aftersale", &record),
        ("money_not_text", "refund_fee".into())
    );
    record["refund_fee"] = json!("1.005");
    assert_eq!(
        error("taobao", "aftersale", &record),
        ("invalid_money", "refund_fee".into())
    );
    record["refund_fee"] = Value::Null;
    assert_eq!(
        error("taobao", "aftersale", &record),
        ("missing_field", "refund_fee".into())
    );
    let mut list = taobao_list();
    set(
        &mut list,
        "/refunds_receive_get_response/refunds/refund/2/modified",
        json!("16/11/2026"),
    );
    assert_eq!(
        error("taobao", "refunds", &list),
        (
            "invalid_time",
            "refunds_receive_get_response.refunds.refund[2].modified".into()
        )
    );
    list = taobao_list();
    set(
        &mut list,
        "/refunds_receive_get_response/refunds/refund/1/tid",
        json!(4.5),
    );
    assert_eq!(
        error("taobao", "refunds", &list),
        (
            "invalid_id",
            "refunds_receive_get_response.refunds.refund[1].tid".into()
        )
    );
}

#[test]
fn douyin_aftersale_list_reads_types_statuses_and_fen() {
    let list = cases("douyin", "aftersales", &douyin_list());
    assert_eq!(list.len(), 3);

    // A return whose goods are back, waiting for the merchant's second approval.
    let (case, refund) = &list[0];
    assert_eq!(case.channel_case_id, "7091234567890123456");
    assert_eq!(case.external_order_id.as_deref(), Some("6920123456789012345"));
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("11", CaseStatus::Received)
    );
    assert_eq!(case.kind, CaseKind::ReturnRefund);
    assert_eq!(case.lines[0].line_id.as_deref(), Some("6920123456789012346"));
    assert_eq!(case.lines[0].sku.as_deref(), Some("NUT-DAILY-500G"));
    assert_eq!(case.lines[0].reason.as_deref(), Some("七天无理由退货"));
    assert!(refund.is_none(), "refund_status 1: not refunded yet");

    // Refund only before shipping, refunded with the postage.
    let (case, refund) = &list[1];
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("12", CaseStatus::Refunded)
    );
    assert_eq!(case.kind, CaseKind::RefundOnly);
    let refund = refund.as_ref().expect("refund_status 3 moved money");
    assert_eq!(refund.external_order_id, "6920123456789019999");
    assert_eq!((refund.amount, refund.shipping, refund.itemised), (6700, 800, 6700));
    assert_eq!(refund.lines[0].amount, 5900);
    assert_eq!(refund.lines[0].line_id.as_deref(), Some("6920123456789019998"));
    assert_eq!(refund.created_at, DateTime::from_timestamp(1779333333, 0));

    // An exchange refused at first; its line only from `related_id`.
    let (case, refund) = &list[2];
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("27", CaseStatus::Declined)
    );
    assert_eq!(case.kind, CaseKind::Exchange);
    assert_eq!(case.lines[0].line_id.as_deref(), Some("6920123456789017778"));
    assert!(refund.is_none());
}

#[test]
fn douyin_every_documented_type_and_status_is_read() {
    let mut item = douyin_list()["data"]["items"][0].clone();
    for (code, kind) in [
        (0, CaseKind::ReturnRefund),
        (1, CaseKind::RefundOnly),
        (2, CaseKind::RefundOnly),
        (3, CaseKind::Exchange),
        (6, CaseKind::RefundOnly),
        (7, CaseKind::Reship),
        (8, CaseKind::Exchange),
    ] {
        item["aftersale_info"]["aftersale_type"] = json!(code);
        assert_eq!(cases("douyin", "aftersale", &item)[0].0.kind, kind, "type {code}");
    }
    item["aftersale_info"]["aftersale_type"] = json!(0);
    for (code, status) in [
        (6, CaseStatus::Requested),
        (7, CaseStatus::AwaitingReturn),
        (8, CaseStatus::Approved),
        (11, CaseStatus::Received),
        (12, CaseStatus::Refunded),
        (13, CaseStatus::Approved),
        (14, CaseStatus::Closed),
        (27, CaseStatus::Declined),
        (28, CaseStatus::Cancelled),
        (29, CaseStatus::Declined),
    ] {
        item["aftersale_info"]["aftersale_status"] = json!(code);
        let case = cases("douyin", "aftersale", &item).remove(0).0;
        assert_eq!(
            (case.status, case.channel_status),
            (status, code.to_string()),
            "status {code}"
        );
    }
    item["aftersale_info"]["aftersale_type"] = json!(3);
    item["aftersale_info"]["aftersale_status"] = json!(12);
    assert_eq!(cases("douyin", "aftersale", &item)[0].0.status, CaseStatus::Closed);
}

#[test]
fn douyin_malformed_records_are_refused_by_code_and_path() {
    let item = douyin_list()["data"]["items"][1].clone();
    let with = |pointer: &str, value: Value| {
        let mut item = item.clone();
        set(&mut item, pointer, value);
        error("douyin", "aftersale", &item)
    };
    assert_eq!(
        with("/aftersale_info/refund_amount", json!(59.5)),
        ("invalid_money", "aftersale_info.refund_amount".into())
    );
    assert_eq!(
        with("/aftersale_info/refund_amount", json!(-1)),
        ("invalid_money", "aftersale_info.refund_amount".into())
    );
    assert_eq!(
        with("/aftersale_info/aftersale_type", json!(9)),
        ("unknown_type", "aftersale_info.aftersale_type".into())
    );
    assert_eq!(
        with("/aftersale_info/aftersale_status", json!(99)),
        ("unknown_status", "aftersale_info.aftersale_status".into())
    );
    assert_eq!(
        with("/aftersale_info/aftersale_status", json!("success")),
        ("unknown_status", "aftersale_info.aftersale_status".into())
    );
    assert_eq!(
        with("/aftersale_info/aftersale_id", Value::Null),
        ("missing_field", "aftersale_info.aftersale_id".into())
    );
    let mut list = douyin_list();
    set(
        &mut list,
        "/data/items/2/aftersale_info/update_time",
        json!("yesterday"),
    );
    assert_eq!(
        error("douyin", "aftersales", &list),
        ("invalid_time", "data.items[2].aftersale_info.update_time".into())
    );
    assert_eq!(
        error("douyin", "aftersale", &json!({})),
        ("missing_field", "aftersale_info".into())
    );
}

#[test]
fn pinduoduo_refund_list_increment_get_reads_fen_and_statuses() {
    let list = cases("pinduoduo", "aftersales", &pdd_list());
    assert_eq!(list.len(), 2);
    let (case, refund) = &list[0];
    assert_eq!(case.channel_case_id, "9876543210");
    assert_eq!(case.external_order_id.as_deref(), Some("260618-123456789012345"));
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("10", CaseStatus::Refunded)
    );
    assert_eq!(case.kind, CaseKind::ReturnRefund);
    assert_eq!(case.lines[0].sku.as_deref(), Some("TISSUE-3P-24"));
    let refund = refund.as_ref().expect("status 10 moved money");
    assert_eq!(
        (refund.amount, refund.itemised, refund.currency.as_str()),
        (2990, 2990, "CNY")
    );
    assert_eq!(refund.created_at, time("2026-06-22T07:30:00Z"));

    let (case, refund) = &list[1];
    assert_eq!(
        (case.channel_status.as_str(), case.status),
        ("2", CaseStatus::Requested)
    );
    assert_eq!(case.kind, CaseKind::RefundOnly);
    // No seller code: the platform's SKU id stands for it, as in the order mapping.
    assert_eq!(case.lines[0].sku.as_deref(), Some("1200000000002"));
    assert!(refund.is_none());

    let mut record = pdd_list()["refund_increment_get_response"]["refund_list"][0].clone();
    record["refund_amount"] = json!("29.90");
    assert_eq!(
        error("pinduoduo", "aftersale", &record),
        ("invalid_money", "refund_amount".into())
    );
    record["refund_amount"] = json!(2990);
    record["after_sales_type"] = json!(1);
    assert_eq!(
        error("pinduoduo", "aftersale", &record),
        ("unknown_type", "after_sales_type".into())
    );
    record["after_sales_type"] = json!(5);
    assert_eq!(cases("pinduoduo", "aftersale", &record)[0].0.kind, CaseKind::Reship);
    record["after_sales_status"] = json!(99);
    assert_eq!(
        error("pinduoduo", "aftersale", &record),
        ("unknown_status", "after_sales_status".into())
    );
}

#[test]
fn other_topics_of_the_chinese_platforms_are_not_after_sale() {
    for platform in ["taobao", "douyin", "pinduoduo"] {
        assert_eq!(parse(platform, "order", &json!({})), Ok(None), "{platform}");
    }
}
