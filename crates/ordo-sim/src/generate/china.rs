//! Orders of the five Chinese platforms, built from the field names in
//! `docs/channel-apis.md` (no sample payloads of these platforms may be copied).
//! Times are Beijing time text or epoch numbers; money is yuan text (Taobao, JD), yuan
//! numbers (Pinduoduo) or integer fen (Douyin, Xiaohongshu), each as its platform writes it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{SimOrder, Status, beijing_text, money, money_number};
use crate::Platform;

/// The platform's own order view (not Xiaohongshu, whose detail is split in two).
pub(crate) fn order(platform: Platform, order: &SimOrder) -> Value {
    match platform {
        Platform::Taobao => taobao(order),
        Platform::Jd => jd(order),
        Platform::Douyin => douyin(order),
        Platform::Pinduoduo => pinduoduo(order),
        _ => xhs_detail(order),
    }
}

fn text_or_empty(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| json!(beijing_text(t)))
}

fn taobao(o: &SimOrder) -> Value {
    let status = match o.status() {
        Status::Unpaid => "WAIT_BUYER_PAY",
        Status::Paid => "WAIT_SELLER_SEND_GOODS",
        Status::Shipped => "WAIT_BUYER_CONFIRM_GOODS",
        Status::Completed => "TRADE_FINISHED",
        Status::Cancelled if o.paid_at.is_none() => "TRADE_CLOSED_BY_TAOBAO",
        Status::Cancelled | Status::Refunded => "TRADE_CLOSED",
    };
    let refund_status = if o.refunded_at.is_some() {
        "SUCCESS"
    } else {
        "NO_REFUND"
    };
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let total = money(l.unit_minor * i64::from(l.quantity));
            json!({
                "oid": l.id, "oid_str": l.id.to_string(),
                "outer_sku_id": l.sku, "outer_iid": l.sku,
                "sku_id": (5_000_000_000_000 + l.sku_index as u64).to_string(),
                "num_iid": 600_000_000_000 + l.sku_index as u64,
                "title": l.title, "num": l.quantity, "price": money(l.unit_minor),
                "total_fee": total, "payment": total, "discount_fee": "0.00",
                "status": status, "refund_status": refund_status,
            })
        })
        .collect();
    let (b, a) = (&o.buyer, &o.address);
    json!({
        "tid": o.num_id, "tid_str": o.num_id.to_string(),
        "status": status,
        "type": "fixed",
        "created": beijing_text(o.created_at),
        "modified": beijing_text(o.updated_at),
        "pay_time": text_or_empty(o.paid_at),
        "consign_time": text_or_empty(o.shipments.first().map(|s| s.at)),
        "payment": money(o.total_minor()),
        "post_fee": money(o.shipping_minor),
        "total_fee": money(o.subtotal_minor()),
        "buyer_nick": format!("{}**", b.last_name),
        "buyer_open_uid": format!("AAH{:020}", o.seq),
        "buyer_message": o.note,
        "receiver_name": b.full_name(true),
        "receiver_mobile": b.phone,
        "receiver_phone": "",
        "receiver_state": a.province,
        "receiver_city": a.city,
        "receiver_district": a.district,
        "receiver_town": "",
        "receiver_address": a.line1,
        "receiver_zip": a.zip,
        "orders": {"order": lines},
    })
}

/// JD's `orderState`. JD lists orders only once paid, so `NOT_PAY` is never listed.
pub(crate) fn jd_state(o: &SimOrder) -> &'static str {
    match o.status() {
        Status::Unpaid => "NOT_PAY",
        Status::Paid => "WAIT_SELLER_STOCK_OUT",
        Status::Shipped => "WAIT_GOODS_RECEIVE_CONFIRM",
        Status::Completed => "FINISHED_L",
        Status::Cancelled | Status::Refunded => "TRADE_CANCELED",
    }
}

