//! ShipBob `2026-01` JSON: an order as `GET /order/{id}` returns it, its shipment as
//! `GET /shipment/{id}` does, the cancel answer and the webhook payloads. Field names and
//! nesting follow ShipBob's published examples; values ShipBob would know and the
//! simulator does not (prices, lots, carton barcodes) are `null` or empty rather than
//! invented.

use chrono::Duration as ChronoDuration;
use serde_json::{Value, json};

use super::book::{SHIPBOB_ORDER_BASE, SHIPBOB_SHIPMENT_BASE};
use super::callback::wire_time;
use super::config::WmsSimConfig;
use super::fulfilment::Fulfilment;
use super::tracking::{mix, tracking_url};
use super::{FulfilmentState, WmsLine};

/// The fulfilment centre every order ships from.
const LOCATION: (u64, &str) = (172, "Cicero (IL)");
/// Channel name shown on orders; ShipBob names the channel the API token belongs to.
const CHANNEL_NAME: &str = "Ordo";

/// A stable numeric id for a SKU, in ShipBob's range of product ids.
fn sku_id(sku: &str, salt: u64) -> u64 {
    // FNV-1a, then mixed with a salt so product and inventory ids differ.
    let hash = sku.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    10_000_000 + mix(salt, hash) % 90_000_000
}

fn order_id(fulfilment: &Fulfilment) -> u64 {
    SHIPBOB_ORDER_BASE + fulfilment.seq
}

fn shipment_id(fulfilment: &Fulfilment) -> u64 {
    SHIPBOB_SHIPMENT_BASE + fulfilment.seq
}

/// Whether a short shipment left with nothing in it.
fn nothing_shipped(fulfilment: &Fulfilment) -> bool {
    fulfilment.state == FulfilmentState::ShortShipped && fulfilment.shipped.is_empty()
}

fn order_status(fulfilment: &Fulfilment) -> &'static str {
    match fulfilment.state {
        FulfilmentState::Cancelled => "Cancelled",
        FulfilmentState::Shipped => "Fulfilled",
        FulfilmentState::ShortShipped if nothing_shipped(fulfilment) => "Exception",
        FulfilmentState::ShortShipped => "PartiallyFulfilled",
        _ => "Processing",
    }
}

fn shipment_status(fulfilment: &Fulfilment) -> &'static str {
    match fulfilment.state {
        FulfilmentState::Received | FulfilmentState::Accepted | FulfilmentState::Picked => "Processing",
        FulfilmentState::Packed => "LabeledCreated",
        FulfilmentState::Cancelled => "Cancelled",
        _ if nothing_shipped(fulfilment) => "Exception",
        _ => "Completed",
    }
}

fn estimate_status(fulfilment: &Fulfilment) -> &'static str {
    match fulfilment.state {
        FulfilmentState::Received => "AwaitingInventoryAllocation",
        FulfilmentState::Cancelled => "Unavailable",
        _ if nothing_shipped(fulfilment) => "Unavailable",
        state if state.has_shipped() => "FulfilledOnTime",
        _ => "PendingOnTime",
    }
}

fn address(fulfilment: &Fulfilment) -> Value {
    let to = &fulfilment.request.ship_to;
    json!({
        "address1": to.line1,
        "address2": to.line2,
        "city": to.city,
        "company_name": to.company,
        "country": to.country,
        "state": to.province,
        "zip_code": to.postal_code,
    })
}

fn recipient(fulfilment: &Fulfilment, with_full_name: bool) -> Value {
    let to = &fulfilment.request.ship_to;
    let mut recipient = json!({
        "address": address(fulfilment),
        "email": to.email,
        "name": to.name,
        "phone_number": to.phone,
    });
    if with_full_name {
        recipient["full_name"] = json!(to.name);
    }
    recipient
}

/// The shipment's products: what was ordered until it ships, then what left.
fn shipment_products(fulfilment: &Fulfilment) -> Vec<Value> {
    let lines: Vec<WmsLine> = if fulfilment.state.has_shipped() {
        fulfilment.shipped.clone()
    } else {
        fulfilment.lines()
    };
    let products = lines.into_iter().map(|line| {
        json!({
            "id": sku_id(&line.sku, 1),
            "inventory_items": [{
                "expiration_date": null,
                "id": sku_id(&line.sku, 2),
                "is_dangerous_goods": false,
                "lot": null,
                "name": line.sku,
                "quantity": line.quantity,
                "quantity_committed": line.quantity,
                "serial_numbers": [],
            }],
            "name": line.sku,
            "reference_id": line.sku,
            "sku": line.sku,
        })
    });
    products.collect()
}

fn status_details(fulfilment: &Fulfilment) -> Vec<Value> {
    let details = fulfilment.short.iter().enumerate().map(|(i, line)| {
        let message = format!("{} unit(s) of {} could not be picked", line.quantity, line.sku);
        json!({
            "description": message,
            "exception_fulfillment_center_id": LOCATION.0,
            "extra_information": {"validation_messages": [message]},
            "id": i + 1,
            "inventory_id": sku_id(&line.sku, 2),
            "name": "OutOfStock",
        })
    });
    details.collect()
}

