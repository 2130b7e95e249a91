//! Magento 2 / Adobe Commerce REST `V1` under `/rest/V1`: an integration's bearer token,
//! an optional rate limit (Magento sets none; a shop's proxy may answer `429` with
//! `Retry-After`), the order search with `searchCriteria`, single orders by entity id,
//! and the write-backs: ship, cancel, stock item.
//!
//! The search behaves as Magento's: filters in one group are OR-ed, groups AND-ed; without
//! `pageSize` everything is one page; a `currentPage` past the end answers the last page
//! again, so a client must stop by `total_count`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{as_integer, json_response, parse_json, with_header};
use crate::Credentials;
use crate::book::offset_page;
use crate::generate::magento::{stock_item, stock_item_id};
use crate::generate::{self, Shipment, SimOrder, Status};
use crate::limit::{Admission, retry_after_whole};
use crate::state::Shared;
use crate::webhook::Event;
use crate::writeback::WriteBackKind;

const API: &str = "/rest/V1";

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(&format!("{API}/orders"), get(search_orders))
        .route(&format!("{API}/orders/{{id}}"), get(get_order))
        .route(&format!("{API}/orders/{{id}}/cancel"), post(cancel_order))
        .route(&format!("{API}/order/{{id}}/ship"), post(ship_order))
        .route(&format!("{API}/stockItems/{{sku}}"), get(get_stock_item))
        .route(
            &format!("{API}/products/{{sku}}/stockItems/{{item_id}}"),
            put(update_stock_item),
        )
}

/// Magento's error body.
fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "message": message }))
}

fn no_entity() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "The entity that was requested doesn't exist. Verify the entity and try again.",
    )
}

/// Checks the bearer token, then the optional rate limit.
fn gate(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let Credentials::AccessToken(token) = &shared.config.credentials else {
        return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "misconfigured"));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.map(str::trim) != Some(token.as_str()) {
        return Err(json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"message": "The consumer isn't authorized to access %resources.",
                    "parameters": {"resources": "Magento_Sales::actions_view"}}),
        ));
    }
    match shared.admit("api", shared.config.rate_limits.api) {
        Admission::Limited { wait, .. } => Err(with_header(
            error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            "retry-after",
            &retry_after_whole(wait),
        )),
        _ => Ok(()),
    }
}

/// The increment id of an entity id: the simulator numbers both from the order's `seq`.
fn order_key(entity_id: &str) -> Option<String> {
    entity_id.parse::<u64>().ok().map(|seq| format!("{seq:09}"))
}

/// One `searchCriteria` filter.
#[derive(Debug, Default)]
struct Filter {
    field: String,
    value: String,
    condition: String,
}

/// The parsed `searchCriteria`: filter groups, one sort order, page size and page.
#[derive(Debug, Default)]
struct Search {
    groups: BTreeMap<usize, BTreeMap<usize, Filter>>,
    sort: Option<(String, String)>,
    page_size: Option<usize>,
    current_page: Option<usize>,
}

/// `searchCriteria[a][b]…` as its bracketed parts.
fn bracket_parts(key: &str) -> Option<Vec<&str>> {
    let mut rest = key.strip_prefix("searchCriteria")?;
    let mut parts = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        parts.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(parts)
}

fn parse_search(pairs: Vec<(String, String)>) -> Result<Search, String> {
    let mut search = Search::default();
    let (mut sort_field, mut sort_direction) = (None, None);
    for (key, value) in pairs {
        if !key.starts_with("searchCriteria") {
            continue;
        }
        let bad = || format!("\"{key}\" is not a valid search criterion.");
        let index = |text: &str| text.parse::<usize>().map_err(|_| bad());
        match bracket_parts(&key).ok_or_else(bad)?.as_slice() {
            ["filter_groups", group, "filters", filter, attribute] => {
                let entry = search
                    .groups
                    .entry(index(group)?)
                    .or_default()
                    .entry(index(filter)?)
                    .or_default();
                match *attribute {
                    "field" => entry.field = value,
                    "value" => entry.value = value,
                    "condition_type" => entry.condition = value,
                    _ => return Err(bad()),
                }
            }
            ["sortOrders", "0", "field"] => sort_field = Some(value),
            ["sortOrders", "0", "direction"] => sort_direction = Some(value.to_ascii_uppercase()),
            ["pageSize"] => search.page_size = Some(index(&value)?.max(1)),
            ["currentPage"] => search.current_page = Some(index(&value)?.max(1)),
            _ => return Err(bad()),
        }
    }
    if let Some(field) = sort_field {
        search.sort = Some((field, sort_direction.unwrap_or_else(|| "ASC".into())));
    }
    Ok(search)
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    generate::parse_iso(text, 0)
}

