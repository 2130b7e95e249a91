//! ShipBob's Developer API `2026-01`: create, get and cancel an order. Refusals use the
//! problem-details shape ShipBob's ASP.NET API answers with:
//! `{"type", "title", "status", "errors": {"<field>": ["<message>"]}}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::book::{Cancelled, MAX_FULFILMENTS, Submitted, parse_id};
use super::config::WmsKind;
use super::faults::Arrival;
use super::input::{Invalid, Line, NewFulfilment, ShipTo, opt_object, opt_str, quantity, req_lines, req_str};
use super::shared::{Counters, Shared};
use super::shipbob_render;
use crate::serve::json_response;

/// The header naming the channel an order belongs to; required on create.
const CHANNEL_HEADER: &str = "shipbob_channel_id";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/2026-01/order", post(create))
        .route("/2026-01/order/{id}", get(show).post(colon_action))
        .route("/2026-01/order/{id}/cancel", post(cancel))
}

/// ShipBob's error body.
pub(crate) fn problem(status: StatusCode, title: &str, error: Option<(&str, &str)>) -> Response {
    let kind = match status.as_u16() {
        422 => "https://tools.ietf.org/html/rfc4918#section-11.2",
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        _ => "https://tools.ietf.org/html/rfc9110#section-15.6",
    };
    let mut body = json!({"type": kind, "title": title, "status": status.as_u16()});
    if let Some((field, message)) = error {
        body["errors"] = json!({ field: [message] });
    }
    json_response(status, &body)
}

fn unauthorized() -> Response {
    problem(StatusCode::UNAUTHORIZED, "Unauthorized", None)
}

fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not Found", None)
}

fn invalid(invalid: &Invalid) -> Response {
    let message = format!("{} {}", invalid.field, invalid.error);
    let title = "One or more validation errors occurred.";
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        title,
        Some((&invalid.field, &message)),
    )
}

/// Reads a create-order body. `reference_id` is required here (ShipBob makes it
/// optional) because it is what makes a repeated create find the first order.
pub(crate) fn parse(body: &Value, channel_id: u64) -> Result<NewFulfilment, Invalid> {
    if !body.is_object() {
        return Err(Invalid::new("body", "must be a JSON object"));
    }
    let reference_id = req_str(body, "reference_id", "")?;
    let order_number = opt_str(body, "order_number", "")?;
    let to = opt_object(body, "recipient", "")?.ok_or_else(|| Invalid::new("recipient", "is required"))?;
    let name = req_str(to, "name", "recipient")?;
    let address =
        opt_object(to, "address", "recipient")?.ok_or_else(|| Invalid::new("recipient.address", "is required"))?;
    let at = "recipient.address";
    let ship_to = ShipTo {
        name: Some(name),
        company: opt_str(address, "company_name", at)?,
        phone: opt_str(to, "phone_number", "recipient")?,
        email: opt_str(to, "email", "recipient")?,
        country: req_str(address, "country", at)?,
        province: opt_str(address, "state", at)?,
        city: opt_str(address, "city", at)?,
        district: None,
        line1: req_str(address, "address1", at)?,
        line2: opt_str(address, "address2", at)?,
        postal_code: opt_str(address, "zip_code", at)?,
    };
    let mut lines = Vec::new();
    for (i, item) in req_lines(body, "products")?.iter().enumerate() {
        let path = format!("products[{i}]");
        if !item.is_object() {
            return Err(Invalid::new(path, "must be an object"));
        }
        // ShipBob also identifies a product by `sku`; `reference_id` is the documented one.
        let sku = match opt_str(item, "reference_id", &path)? {
            Some(reference) if !reference.trim().is_empty() => reference,
            _ => {
                req_str(item, "sku", &path).map_err(|_| Invalid::new(format!("{path}.reference_id"), "is required"))?
            }
        };
        let line_id = match item.get("external_line_id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        lines.push(Line {
            line_id,
            sku,
            quantity: quantity(item, "quantity", &path)?,
        });
    }
    let service = opt_str(body, "shipping_method", "")?;
    Ok(NewFulfilment {
        order_id: order_number.unwrap_or_else(|| reference_id.clone()),
        request_id: reference_id,
        channel: None,
        external_order_id: None,
        warehouse: None,
        ship_to,
        carrier: service.clone(),
        service,
        lines,
        callback_url: None,
        channel_id: Some(channel_id),
    })
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(arrival): Extension<Arrival>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let channel_id = headers
        .get(CHANNEL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(channel_id) = channel_id else {
        Counters::count(&shared.stats.rejected);
        let error = Some((CHANNEL_HEADER, "A numeric shipbob_channel_id header is required."));
        return problem(StatusCode::BAD_REQUEST, "Bad Request", error);
    };
    if shared.faults.should_fail() {
        Counters::count(&shared.stats.failures_injected);
        return shared.unavailable();
    }
    let request = match serde_json::from_slice::<Value>(&body) {
        Ok(body) => parse(&body, channel_id),
        Err(e) => {
            Counters::count(&shared.stats.rejected);
            let message = format!("body is not JSON: {e}");
            return problem(StatusCode::BAD_REQUEST, "Bad Request", Some(("body", &message)));
        }
    };
    let request = match request {
        Ok(request) => request,
        Err(refused) => {
            Counters::count(&shared.stats.rejected);
            return invalid(&refused);
        }
    };
    let (submitted, order) = shared.submit(request, arrival, |f| shipbob_render::order(&shared.config, f));
    match (submitted, order) {
        (Submitted::Created(_), Some(order)) => json_response(StatusCode::CREATED, &order),
        (Submitted::Existing(_), Some(order)) => json_response(StatusCode::OK, &order),
        _ => problem(
            StatusCode::INSUFFICIENT_STORAGE,
            &format!("The simulator holds its maximum of {MAX_FULFILMENTS} orders."),
            None,
        ),
    }
}

async fn show(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let Some(seq) = parse_id(WmsKind::ShipBob, &id) else {
        return not_found();
    };
    let book = shared.book.lock().expect("book lock");
    match book.get(seq) {
        Some(fulfilment) => json_response(StatusCode::OK, &shipbob_render::order(&shared.config, fulfilment)),
        None => not_found(),
    }
}

/// `POST /2026-01/order/{id}:cancel`, the spelling of ShipBob's 2026-01 reference.
async fn colon_action(shared: State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match id.strip_suffix(":cancel") {
        Some(id) => cancel(shared, headers, Path(id.to_owned())).await,
        None => not_found(),
    }
}

async fn cancel(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !shared.authorized(&headers) {
        return unauthorized();
    }
    let Some(seq) = parse_id(WmsKind::ShipBob, &id) else {
        return not_found();
    };
    match shared.cancel(seq, |f| shipbob_render::cancelled(&shared.config, f)) {
        Some((Cancelled::Now | Cancelled::Already, body)) => json_response(StatusCode::OK, &body),
        Some((Cancelled::Shipped, _)) => {
            let error = Some(("order", "The order has shipped and can no longer be cancelled."));
            problem(StatusCode::UNPROCESSABLE_ENTITY, "Order cannot be cancelled", error)
        }
        None => not_found(),
    }
}
