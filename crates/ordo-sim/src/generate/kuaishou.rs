//! A Kuaishou shop order as `open.order.cursor.list` lists it and `open.order.detail`
//! answers it (`orderBaseInfo`, `orderItemInfo`, `orderAddress`), built from the field
//! names of the platform's documentation. Money is integer fen, times epoch milliseconds.
//! A Kuaishou order holds one SKU; the generator gives these orders one line.

use serde_json::{Value, json};

use super::{SimOrder, Status};

/// The platform's status code: 10 unpaid, 30 paid, 40 shipped, 70 succeeded, 80 failed
/// (closed, whether before or after payment).
pub(crate) fn status(o: &SimOrder) -> u32 {
    match o.status() {
        Status::Unpaid => 10,
        Status::Paid => 30,
        Status::Shipped => 40,
        Status::Completed => 70,
        Status::Cancelled | Status::Refunded => 80,
    }
}

/// Kuaishou's SKU id for a configured SKU.
pub(crate) fn sku_id(sku_index: usize) -> u64 {
    3_105_000_000_000 + sku_index as u64
}

/// The order document (the `data` of `open.order.detail`).
pub(crate) fn order(o: &SimOrder) -> Value {
    let line = o.lines.first().expect("a Kuaishou order has one line");
    let millis = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(0, |t| t.timestamp_millis());
    let (b, a) = (&o.buyer, &o.address);
    let shipment = o.shipments.last();
    json!({
        "orderBaseInfo": {
            "oid": o.num_id,
            "status": status(o),
            "createTime": o.created_at.timestamp_millis(),
            "updateTime": o.updated_at.timestamp_millis(),
            "payTime": millis(o.paid_at),
            "totalFee": o.total_minor(),
            "expressFee": o.shipping_minor,
            "discountFee": 0,
            "buyerOpenId": format!("sim{:029x}", o.seq),
            "buyerNick": b.full_name(true),
            "remark": o.note,
            "sellerOpenId": "sim-seller",
            "payType": 1,
        },
        "orderItemInfo": {
            "itemId": 60_200_000_000u64 + line.sku_index as u64,
            "itemTitle": line.title,
            "skuId": sku_id(line.sku_index),
            "relSkuId": 0,
            "skuNick": line.sku,
            "num": line.quantity,
            "price": line.unit_minor,
            "originalPrice": line.unit_minor,
        },
        "orderAddress": {
            "consignee": b.full_name(true),
            "mobile": b.phone,
            "province": a.province,
            "city": a.city,
            "district": a.district,
            "town": "",
            "address": a.line1,
        },
        "orderLogisticsInfo": shipment.map_or_else(Vec::new, |s| vec![json!({"expressNo": s.tracking_number, "expressCode": s.company})]),
    })
}
