//! A WeChat Channels shop order as `/channels/ec/order/get` answers it (the `order`),
//! built from the field names of the platform's documentation. Money is integer fen,
//! times epoch seconds, order ids text (they exceed 2^53).

use serde_json::{Value, json};

use super::{SimOrder, Status};

/// WeChat's product id of a configured SKU.
pub(crate) fn product_id(sku_index: usize) -> String {
    (10_000_123_000_000u64 + sku_index as u64).to_string()
}

/// WeChat's SKU id of a configured SKU.
pub(crate) fn sku_id(sku_index: usize) -> String {
    (1_987_654_000_000u64 + sku_index as u64).to_string()
}

/// 10 unpaid, 20 awaiting shipment, 30 shipped, 100 completed, 200 cancelled after a
/// full refund, 250 cancelled before payment.
pub(crate) fn status(o: &SimOrder) -> u32 {
    match o.status() {
        Status::Unpaid => 10,
        Status::Paid => 20,
        Status::Shipped => 30,
        Status::Completed => 100,
        Status::Cancelled if o.paid_at.is_none() => 250,
        Status::Cancelled | Status::Refunded => 200,
    }
}

pub(crate) fn order(o: &SimOrder) -> Value {
    let products: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "product_id": product_id(l.sku_index), "sku_id": sku_id(l.sku_index),
                "sku_cnt": l.quantity, "sale_price": l.unit_minor, "market_price": l.unit_minor,
                "title": l.title, "sku_code": l.sku, "out_product_id": "", "out_sku_id": "",
                "real_price": l.unit_minor * i64::from(l.quantity), "is_discounted": false,
                "on_aftersale_sku_cnt": 0, "finish_aftersale_sku_cnt": 0,
            })
        })
        .collect();
    let (b, a) = (&o.buyer, &o.address);
    let delivered: Vec<Value> = o
        .shipments
        .iter()
        .map(|s| json!({"waybill_id": s.tracking_number, "delivery_id": s.company, "delivery_time": s.at.timestamp(), "deliver_type": 1}))
        .collect();
    json!({
        "order_id": o.external_id,
        "status": status(o),
        "create_time": o.created_at.timestamp(),
        "update_time": o.updated_at.timestamp(),
        "openid": format!("oSim{:024x}", o.seq),
        "order_detail": {
            "product_infos": products,
            "pay_info": {"pay_time": o.paid_at.map_or(0, |t| t.timestamp()), "payment_method": 1},
            "price_info": {
                "product_price": o.subtotal_minor(), "order_price": o.total_minor(),
                "freight": o.shipping_minor, "discounted_price": 0, "is_discounted": false,
                "original_order_price": o.total_minor(), "change_down_price": 0,
                "change_freight": 0, "is_change_freight": false, "deduction_price": 0,
            },
            "delivery_info": {
                "address_info": {
                    "user_name": b.full_name(true), "postal_code": a.zip,
                    "province_name": a.province, "city_name": a.city, "county_name": a.district,
                    "detail_info": a.line1, "tel_number": b.phone, "house_number": "",
                },
                "deliver_method": 0,
                "delivery_product_info": delivered,
            },
            "ext_info": {"customer_notes": o.note, "merchant_notes": ""},
        },
        "aftersale_detail": {"on_aftersale_order_cnt": 0, "aftersale_order_list": []},
    })
}
