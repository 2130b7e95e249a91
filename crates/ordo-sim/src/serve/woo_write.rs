//! WooCommerce write-backs: order status (`completed` after tracking, `cancelled`), the
//! Shipment Tracking extension's trackings, and product stock. A refused body changes
//! nothing and is not recorded.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::woo::{STATUSES, body_object, error, gate, invalid_order, invalid_param, product_index};
use super::{as_integer, json_response, pairs_to_map};
use crate::generate::woo::{SITE_OFFSET_S, product, trackings};
use crate::generate::{self, Shipment, Status};
use crate::state::Shared;
use crate::webhook::Event;
use crate::writeback::WriteBackKind;

/// `PUT /orders/{id}` with `{"status": "completed" | "cancelled"}`, the status write-backs.
pub(super) async fn update_order(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    if let Err(refused) = gate(&shared, &method, &headers, &pairs_to_map(pairs)) {
        return refused;
    }
    let refused = |response: Response| {
        shared.reject();
        response
    };
    let Some(request) = body_object(&headers, &body) else {
        return refused(error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        ));
    };
    let status = match request.get("status").and_then(Value::as_str) {
        Some(s @ ("completed" | "cancelled")) => s.to_owned(),
        Some(s) if STATUSES.contains(&s) => {
            return refused(invalid_param(
                "status",
                "the simulator accepts only completed and cancelled",
            ));
        }
        _ => {
            return refused(invalid_param(
                "status",
                "status is not one of pending, processing, on-hold, completed, cancelled, refunded, failed, checkout-draft.",
            ));
        }
    };
    let cancelling = status == "cancelled";
    let mut book = shared.book.lock().expect("book lock");
    let Some(order) = book.get(&id) else {
        return refused(invalid_order());
    };
    let already = match (cancelling, order.status()) {
        (true, Status::Cancelled) | (false, Status::Completed) => true,
        (false, Status::Cancelled | Status::Refunded | Status::Unpaid) => {
            return refused(invalid_param(
                "status",
                "an unpaid, cancelled or refunded order cannot be completed",
            ));
        }
        (true, Status::Refunded) => return refused(invalid_param("status", "the order is refunded")),
        _ => false,
    };
    let kind = if cancelling {
        WriteBackKind::Cancel
    } else {
        WriteBackKind::Status
    };
    shared.record(kind, &id, Value::Object(request));
    // Setting the status an order already has is accepted and changes nothing, as in
    // WooCommerce, so a connector's retry is harmless.
    if already {
        return json_response(StatusCode::OK, &shared.document(order));
    }
    let updated = book.update(&id, Utc::now(), |o, at| {
        if cancelling {
            o.cancelled_at = Some(at);
        } else {
            o.completed = true;
        }
    });
    match updated {
        Some(((), order)) => {
            shared.notify(order, Event::Updated);
            json_response(StatusCode::OK, &shared.document(order))
        }
        None => invalid_order(),
    }
}

pub(super) async fn list_trackings(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = gate(&shared, &Method::GET, &headers, &pairs_to_map(pairs)) {
        return refused;
    }
    let book = shared.book.lock().expect("book lock");
    match book.get(&id) {
        Some(order) => json_response(StatusCode::OK, &Value::Array(trackings(order))),
        None => invalid_order(),
    }
}

/// Parses the extension's `date_shipped`: a date, an ISO time or epoch seconds.
fn shipped_at(value: Option<&Value>) -> Result<Option<DateTime<Utc>>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .map(Some)
            .ok_or(()),
        Some(Value::String(s)) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => s
            .parse()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .map(Some)
            .ok_or(()),
        Some(Value::String(s)) => generate::parse_iso(s, SITE_OFFSET_S).map(Some).ok_or(()),
        Some(_) => Err(()),
    }
}

pub(super) async fn add_tracking(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    if let Err(refused) = gate(&shared, &Method::POST, &headers, &pairs_to_map(pairs)) {
        return refused;
    }
    let refused = |response: Response| {
        shared.reject();
        response
    };
    let Some(request) = body_object(&headers, &body) else {
        return refused(error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        ));
    };
    let text = |name: &str| {
        request
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let Some(number) = text("tracking_number") else {
        return refused(json_response(
            StatusCode::BAD_REQUEST,
            &json!({"code": "rest_missing_callback_param", "message": "Missing parameter(s): tracking_number", "data": {"status": 400, "params": ["tracking_number"]}}),
        ));
    };
    let Some(provider) = text("tracking_provider").or_else(|| text("custom_tracking_provider")) else {
        return refused(invalid_param(
            "tracking_provider",
            "tracking_provider or custom_tracking_provider is required",
        ));
    };
    let Ok(date) = shipped_at(request.get("date_shipped")) else {
        return refused(invalid_param(
            "date_shipped",
            "date_shipped must be a date (YYYY-MM-DD) or a timestamp",
        ));
    };
    let url = text("custom_tracking_link").map(str::to_owned);
    let (number, provider) = (number.to_owned(), provider.to_owned());
    let mut book = shared.book.lock().expect("book lock");
    let updated = book.update(&id, Utc::now(), |o, at| {
        o.shipments.push(Shipment {
            tracking_number: number,
            company: provider,
            url,
            at: date.unwrap_or(at),
        });
    });
    let Some(((), order)) = updated else {
        return refused(invalid_order());
    };
    shared.record(WriteBackKind::Tracking, &id, Value::Object(request.clone()));
    shared.notify(order, Event::Updated);
    let item = trackings(order).pop().unwrap_or(Value::Null);
    json_response(StatusCode::CREATED, &item)
}

/// `PUT /products/{id}` with `{"manage_stock": true, "stock_quantity": n}`.
pub(super) async fn update_product(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    if let Err(refused) = gate(&shared, &method, &headers, &pairs_to_map(pairs)) {
        return refused;
    }
    let refused = |response: Response| {
        shared.reject();
        response
    };
    let Some(request) = body_object(&headers, &body) else {
        return refused(error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        ));
    };
    let Some(quantity) = request.get("stock_quantity").and_then(as_integer) else {
        return refused(invalid_param(
            "stock_quantity",
            "stock_quantity is not of type integer.",
        ));
    };
    let manage_ok = match request.get("manage_stock") {
        None | Some(Value::Bool(_)) => true,
        Some(Value::String(s)) => ["true", "false", "1", "0"].contains(&s.as_str()),
        Some(_) => false,
    };
    if !manage_ok {
        return refused(invalid_param("manage_stock", "manage_stock is not of type boolean."));
    }
    let Some(index) = product_index(&shared, &id) else {
        return refused(error(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        ));
    };
    shared.stock.lock().expect("stock lock")[index] = quantity;
    let sku = &shared.config.skus[index];
    shared.record(WriteBackKind::Stock, sku, Value::Object(request));
    json_response(StatusCode::OK, &product(index, sku, quantity))
}
