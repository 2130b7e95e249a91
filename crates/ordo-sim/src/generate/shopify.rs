//! Shopify `Order`, `Refund`, `FulfillmentOrder` and `Product` resources, from the
//! published REST order and refunds/create examples with ids, times, lines, totals,
//! addresses and status replaced.

use serde_json::{Value, json};

use super::{Line, SimOrder, Status, money, rfc3339_at};
use crate::SHOPIFY_LOCATION_ID;
use crate::state::RenderCtx;

/// The simulated shop's UTC offset: Shopify writes times in the shop's zone, so a
/// connector must honour offsets rather than assume UTC.
pub(crate) const SHOP_OFFSET_S: i32 = -4 * 3600;
const SHOP_ID: u64 = 690_933_842;

pub(crate) fn product_id(sku_index: usize) -> u64 {
    7_100_000_000_000 + sku_index as u64
}
pub(crate) fn variant_id(sku_index: usize) -> u64 {
    41_000_000_000_000 + sku_index as u64
}
pub(crate) fn inventory_item_id(sku_index: usize) -> u64 {
    43_000_000_000_000 + sku_index as u64
}
/// One fulfillment order per order, as for a shop with one location.
pub(crate) fn fulfillment_order_id(order: &SimOrder) -> u64 {
    6_000_000_000_000 + order.seq
}
pub(crate) fn fulfillment_order_line_id(line: &Line) -> u64 {
    line.id + 3_000_000_000_000
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    rfc3339_at(t, SHOP_OFFSET_S)
}

fn money_set(amount: &str, currency: &str) -> Value {
    json!({
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": amount, "currency_code": currency},
    })
}

fn address(order: &SimOrder) -> Value {
    let (b, a) = (&order.buyer, &order.address);
    json!({
        "first_name": b.first_name, "last_name": b.last_name, "name": b.full_name(false),
        "address1": a.line1, "address2": a.line2, "city": a.city, "company": null,
        "province": a.province, "province_code": a.province_code, "zip": a.zip,
        "country": a.country, "country_code": a.country_code, "phone": b.phone,
        "latitude": null, "longitude": null,
    })
}

fn line_item(template: &Value, line: &Line, status: Status) -> Value {
    let mut item = template.clone();
    let fulfilled = matches!(status, Status::Shipped | Status::Completed);
    let patch = json!({
        "id": line.id,
        "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", line.id),
        "sku": line.sku,
        "title": line.title,
        "name": line.title,
        "variant_title": null,
        "vendor": "Ordo Sim",
        "price": money(line.unit_minor),
        "quantity": line.quantity,
        "fulfillable_quantity": if fulfilled || status == Status::Cancelled { 0 } else { line.quantity },
        "fulfillment_status": if fulfilled { json!("fulfilled") } else { Value::Null },
        "product_id": product_id(line.sku_index),
        "variant_id": variant_id(line.sku_index),
        "properties": [],
        "total_discount": "0.00",
        "tax_lines": [],
    });
    merge(&mut item, patch);
    item
}

/// Copies every field of `patch` into `target`.
pub(crate) fn merge(target: &mut Value, patch: Value) {
    if let (Some(target), Value::Object(patch)) = (target.as_object_mut(), patch) {
        target.extend(patch);
    }
}

