//! Shopify write-backs: fulfillment with tracking, cancellation and inventory levels.
//! Bodies are checked as Shopify checks them; a refused body changes nothing and is not
//! recorded.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::shopify::{errors, gate, not_found, order_id_from_path};
use super::{json_response, parse_json};
use crate::SHOPIFY_LOCATION_ID;
use crate::generate::shopify::{SHOP_OFFSET_S, fulfillment_order_id, fulfillment_order_line_id, inventory_item_id};
use crate::generate::{Shipment, Status, rfc3339_at};
use crate::state::Shared;
use crate::webhook::Event;
use crate::writeback::WriteBackKind;

fn refuse(shared: &Shared, status: StatusCode, body: Value) -> Response {
    shared.reject();
    errors(status, body)
}

fn missing(shared: &Shared, name: &str) -> Response {
    refuse(
        shared,
        StatusCode::BAD_REQUEST,
        json!({ name: "Required parameter missing or invalid" }),
    )
}

fn optional_string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, ()> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

/// `POST /fulfillments.json`.
pub(super) async fn fulfill(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    match gate(&shared, &headers) {
        Ok(pass) => pass.finish(fulfill_checked(&shared, &body)),
        Err(refused) => refused,
    }
}

fn fulfill_checked(shared: &Shared, body: &[u8]) -> Response {
    let request = parse_json(body).unwrap_or(Value::Null);
    let Some(fulfillment) = request.get("fulfillment").and_then(Value::as_object) else {
        return missing(shared, "fulfillment");
    };
    let groups = match fulfillment
        .get("line_items_by_fulfillment_order")
        .and_then(Value::as_array)
    {
        Some(groups) if !groups.is_empty() => groups,
        _ => return missing(shared, "line_items_by_fulfillment_order"),
    };
    let tracking = match fulfillment.get("tracking_info") {
        Some(Value::Object(t)) => t,
        _ => return missing(shared, "tracking_info"),
    };
    let number = match tracking.get("number") {
        Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
        _ => {
            return refuse(
                shared,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!(["tracking_info.number must be a non-empty string"]),
            );
        }
    };
    let (Ok(company), Ok(url)) = (optional_string(tracking, "company"), optional_string(tracking, "url")) else {
        return refuse(
            shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(["tracking_info.company and url must be strings"]),
        );
    };
    if fulfillment.get("notify_customer").is_some_and(|v| !v.is_boolean()) {
        return refuse(
            shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(["notify_customer must be true or false"]),
        );
    }
    let mut book = shared.book.lock().expect("book lock");
    let mut order_id: Option<String> = None;
    for group in groups {
        let Some(fo_id) = group.get("fulfillment_order_id").and_then(Value::as_u64) else {
            return missing(shared, "fulfillment_order_id");
        };
        let Some(order) = book.find(|o| fulfillment_order_id(o) == fo_id) else {
            return refuse(shared, StatusCode::NOT_FOUND, json!("Not Found"));
        };
        match order.status() {
            Status::Paid => {}
            Status::Unpaid => {
                return refuse(
                    shared,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!([format!("Fulfillment order {fo_id} is on hold until payment.")]),
                );
            }
            other => {
                let status = if matches!(other, Status::Shipped | Status::Completed) {
                    "closed"
                } else {
                    "cancelled"
                };
                return refuse(
                    shared,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!([format!(
                        "Fulfillment order {fo_id} has an unfulfillable status= {status}."
                    )]),
                );
            }
        }
        if let Some(items) = group.get("fulfillment_order_line_items") {
            let lines_ok = items.as_array().is_some_and(|items| {
                items.iter().all(|item| {
                    let qty = item.get("quantity").and_then(Value::as_u64);
                    let id = item.get("id").and_then(Value::as_u64);
                    order.lines.iter().any(|l| {
                        Some(fulfillment_order_line_id(l)) == id
                            && qty.is_some_and(|q| q >= 1 && q <= u64::from(l.quantity))
                    })
                })
            });
            if !lines_ok {
                return refuse(
                    shared,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!(["fulfillment_order_line_items name unknown lines or bad quantities"]),
                );
            }
        }
        match &order_id {
            Some(id) if *id != order.external_id => {
                return refuse(
                    shared,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!(["All fulfillment orders must belong to the same order."]),
                );
            }
            _ => order_id = Some(order.external_id.clone()),
        }
    }
    let Some(order_id) = order_id else {
        return missing(shared, "line_items_by_fulfillment_order");
    };
    let shipment_company = company.clone().unwrap_or_default();
    let updated = book.update(&order_id, Utc::now(), |order, at| {
        order.shipments.push(Shipment {
            tracking_number: number.clone(),
            company: shipment_company,
            url: url.clone(),
            at,
        });
    });
    let Some(((), order)) = updated else {
        return not_found();
    };
    shared.record(WriteBackKind::Tracking, &order_id, request.clone());
    shared.notify(order, Event::Updated);
    let at = rfc3339_at(order.updated_at, SHOP_OFFSET_S);
    let fulfillment_id = 4_000_000_000_000 + order.seq * 10 + order.shipments.len() as u64 - 1;
    json_response(
        StatusCode::CREATED,
        &json!({"fulfillment": {
            "id": fulfillment_id,
            "admin_graphql_api_id": format!("gid://shopify/Fulfillment/{fulfillment_id}"),
            "order_id": order.num_id, "status": "success", "service": "manual",
            "location_id": SHOPIFY_LOCATION_ID, "created_at": at, "updated_at": at,
            "tracking_company": company, "tracking_number": number, "tracking_numbers": [number],
            "tracking_url": url, "tracking_urls": url.iter().collect::<Vec<_>>(),
            "shipment_status": null, "name": format!("#{}.{}", 1000 + order.seq, order.shipments.len()),
        }}),
    )
}

