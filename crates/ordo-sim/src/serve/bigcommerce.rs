//! BigCommerce Management REST API under `/stores/{store_hash}/`: `X-Auth-Token`, the
//! store's request quota (`429` with `X-Rate-Limit-Time-Reset-Ms`), Orders v2 listed by
//! page with `204` for an empty page, each order's products and shipping addresses, order
//! shipments, the cancel status, and v3 absolute inventory adjustments.
//!
//! Every view of an order is cut from its one rendered document (renames applied): the
//! listing replaces the sub-resource arrays with links, the sub-resource endpoints serve
//! the arrays. A shipment marks the whole order shipped: the simulator does not count
//! shipped units per line, so a second shipment of the same lines is refused.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{as_integer, json_response, pairs_to_map, parse_json, with_header};
use crate::book::offset_page;
use crate::generate::bigcommerce::{address_id, product_id, quantity_shipped, rfc2822, variant_id};
use crate::generate::{self, Shipment, SimOrder, Status};
use crate::limit::Admission;
use crate::state::Shared;
use crate::webhook::Event;
use crate::writeback::WriteBackKind;
use crate::{BIGCOMMERCE_STORE_HASH, Credentials};

const STORE: &str = "/stores/{hash}";

/// The quota window BigCommerce reports in `X-Rate-Limit-Time-Window-Ms`.
const WINDOW_MS: &str = "30000";

/// `shipping_provider` values BigCommerce accepts besides `carrier_{id}`.
const PROVIDERS: [&str; 11] = [
    "",
    "auspost",
    "canadapost",
    "endicia",
    "usps",
    "fedex",
    "royalmail",
    "ups",
    "upsready",
    "upsonline",
    "shipperhq",
];

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(&format!("{STORE}/v2/orders"), get(list_orders))
        .route(&format!("{STORE}/v2/orders/{{id}}"), get(get_order).put(update_order))
        .route(&format!("{STORE}/v2/orders/{{id}}/{{resource}}"), get(sub_resource))
        .route(&format!("{STORE}/v2/orders/{{id}}/shipments"), post(create_shipment))
        .route(
            &format!("{STORE}/v3/inventory/adjustments/absolute"),
            put(absolute_adjustment),
        )
}

/// v2's error body: a list of `{status, message}`.
fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!([{"status": status.as_u16(), "message": message}]))
}

/// v3's error body.
fn error_v3(status: StatusCode, title: &str) -> Response {
    json_response(
        status,
        &json!({"status": status.as_u16(), "title": title,
                "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes", "errors": {}}),
    )
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "The requested resource was not found.")
}

/// Checks the store and token, then charges the store's quota. Admitted answers carry
/// how many requests are left.
fn gate(shared: &Shared, headers: &HeaderMap, hash: &str) -> Result<Option<u32>, Response> {
    let Credentials::AccessToken(token) = &shared.config.credentials else {
        return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "misconfigured"));
    };
    if hash != BIGCOMMERCE_STORE_HASH {
        return Err(not_found());
    }
    let given = headers.get("x-auth-token").and_then(|v| v.to_str().ok());
    if given != Some(token.as_str()) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "You are not authorized to access this resource.",
        ));
    }
    match shared.admit("api", shared.config.rate_limits.api) {
        Admission::Limited { wait, capacity } => {
            let mut refused = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            let reset_ms = (wait.as_secs_f64() * 1000.0).ceil().max(1.0).to_string();
            refused = with_header(refused, "x-rate-limit-time-reset-ms", &reset_ms);
            refused = with_header(refused, "x-rate-limit-time-window-ms", WINDOW_MS);
            refused = with_header(refused, "x-rate-limit-requests-left", "0");
            Err(with_header(
                refused,
                "x-rate-limit-requests-quota",
                &capacity.to_string(),
            ))
        }
        Admission::Allowed { used, capacity } => Ok(Some(capacity.saturating_sub(used))),
        Admission::Unlimited => Ok(None),
    }
}

