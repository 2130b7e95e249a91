//! Amazon write-backs: `confirmShipment` (tracking) and the Listings Items patch of
//! `fulfillment_availability` (stock). Cancellation goes through the Feeds API, which
//! Ordo does not call, so there is nothing to serve for it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::amazon::{authorize, errors, invalid, order_not_found};
use super::{json_response, pairs_to_map, parse_json};
use crate::generate::amazon::order_item_id;
use crate::generate::{self, Shipment, Status};
use crate::state::Shared;
use crate::writeback::WriteBackKind;

fn text<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// `POST /orders/v0/orders/{id}/shipmentConfirmation` → `204`.
pub(super) async fn confirm_shipment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(refused) = authorize(&shared, &headers) {
        return refused;
    }
    let answer = confirm_checked(&shared, &id, &body);
    if answer.status() != StatusCode::NO_CONTENT {
        shared.reject();
    }
    answer
}

fn confirm_checked(shared: &Shared, id: &str, body: &[u8]) -> Response {
    let Some(Value::Object(request)) = parse_json(body) else {
        return invalid("The request body must be a JSON object");
    };
    if text(&request, "marketplaceId") != Some(shared.ctx.marketplace_id.as_str()) {
        return invalid("Invalid marketplaceId");
    }
    let Some(package) = request.get("packageDetail").and_then(Value::as_object) else {
        return invalid("Missing required packageDetail");
    };
    for name in ["packageReferenceId", "carrierCode", "trackingNumber", "shipDate"] {
        if text(package, name).is_none() {
            return invalid(&format!("Missing or empty packageDetail.{name}"));
        }
    }
    let Some(ship_date) = text(package, "shipDate").and_then(|d| generate::parse_iso(d, 0)) else {
        return invalid("packageDetail.shipDate is not a valid ISO 8601 date time");
    };
    let items = match package.get("orderItems").and_then(Value::as_array) {
        Some(items) if !items.is_empty() => items,
        _ => return invalid("packageDetail.orderItems must list at least one item"),
    };
    let mut book = shared.book.lock().expect("book lock");
    let Some(order) = book.get(id) else {
        return order_not_found();
    };
    for item in items {
        let item_id = item.get("orderItemId").and_then(Value::as_str);
        let quantity = item.get("quantity").and_then(Value::as_u64);
        let line = order.lines.iter().find(|l| Some(order_item_id(l).as_str()) == item_id);
        match (line, quantity) {
            (Some(line), Some(q)) if q >= 1 && q <= u64::from(line.quantity) => {}
            (None, _) => return invalid(&format!("Invalid orderItemId {}", item_id.unwrap_or("(missing)"))),
            _ => return invalid("orderItems[].quantity must be between 1 and the quantity ordered"),
        }
    }
    match order.status() {
        Status::Unpaid => return invalid("The order is pending and cannot be shipped"),
        Status::Cancelled | Status::Refunded => return invalid("The order is canceled"),
        _ => {}
    }
    let shipment = Shipment {
        tracking_number: text(package, "trackingNumber").unwrap_or_default().to_owned(),
        company: text(package, "carrierCode").unwrap_or_default().to_owned(),
        url: None,
        at: ship_date,
    };
    if book.update(id, Utc::now(), |o, _| o.shipments.push(shipment)).is_none() {
        return order_not_found();
    }
    shared.record(WriteBackKind::Tracking, id, Value::Object(request));
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

const PATCH_OPS: [&str; 4] = ["add", "replace", "merge", "delete"];

/// Checks one patch; the fulfillment availability patch must carry integer quantities.
fn check_patch(patch: &Value) -> Result<Option<i64>, String> {
    let op = patch.get("op").and_then(Value::as_str).unwrap_or_default();
    if !PATCH_OPS.contains(&op) {
        return Err(format!("patches[].op {op:?} is not one of add, replace, merge, delete"));
    }
    let Some(path) = patch
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with("/attributes/"))
    else {
        return Err("patches[].path must start with /attributes/".into());
    };
    let value = patch.get("value");
    if op != "delete" && !value.is_some_and(Value::is_array) {
        return Err("patches[].value must be an array".into());
    }
    if path != "/attributes/fulfillment_availability" || op == "delete" {
        return Ok(None);
    }
    let mut quantity = None;
    for entry in value.and_then(Value::as_array).into_iter().flatten() {
        let code_ok = entry
            .get("fulfillment_channel_code")
            .and_then(Value::as_str)
            .is_some_and(|c| !c.is_empty());
        match entry.get("quantity").and_then(Value::as_i64) {
            Some(q) if q >= 0 && code_ok => quantity = Some(q),
            _ => {
                return Err(
                    "fulfillment_availability needs fulfillment_channel_code and a non-negative integer quantity"
                        .into(),
                );
            }
        }
    }
    quantity
        .map(Some)
        .ok_or_else(|| "fulfillment_availability must not be empty".into())
}

/// `PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=…`.
pub(super) async fn patch_listing(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((seller, sku)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    if let Err(refused) = authorize(&shared, &headers) {
        return refused;
    }
    let answer = patch_checked(&shared, &seller, &sku, &pairs_to_map(pairs), &body);
    if answer.is_err() {
        shared.reject();
    }
    answer.unwrap_or_else(|refused| refused)
}

fn patch_checked(
    shared: &Shared,
    seller: &str,
    sku: &str,
    q: &std::collections::HashMap<String, String>,
    body: &[u8],
) -> Result<Response, Response> {
    let marketplace = &shared.ctx.marketplace_id;
    if !q
        .get("marketplaceIds")
        .is_some_and(|ids| ids.split(',').any(|id| id.trim() == marketplace))
    {
        return Err(invalid("marketplaceIds must name the seller's marketplace"));
    }
    if seller != shared.config.amazon.seller_id {
        return Err(errors(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied.",
        ));
    }
    let Some(Value::Object(request)) = parse_json(body) else {
        return Err(invalid("The request body must be a JSON object"));
    };
    if text(&request, "productType").is_none() {
        return Err(invalid("Missing required productType"));
    }
    let patches = match request.get("patches").and_then(Value::as_array) {
        Some(patches) if !patches.is_empty() => patches,
        _ => return Err(invalid("patches must list at least one patch")),
    };
    let mut quantity = None;
    for patch in patches {
        quantity = check_patch(patch).map_err(|m| invalid(&m))?.or(quantity);
    }
    let submission = format!("{:032x}", u128::from(shared.stats.snapshot().requests) * 0x9e37_79b9);
    let Some(index) = shared.config.skus.iter().position(|s| s == sku) else {
        return Err(json_response(
            StatusCode::OK,
            &json!({"sku": sku, "status": "INVALID", "submissionId": submission,
                    "issues": [{"code": "4000001", "message": "The SKU does not exist in the seller's catalogue.", "severity": "ERROR", "attributeNames": []}]}),
        ));
    };
    if let Some(quantity) = quantity {
        shared.stock.lock().expect("stock lock")[index] = quantity;
    }
    shared.record(WriteBackKind::Stock, sku, Value::Object(request));
    Ok(json_response(
        StatusCode::OK,
        &json!({"sku": sku, "status": "ACCEPTED", "submissionId": submission, "issues": []}),
    ))
}
