//! The generic JSON warehouse: `POST /fulfilments`, `GET /fulfilments/{id}` and
//! `POST /fulfilments/{id}/cancel` (the contract is in the module documentation of
//! [`super`]). Answers are `{"fulfilment_id"}` on success and `{"error", "field"}` on
//! refusal.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::WmsArrival;
use super::book::{Cancelled, MAX_FULFILMENTS, Submitted, parse_id, public_id};
use super::callback::wire_time;
use super::config::WmsKind;
use super::faults::Arrival;
use super::fulfilment::Fulfilment;
use super::input::{
    Invalid, Line, NewFulfilment, ShipTo, opt_object, opt_str, quantity, req_lines, req_str, valid_url,
};
use super::shared::{Counters, Shared};
use crate::serve::json_response;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/fulfilments", post(submit))
        .route("/fulfilments/{id}", get(show))
        .route("/fulfilments/{id}/cancel", post(cancel))
}

fn error(status: StatusCode, error: &str, field: Option<&str>) -> Response {
    json_response(status, &json!({"error": error, "field": field}))
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "missing or invalid bearer token", None)
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such fulfilment", None)
}

/// Reads a submit body; the first refused field wins.
pub(crate) fn parse(body: &Value) -> Result<NewFulfilment, Invalid> {
    if !body.is_object() {
        return Err(Invalid::new("body", "must be a JSON object"));
    }
    let request_id = req_str(body, "request_id", "")?;
    let order_id = req_str(body, "order_id", "")?;
    let mut lines = Vec::new();
    for (i, item) in req_lines(body, "lines")?.iter().enumerate() {
        let path = format!("lines[{i}]");
        if !item.is_object() {
            return Err(Invalid::new(path, "must be an object"));
        }
        lines.push(Line {
            line_id: opt_str(item, "line_id", &path)?,
            sku: req_str(item, "sku", &path)?,
            quantity: quantity(item, "quantity", &path)?,
        });
    }
    let to = opt_object(body, "ship_to", "")?.ok_or_else(|| Invalid::new("ship_to", "is required"))?;
    let at = "ship_to";
    let ship_to = ShipTo {
        name: opt_str(to, "name", at)?,
        company: None,
        phone: opt_str(to, "phone", at)?,
        email: opt_str(to, "email", at)?,
        country: req_str(to, "country", at)?,
        province: opt_str(to, "province", at)?,
        city: opt_str(to, "city", at)?,
        district: opt_str(to, "district", at)?,
        line1: req_str(to, "line1", at)?,
        line2: opt_str(to, "line2", at)?,
        postal_code: opt_str(to, "postal_code", at)?,
    };
    let callback_url = opt_str(body, "callback_url", "")?;
    if callback_url.as_deref().is_some_and(|url| !valid_url(url)) {
        return Err(Invalid::new("callback_url", "must be an http(s) URL"));
    }
    Ok(NewFulfilment {
        request_id,
        order_id,
        channel: opt_str(body, "channel", "")?,
        external_order_id: opt_str(body, "external_order_id", "")?,
        warehouse: opt_str(body, "warehouse", "")?,
        ship_to,
        carrier: opt_str(body, "carrier", "")?,
        service: opt_str(body, "service", "")?,
        lines,
        callback_url,
        channel_id: None,
    })
}

async fn submit(
    State(shared): State<Arc<Shared>>,
    Extension(arrival): Extension<Arrival>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    if shared.faults.should_fail() {
        Counters::count(&shared.stats.failures_injected);
        return shared.unavailable();
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            Counters::count(&shared.stats.rejected);
            return error(StatusCode::BAD_REQUEST, &format!("body is not JSON: {e}"), None);
        }
    };
    let request = match parse(&body) {
        Ok(request) => request,
        Err(invalid) => {
            Counters::count(&shared.stats.rejected);
            let message = format!("{} {}", invalid.field, invalid.error);
            return error(StatusCode::UNPROCESSABLE_ENTITY, &message, Some(&invalid.field));
        }
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| request.request_id.clone(), str::to_owned);
    shared.arrived(WmsArrival {
        key,
        request_id: request.request_id.clone(),
        at: arrival.at,
    });
    match shared.submit(request, arrival, |_| ()).0 {
        Submitted::Created(seq) => created(StatusCode::CREATED, seq),
        Submitted::Existing(seq) => created(StatusCode::OK, seq),
        Submitted::Full => error(
            StatusCode::INSUFFICIENT_STORAGE,
            &format!("the simulator holds its maximum of {MAX_FULFILMENTS} fulfilments"),
            None,
        ),
    }
}

fn created(status: StatusCode, seq: u64) -> Response {
    json_response(status, &json!({"fulfilment_id": public_id(WmsKind::Generic, seq)}))
}

/// A fulfilment as `GET /fulfilments/{id}` shows it.
fn document(fulfilment: &Fulfilment) -> Value {
    let shipments: Vec<Value> = fulfilment
        .shipments()
        .into_iter()
        .map(|s| {
            json!({
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "tracking_url": s.tracking_url,
                "lines": s.lines,
                "shipped_at": wire_time(s.shipped_at),
            })
        })
        .collect();
    json!({
        "fulfilment_id": public_id(WmsKind::Generic, fulfilment.seq),
        "request_id": fulfilment.request.request_id,
        "order_id": fulfilment.request.order_id,
        "state": fulfilment.state,
        "carrier": fulfilment.carrier,
        "lines": fulfilment.lines(),
        "shipments": shipments,
        "short": fulfilment.short,
        "received_at": wire_time(fulfilment.received_at),
        "updated_at": wire_time(fulfilment.updated_at),
    })
}

async fn show(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let Some(seq) = parse_id(WmsKind::Generic, &id) else {
        return not_found();
    };
    let book = shared.book.lock().expect("book lock");
    match book.get(seq) {
        Some(fulfilment) => json_response(StatusCode::OK, &document(fulfilment)),
        None => not_found(),
    }
}

async fn cancel(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let Some(seq) = parse_id(WmsKind::Generic, &id) else {
        return not_found();
    };
    match shared.cancel(seq, |f| f.state) {
        Some((Cancelled::Now | Cancelled::Already, state)) => json_response(
            StatusCode::OK,
            &json!({"fulfilment_id": public_id(WmsKind::Generic, seq), "state": state}),
        ),
        Some((Cancelled::Shipped, _)) => error(StatusCode::CONFLICT, "the fulfilment has already shipped", None),
        None => not_found(),
    }
}