fn admitted(response: Response, left: Option<u32>) -> Response {
    match left {
        Some(left) => with_header(response, "x-rate-limit-requests-left", &left.to_string()),
        None => response,
    }
}

fn page_params(q: &HashMap<String, String>) -> Result<(usize, usize), Response> {
    let number = |name: &str, default: usize, max: usize| match q.get(name).map(|v| v.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(error(
            StatusCode::BAD_REQUEST,
            &format!("The field '{name}' is invalid."),
        )),
    };
    Ok((number("page", 1, usize::MAX)?, number("limit", 50, 250)?))
}

/// RFC 2822 or ISO 8601, both of which v2 filters take.
fn time_param(q: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, Response> {
    q.get(name)
        .map(|text| {
            DateTime::parse_from_rfc2822(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| generate::parse_iso(text, 0))
                .ok_or_else(|| error(StatusCode::BAD_REQUEST, &format!("The field '{name}' is invalid.")))
        })
        .transpose()
}

/// The order as listed: its sub-resources are links, not arrays.
fn listed(shared: &Shared, order: &SimOrder) -> Value {
    let mut value = shared.document(order);
    let plain = generate::bigcommerce::order(&shared.ctx, order);
    for name in ["products", "shipping_addresses"] {
        value[name] = plain[name].clone();
    }
    value
}

async fn list_orders(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let left = gate(&shared, &headers, &hash)?;
    let q = pairs_to_map(pairs);
    let (page, limit) = page_params(&q)?;
    let (min, max) = (
        time_param(&q, "min_date_modified")?,
        time_param(&q, "max_date_modified")?,
    );
    let book = shared.book.lock().expect("book lock");
    let mut all = book.all(|o| min.is_none_or(|t| o.updated_at >= t) && max.is_none_or(|t| o.updated_at <= t));
    let bad_sort = || error(StatusCode::BAD_REQUEST, "The field 'sort' is invalid.");
    let (field, direction) = q
        .get("sort")
        .map_or(("id", "asc"), |s| s.split_once(':').unwrap_or((s, "asc")));
    match field {
        "date_modified" => {}
        "id" | "date_created" => all.sort_by_key(|o| o.seq),
        _ => return Err(bad_sort()),
    }
    match direction {
        "asc" => {}
        "desc" => all.reverse(),
        _ => return Err(bad_sort()),
    }
    let orders: Vec<Value> = offset_page(&all, page, limit)
        .into_iter()
        .map(|o| listed(&shared, o))
        .collect();
    Ok(admitted(list_answer(orders), left))
}

/// A page of a v2 list: `204` when it is empty.
fn list_answer(items: Vec<Value>) -> Response {
    if items.is_empty() {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
    } else {
        json_response(StatusCode::OK, &Value::Array(items))
    }
}

async fn get_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((hash, id)): Path<(String, String)>,
) -> Result<Response, Response> {
    let left = gate(&shared, &headers, &hash)?;
    let book = shared.book.lock().expect("book lock");
    let order = book.get(&id).ok_or_else(not_found)?;
    Ok(admitted(json_response(StatusCode::OK, &listed(&shared, order)), left))
}