const CANCEL_REASONS: [&str; 6] = ["customer", "inventory", "fraud", "declined", "staff", "other"];

/// `POST /orders/{id}/cancel.json`.
pub(super) async fn cancel(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    match gate(&shared, &headers) {
        Ok(pass) => pass.finish(cancel_checked(&shared, &id, &body)),
        Err(refused) => refused,
    }
}

fn cancel_checked(shared: &Shared, id: &str, body: &[u8]) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match parse_json(body) {
            Some(value @ Value::Object(_)) => value,
            _ => return refuse(shared, StatusCode::BAD_REQUEST, json!("body must be a JSON object")),
        }
    };
    if let Some(reason) = request.get("reason")
        && !reason.as_str().is_some_and(|r| CANCEL_REASONS.contains(&r))
    {
        return refuse(
            shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"reason": ["is not included in the list"]}),
        );
    }
    let Some(order_id) = order_id_from_path(id) else {
        shared.reject();
        return not_found();
    };
    let mut book = shared.book.lock().expect("book lock");
    let Some(order) = book.get(&order_id) else {
        shared.reject();
        return not_found();
    };
    let refusal = match order.status() {
        Status::Cancelled | Status::Refunded => Some("Order has already been cancelled"),
        Status::Shipped | Status::Completed => Some("Cannot cancel an order that has been fulfilled"),
        _ => None,
    };
    if let Some(message) = refusal {
        shared.reject();
        return json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "error": message }));
    }
    let Some(((), order)) = book.update(&order_id, Utc::now(), |o, at| o.cancelled_at = Some(at)) else {
        return not_found();
    };
    shared.record(WriteBackKind::Cancel, &order_id, request);
    shared.notify(order, Event::Cancelled);
    json_response(StatusCode::OK, &json!({ "order": shared.document(order) }))
}

/// `POST /inventory_levels/set.json`.
pub(super) async fn set_inventory(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    match gate(&shared, &headers) {
        Ok(pass) => pass.finish(set_inventory_checked(&shared, &body)),
        Err(refused) => refused,
    }
}

fn set_inventory_checked(shared: &Shared, body: &[u8]) -> Response {
    let request = parse_json(body).unwrap_or(Value::Null);
    let field = |name: &str| request.get(name).and_then(Value::as_i64);
    let (Some(location_id), Some(item_id), Some(available)) =
        (field("location_id"), field("inventory_item_id"), field("available"))
    else {
        let name = ["location_id", "inventory_item_id", "available"]
            .into_iter()
            .find(|n| field(n).is_none())
            .unwrap_or("available");
        return missing(shared, name);
    };
    if u64::try_from(location_id).ok() != Some(SHOPIFY_LOCATION_ID) {
        return refuse(
            shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!([format!("Location {location_id} does not exist.")]),
        );
    }
    let skus = &shared.config.skus;
    let Some(index) = (0..skus.len()).find(|&i| i64::try_from(inventory_item_id(i)).ok() == Some(item_id)) else {
        return refuse(
            shared,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(["Inventory item does not exist"]),
        );
    };
    shared.stock.lock().expect("stock lock")[index] = available;
    shared.record(WriteBackKind::Stock, &skus[index], request.clone());
    json_response(
        StatusCode::OK,
        &json!({"inventory_level": {
            "inventory_item_id": item_id, "location_id": location_id, "available": available,
            "updated_at": rfc3339_at(Utc::now(), SHOP_OFFSET_S),
            "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}"),
        }}),
    )
}
