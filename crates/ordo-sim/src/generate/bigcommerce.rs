//! BigCommerce Orders v2: the order as `GET /v2/orders` lists it (products and shipping
//! addresses only linked), its two sub-resources, and the assembled document Ordo stores.
//! Field names and formats from BigCommerce's Orders v2 reference: RFC 2822 times in
//! UTC, money as strings with four places. No published example is copied.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{SimOrder, Status};
use crate::state::RenderCtx;

/// Catalogue product id of a configured SKU.
pub(crate) fn product_id(sku_index: usize) -> u64 {
    100 + sku_index as u64
}

/// Catalogue variant id of a configured SKU (each product has one, its base variant).
pub(crate) fn variant_id(sku_index: usize) -> u64 {
    200 + sku_index as u64
}

/// The id of the order's one shipping address (`order_address_id`).
pub(crate) fn address_id(order: &SimOrder) -> u64 {
    5_000 + order.seq
}

/// Money as v2 writes it: a string with four places ("24.9900").
pub(crate) fn money4(minor: i64) -> String {
    format!("{}00", super::money(minor))
}

/// v2's date format ("Tue, 10 Mar 2026 17:42:08 +0000").
pub(crate) fn rfc2822(t: DateTime<Utc>) -> String {
    t.to_rfc2822()
}

/// `status_id` and its default label. Awaiting Payment (7) has no captured payment;
/// Awaiting Fulfillment (11) is paid and not shipped.
pub(crate) fn status(order: &SimOrder) -> (u64, &'static str) {
    match order.status() {
        Status::Unpaid => (7, "Awaiting Payment"),
        Status::Paid => (11, "Awaiting Fulfillment"),
        Status::Shipped => (2, "Shipped"),
        Status::Completed => (10, "Completed"),
        Status::Cancelled => (5, "Cancelled"),
        Status::Refunded => (4, "Refunded"),
    }
}

/// Units of a line shipped: the simulator's shipments cover the whole order.
pub(crate) fn quantity_shipped(order: &SimOrder, quantity: u32) -> u32 {
    if order.shipments.is_empty() { 0 } else { quantity }
}

fn link(ctx: &RenderCtx, order: &SimOrder, name: &str) -> Value {
    let resource = format!("/orders/{}/{name}", order.num_id);
    json!({
        "url": format!("{}/stores/{}/v2{resource}", ctx.base_url, crate::BIGCOMMERCE_STORE_HASH),
        "resource": resource,
    })
}

