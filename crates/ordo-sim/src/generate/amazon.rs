//! Amazon SP-API orders in both versions Ordo reads: Orders v0 (`Order` and `OrderItem`,
//! PascalCase, items fetched apart) and Orders 2026-01-01 (camelCase, items inside the
//! order), from the published examples with ids, times, items, totals and status replaced.

use chrono::Duration;
use serde_json::{Value, json};

use super::shopify::merge;
use super::{Line, SimOrder, Status, money, utc_z};
use crate::state::RenderCtx;

/// The listing's ASIN for a configured SKU.
pub(crate) fn asin(sku_index: usize) -> String {
    format!("B0SIM{sku_index:05}")
}

/// The OrderItemId Amazon gives a line (14 digits).
pub(crate) fn order_item_id(line: &Line) -> String {
    line.id.to_string()
}

/// v0 `OrderStatus`. Amazon has no "refunded" order status: a refund before shipment
/// cancels the order, after shipment the order stays shipped.
pub(crate) fn v0_status(order: &SimOrder) -> &'static str {
    match order.status() {
        Status::Unpaid => "Pending",
        Status::Paid => "Unshipped",
        Status::Shipped | Status::Completed => "Shipped",
        Status::Cancelled => "Canceled",
        Status::Refunded if order.shipments.is_empty() => "Canceled",
        Status::Refunded => "Shipped",
    }
}

fn amount(minor: i64, currency: &str) -> Value {
    json!({"CurrencyCode": currency, "Amount": money(minor)})
}

fn shipped_quantity(order: &SimOrder, line: &Line) -> u32 {
    if order.shipments.is_empty() { 0 } else { line.quantity }
}

/// The v0 `Order` (without items, as `getOrders` serves it).
pub(crate) fn v0_order(ctx: &RenderCtx, order: &SimOrder) -> Value {
    let mut value = ctx.templates.amazon_v0_order.clone();
    let (b, a) = (&order.buyer, &order.address);
    let shipped: u32 = order.lines.iter().map(|l| shipped_quantity(order, l)).sum();
    let mut fields = json!({
        "AmazonOrderId": order.external_id,
        "SellerOrderId": format!("SIM-{}", order.seq),
        "PurchaseDate": utc_z(order.created_at),
        "LastUpdateDate": utc_z(order.updated_at),
        "OrderStatus": v0_status(order),
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.com",
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": order.item_count() - shipped,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": ctx.marketplace_id,
        "OrderTotal": amount(order.total_minor(), &ctx.currency),
        "EarliestShipDate": utc_z(order.created_at),
        "LatestShipDate": utc_z(order.created_at + Duration::days(2)),
        // Without a Restricted Data Token Amazon names only the region of the address.
        "ShippingAddress": {
            "City": a.city, "StateOrRegion": a.province_code, "PostalCode": a.zip, "CountryCode": a.country_code,
        },
        "BuyerInfo": {"BuyerEmail": format!("{}@marketplace.amazon.com", order.external_id.replace('-', "")), "BuyerName": b.full_name(false)},
    });
    if let Some(o) = value.as_object_mut() {
        // The published example's full address must not show through the merge.
        o.remove("ShippingAddress");
    }
    if order.status() == Status::Unpaid {
        // Pending orders carry no total and no address until payment is authorised.
        if let Some(o) = fields.as_object_mut() {
            o.remove("OrderTotal");
            o.remove("ShippingAddress");
        }
        if let Some(o) = value.as_object_mut() {
            o.remove("ShippingAddress");
        }
    }
    merge(&mut value, fields);
    value
}

/// The whole v0 `ShippingAddress`, as `getOrderAddress` serves it with a Restricted Data
/// Token.
pub(crate) fn v0_address(order: &SimOrder) -> Value {
    let (b, a) = (&order.buyer, &order.address);
    json!({
        "Name": b.full_name(false), "AddressLine1": a.line1, "City": a.city,
        "StateOrRegion": a.province_code, "PostalCode": a.zip, "CountryCode": a.country_code,
        "Phone": b.phone, "AddressType": "Residential",
    })
}