/// Whether `order` passes one filter; an unknown field or condition is an error.
fn passes(order: &SimOrder, filter: &Filter) -> Result<bool, String> {
    use std::cmp::Ordering;
    let condition = if filter.condition.is_empty() {
        "eq"
    } else {
        filter.condition.as_str()
    };
    let ordering = |value: &str| -> Result<Ordering, String> {
        match filter.field.as_str() {
            "updated_at" | "created_at" => {
                let at = if filter.field == "updated_at" {
                    order.updated_at
                } else {
                    order.created_at
                };
                let bound = parse_time(value).ok_or_else(|| format!("\"{value}\" is not a valid date."))?;
                Ok(at.cmp(&bound))
            }
            "entity_id" => Ok(order
                .num_id
                .cmp(&value.parse::<u64>().map_err(|_| "bad entity_id".to_owned())?)),
            "increment_id" => Ok(order.external_id.as_str().cmp(value)),
            "state" => Ok(generate::magento::state(order).0.cmp(value)),
            other => Err(format!("\"{other}\" is not a filterable field of the simulator.")),
        }
    };
    let ord = |value: &str| ordering(value);
    Ok(match condition {
        "eq" => ord(&filter.value)? == Ordering::Equal,
        "neq" => ord(&filter.value)? != Ordering::Equal,
        "gt" => ord(&filter.value)? == Ordering::Greater,
        "gteq" => ord(&filter.value)? != Ordering::Less,
        "lt" => ord(&filter.value)? == Ordering::Less,
        "lteq" => ord(&filter.value)? != Ordering::Greater,
        "in" => {
            let mut any = false;
            for value in filter.value.split(',') {
                any |= ord(value.trim())? == Ordering::Equal;
            }
            any
        }
        other => return Err(format!("\"{other}\" is not a condition type of the simulator.")),
    })
}

async fn search_orders(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, Response> {
    gate(&shared, &headers)?;
    let bad_request = |message: String| error(StatusCode::BAD_REQUEST, &message);
    let search = parse_search(pairs).map_err(bad_request)?;
    let book = shared.book.lock().expect("book lock");
    // The listing's filter cannot fail, so the first error is kept aside and answered.
    let failure = std::cell::RefCell::new(None);
    let mut all = book.all(|o| {
        search.groups.values().all(|group| {
            group.values().any(|f| {
                passes(o, f).unwrap_or_else(|e| {
                    failure.borrow_mut().get_or_insert(e);
                    false
                })
            })
        })
    });
    if let Some(message) = failure.into_inner() {
        return Err(bad_request(message));
    }
    if let Some((field, direction)) = &search.sort {
        match field.as_str() {
            "updated_at" => {}
            "created_at" | "entity_id" | "increment_id" => all.sort_by_key(|o| o.seq),
            other => return Err(bad_request(format!("Cannot sort by \"{other}\"."))),
        }
        if direction == "DESC" {
            all.reverse();
        }
    }
    let total = all.len();
    let size = search.page_size.unwrap_or(total.max(1));
    // Magento clamps a page past the end to the last page.
    let page = search.current_page.unwrap_or(1).min(total.div_ceil(size).max(1));
    let items: Vec<Value> = offset_page(&all, page, size)
        .into_iter()
        .map(|o| shared.document(o))
        .collect();
    let groups: Vec<Value> = search
        .groups
        .values()
        .map(|g| {
            let filters: Vec<Value> = g
                .values()
                .map(|f| json!({"field": f.field, "value": f.value, "condition_type": f.condition}))
                .collect();
            json!({ "filters": filters })
        })
        .collect();
    let mut criteria = json!({ "filter_groups": groups });
    if let Some((field, direction)) = &search.sort {
        criteria["sort_orders"] = json!([{ "field": field, "direction": direction }]);
    }
    if let Some(size) = search.page_size {
        criteria["page_size"] = json!(size);
    }
    if let Some(page) = search.current_page {
        criteria["current_page"] = json!(page);
    }
    let answer = json!({ "items": items, "search_criteria": criteria, "total_count": total });
    Ok(json_response(StatusCode::OK, &answer))
}

async fn get_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    gate(&shared, &headers)?;
    let book = shared.book.lock().expect("book lock");
    let order = order_key(&id).and_then(|key| book.get(&key)).ok_or_else(no_entity)?;
    Ok(json_response(StatusCode::OK, &shared.document(order)))
}

/// A write-back refused for its body: counted, and nothing changes.
fn refuse(shared: &Shared, response: Response) -> Response {
    shared.reject();
    response
}

/// `POST /V1/orders/{id}/cancel`: `true` when cancelled, `false` when the order cannot be.
async fn cancel_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    gate(&shared, &headers)?;
    let mut book = shared.book.lock().expect("book lock");
    let key = order_key(&id)
        .filter(|key| book.get(key).is_some())
        .ok_or_else(|| refuse(&shared, no_entity()))?;
    if !matches!(
        book.get(&key).map(SimOrder::status),
        Some(Status::Unpaid | Status::Paid)
    ) {
        return Ok(json_response(StatusCode::OK, &json!(false)));
    }
    shared.record(WriteBackKind::Cancel, &key, json!({ "entity_id": id }));
    if let Some(((), order)) = book.update(&key, Utc::now(), |o, at| o.cancelled_at = Some(at)) {
        shared.notify(order, Event::Cancelled);
    }
    Ok(json_response(StatusCode::OK, &json!(true)))
}