/// The order as the list and single-order endpoints serve it.
pub(crate) fn order(ctx: &RenderCtx, o: &SimOrder) -> Value {
    let (status_id, label) = status(o);
    let (b, a) = (&o.buyer, &o.address);
    let zero = money4(0);
    let items_shipped = if o.shipments.is_empty() { 0 } else { o.item_count() };
    json!({
        "id": o.num_id,
        "customer_id": 0,
        "date_created": rfc2822(o.created_at),
        "date_modified": rfc2822(o.updated_at),
        "date_shipped": o.shipments.first().map(|s| rfc2822(s.at)).unwrap_or_default(),
        "status_id": status_id,
        "status": label,
        "custom_status": label,
        "subtotal_ex_tax": money4(o.subtotal_minor()),
        "subtotal_inc_tax": money4(o.subtotal_minor()),
        "subtotal_tax": zero,
        "base_shipping_cost": money4(o.shipping_minor),
        "shipping_cost_ex_tax": money4(o.shipping_minor),
        "shipping_cost_inc_tax": money4(o.shipping_minor),
        "shipping_cost_tax": zero,
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": zero, "handling_cost_ex_tax": zero, "handling_cost_inc_tax": zero,
        "handling_cost_tax": zero, "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": zero, "wrapping_cost_ex_tax": zero, "wrapping_cost_inc_tax": zero,
        "wrapping_cost_tax": zero, "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": money4(o.total_minor()),
        "total_inc_tax": money4(o.total_minor()),
        "total_tax": zero,
        "is_tax_inclusive_pricing": false,
        "items_total": o.item_count(),
        "items_shipped": items_shipped,
        "payment_method": "Credit Card",
        "payment_provider_id": o.paid_at.map(|_| format!("ch_sim{}", o.num_id)).unwrap_or_default(),
        "payment_status": if o.paid_at.is_some() { "captured" } else { "" },
        "refunded_amount": money4(if o.refunded_at.is_some() { o.total_minor() } else { 0 }),
        "order_is_digital": false,
        "store_credit_amount": zero,
        "gift_certificate_amount": zero,
        "currency_id": 1,
        "currency_code": ctx.currency,
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": ctx.currency,
        "staff_notes": "",
        "customer_message": o.note,
        "discount_amount": zero,
        "coupon_discount": zero,
        "shipping_address_count": 1,
        "billing_address": {
            "first_name": b.first_name, "last_name": b.last_name, "company": "",
            "street_1": a.line1, "street_2": a.line2, "city": a.city, "state": a.province,
            "zip": a.zip, "country": a.country, "country_iso2": a.country_code,
            "phone": b.phone, "email": b.email,
        },
        "order_source": "www",
        "channel_id": 1,
        "products": link(ctx, o, "products"),
        "shipping_addresses": link(ctx, o, "shipping_addresses"),
        "coupons": link(ctx, o, "coupons"),
    })
}

/// `GET /v2/orders/{id}/products`.
pub(crate) fn products(o: &SimOrder) -> Vec<Value> {
    o.lines
        .iter()
        .map(|l| {
            let (price, total) = (money4(l.unit_minor), money4(l.unit_minor * i64::from(l.quantity)));
            json!({
                "id": l.id,
                "order_id": o.num_id,
                "product_id": product_id(l.sku_index),
                "variant_id": variant_id(l.sku_index),
                "order_address_id": address_id(o),
                "name": l.title,
                "sku": l.sku,
                "type": "physical",
                "base_price": price, "price_ex_tax": price, "price_inc_tax": price, "price_tax": money4(0),
                "base_total": total, "total_ex_tax": total, "total_inc_tax": total, "total_tax": money4(0),
                "quantity": l.quantity,
                "quantity_shipped": quantity_shipped(o, l.quantity),
                "is_refunded": o.refunded_at.is_some(),
                "quantity_refunded": if o.refunded_at.is_some() { l.quantity } else { 0 },
                "parent_order_product_id": null,
                "is_bundled_product": false,
                "applied_discounts": [],
            })
        })
        .collect()
}

/// `GET /v2/orders/{id}/shipping_addresses`: the order's one address.
pub(crate) fn shipping_addresses(o: &SimOrder) -> Vec<Value> {
    let (b, a) = (&o.buyer, &o.address);
    let shipping = money4(o.shipping_minor);
    vec![json!({
        "id": address_id(o),
        "order_id": o.num_id,
        "first_name": b.first_name, "last_name": b.last_name, "company": "",
        "street_1": a.line1, "street_2": a.line2, "city": a.city, "zip": a.zip,
        "country": a.country, "country_iso2": a.country_code, "state": a.province,
        "email": b.email, "phone": b.phone,
        "items_total": o.item_count(),
        "items_shipped": if o.shipments.is_empty() { 0 } else { o.item_count() },
        "shipping_method": "Flat Rate",
        "base_cost": shipping, "cost_ex_tax": shipping, "cost_inc_tax": shipping, "cost_tax": money4(0),
    })]
}

/// The document Ordo stores: the order with its sub-resources in place of the links.
pub(crate) fn document(ctx: &RenderCtx, o: &SimOrder) -> Value {
    let mut value = order(ctx, o);
    value["products"] = Value::Array(products(o));
    value["shipping_addresses"] = Value::Array(shipping_addresses(o));
    value
}
