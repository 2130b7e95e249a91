//! WooCommerce REST `wc/v3` and the Shipment Tracking extension: Basic auth, the
//! optional rate limit, order listing with `page` / `X-WP-TotalPages`, single orders and
//! products. Write-backs (tracking, status, stock) are in `woo_write`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{json_response, pairs_to_map, parse_json, with_header, woo_write};
use crate::Credentials;
use crate::book::offset_page;
use crate::generate::woo::{SITE_OFFSET_S, product, product_id};
use crate::generate::{self, SimOrder};
use crate::limit::{Admission, retry_after_whole};
use crate::state::Shared;

const PREFIX: &str = "/wp-json/wc/v3";
const TRACKING: &str = "/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings";
pub(super) const STATUSES: [&str; 8] = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
];

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(&format!("{PREFIX}/orders"), get(list_orders))
        .route(
            &format!("{PREFIX}/orders/{{id}}"),
            get(get_order)
                .put(woo_write::update_order)
                .post(woo_write::update_order)
                .patch(woo_write::update_order),
        )
        .route(TRACKING, get(woo_write::list_trackings).post(woo_write::add_tracking))
        .route(&format!("{PREFIX}/products"), get(list_products))
        .route(
            &format!("{PREFIX}/products/{{id}}"),
            get(get_product)
                .put(woo_write::update_product)
                .post(woo_write::update_product)
                .patch(woo_write::update_product),
        )
}

/// WordPress's error body.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"code": code, "message": message, "data": {"status": status.as_u16()}}),
    )
}

pub(super) fn invalid_param(name: &str, why: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "code": "rest_invalid_param",
            "message": format!("Invalid parameter(s): {name}"),
            "data": {"status": 400, "params": { name: why }, "details": {}},
        }),
    )
}

pub(super) fn invalid_order() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_shop_order_invalid_id",
        "Invalid ID.",
    )
}

/// Checks the consumer key and secret (HTTP Basic, or `consumer_key` / `consumer_secret`
/// query parameters as WooCommerce also accepts), then the optional rate limit.
pub(super) fn gate(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<(), Response> {
    let Credentials::ConsumerKey { key, secret } = &shared.config.credentials else {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "misconfigured",
            "misconfigured",
        ));
    };
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| pair.split_once(':').map(|(k, s)| (k.to_owned(), s.to_owned())));
    let given = basic.or_else(|| {
        Some((
            query.get("consumer_key")?.clone(),
            query.get("consumer_secret")?.clone(),
        ))
    });
    if given.as_ref() != Some(&(key.clone(), secret.clone())) {
        return Err(if method == Method::GET {
            error(
                StatusCode::UNAUTHORIZED,
                "woocommerce_rest_cannot_view",
                "Sorry, you cannot list resources.",
            )
        } else {
            error(
                StatusCode::UNAUTHORIZED,
                "woocommerce_rest_cannot_edit",
                "Sorry, you are not allowed to edit this resource.",
            )
        });
    }
    match shared.admit("api", shared.config.rate_limits.api) {
        Admission::Limited { wait, .. } => Err(with_header(
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "woocommerce_rest_too_many_requests",
                "Too many requests. Please wait and try again.",
            ),
            "retry-after",
            &retry_after_whole(wait),
        )),
        _ => Ok(()),
    }
}

/// A body as a JSON object, from JSON or a form (WooCommerce takes both).
pub(super) fn body_object(headers: &HeaderMap, body: &[u8]) -> Option<Map<String, Value>> {
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        return Some(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect());
    }
    match parse_json(body)? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

fn page_params(q: &HashMap<String, String>, default_size: usize) -> Result<(usize, usize), Response> {
    let page = match q.get("page").map(|p| p.parse::<usize>()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        Some(_) => return Err(invalid_param("page", "page must be greater than or equal to 1")),
    };
    let size = match q.get("per_page").map(|p| p.parse::<usize>()) {
        None => default_size,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return Err(invalid_param(
                "per_page",
                "per_page must be between 1 (inclusive) and 100 (inclusive)",
            ));
        }
    };
    Ok((page, size))
}