/// Checks a ship request against the order.
fn check_ship(order: &SimOrder, request: &Map<String, Value>) -> Result<(), String> {
    if matches!(order.status(), Status::Cancelled | Status::Refunded) || !order.shipments.is_empty() {
        return Err("The order does not allow a shipment to be created.".into());
    }
    let invalid = |why: &str| Err(format!("Shipment Document Validation Error(s):\n{why}"));
    match request.get("items") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let id = item.get("order_item_id").and_then(as_integer);
                let Some(line) = order.lines.iter().find(|l| Some(l.id as i64) == id) else {
                    return invalid("The order does not contain the item to ship.");
                };
                match item.get("qty").and_then(Value::as_f64) {
                    Some(qty) if qty > 0.0 && qty <= f64::from(line.quantity) && qty.fract() == 0.0 => {}
                    _ => return invalid("You can't create a shipment with a quantity outside what was ordered."),
                }
            }
        }
        Some(_) => return invalid("items must be a list."),
    }
    match request.get("tracks") {
        None => Ok(()),
        Some(Value::Array(tracks)) => {
            let filled =
                |t: &Value, key: &str| t.get(key).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
            if tracks
                .iter()
                .all(|t| filled(t, "track_number") && filled(t, "carrier_code"))
            {
                Ok(())
            } else {
                invalid("Please enter a tracking number and carrier code.")
            }
        }
        Some(_) => invalid("tracks must be a list."),
    }
}

/// `POST /V1/order/{id}/ship`, the tracking write-back; answers the shipment's id.
async fn ship_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Response> {
    gate(&shared, &headers)?;
    let Some(Value::Object(request)) = parse_json(&body) else {
        let message = "Decoding error: the body is not a JSON object.";
        return Err(refuse(&shared, error(StatusCode::BAD_REQUEST, message)));
    };
    let mut book = shared.book.lock().expect("book lock");
    let key = order_key(&id)
        .filter(|key| book.get(key).is_some())
        .ok_or_else(|| refuse(&shared, no_entity()))?;
    if let Some(Err(message)) = book.get(&key).map(|o| check_ship(o, &request)) {
        return Err(refuse(&shared, error(StatusCode::BAD_REQUEST, &message)));
    }
    let tracks = request
        .get("tracks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let now = Utc::now();
    let track = |number: &Value, carrier: &Value| Shipment {
        tracking_number: number.as_str().unwrap_or_default().to_owned(),
        company: carrier.as_str().unwrap_or_default().to_owned(),
        url: None,
        at: now,
    };
    // A shipment without tracks still ships the order.
    let shipments: Vec<Shipment> = if tracks.is_empty() {
        vec![track(&Value::Null, &Value::Null)]
    } else {
        tracks
            .iter()
            .map(|t| track(&t["track_number"], &t["carrier_code"]))
            .collect()
    };
    let ((), order) = book
        .update(&key, now, |o, _| o.shipments.extend(shipments))
        .ok_or_else(no_entity)?;
    shared.record(WriteBackKind::Tracking, &key, Value::Object(request));
    shared.notify(order, Event::Updated);
    Ok(json_response(StatusCode::OK, &json!(order.seq)))
}

fn sku_index(shared: &Shared, sku: &str) -> Result<usize, Response> {
    shared.config.skus.iter().position(|s| s == sku).ok_or_else(|| {
        json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "The Product with the \"%1\" SKU doesn't exist.", "parameters": [sku]}),
        )
    })
}

async fn get_stock_item(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(sku): Path<String>,
) -> Result<Response, Response> {
    gate(&shared, &headers)?;
    let index = sku_index(&shared, &sku)?;
    let stock = shared.stock.lock().expect("stock lock")[index];
    Ok(json_response(StatusCode::OK, &stock_item(index, stock)))
}

/// `PUT /V1/products/{sku}/stockItems/{itemId}` with `{"stockItem": {"qty": n, …}}`.
async fn update_stock_item(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path((sku, item_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, Response> {
    gate(&shared, &headers)?;
    let index = sku_index(&shared, &sku).map_err(|response| refuse(&shared, response))?;
    if item_id != stock_item_id(index).to_string() {
        return Err(refuse(
            &shared,
            error(StatusCode::BAD_REQUEST, "The stock item was not found."),
        ));
    }
    let request = parse_json(&body).unwrap_or(Value::Null);
    let item = &request["stockItem"];
    let quantity = item
        .get("qty")
        .and_then(Value::as_f64)
        .filter(|q| q.fract() == 0.0 && *q >= 0.0);
    let in_stock_ok = item.get("is_in_stock").is_none_or(Value::is_boolean);
    let Some(quantity) = quantity.filter(|_| in_stock_ok) else {
        let message = "stockItem needs qty as a whole number >= 0 and is_in_stock, if sent, as a boolean.";
        return Err(refuse(&shared, error(StatusCode::BAD_REQUEST, message)));
    };
    shared.stock.lock().expect("stock lock")[index] = quantity as i64;
    shared.record(WriteBackKind::Stock, &sku, request.clone());
    Ok(json_response(StatusCode::OK, &json!(stock_item_id(index))))
}