fn tracking(fulfilment: &Fulfilment) -> Value {
    match (&fulfilment.tracking_number, fulfilment.shipped_at) {
        (Some(number), Some(shipped_at)) => json!({
            "bol": null,
            "carrier": fulfilment.carrier,
            "carrier_service": fulfilment.request.service.as_deref().unwrap_or("Ground"),
            "pro_number": null,
            "scac": null,
            "shipping_date": wire_time(shipped_at),
            "tracking_number": number,
            "tracking_url": tracking_url(&fulfilment.carrier, number),
        }),
        _ => Value::Null,
    }
}

/// The order's one shipment, as `GET /2026-01/shipment/{id}` returns it.
pub(crate) fn shipment(config: &WmsSimConfig, fulfilment: &Fulfilment) -> Value {
    let estimate = fulfilment.received_at + ChronoDuration::from_std(config.total_delay()).unwrap_or_default();
    let shipped_at = fulfilment.shipped_at.map(wire_time);
    let units: u32 = shipment_products(fulfilment)
        .iter()
        .filter_map(|p| p["inventory_items"][0]["quantity"].as_u64())
        .map(|q| q as u32)
        .sum();
    json!({
        "actual_fulfillment_date": shipped_at,
        "created_date": wire_time(fulfilment.received_at),
        "delivery_date": null,
        "estimated_fulfillment_date": wire_time(estimate),
        "estimated_fulfillment_date_status": estimate_status(fulfilment),
        "gift_message": null,
        "id": shipment_id(fulfilment),
        "insurance_value": null,
        "invoice_amount": null,
        "invoice_currency_code": null,
        "is_tracking_uploaded": shipped_at.is_some(),
        "last_tracking_update_at": shipped_at,
        "last_update_at": wire_time(fulfilment.updated_at),
        "location": {"id": LOCATION.0, "name": LOCATION.1},
        "measurements": {"depth_in": 4, "length_in": 10, "total_weight_oz": 8 * units, "width_in": 8},
        "order_id": order_id(fulfilment),
        "package_material_type": "Box",
        "parent_cartons": [],
        "products": shipment_products(fulfilment),
        "recipient": recipient(fulfilment, true),
        "reference_id": fulfilment.request.request_id,
        "require_signature": false,
        "ship_option": fulfilment.request.service.as_deref().unwrap_or("Standard"),
        "status": shipment_status(fulfilment),
        "status_details": status_details(fulfilment),
        "tracking": tracking(fulfilment),
    })
}

/// The order, as `GET /2026-01/order/{id}` returns it.
pub(crate) fn order(config: &WmsSimConfig, fulfilment: &Fulfilment) -> Value {
    let products: Vec<Value> = fulfilment
        .request
        .lines
        .iter()
        .map(|line| {
            let external_line_id = line.line_id.as_deref().and_then(|id| id.parse::<u64>().ok());
            json!({
                "external_line_id": external_line_id,
                "gtin": null,
                "id": sku_id(&line.sku, 1),
                "quantity": line.quantity,
                "quantity_unit_of_measure_code": null,
                "reference_id": line.sku,
                "sku": line.sku,
                "unit_price": null,
                "upc": null,
            })
        })
        .collect();
    json!({
        "channel": {"id": fulfilment.request.channel_id, "name": CHANNEL_NAME},
        "created_date": wire_time(fulfilment.received_at),
        "financials": {"total_price": null},
        "gift_message": null,
        "id": order_id(fulfilment),
        "order_number": fulfilment.request.order_id,
        "products": products,
        "purchase_date": null,
        "recipient": recipient(fulfilment, false),
        "reference_id": fulfilment.request.request_id,
        "retailer_program_data": null,
        "shipments": [shipment(config, fulfilment)],
        "shipping_method": fulfilment.request.service.as_deref().unwrap_or("Standard"),
        "shipping_terms": {"carrier_type": "Parcel", "payment_term": "Prepaid"},
        "status": order_status(fulfilment),
        "tags": [],
        "type": "DTC",
    })
}

/// The answer to a cancel, in ShipBob's `CanceledOrderViewModel` shape.
pub(crate) fn cancelled(config: &WmsSimConfig, fulfilment: &Fulfilment) -> Value {
    json!({
        "canceled_shipment_results": [{
            "action": "Cancel",
            "is_success": true,
            "reason": null,
            "shipment_id": shipment_id(fulfilment),
        }],
        "order": order(config, fulfilment),
        "order_id": order_id(fulfilment),
        "status": "Success",
    })
}

/// The webhook topic and payload for entering `step`, for the steps ShipBob reports.
pub(crate) fn webhook(
    config: &WmsSimConfig,
    fulfilment: &Fulfilment,
    step: FulfilmentState,
) -> Option<(&'static str, Value)> {
    let topic = match step {
        FulfilmentState::ShortShipped if nothing_shipped(fulfilment) => "order.shipment.exception",
        FulfilmentState::Shipped | FulfilmentState::ShortShipped => "order.shipped",
        FulfilmentState::Cancelled => "order.shipment.cancelled",
        _ => return None,
    };
    Some((topic, shipment(config, fulfilment)))
}