/// The REST `Order` resource, also the body of the orders/* webhooks.
pub(crate) fn order(ctx: &RenderCtx, order: &SimOrder) -> Value {
    let template = &ctx.templates.shopify_order;
    let mut value = template.clone();
    let status = order.status();
    let currency = ctx.currency.as_str();
    let line_template = &template["line_items"][0];
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|l| line_item(line_template, l, status))
        .collect();
    let financial = match status {
        Status::Unpaid => "pending",
        Status::Refunded => "refunded",
        Status::Cancelled if order.paid_at.is_none() => "voided",
        _ => "paid",
    };
    let fulfilled = matches!(status, Status::Shipped | Status::Completed);
    let fulfillments: Vec<Value> = order
        .shipments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "id": 4_000_000_000_000 + order.seq * 10 + i as u64,
                "order_id": order.num_id, "status": "success", "service": "manual",
                "created_at": time(s.at), "updated_at": time(s.at),
                "tracking_company": s.company, "tracking_number": s.tracking_number,
                "tracking_numbers": [s.tracking_number],
                "tracking_url": s.url, "tracking_urls": s.url.iter().collect::<Vec<_>>(),
                "line_items": lines,
            })
        })
        .collect();
    let subtotal = money(order.subtotal_minor());
    let total = money(order.total_minor());
    let shipping = money(order.shipping_minor);
    let number = 1000 + order.seq;
    let patch = json!({
        "id": order.num_id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{}", order.num_id),
        "name": format!("#{number}"),
        "number": order.seq,
        "order_number": number,
        "token": format!("{:032x}", u128::from(order.num_id) * 2_654_435_761),
        "cart_token": format!("{:032x}", u128::from(order.num_id) * 40_503),
        "checkout_id": order.num_id + 1,
        "created_at": time(order.created_at),
        "processed_at": time(order.created_at),
        "updated_at": time(order.updated_at),
        "cancelled_at": order.cancelled_at.map(time),
        "cancel_reason": order.cancelled_at.map(|_| "customer"),
        "closed_at": if fulfilled || order.cancelled_at.is_some() { json!(time(order.updated_at)) } else { Value::Null },
        "confirmed": true,
        "currency": currency,
        "presentment_currency": currency,
        "email": order.buyer.email,
        "contact_email": order.buyer.email,
        "phone": null,
        "note": if order.note.is_empty() { Value::Null } else { json!(order.note) },
        "financial_status": financial,
        "fulfillment_status": if fulfilled { json!("fulfilled") } else { Value::Null },
        "gateway": "shopify_payments",
        "payment_gateway_names": ["shopify_payments"],
        "subtotal_price": subtotal,
        "total_line_items_price": subtotal,
        "total_price": total,
        "total_price_usd": null,
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_weight": 0,
        "taxes_included": false,
        "tax_lines": [],
        "discount_codes": [],
        "note_attributes": [],
        "total_shipping_price_set": money_set(&shipping, currency),
        "total_price_set": money_set(&total, currency),
        "shipping_lines": [{
            "id": 3_000_000_000_000 + order.seq, "code": "Standard", "title": "Standard",
            "price": shipping, "source": "shopify", "discounted_price": shipping,
        }],
        "line_items": lines,
        "fulfillments": fulfillments,
        "refunds": [],
        "billing_address": address(order),
        "shipping_address": address(order),
        "source_name": "web",
        "test": false,
    });
    merge(&mut value, patch);
    if let Some(customer) = value.get_mut("customer") {
        merge(
            customer,
            json!({
                "id": 2_000_000_000_000 + order.seq,
                "email": order.buyer.email,
                "first_name": order.buyer.first_name,
                "last_name": order.buyer.last_name,
                "phone": order.buyer.phone,
                "orders_count": 1,
                "total_spent": total,
                "last_order_id": order.num_id,
                "last_order_name": format!("#{number}"),
                "created_at": time(order.created_at),
                "updated_at": time(order.created_at),
                "default_address": address(order),
            }),
        );
    }
    value
}

