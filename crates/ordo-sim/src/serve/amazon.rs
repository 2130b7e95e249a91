//! Amazon SP-API: Login with Amazon tokens, the `x-amz-access-token` check and the
//! per-operation budgets with their `429 QuotaExceeded` answer. Order reads are in
//! `amazon_orders`, write-backs in `amazon_write`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde_json::json;

use super::{amazon_orders, amazon_rdt, amazon_write, json_response, pairs_to_map, parse_json, with_header};
use crate::Credentials;
use crate::config::RateLimit;
use crate::limit::Admission;
use crate::state::Shared;

/// At most this many live access tokens are kept; refreshing more evicts expired ones.
const MAX_TOKENS: usize = 10_000;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/auth/o2/token", post(token))
        .route("/orders/v0/orders", get(amazon_orders::v0_list))
        .route("/orders/v0/orders/{id}", get(amazon_orders::v0_get))
        .route("/orders/v0/orders/{id}/orderItems", get(amazon_orders::v0_items))
        .route("/orders/v0/orders/{id}/address", get(amazon_rdt::order_address))
        .route("/tokens/2021-03-01/restrictedDataToken", post(amazon_rdt::create_token))
        .route(
            "/orders/v0/orders/{id}/shipmentConfirmation",
            post(amazon_write::confirm_shipment),
        )
        .route("/orders/2026-01-01/orders", get(amazon_orders::search_orders))
        .route("/orders/2026-01-01/orders/{id}", get(amazon_orders::get_order_2026))
        .route(
            "/listings/2021-08-01/items/{seller}/{sku}",
            patch(amazon_write::patch_listing),
        )
}

/// The SP-API error body.
pub(super) fn errors(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"errors": [{"code": code, "message": message, "details": ""}]}),
    )
}

pub(super) fn invalid(message: &str) -> Response {
    errors(StatusCode::BAD_REQUEST, "InvalidInput", message)
}

fn lwa_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(status, &json!({"error": error, "error_description": description}))
}

/// `POST /auth/o2/token`: a refresh token exchanged for an access token.
async fn token(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let Credentials::Lwa {
        client_id,
        client_secret,
        refresh_token,
    } = &shared.config.credentials
    else {
        return lwa_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "misconfigured");
    };
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let form: HashMap<String, String> = if is_json {
        parse_json(&body)
            .and_then(|v| v.as_object().cloned())
            .map(|o| {
                o.into_iter()
                    .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .map(pairs_to_map)
            .unwrap_or_default()
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    match field("grant_type") {
        Some("refresh_token") => {}
        Some(_) => {
            return lwa_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            );
        }
        None => {
            return lwa_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The request is missing a required parameter : grant_type",
            );
        }
    }
    if field("client_id") != Some(client_id) || field("client_secret") != Some(client_secret) {
        return lwa_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if field("refresh_token") != Some(refresh_token) {
        return lwa_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The request has an invalid grant parameter : refresh_token",
        );
    }
    let ttl = shared.config.token_ttl;
    let mut tokens = shared.tokens.lock().expect("tokens lock");
    let now = Instant::now();
    if tokens.len() >= MAX_TOKENS {
        tokens.retain(|_, expiry| *expiry > now);
    }
    let access = format!(
        "Atza|sim-{}-{:x}",
        tokens.len() + 1,
        now.elapsed().as_nanos() ^ u128::from(shared.config.seed)
    );
    tokens.insert(access.clone(), now + ttl);
    json_response(
        StatusCode::OK,
        &json!({"access_token": access, "refresh_token": refresh_token, "token_type": "bearer", "expires_in": ttl.as_secs()}),
    )
}

/// Checks `x-amz-access-token` against the tokens handed out.
pub(super) fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let denied = |details: &str| {
        json_response(
            StatusCode::FORBIDDEN,
            &json!({"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": details}]}),
        )
    };
    let Some(given) = headers.get("x-amz-access-token").and_then(|v| v.to_str().ok()) else {
        return Err(denied("The request has no access token."));
    };
    match shared.tokens.lock().expect("tokens lock").get(given) {
        Some(expiry) if *expiry > Instant::now() => Ok(()),
        Some(_) => Err(denied("The access token you provided has expired.")),
        None => Err(denied(
            "The access token you provided is revoked, malformed or invalid.",
        )),
    }
}

/// Charges an operation's bucket; every answer of a limited operation carries
/// `x-amzn-RateLimit-Limit`, and a refusal has no `Retry-After`.
pub(super) fn charge(
    shared: &Shared,
    operation: &'static str,
    limit: Option<RateLimit>,
) -> Result<Option<String>, Response> {
    let header = limit.map(|l| l.per_second.to_string());
    match shared.admit(operation, limit) {
        Admission::Limited { .. } => {
            let response = errors(
                StatusCode::TOO_MANY_REQUESTS,
                "QuotaExceeded",
                "You exceeded your quota for the requested resource.",
            );
            Err(with_header(
                response,
                "x-amzn-ratelimit-limit",
                header.as_deref().unwrap_or(""),
            ))
        }
        _ => Ok(header),
    }
}

pub(super) fn finish(response: Response, rate: Option<String>) -> Response {
    match rate {
        Some(rate) => with_header(response, "x-amzn-ratelimit-limit", &rate),
        None => response,
    }
}

/// Auth, then the operation's budget.
pub(super) fn gate(
    shared: &Shared,
    headers: &HeaderMap,
    operation: &'static str,
    limit: Option<RateLimit>,
) -> Result<Option<String>, Response> {
    authorize(shared, headers)?;
    charge(shared, operation, limit)
}

pub(super) fn order_not_found() -> Response {
    errors(StatusCode::NOT_FOUND, "NotFound", "The requested order was not found.")
}