fn jd(o: &SimOrder) -> Value {
    let state = jd_state(o);
    let items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "skuId": (100_012_000_000 + l.sku_index as u64).to_string(),
                "outerSkuId": l.sku, "skuName": l.title,
                "itemTotal": l.quantity.to_string(), "jdPrice": money(l.unit_minor),
                "wareId": (10_000_000 + l.sku_index as u64).to_string(), "productNo": l.sku,
            })
        })
        .collect();
    let (b, a) = (&o.buyer, &o.address);
    json!({
        "orderId": o.num_id.to_string(),
        "venderId": "10086",
        "orderType": "22",
        "payType": "4-在线支付",
        "orderState": state,
        "orderStateRemark": "",
        "orderStartTime": beijing_text(o.created_at),
        "modified": beijing_text(o.updated_at),
        "paymentConfirmTime": text_or_empty(o.paid_at),
        "orderTotalPrice": money(o.subtotal_minor()),
        "orderSellerPrice": money(o.subtotal_minor()),
        "orderPayment": money(o.total_minor()),
        "freightPrice": money(o.shipping_minor),
        "sellerDiscount": "0.00",
        "orderRemark": o.note,
        "pin": format!("jd_{:08x}", o.seq * 2_654_435_761 % 0xffff_ffff),
        "waybill": o.shipments.last().map(|s| s.tracking_number.clone()).unwrap_or_default(),
        "consigneeInfo": {
            "fullname": b.full_name(true), "mobile": b.phone, "telephone": "",
            "province": a.province, "city": a.city, "county": a.district, "town": "",
            "fullAddress": format!("{}{}{}{}", a.province, a.city, a.district, a.line1),
        },
        "itemInfoList": items,
    })
}

fn douyin(o: &SimOrder) -> Value {
    let (status, desc) = match o.status() {
        Status::Unpaid => (1, "待支付"),
        Status::Paid => (2, "备货中"),
        Status::Shipped => (3, "已发货"),
        Status::Completed => (5, "已完成"),
        Status::Cancelled | Status::Refunded => (4, "已取消"),
    };
    let epoch = |t: Option<DateTime<Utc>>| t.map_or(0, |t| t.timestamp());
    let skus: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let total = l.unit_minor * i64::from(l.quantity);
            json!({
                "order_id": l.id.to_string(), "parent_order_id": o.num_id.to_string(),
                "sku_id": 1_700_000_000_000_000 + l.sku_index as u64,
                "out_sku_id": l.sku, "code": l.sku,
                "product_id": (3_600_000_000_000_000_000u64 + l.sku_index as u64).to_string(),
                "product_name": l.title, "item_num": l.quantity,
                "origin_amount": total, "pay_amount": total, "goods_price": l.unit_minor,
                "order_status": status, "update_time": o.updated_at.timestamp(),
            })
        })
        .collect();
    let (b, a) = (&o.buyer, &o.address);
    json!({
        "order_id": o.num_id.to_string(),
        "shop_id": 4_463_798,
        "order_status": status,
        "order_status_desc": desc,
        "create_time": o.created_at.timestamp(),
        "update_time": o.updated_at.timestamp(),
        "pay_time": epoch(o.paid_at),
        "order_amount": o.total_minor(),
        "pay_amount": if o.paid_at.is_some() { o.total_minor() } else { 0 },
        "post_amount": o.shipping_minor,
        "buyer_words": o.note,
        "seller_words": "",
        "post_receiver": b.full_name(true),
        "post_tel": b.phone,
        "post_addr": {
            "province": {"name": a.province, "id": "33"},
            "city": {"name": a.city, "id": "3301"},
            "town": {"name": a.district, "id": "330106"},
            "street": {"name": "", "id": ""},
            "detail": a.line1,
        },
        "sku_order_list": skus,
    })
}

