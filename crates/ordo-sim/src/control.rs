//! `/_sim/`: the simulator's own HTTP control surface, for `ordo demo`, scripts and
//! people with curl. Each endpoint is one [`crate::Sim`] method; none is failed, limited
//! or authenticated, and the listener is on 127.0.0.1 only.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::error_status;
use crate::rename::Rename;
use crate::serve::json_response;
use crate::state::Shared;
use crate::{Change, SHOPIFY_LOCATION_ID, SimError};

/// One call creates at most this many orders, so a typo cannot stall the simulator.
const MAX_CREATE_PER_CALL: usize = 100_000;

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim", get(info))
        .route("/_sim/orders", get(order_ids).post(create))
        .route("/_sim/orders/{id}", get(order))
        .route("/_sim/orders/{id}/change", post(change))
        .route("/_sim/renames", get(renames).post(add_rename).delete(clear_renames))
        .route("/_sim/fail-next", post(fail_next))
        .route("/_sim/failure-rate", post(failure_rate))
        .route("/_sim/aftersale-rate", post(aftersale_rate))
        .route("/_sim/latency", post(latency))
        .route("/_sim/down", post(down))
        .route("/_sim/expire-tokens", post(expire_tokens))
        .route("/_sim/stats", get(stats))
        .route("/_sim/writebacks", get(writebacks))
        .route("/_sim/webhooks", get(webhooks))
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

async fn info(State(shared): State<Arc<Shared>>) -> Response {
    let config = &shared.config;
    ok(json!({
        "platform": config.platform,
        "base_url": shared.ctx.base_url,
        "skus": config.skus,
        "currency": config.currency,
        "webhook_url": config.webhook.as_ref().map(|w| w.url.clone()),
        "marketplace_id": config.amazon.marketplace_id,
        "seller_id": config.amazon.seller_id,
        "shop_domain": config.shop_domain,
        "shopify_location_id": SHOPIFY_LOCATION_ID,
        "rate_limits": config.rate_limits,
    }))
}

#[derive(Deserialize)]
struct CreateRequest {
    count: usize,
    #[serde(default = "yes")]
    paid: bool,
}

fn yes() -> bool {
    true
}

async fn create(State(shared): State<Arc<Shared>>, Json(request): Json<CreateRequest>) -> Response {
    if request.count > MAX_CREATE_PER_CALL {
        return SimError::InvalidConfig(format!("count must be at most {MAX_CREATE_PER_CALL}")).into_response();
    }
    let created = shared.create_orders(request.count, request.paid);
    json_response(StatusCode::CREATED, &json!(created))
}

async fn order_ids(State(shared): State<Arc<Shared>>) -> Response {
    let book = shared.book.lock().expect("book lock");
    let mut orders: Vec<(u64, String)> = book
        .all(|_| true)
        .into_iter()
        .map(|o| (o.seq, o.external_id.clone()))
        .collect();
    orders.sort();
    ok(json!(orders.into_iter().map(|(_, id)| id).collect::<Vec<_>>()))
}

async fn order(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let book = shared.book.lock().expect("book lock");
    match book.get(&id) {
        Some(order) => ok(shared.document(order)),
        None => SimError::UnknownOrder(id).into_response(),
    }
}

#[derive(Deserialize)]
struct ChangeRequest {
    change: Change,
}

async fn change(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(request): Json<ChangeRequest>,
) -> Response {
    match shared.change_order(&id, request.change) {
        Ok(updated_at) => ok(json!({"external_id": id, "updated_at": updated_at})),
        Err(error) => error.into_response(),
    }
}

async fn renames(State(shared): State<Arc<Shared>>) -> Response {
    let renames: Vec<Value> = shared
        .renames()
        .into_iter()
        .map(|r| json!({"from": r.from, "to": r.to}))
        .collect();
    ok(json!(renames))
}

#[derive(Deserialize)]
struct RenameRequest {
    from: String,
    to: String,
}

async fn add_rename(State(shared): State<Arc<Shared>>, Json(request): Json<RenameRequest>) -> Response {
    match Rename::parse(&request.from, &request.to) {
        Ok(rename) => {
            shared.renames.write().expect("renames lock").push(rename);
            ok(json!({"from": request.from, "to": request.to}))
        }
        Err(error) => error.into_response(),
    }
}

async fn clear_renames(State(shared): State<Arc<Shared>>) -> Response {
    shared.renames.write().expect("renames lock").clear();
    ok(json!([]))
}

#[derive(Deserialize)]
struct FailNextRequest {
    count: u32,
    #[serde(default = "internal_error")]
    status: u16,
}

fn internal_error() -> u16 {
    500
}

async fn fail_next(State(shared): State<Arc<Shared>>, Json(request): Json<FailNextRequest>) -> Response {
    let status = error_status(request.status);
    shared
        .faults
        .lock()
        .expect("faults lock")
        .fail_next(request.count, status);
    ok(json!({"count": request.count, "status": status.as_u16()}))
}

#[derive(Deserialize)]
struct RateRequest {
    rate: f64,
}

async fn failure_rate(State(shared): State<Arc<Shared>>, Json(request): Json<RateRequest>) -> Response {
    shared
        .faults
        .lock()
        .expect("faults lock")
        .set_failure_rate(request.rate);
    ok(json!({"rate": request.rate}))
}

/// Of paid Taobao, Douyin and Pinduoduo orders, the share with an after-sale record.
async fn aftersale_rate(State(shared): State<Arc<Shared>>, Json(request): Json<RateRequest>) -> Response {
    shared.set_aftersale_rate(request.rate);
    ok(json!({"rate": request.rate}))
}

#[derive(Deserialize)]
struct LatencyRequest {
    ms: u64,
}

async fn latency(State(shared): State<Arc<Shared>>, Json(request): Json<LatencyRequest>) -> Response {
    shared
        .faults
        .lock()
        .expect("faults lock")
        .set_latency(Duration::from_millis(request.ms));
    ok(json!({"ms": request.ms}))
}

#[derive(Deserialize)]
struct DownRequest {
    down: bool,
}

async fn down(State(shared): State<Arc<Shared>>, Json(request): Json<DownRequest>) -> Response {
    shared.faults.lock().expect("faults lock").set_down(request.down);
    ok(json!({"down": request.down}))
}

async fn expire_tokens(State(shared): State<Arc<Shared>>) -> Response {
    shared.expire_tokens();
    ok(json!({"expired": true}))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    ok(json!(shared.stats.snapshot()))
}

async fn writebacks(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.writebacks.lock().expect("writebacks lock");
    ok(json!(log.iter().collect::<Vec<_>>()))
}

async fn webhooks(State(shared): State<Arc<Shared>>) -> Response {
    let log = shared.deliveries.lock().expect("deliveries lock");
    ok(json!(log.iter().collect::<Vec<_>>()))
}
