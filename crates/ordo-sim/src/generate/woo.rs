//! WooCommerce wc/v3 `Order` and `Product`, from the published order example with ids,
//! times, lines, totals, addresses and status replaced.

use serde_json::{Value, json};

use super::shopify::merge;
use super::{SimOrder, Status, money, naive_at};
use crate::state::RenderCtx;

/// The simulated site's UTC offset: the plain `date_*` fields are site-local, the `_gmt`
/// ones UTC, and a connector must read the right one.
pub(crate) const SITE_OFFSET_S: i32 = 2 * 3600;

pub(crate) fn product_id(sku_index: usize) -> u64 {
    500 + sku_index as u64
}

/// The order status for a given state; `completed` comes only from a status write-back.
pub(crate) fn status(order: &SimOrder) -> &'static str {
    match order.status() {
        Status::Unpaid => "pending",
        Status::Paid | Status::Shipped => "processing",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
        Status::Refunded => "refunded",
    }
}

fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    naive_at(t, SITE_OFFSET_S)
}
fn gmt(t: chrono::DateTime<chrono::Utc>) -> String {
    naive_at(t, 0)
}

/// The Shipment Tracking extension's items for an order.
pub(crate) fn trackings(order: &SimOrder) -> Vec<Value> {
    order
        .shipments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "tracking_id": format!("{:x}", order.seq * 100 + i as u64),
                "tracking_provider": s.company,
                "tracking_link": s.url.clone().unwrap_or_default(),
                "tracking_number": s.tracking_number,
                "date_shipped": s.at.format("%Y-%m-%d").to_string(),
            })
        })
        .collect()
}

/// The wc/v3 `Order`, also the body of the order.* webhooks.
pub(crate) fn order(ctx: &RenderCtx, order: &SimOrder) -> Value {
    let template = &ctx.templates.woo_order;
    let mut value = template.clone();
    let line_template = &template["line_items"][0];
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|l| {
            let mut item = line_template.clone();
            let total = money(l.unit_minor * i64::from(l.quantity));
            merge(
                &mut item,
                json!({
                    "id": l.id, "name": l.title, "product_id": product_id(l.sku_index),
                    "variation_id": 0, "quantity": l.quantity, "tax_class": "",
                    "subtotal": total, "subtotal_tax": "0.00", "total": total, "total_tax": "0.00",
                    "taxes": [], "meta_data": [], "sku": l.sku,
                    "price": l.unit_minor as f64 / 100.0,
                }),
            );
            item
        })
        .collect();
    let (b, a) = (&order.buyer, &order.address);
    let person = json!({
        "first_name": b.first_name, "last_name": b.last_name, "company": "",
        "address_1": a.line1, "address_2": a.line2, "city": a.city, "state": a.province_code,
        "postcode": a.zip, "country": a.country_code,
    });
    let mut billing = person.clone();
    merge(&mut billing, json!({"email": b.email, "phone": b.phone}));
    let mut shipping = person;
    merge(&mut shipping, json!({"phone": b.phone}));
    let completed_at = (order.status() == Status::Completed).then_some(order.updated_at);
    let refunds: Vec<Value> = order
        .refunded_at
        .map(|_| json!({"id": 90_000 + order.seq, "reason": "", "total": money(-order.total_minor())}))
        .into_iter()
        .collect();
    let mut meta = vec![];
    if !order.shipments.is_empty() {
        meta.push(json!({"id": 70_000 + order.seq, "key": "_wc_shipment_tracking_items", "value": trackings(order)}));
    }
    let href = |path: String| json!([{"href": format!("{}/wp-json/wc/v3/{path}", ctx.base_url)}]);
    merge(
        &mut value,
        json!({
            "id": order.num_id,
            "parent_id": 0,
            "number": order.num_id.to_string(),
            "order_key": format!("wc_order_{:013x}", order.num_id * 7_919),
            "created_via": "checkout",
            "version": "9.3.3",
            "status": status(order),
            "currency": ctx.currency,
            "date_created": local(order.created_at),
            "date_created_gmt": gmt(order.created_at),
            "date_modified": local(order.updated_at),
            "date_modified_gmt": gmt(order.updated_at),
            "discount_total": "0.00", "discount_tax": "0.00",
            "shipping_total": money(order.shipping_minor), "shipping_tax": "0.00",
            "cart_tax": "0.00", "total": money(order.total_minor()), "total_tax": "0.00",
            "prices_include_tax": false,
            "customer_id": 0,
            "customer_note": order.note,
            "billing": billing,
            "shipping": shipping,
            "payment_method": "stripe",
            "payment_method_title": "Credit card",
            "transaction_id": order.paid_at.map(|_| format!("ch_sim{}", order.num_id)).unwrap_or_default(),
            "date_paid": order.paid_at.map(local),
            "date_paid_gmt": order.paid_at.map(gmt),
            "date_completed": completed_at.map(local),
            "date_completed_gmt": completed_at.map(gmt),
            "cart_hash": "",
            "meta_data": meta,
            "line_items": lines,
            "tax_lines": [],
            "shipping_lines": [{
                "id": 80_000 + order.seq, "method_title": "Flat rate", "method_id": "flat_rate",
                "total": money(order.shipping_minor), "total_tax": "0.00", "taxes": [], "meta_data": [],
            }],
            "fee_lines": [], "coupon_lines": [],
            "refunds": refunds,
            "_links": {"self": href(format!("orders/{}", order.num_id)), "collection": href("orders".into())},
        }),
    );
    value
}

/// A wc/v3 `Product` for a configured SKU; stock is always managed.
pub(crate) fn product(sku_index: usize, sku: &str, stock: i64) -> Value {
    json!({
        "id": product_id(sku_index),
        "name": format!("Sim product {sku}"),
        "slug": sku.to_lowercase(),
        "type": "simple",
        "status": "publish",
        "sku": sku,
        "price": "10.00",
        "regular_price": "10.00",
        "manage_stock": true,
        "stock_quantity": stock,
        "stock_status": if stock > 0 { "instock" } else { "outofstock" },
    })
}