/// `GET /v2/orders/{id}/products` and `…/shipping_addresses`, paged like the listing.
async fn sub_resource(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((hash, id, resource)): Path<(String, String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    let left = gate(&shared, &headers, &hash)?;
    if !matches!(resource.as_str(), "products" | "shipping_addresses") {
        return Err(not_found());
    }
    let (page, limit) = page_params(&pairs_to_map(pairs))?;
    let book = shared.book.lock().expect("book lock");
    let document = shared.document(book.get(&id).ok_or_else(not_found)?);
    let all: Vec<&Value> = document[&resource]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let page = offset_page(&all, page, limit).into_iter().cloned().collect();
    Ok(admitted(list_answer(page), left))
}

/// A write-back refused for its body: counted, and nothing changes.
fn refuse(shared: &Shared, response: Response) -> Response {
    shared.reject();
    response
}

fn body_object(shared: &Shared, body: &[u8]) -> Result<Map<String, Value>, Response> {
    match parse_json(body) {
        Some(Value::Object(object)) => Ok(object),
        _ => Err(refuse(
            shared,
            error(StatusCode::BAD_REQUEST, "The request body is not a JSON object."),
        )),
    }
}

/// `PUT /v2/orders/{id}` with `status_id` 5, the cancel write-back.
async fn update_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((hash, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Response> {
    let left = gate(&shared, &headers, &hash)?;
    let request = body_object(&shared, &body)?;
    if request.get("status_id").and_then(as_integer) != Some(5) || request.len() != 1 {
        let only = "The simulator accepts only {\"status_id\": 5} (Cancelled).";
        return Err(refuse(&shared, error(StatusCode::BAD_REQUEST, only)));
    }
    let mut book = shared.book.lock().expect("book lock");
    let status = book.get(&id).ok_or_else(|| refuse(&shared, not_found()))?.status();
    if status == Status::Refunded {
        return Err(refuse(
            &shared,
            error(StatusCode::BAD_REQUEST, "The order is refunded."),
        ));
    }
    shared.record(WriteBackKind::Cancel, &id, Value::Object(request));
    // Setting the status an order has is accepted and changes nothing.
    if status != Status::Cancelled
        && let Some(((), order)) = book.update(&id, Utc::now(), |o, at| o.cancelled_at = Some(at))
    {
        shared.notify(order, Event::Cancelled);
    }
    let order = book.get(&id).ok_or_else(not_found)?;
    Ok(admitted(json_response(StatusCode::OK, &listed(&shared, order)), left))
}

/// Checks a shipment's body against the order; the items as sent when it is valid.
fn check_shipment(order: &SimOrder, request: &Map<String, Value>) -> Result<Vec<Value>, String> {
    if matches!(order.status(), Status::Cancelled | Status::Refunded) {
        return Err("The order is cancelled or refunded and cannot ship.".into());
    }
    if request.get("order_address_id").and_then(as_integer) != Some(address_id(order) as i64) {
        return Err("The field 'order_address_id' is invalid.".into());
    }
    let text = |name: &str| match request.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(format!("The field '{name}' is invalid.")),
    };
    if text("tracking_number")?.chars().count() > 50 {
        return Err("The field 'tracking_number' is longer than 50 characters.".into());
    }
    let provider = text("shipping_provider")?;
    if !PROVIDERS.contains(&provider) && !provider.starts_with("carrier_") {
        return Err("The field 'shipping_provider' is invalid.".into());
    }
    text("tracking_carrier")?;
    let items = request
        .get("items")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or("The field 'items' is required.")?;
    for item in items {
        let id = item.get("order_product_id").and_then(as_integer);
        let line = order
            .lines
            .iter()
            .find(|l| Some(l.id as i64) == id)
            .ok_or("The field 'order_product_id' is invalid.")?;
        let left = i64::from(line.quantity - quantity_shipped(order, line.quantity));
        match item.get("quantity").and_then(as_integer) {
            Some(q) if q >= 1 && q <= left => {}
            _ => return Err(format!("The quantity of order product {} is invalid.", line.id)),
        }
    }
    Ok(items.clone())
}

/// `POST /v2/orders/{id}/shipments`, the tracking write-back.
async fn create_shipment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((hash, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Response> {
    let left = gate(&shared, &headers, &hash)?;
    let request = body_object(&shared, &body)?;
    let mut book = shared.book.lock().expect("book lock");
    let order = book.get(&id).ok_or_else(|| refuse(&shared, not_found()))?;
    let items =
        check_shipment(order, &request).map_err(|message| refuse(&shared, error(StatusCode::BAD_REQUEST, &message)))?;
    let text = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let carrier = Some(text("tracking_carrier"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| text("shipping_provider"));
    let (number, link) = (text("tracking_number"), text("tracking_link"));
    let shipment = Shipment {
        tracking_number: number.clone(),
        company: carrier,
        url: Some(link.clone()).filter(|l| !l.is_empty()),
        at: Utc::now(),
    };
    let ((), order) = book
        .update(&id, Utc::now(), |o, _| o.shipments.push(shipment))
        .ok_or_else(not_found)?;
    shared.record(WriteBackKind::Tracking, &id, Value::Object(request.clone()));
    shared.notify(order, Event::Updated);
    let answer = json!({
        "id": order.seq * 100 + order.shipments.len() as u64,
        "order_id": order.num_id,
        "customer_id": 0,
        "order_address_id": address_id(order),
        "date_created": rfc2822(order.updated_at),
        "tracking_number": number,
        "shipping_method": text("shipping_method"),
        "shipping_provider": text("shipping_provider"),
        "tracking_carrier": text("tracking_carrier"),
        "tracking_link": link,
        "generated_tracking_link": "",
        "comments": text("comments"),
        "items": items,
    });
    Ok(admitted(json_response(StatusCode::CREATED, &answer), left))
}

/// The configured SKU an adjustment item names by `sku`, `variant_id` or `product_id`.
fn adjusted_sku(shared: &Shared, item: &Value) -> Result<usize, String> {
    let skus = &shared.config.skus;
    let named: Vec<&str> = ["sku", "variant_id", "product_id"]
        .into_iter()
        .filter(|k| item.get(*k).is_some())
        .collect();
    let found = match named.as_slice() {
        ["sku"] => skus.iter().position(|s| Some(s.as_str()) == item["sku"].as_str()),
        ["variant_id"] => (0..skus.len()).find(|&i| as_integer(&item["variant_id"]) == Some(variant_id(i) as i64)),
        ["product_id"] => (0..skus.len()).find(|&i| as_integer(&item["product_id"]) == Some(product_id(i) as i64)),
        _ => return Err("Each item needs exactly one of sku, variant_id and product_id.".into()),
    };
    found.ok_or_else(|| format!("Inventory item not found: {item}"))
}

/// `PUT /v3/inventory/adjustments/absolute`, the stock write-back. Every item is
/// checked before any is applied, so a refused request changes nothing.
async fn absolute_adjustment(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    let left = gate(&shared, &headers, &hash)?;
    let unprocessable = |title: &str| refuse(&shared, error_v3(StatusCode::UNPROCESSABLE_ENTITY, title));
    let request = body_object(&shared, &body)?;
    let items = request
        .get("items")
        .and_then(Value::as_array)
        .filter(|i| (1..=2000).contains(&i.len()))
        .ok_or_else(|| unprocessable("items must hold 1 to 2000 adjustments"))?;
    let mut changes = Vec::with_capacity(items.len());
    for item in items {
        let location = item.get("location_id").and_then(as_integer);
        if location != Some(1) {
            let title = format!("Location not found, identities: [{}]", location.unwrap_or(0));
            return Err(unprocessable(&title));
        }
        let index = adjusted_sku(&shared, item).map_err(|title| unprocessable(&title))?;
        match item.get("quantity").and_then(Value::as_i64) {
            Some(quantity) if quantity >= 0 => changes.push((index, quantity, item.clone())),
            _ => return Err(unprocessable("quantity must be a whole number >= 0")),
        }
    }
    let mut stock = shared.stock.lock().expect("stock lock");
    for (index, quantity, mut item) in changes {
        stock[index] = quantity;
        item["reason"] = request.get("reason").cloned().unwrap_or(Value::Null);
        shared.record(WriteBackKind::Stock, &shared.config.skus[index], item);
    }
    let transaction = format!("sim-{:016x}", shared.stats.snapshot().requests);
    Ok(admitted(
        json_response(StatusCode::OK, &json!({ "transaction_id": transaction })),
        left,
    ))
}
