//! Magento 2 / Adobe Commerce `sales-order` (REST `V1`) and `cataloginventory-stock-item`.
//! Field names from Adobe's REST reference and order tutorial: times are UTC without an
//! offset ("2017-08-21 22:22:19"), money is JSON numbers in the order's currency with
//! every `base_*` twin equal (the simulated store sells in its base currency).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{SimOrder, Status, money_number};
use crate::state::RenderCtx;

/// Catalogue product id of a configured SKU.
pub(crate) fn product_id(sku_index: usize) -> u64 {
    1_000 + sku_index as u64
}

/// The stock item id of a configured SKU (`item_id` of its stock item).
pub(crate) fn stock_item_id(sku_index: usize) -> u64 {
    1 + sku_index as u64
}

/// Magento's time text.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `state` and the default `status` label of that state. An order paid and shipped is
/// `complete`; shipped before it was invoiced it stays `processing`.
pub(crate) fn state(o: &SimOrder) -> (&'static str, &'static str) {
    match o.status() {
        Status::Unpaid => ("new", "pending"),
        Status::Shipped if o.paid_at.is_none() => ("processing", "processing"),
        Status::Paid => ("processing", "processing"),
        Status::Shipped | Status::Completed => ("complete", "complete"),
        Status::Cancelled => ("canceled", "canceled"),
        Status::Refunded => ("closed", "closed"),
    }
}

fn address(o: &SimOrder, kind: &str) -> Value {
    let (b, a) = (&o.buyer, &o.address);
    let street: Vec<&str> = [a.line1.as_str(), a.line2.as_str()]
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    json!({
        "address_type": kind,
        "entity_id": o.seq * 2 + u64::from(kind == "shipping"),
        "parent_id": o.num_id,
        "firstname": b.first_name, "lastname": b.last_name,
        "street": street, "city": a.city, "region": a.province, "region_code": a.province_code,
        "postcode": a.zip, "country_id": a.country_code,
        "telephone": b.phone, "email": b.email,
    })
}

fn items(o: &SimOrder) -> Vec<Value> {
    let shipped = !o.shipments.is_empty();
    o.lines
        .iter()
        .map(|l| {
            let (price, row) = (
                money_number(l.unit_minor),
                money_number(l.unit_minor * i64::from(l.quantity)),
            );
            json!({
                "item_id": l.id,
                "order_id": o.num_id,
                "sku": l.sku,
                "name": l.title,
                "product_id": product_id(l.sku_index),
                "product_type": "simple",
                "is_virtual": 0,
                "qty_ordered": l.quantity,
                "qty_invoiced": if o.paid_at.is_some() { l.quantity } else { 0 },
                "qty_shipped": if shipped { l.quantity } else { 0 },
                "qty_canceled": if o.cancelled_at.is_some() { l.quantity } else { 0 },
                "qty_refunded": if o.refunded_at.is_some() { l.quantity } else { 0 },
                "price": price, "base_price": price, "original_price": price, "price_incl_tax": price,
                "row_total": row, "base_row_total": row, "row_total_incl_tax": row,
                "tax_amount": 0, "tax_percent": 0, "discount_amount": 0, "discount_percent": 0,
                "store_id": 1,
                "created_at": time(o.created_at),
                "updated_at": time(o.updated_at),
            })
        })
        .collect()
}

/// The `sales-order` entity, as `GET /V1/orders/{id}` and each `items[]` of the search.
pub(crate) fn order(ctx: &RenderCtx, o: &SimOrder) -> Value {
    let (state, status) = state(o);
    let (subtotal, shipping, total) = (
        money_number(o.subtotal_minor()),
        money_number(o.shipping_minor),
        money_number(o.total_minor()),
    );
    let paid = o.paid_at.is_some();
    let items = items(o);
    let mut value = json!({
        "entity_id": o.num_id,
        "increment_id": o.external_id,
        "created_at": time(o.created_at),
        "updated_at": time(o.updated_at),
        "state": state,
        "status": status,
        "base_currency_code": ctx.currency, "global_currency_code": ctx.currency,
        "order_currency_code": ctx.currency, "store_currency_code": ctx.currency,
        "base_to_order_rate": 1, "base_to_global_rate": 1, "store_to_order_rate": 0,
        "store_id": 1,
        "store_name": "Main Website\nMain Website Store\nDefault Store View",
        "customer_is_guest": 1,
        "customer_email": o.buyer.email,
        "customer_firstname": o.buyer.first_name,
        "customer_lastname": o.buyer.last_name,
        "customer_group_id": 0,
        "is_virtual": 0,
        "subtotal": subtotal, "base_subtotal": subtotal, "subtotal_incl_tax": subtotal,
        "discount_amount": 0, "base_discount_amount": 0,
        "shipping_amount": shipping, "base_shipping_amount": shipping, "shipping_incl_tax": shipping,
        "shipping_tax_amount": 0, "shipping_discount_amount": 0,
        "tax_amount": 0, "base_tax_amount": 0,
        "discount_tax_compensation_amount": 0, "shipping_discount_tax_compensation_amount": 0,
        "grand_total": total, "base_grand_total": total,
        "total_paid": if paid { total.clone() } else { json!(0) },
        "total_due": if paid { json!(0) } else { total.clone() },
        "total_qty_ordered": o.item_count(),
        "total_item_count": o.lines.len(),
        "shipping_description": "Flat Rate - Fixed",
        "items": items.clone(),
        "billing_address": address(o, "billing"),
        "payment": {
            "method": "checkmo",
            "amount_ordered": total, "base_amount_ordered": total,
            "amount_paid": if paid { total.clone() } else { json!(0) },
            "additional_information": ["Check / Money order"],
        },
        "status_histories": [],
        "extension_attributes": {
            "shipping_assignments": [{
                "shipping": {
                    "address": address(o, "shipping"),
                    "method": "flatrate_flatrate",
                    "total": {"shipping_amount": shipping, "base_shipping_amount": shipping},
                },
                "items": items,
            }],
        },
    });
    if !o.note.is_empty() {
        value["customer_note"] = json!(o.note);
    }
    value
}

/// `GET /V1/stockItems/{sku}`: the default stock's item of a configured SKU.
pub(crate) fn stock_item(sku_index: usize, quantity: i64) -> Value {
    json!({
        "item_id": stock_item_id(sku_index),
        "product_id": product_id(sku_index),
        "stock_id": 1,
        "qty": quantity,
        "is_in_stock": quantity > 0,
        "manage_stock": true,
        "backorders": 0,
        "min_sale_qty": 1,
    })
}