/// The `refunds/create` webhook body: a full refund of every line and the shipping.
pub(crate) fn refund(ctx: &RenderCtx, order: &SimOrder) -> Value {
    let template = &ctx.templates.shopify_refund;
    let currency = ctx.currency.as_str();
    let at = time(order.refunded_at.unwrap_or(order.updated_at));
    let refund_id = 8_000_000_000_000 + order.seq;
    let line_template = &template["refund_line_items"][0];
    let lines: Vec<Value> = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut item = line_template.clone();
            let subtotal = money(line.unit_minor * i64::from(line.quantity));
            let mut inner = line_item(&item["line_item"], line, Status::Refunded);
            merge(
                &mut inner,
                json!({"price_set": money_set(&money(line.unit_minor), currency)}),
            );
            merge(
                &mut item,
                json!({
                    "id": refund_id * 10 + i as u64,
                    "quantity": line.quantity,
                    "line_item_id": line.id,
                    "restock_type": "no_restock",
                    "subtotal": line.unit_minor as f64 * f64::from(line.quantity) / 100.0,
                    "total_tax": 0,
                    "subtotal_set": money_set(&subtotal, currency),
                    "total_tax_set": money_set("0.00", currency),
                    "line_item": inner,
                }),
            );
            item
        })
        .collect();
    let mut transaction = template["transactions"][0].clone();
    merge(
        &mut transaction,
        json!({
            "id": 9_000_000_000_000 + order.seq,
            "admin_graphql_api_id": format!("gid://shopify/OrderTransaction/{}", 9_000_000_000_000 + order.seq),
            "order_id": order.num_id,
            "amount": money(order.total_minor()),
            "currency": currency,
            "created_at": at,
            "processed_at": at,
            "message": "Refunded in full",
            "gateway": "shopify_payments",
        }),
    );
    let mut value = template.clone();
    merge(
        &mut value,
        json!({
            "id": refund_id,
            "admin_graphql_api_id": format!("gid://shopify/Refund/{refund_id}"),
            "order_id": order.num_id,
            "created_at": at,
            "processed_at": at,
            "note": "Refunded in full",
            "restock": false,
            "refund_line_items": lines,
            "refund_shipping_lines": [],
            "order_adjustments": [],
            "transactions": [transaction],
        }),
    );
    value
}

/// `GET /orders/{id}/fulfillment_orders.json`: one fulfillment order at the shop's only
/// location, closed once fulfilled and cancelled with the order.
pub(crate) fn fulfillment_orders(order: &SimOrder) -> Value {
    let fo_id = fulfillment_order_id(order);
    let status = match order.status() {
        Status::Shipped | Status::Completed => "closed",
        Status::Cancelled | Status::Refunded => "cancelled",
        _ => "open",
    };
    let open = status == "open";
    let line_items: Vec<Value> = order
        .lines
        .iter()
        .map(|l| {
            json!({
                "id": fulfillment_order_line_id(l), "shop_id": SHOP_ID,
                "fulfillment_order_id": fo_id, "line_item_id": l.id,
                "inventory_item_id": inventory_item_id(l.sku_index),
                "variant_id": variant_id(l.sku_index),
                "quantity": l.quantity,
                "fulfillable_quantity": if open { l.quantity } else { 0 },
            })
        })
        .collect();
    json!({"fulfillment_orders": [{
        "id": fo_id, "shop_id": SHOP_ID, "order_id": order.num_id,
        "assigned_location_id": SHOPIFY_LOCATION_ID,
        "request_status": "unsubmitted", "status": status,
        "supported_actions": if open { json!(["create_fulfillment"]) } else { json!([]) },
        "destination": address(order),
        "line_items": line_items,
        "fulfill_at": time(order.created_at),
        "created_at": time(order.created_at), "updated_at": time(order.updated_at),
    }]})
}

/// One product per configured SKU, with a single variant carrying the SKU, its inventory
/// item and current stock.
pub(crate) fn product(sku_index: usize, sku: &str, stock: i64) -> Value {
    json!({
        "id": product_id(sku_index),
        "title": format!("Sim product {sku}"),
        "handle": sku.to_lowercase(),
        "status": "active",
        "vendor": "Ordo Sim",
        "variants": [{
            "id": variant_id(sku_index),
            "product_id": product_id(sku_index),
            "title": "Default Title",
            "sku": sku,
            "price": "10.00",
            "inventory_item_id": inventory_item_id(sku_index),
            "inventory_quantity": stock,
            "inventory_management": "shopify",
        }],
    })
}
