//! Shopify Admin REST `2024-10`: auth, the leaky bucket, order listing with `Link`
//! pagination, single orders, fulfillment orders, products and locations. Write-backs are
//! in `shopify_write`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{json_response, pairs_to_map, shopify_write, with_header};
use crate::book::{decode_token, encode_token};
use crate::generate::{self, SimOrder, Status};
use crate::limit::{Admission, retry_after_fractional};
use crate::state::Shared;
use crate::{Credentials, SHOPIFY_LOCATION_ID};

pub(super) const PREFIX: &str = "/admin/api/2024-10";
const MAX_LIMIT: usize = 250;
const DEFAULT_LIMIT: usize = 50;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(&format!("{PREFIX}/orders.json"), get(list_orders))
        .route(&format!("{PREFIX}/orders/{{file}}"), get(get_order))
        .route(
            &format!("{PREFIX}/orders/{{id}}/fulfillment_orders.json"),
            get(fulfillment_orders),
        )
        .route(
            &format!("{PREFIX}/orders/{{id}}/cancel.json"),
            post(shopify_write::cancel),
        )
        .route(&format!("{PREFIX}/fulfillments.json"), post(shopify_write::fulfill))
        .route(&format!("{PREFIX}/products.json"), get(list_products))
        .route(&format!("{PREFIX}/locations.json"), get(locations))
        .route(
            &format!("{PREFIX}/inventory_levels/set.json"),
            post(shopify_write::set_inventory),
        )
}

/// The bucket level after an admitted request, for `X-Shopify-Shop-Api-Call-Limit`.
pub(super) struct Pass(Option<(u32, u32)>);

impl Pass {
    /// Adds the call-limit header every Shopify answer carries.
    pub fn finish(&self, response: Response) -> Response {
        match self.0 {
            Some((used, capacity)) => {
                with_header(response, "x-shopify-shop-api-call-limit", &format!("{used}/{capacity}"))
            }
            None => response,
        }
    }
}

/// Shopify's error body: `{"errors": …}`.
pub(super) fn errors(status: StatusCode, errors: Value) -> Response {
    json_response(status, &json!({ "errors": errors }))
}

/// Checks the access token, then charges the bucket.
pub(super) fn gate(shared: &Shared, headers: &HeaderMap) -> Result<Pass, Response> {
    let Credentials::AccessToken(expected) = &shared.config.credentials else {
        return Err(errors(StatusCode::INTERNAL_SERVER_ERROR, json!("misconfigured")));
    };
    let given = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return Err(errors(
            StatusCode::UNAUTHORIZED,
            json!("[API] Invalid API key or access token (unrecognized login or wrong password)"),
        ));
    }
    match shared.admit("api", shared.config.rate_limits.api) {
        Admission::Allowed { used, capacity } => Ok(Pass(Some((used, capacity)))),
        Admission::Unlimited => Ok(Pass(None)),
        Admission::Limited { wait, capacity } => {
            let response = errors(
                StatusCode::TOO_MANY_REQUESTS,
                json!(
                    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
                ),
            );
            let response = with_header(response, "retry-after", &retry_after_fractional(wait));
            Err(with_header(
                response,
                "x-shopify-shop-api-call-limit",
                &format!("{capacity}/{capacity}"),
            ))
        }
    }
}

/// Finds an order by its numeric id as it appears in the path.
pub(super) fn order_id_from_path(text: &str) -> Option<String> {
    let id = text.strip_suffix(".json").unwrap_or(text);
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_owned())
}

pub(super) fn not_found() -> Response {
    errors(StatusCode::NOT_FOUND, json!("Not Found"))
}

/// A Shopify order is closed once fulfilled or cancelled (its `closed_at` is set).
fn is_closed(order: &SimOrder) -> bool {
    matches!(order.status(), Status::Shipped | Status::Completed) || order.cancelled_at.is_some()
}

/// The query behind an order listing, carried in `page_info`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct OrdersQuery {
    status: String,
    updated_min: Option<DateTime<Utc>>,
    updated_max: Option<DateTime<Utc>>,
    created_min: Option<DateTime<Utc>>,
    created_max: Option<DateTime<Utc>>,
    after: u64,
}

impl OrdersQuery {
    /// Shopify's `status` (default `open`) and inclusive `*_min` / `*_max` bounds.
    fn keeps(&self, o: &SimOrder) -> bool {
        let status_ok = match self.status.as_str() {
            "any" => true,
            "closed" => is_closed(o),
            "cancelled" => o.cancelled_at.is_some(),
            _ => !is_closed(o),
        };
        status_ok
            && self.updated_min.is_none_or(|t| o.updated_at >= t)
            && self.updated_max.is_none_or(|t| o.updated_at <= t)
            && self.created_min.is_none_or(|t| o.created_at >= t)
            && self.created_max.is_none_or(|t| o.created_at <= t)
    }
}

fn parse_limit(q: &std::collections::HashMap<String, String>) -> Result<usize, Response> {
    match q.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(errors(
                StatusCode::BAD_REQUEST,
                json!({"limit": [format!("must be between 1 and {MAX_LIMIT}")]}),
            )),
        },
    }
}