/// The v0 `OrderItem`s of an order. `ItemPrice` is the unit price times the quantity,
/// as Amazon defines it; the shipping fee sits on the first item.
pub(crate) fn v0_items(ctx: &RenderCtx, order: &SimOrder) -> Vec<Value> {
    let currency = ctx.currency.as_str();
    order
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut item = ctx.templates.amazon_v0_item.clone();
            if let Some(o) = item.as_object_mut() {
                for gone in [
                    "PromotionIds",
                    "PriceDesignation",
                    "BuyerInfo",
                    "BuyerRequestedCancel",
                    "ConditionNote",
                ] {
                    o.remove(gone);
                }
            }
            let shipping = if i == 0 { order.shipping_minor } else { 0 };
            merge(
                &mut item,
                json!({
                    "ASIN": asin(line.sku_index),
                    "OrderItemId": order_item_id(line),
                    "SellerSKU": line.sku,
                    "Title": line.title,
                    "QuantityOrdered": line.quantity,
                    "QuantityShipped": shipped_quantity(order, line),
                    "ProductInfo": {"NumberOfItems": "1"},
                    "ItemPrice": amount(line.unit_minor * i64::from(line.quantity), currency),
                    "ItemTax": amount(0, currency),
                    "ShippingPrice": amount(shipping, currency),
                    "ShippingTax": amount(0, currency),
                    "PromotionDiscount": amount(0, currency),
                    "IsGift": "false",
                    "ConditionId": "New",
                    "ConditionSubtypeId": "New",
                }),
            );
            item
        })
        .collect()
}

fn amount_2026(minor: i64, currency: &str) -> Value {
    json!({"amount": money(minor), "currencyCode": currency})
}

/// The 2026-01-01 `Order` with its `orderItems`, as `searchOrders` serves it.
pub(crate) fn order_2026(ctx: &RenderCtx, order: &SimOrder) -> Value {
    let template = &ctx.templates.amazon_2026_order;
    let currency = ctx.currency.as_str();
    let status = match order.status() {
        Status::Unpaid => "PENDING",
        Status::Paid => "UNSHIPPED",
        Status::Shipped | Status::Completed => "SHIPPED",
        Status::Cancelled => "CANCELLED",
        Status::Refunded if order.shipments.is_empty() => "CANCELLED",
        Status::Refunded => "SHIPPED",
    };
    let item_template = &template["orderItems"][1];
    let items: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            let mut item = item_template.clone();
            let total = line.unit_minor * i64::from(line.quantity);
            let shipped = shipped_quantity(order, line);
            let mut product = item["product"].clone();
            merge(
                &mut product,
                json!({
                    "asin": asin(line.sku_index), "title": line.title, "sellerSku": line.sku,
                    "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                    "price": {"unitPrice": amount_2026(line.unit_minor, currency)},
                }),
            );
            merge(
                &mut item,
                json!({
                    "orderItemId": order_item_id(line),
                    "quantityOrdered": line.quantity,
                    "programs": [],
                    "product": product,
                    "proceeds": {
                        "proceedsTotal": amount_2026(total, currency),
                        "breakdowns": [{"type": "ITEM", "subtotal": amount_2026(total, currency)}],
                    },
                    "fulfillment": {"quantityFulfilled": shipped, "quantityUnfulfilled": line.quantity - shipped},
                }),
            );
            item
        })
        .collect();
    let packages: Vec<Value> = order
        .shipments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "packageReferenceId": (i + 1).to_string(), "createdTime": utc_z(s.at),
                "packageStatus": {"status": "IN_TRANSIT", "detailedStatus": "IN_TRANSIT"},
                "carrier": s.company, "shipTime": utc_z(s.at), "trackingNumber": s.tracking_number,
                "packageItems": order.lines.iter().map(|l| json!({"orderItemId": order_item_id(l), "quantity": l.quantity})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (b, a) = (&order.buyer, &order.address);
    let mut value = template.clone();
    if let Some(o) = value.as_object_mut() {
        for gone in ["orderAliases", "associatedOrders", "fulfillmentOrders"] {
            o.remove(gone);
        }
    }
    merge(
        &mut value,
        json!({
            "orderId": order.external_id,
            "createdTime": utc_z(order.created_at),
            "lastUpdatedTime": utc_z(order.updated_at),
            "programs": [],
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": ctx.marketplace_id, "marketplaceName": "Amazon.com"},
            "buyer": {"buyerName": b.full_name(false), "buyerEmail": format!("{}@marketplace.amazon.com", order.external_id.replace('-', ""))},
            "recipient": {"deliveryAddress": {
                "name": b.full_name(false), "addressLine1": a.line1, "city": a.city,
                "stateOrRegion": a.province_code, "postalCode": a.zip, "countryCode": a.country_code,
                "phone": b.phone, "addressType": "RESIDENTIAL",
            }},
            "proceeds": {
                "grandTotal": amount_2026(order.total_minor(), currency),
                "breakdowns": [
                    {"type": "ITEM", "subtotal": amount_2026(order.subtotal_minor(), currency)},
                    {"type": "SHIPPING", "subtotal": amount_2026(order.shipping_minor, currency)},
                ],
            },
            "fulfillment": {
                "fulfillmentStatus": status, "fulfilledBy": "MERCHANT", "fulfillmentServiceLevel": "STANDARD",
                "shipByWindow": {"earliestDateTime": utc_z(order.created_at), "latestDateTime": utc_z(order.created_at + Duration::days(2))},
            },
            "orderItems": items,
            "packages": packages,
        }),
    );
    value
}
