//! Amazon's Tokens API and the restricted `getOrderAddress`: a Restricted Data Token opens
//! exactly the resource it was asked for, and the address is served only with one.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::amazon::{authorize, errors, invalid, order_not_found};
use super::{json_response, parse_json};
use crate::generate::amazon as render;
use crate::state::Shared;

/// Most live Restricted Data Tokens kept; more evicts the oldest half.
const MAX_RESTRICTED: usize = 10_000;

/// `POST /tokens/2021-03-01/restrictedDataToken`: one token for the restricted resources
/// asked for (this simulator serves one: an order's address).
pub(super) async fn create_token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = authorize(&shared, &headers) {
        return refused;
    }
    let request = parse_json(&body).unwrap_or(Value::Null);
    let Some(resources) = request.get("restrictedResources").and_then(Value::as_array) else {
        return invalid("restrictedResources is required");
    };
    let paths: Vec<&str> = resources
        .iter()
        .filter(|r| r.get("method").and_then(Value::as_str) == Some("GET"))
        .filter_map(|r| r.get("path").and_then(Value::as_str))
        .filter(|p| p.starts_with("/orders/v0/orders/") && p.ends_with("/address"))
        .collect();
    let [path] = paths[..] else {
        return invalid("restrictedResources must name one GET /orders/v0/orders/{orderId}/address");
    };
    let ttl = shared.config.token_ttl;
    let token = {
        let mut restricted = shared.restricted.lock().expect("restricted lock");
        if restricted.len() >= MAX_RESTRICTED {
            restricted.clear();
        }
        let token = format!("Atz.sprdt|sim-{}-{}", restricted.len() + 1, shared.config.seed);
        restricted.insert(token.clone(), path.to_owned());
        token
    };
    shared
        .tokens
        .lock()
        .expect("tokens lock")
        .insert(token.clone(), Instant::now() + ttl);
    json_response(
        StatusCode::OK,
        &json!({"restrictedDataToken": token, "expiresIn": ttl.as_secs()}),
    )
}

/// `GET /orders/v0/orders/{id}/address`: only with a Restricted Data Token for this path.
pub(super) async fn order_address(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = authorize(&shared, &headers) {
        return refused;
    }
    let given = headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let opens = shared.restricted.lock().expect("restricted lock").get(given).cloned();
    if opens.as_deref() != Some(format!("/orders/v0/orders/{id}/address").as_str()) {
        return errors(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied: a Restricted Data Token for this order's address is required.",
        );
    }
    let book = shared.book.lock().expect("book lock");
    match book.get(&id) {
        Some(order) => json_response(
            StatusCode::OK,
            &json!({"payload": {"AmazonOrderId": id, "ShippingAddress": render::v0_address(order)}}),
        ),
        None => order_not_found(),
    }
}