/// Keeps only the requested top-level fields (`fields=id,updated_at`).
pub(super) fn select_fields(value: Value, fields: Option<&String>) -> Value {
    let (Some(fields), Value::Object(mut object)) = (fields, value.clone()) else {
        return value;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    object.retain(|k, _| wanted.contains(&k.as_str()));
    Value::Object(object)
}

fn next_link(shared: &Shared, resource: &str, limit: usize, token: &str, fields: Option<&String>) -> String {
    let fields = fields.map(|f| format!("&fields={f}")).unwrap_or_default();
    format!(
        "<{}{PREFIX}/{resource}?limit={limit}{fields}&page_info={token}>; rel=\"next\"",
        shared.ctx.base_url
    )
}

async fn list_orders(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let pass = match gate(&shared, &headers) {
        Ok(pass) => pass,
        Err(refused) => return refused,
    };
    let q = pairs_to_map(pairs);
    pass.finish(orders_page(&shared, &q).unwrap_or_else(|refused| refused))
}

fn orders_page(shared: &Shared, q: &std::collections::HashMap<String, String>) -> Result<Response, Response> {
    let limit = parse_limit(q)?;
    let fields = q.get("fields");
    let query = if let Some(page_info) = q.get("page_info") {
        if let Some(extra) = q
            .keys()
            .find(|k| !["limit", "page_info", "fields"].contains(&k.as_str()))
        {
            return Err(errors(
                StatusCode::BAD_REQUEST,
                json!({"page_info": [format!("a page_info request carries only limit and page_info, not {extra}")]}),
            ));
        }
        decode_token::<OrdersQuery>(page_info)
            .ok_or_else(|| errors(StatusCode::BAD_REQUEST, json!({"page_info": ["Invalid value."]})))?
    } else {
        if let Some(order) = q.get("order")
            && order.trim() != "updated_at asc"
        {
            return Err(errors(
                StatusCode::BAD_REQUEST,
                json!({"order": ["the simulator serves only order=updated_at asc"]}),
            ));
        }
        let time = |name: &str| -> Result<Option<DateTime<Utc>>, Response> {
            q.get(name)
                .map(|text| {
                    generate::parse_iso(text, generate::shopify::SHOP_OFFSET_S)
                        .ok_or_else(|| errors(StatusCode::BAD_REQUEST, json!({ name: ["is not a valid time"] })))
                })
                .transpose()
        };
        OrdersQuery {
            status: q.get("status").cloned().unwrap_or_else(|| "open".into()),
            updated_min: time("updated_at_min")?,
            updated_max: time("updated_at_max")?,
            created_min: time("created_at_min")?,
            created_max: time("created_at_max")?,
            after: 0,
        }
    };
    let book = shared.book.lock().expect("book lock");
    let (page, more) = book.page(query.after, limit, |o| query.keeps(o));
    let orders: Vec<Value> = page.iter().map(|o| select_fields(shared.document(o), fields)).collect();
    let response = json_response(StatusCode::OK, &json!({ "orders": orders }));
    Ok(match (more, page.last()) {
        (true, Some(last)) => {
            let token = encode_token(&OrdersQuery {
                after: last.mseq,
                ..query
            });
            with_header(
                response,
                "link",
                &next_link(shared, "orders.json", limit, &token, fields),
            )
        }
        _ => response,
    })
}

async fn get_order(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(file): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let pass = match gate(&shared, &headers) {
        Ok(pass) => pass,
        Err(refused) => return refused,
    };
    let q = pairs_to_map(pairs);
    let book = shared.book.lock().expect("book lock");
    let found = order_id_from_path(&file)
        .filter(|_| file.ends_with(".json"))
        .and_then(|id| book.get(&id));
    pass.finish(match found {
        Some(order) => {
            let order = select_fields(shared.document(order), q.get("fields"));
            json_response(StatusCode::OK, &json!({ "order": order }))
        }
        None => not_found(),
    })
}

async fn fulfillment_orders(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let pass = match gate(&shared, &headers) {
        Ok(pass) => pass,
        Err(refused) => return refused,
    };
    let book = shared.book.lock().expect("book lock");
    pass.finish(match order_id_from_path(&id).and_then(|id| book.get(&id)) {
        Some(order) => json_response(StatusCode::OK, &generate::shopify::fulfillment_orders(order)),
        None => not_found(),
    })
}

#[derive(Serialize, Deserialize)]
struct ProductsQuery {
    after: usize,
}

async fn list_products(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let pass = match gate(&shared, &headers) {
        Ok(pass) => pass,
        Err(refused) => return refused,
    };
    let q = pairs_to_map(pairs);
    let limit = match parse_limit(&q) {
        Ok(limit) => limit,
        Err(refused) => return pass.finish(refused),
    };
    let start = match q.get("page_info") {
        None => 0,
        Some(token) => match decode_token::<ProductsQuery>(token) {
            Some(query) => query.after,
            None => {
                return pass.finish(errors(
                    StatusCode::BAD_REQUEST,
                    json!({"page_info": ["Invalid value."]}),
                ));
            }
        },
    };
    let skus = &shared.config.skus;
    let stock = shared.stock.lock().expect("stock lock").clone();
    let end = (start + limit).min(skus.len());
    let products: Vec<Value> = (start.min(end)..end)
        .map(|i| select_fields(generate::shopify::product(i, &skus[i], stock[i]), q.get("fields")))
        .collect();
    let response = json_response(StatusCode::OK, &json!({ "products": products }));
    pass.finish(if end < skus.len() {
        let token = encode_token(&ProductsQuery { after: end });
        with_header(
            response,
            "link",
            &next_link(&shared, "products.json", limit, &token, q.get("fields")),
        )
    } else {
        response
    })
}

async fn locations(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let pass = match gate(&shared, &headers) {
        Ok(pass) => pass,
        Err(refused) => return refused,
    };
    pass.finish(json_response(
        StatusCode::OK,
        &json!({"locations": [{
            "id": SHOPIFY_LOCATION_ID, "name": "Sim warehouse", "active": true,
            "country_code": "US", "legacy": false,
        }]}),
    ))
}