fn pinduoduo(o: &SimOrder) -> Value {
    let order_status = match o.status() {
        Status::Shipped => 2,
        Status::Completed => 3,
        _ => 1,
    };
    // Pinduoduo shows only paid orders; a cancellation there is a full refund.
    let refund_status = if matches!(o.status(), Status::Cancelled | Status::Refunded) {
        3
    } else {
        1
    };
    let items: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "goods_id": 300_000_000_000u64 + l.sku_index as u64,
                "sku_id": 1_000_000_000_000u64 + l.sku_index as u64,
                "outer_id": l.sku, "outer_goods_id": l.sku,
                "goods_name": l.title, "goods_count": l.quantity,
                "goods_price": money_number(l.unit_minor),
            })
        })
        .collect();
    let (b, a) = (&o.buyer, &o.address);
    let shipment = o.shipments.last();
    json!({
        "order_sn": o.external_id,
        "order_status": order_status,
        "refund_status": refund_status,
        "confirm_status": 1,
        "created_time": beijing_text(o.created_at),
        "updated_at": beijing_text(o.updated_at),
        "confirm_time": text_or_empty(o.paid_at),
        "shipping_time": text_or_empty(shipment.map(|s| s.at)),
        "pay_amount": money_number(o.total_minor()),
        "goods_amount": money_number(o.subtotal_minor()),
        "postage": money_number(o.shipping_minor),
        "discount_amount": money_number(0),
        "buyer_memo": o.note,
        "receiver_name": b.full_name(true),
        "receiver_phone": b.phone,
        "country": "中国",
        "province": a.province,
        "city": a.city,
        "town": a.district,
        "address": a.line1,
        "tracking_number": shipment.map(|s| s.tracking_number.clone()),
        "item_list": items,
    })
}

fn xhs_status(o: &SimOrder) -> i64 {
    match o.status() {
        Status::Unpaid => 1,
        Status::Paid => 4,
        Status::Shipped => 6,
        Status::Completed => 7,
        Status::Refunded => 8,
        Status::Cancelled => 9,
    }
}

/// What `order.getOrderList` lists for an order.
pub(crate) fn xhs_summary(o: &SimOrder) -> Value {
    json!({
        "orderId": o.external_id,
        "orderType": 1,
        "orderStatus": xhs_status(o),
        "orderAfterSalesStatus": if o.refunded_at.is_some() { 4 } else { 1 },
        "cancelStatus": if o.cancelled_at.is_some() { 1 } else { 0 },
        "createdTime": o.created_at.timestamp_millis(),
        "paidTime": o.paid_at.map_or(0, |t| t.timestamp_millis()),
        "updateTime": o.updated_at.timestamp_millis(),
    })
}

/// `order.getOrderDetail`: the order without its receiver.
pub(crate) fn xhs_detail(o: &SimOrder) -> Value {
    let skus: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "skuId": format!("65{:022x}", l.sku_index + 1),
                "skuName": l.title, "erpcode": l.sku, "skuSpec": "默认",
                "skuQuantity": l.quantity,
                "totalPaidAmount": l.unit_minor * i64::from(l.quantity),
                "price": l.unit_minor,
            })
        })
        .collect();
    let mut detail = xhs_summary(o);
    let shipment = o.shipments.last();
    super::shopify::merge(
        &mut detail,
        json!({
            "deliveryTime": shipment.map_or(0, |s| s.at.timestamp_millis()),
            "totalPayAmount": o.total_minor(),
            "totalShippingFree": o.shipping_minor,
            "customerRemark": o.note,
            "sellerRemark": "",
            "expressTrackingNo": shipment.map(|s| s.tracking_number.clone()).unwrap_or_default(),
            "expressCompanyCode": shipment.map(|s| s.company.clone()).unwrap_or_default(),
            "skuList": skus,
        }),
    );
    detail
}

/// `order.getOrderReceiverInfo` for one order.
pub(crate) fn xhs_receiver(o: &SimOrder) -> Value {
    let (b, a) = (&o.buyer, &o.address);
    json!({
        "orderId": o.external_id,
        "matched": true,
        "receiverName": b.full_name(true),
        "receiverPhone": b.phone,
        "receiverProvinceName": a.province,
        "receiverCityName": a.city,
        "receiverDistrictName": a.district,
        "receiverAddress": a.line1,
    })
}