/// Adds `X-WP-Total`, `X-WP-TotalPages` and a `Link` to the next page.
fn paged(
    shared: &Shared,
    path: &str,
    body: &Value,
    total: usize,
    page: usize,
    size: usize,
    q: &HashMap<String, String>,
) -> Response {
    let pages = total.div_ceil(size);
    let mut response = json_response(StatusCode::OK, body);
    response = with_header(response, "x-wp-total", &total.to_string());
    response = with_header(response, "x-wp-totalpages", &pages.to_string());
    if page < pages {
        let mut next: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| !k.starts_with("consumer_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        next.retain(|(k, _)| k != "page");
        next.push(("page".into(), (page + 1).to_string()));
        next.sort();
        let query = serde_urlencoded::to_string(&next).unwrap_or_default();
        response = with_header(
            response,
            "link",
            &format!("<{}{path}?{query}>; rel=\"next\"", shared.ctx.base_url),
        );
    }
    response
}

fn time_param(q: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, Response> {
    let gmt = q.get("dates_are_gmt").is_some_and(|v| v == "true" || v == "1");
    let offset = if gmt { 0 } else { SITE_OFFSET_S };
    q.get(name)
        .map(|text| generate::parse_iso(text, offset).ok_or_else(|| invalid_param(name, "Invalid date.")))
        .transpose()
}

async fn list_orders(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let q = pairs_to_map(pairs);
    if let Err(refused) = gate(&shared, &Method::GET, &headers, &q) {
        return refused;
    }
    orders_page(&shared, &q).unwrap_or_else(|refused| refused)
}

fn orders_page(shared: &Shared, q: &HashMap<String, String>) -> Result<Response, Response> {
    let (page, size) = page_params(q, 10)?;
    // WordPress date bounds are exclusive: `modified_after` keeps strictly later orders.
    let (modified_after, modified_before) = (time_param(q, "modified_after")?, time_param(q, "modified_before")?);
    let (after, before) = (time_param(q, "after")?, time_param(q, "before")?);
    let statuses: Option<Vec<String>> = q
        .get("status")
        .filter(|s| s.as_str() != "any")
        .map(|s| s.split(',').map(|x| x.trim().to_owned()).collect());
    if let Some(bad) = statuses.iter().flatten().find(|s| !STATUSES.contains(&s.as_str())) {
        return Err(invalid_param("status", &format!("{bad} is not a valid order status")));
    }
    let orderby = q.get("orderby").map_or("date", String::as_str);
    let ascending = match q.get("order").map_or("desc", String::as_str) {
        "asc" => true,
        "desc" => false,
        _ => return Err(invalid_param("order", "order is not one of asc, desc.")),
    };
    let book = shared.book.lock().expect("book lock");
    let mut all: Vec<&SimOrder> = book.all(|o| {
        modified_after.is_none_or(|t| o.updated_at > t)
            && modified_before.is_none_or(|t| o.updated_at < t)
            && after.is_none_or(|t| o.created_at > t)
            && before.is_none_or(|t| o.created_at < t)
            && statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == generate::woo::status(o)))
    });
    match orderby {
        "modified" => {}
        "date" | "id" => all.sort_by_key(|o| o.seq),
        other => {
            return Err(invalid_param(
                "orderby",
                &format!("{other} is not supported by the simulator"),
            ));
        }
    }
    if !ascending {
        all.reverse();
    }
    let orders: Vec<Value> = offset_page(&all, page, size)
        .into_iter()
        .map(|o| shared.document(o))
        .collect();
    Ok(paged(
        shared,
        &format!("{PREFIX}/orders"),
        &Value::Array(orders),
        all.len(),
        page,
        size,
        q,
    ))
}

async fn get_order(
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
        Some(order) => json_response(StatusCode::OK, &shared.document(order)),
        None => invalid_order(),
    }
}

pub(super) fn product_index(shared: &Shared, id: &str) -> Option<usize> {
    (0..shared.config.skus.len()).find(|&i| product_id(i).to_string() == id)
}

async fn list_products(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let q = pairs_to_map(pairs);
    if let Err(refused) = gate(&shared, &Method::GET, &headers, &q) {
        return refused;
    }
    let (page, size) = match page_params(&q, 10) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let stock = shared.stock.lock().expect("stock lock").clone();
    let skus = &shared.config.skus;
    let all: Vec<usize> = (0..skus.len())
        .filter(|&i| q.get("sku").is_none_or(|s| *s == skus[i]))
        .collect();
    let products: Vec<Value> = offset_page(&all, page, size)
        .into_iter()
        .map(|i| product(i, &skus[i], stock[i]))
        .collect();
    paged(
        &shared,
        &format!("{PREFIX}/products"),
        &Value::Array(products),
        all.len(),
        page,
        size,
        &q,
    )
}

async fn get_product(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = gate(&shared, &Method::GET, &headers, &pairs_to_map(pairs)) {
        return refused;
    }
    match product_index(&shared, &id) {
        Some(i) => {
            let stock = shared.stock.lock().expect("stock lock")[i];
            json_response(StatusCode::OK, &product(i, &shared.config.skus[i], stock))
        }
        None => error(
            StatusCode::NOT_FOUND,
            "woocommerce_rest_product_invalid_id",
            "Invalid ID.",
        ),
    }
}
