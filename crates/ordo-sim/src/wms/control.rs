//! `/_sim/` on the warehouse simulator: its own HTTP controls, for `ordo demo`, scripts and
//! people with curl. Each endpoint is one [`super::WmsSim`] method; none is failed, slowed
//! or authenticated, and the listener is on 127.0.0.1 only.
//!
//! A refusing outage closes the port, `/_sim/` included, so over HTTP it is only useful
//! with `for_ms`, after which it ends by itself; the handle can end it at any time.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::WmsSimError;
use super::book::parse_id;
use super::faults::Outage;
use super::returns::DISPOSITIONS;
use super::shared::Shared;
use crate::serve::json_response;

/// A timed outage lasts at most this long, so a typo cannot take the simulator away for
/// the rest of a run.
const MAX_OUTAGE: Duration = Duration::from_secs(600);

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_sim", get(info))
        .route("/_sim/down", post(down))
        .route("/_sim/fail-rate", post(fail_rate))
        .route("/_sim/short-ship-rate", post(short_ship_rate))
        .route("/_sim/latency", post(latency))
        .route("/_sim/stats", get(stats))
        .route("/_sim/fulfilments", get(fulfilments))
        .route("/_sim/fulfilments/{id}", get(fulfilment))
        .route("/_sim/fulfilments/{id}/ship", post(ship))
        .route("/_sim/fulfilments/{id}/return", post(send_return))
        .route("/_sim/return-rate", post(return_rate))
        .route("/_sim/callbacks", get(callbacks))
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

fn unknown(id: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"error": format!("no fulfilment {id:?}")}),
    )
}

async fn info(State(shared): State<Arc<Shared>>) -> Response {
    let config = &shared.config;
    let millis = |d: Duration| d.as_millis() as u64;
    ok(json!({
        "kind": config.kind,
        "base_url": shared.base_url,
        "callback_url": config.callback_url,
        "carriers": config.carriers,
        "delays_ms": {
            "accept": millis(config.accept_delay),
            "pick": millis(config.pick_delay),
            "pack": millis(config.pack_delay),
            "ship": millis(config.ship_delay),
        },
        "outage": shared.faults.outage(),
        "fail_rate": shared.faults.fail_rate(),
        "short_ship_rate": shared.faults.short_ship_rate(),
        "return_rate": shared.returns.rate(),
        "latency_ms": millis(shared.faults.latency()),
    }))
}

#[derive(Deserialize)]
struct DownRequest {
    down: bool,
    /// Refuse connections instead of answering `503`.
    #[serde(default)]
    refuse: bool,
    /// End the outage by itself after this long.
    for_ms: Option<u64>,
}

async fn down(State(shared): State<Arc<Shared>>, Json(request): Json<DownRequest>) -> Response {
    let outage = match (request.down, request.refuse) {
        (false, _) => Outage::None,
        (true, false) => Outage::Unavailable,
        (true, true) => Outage::Refusing,
    };
    shared.faults.set_outage(outage);
    if let (Some(ms), true) = (request.for_ms, request.down) {
        let wait = Duration::from_millis(ms).min(MAX_OUTAGE);
        let shared = Arc::downgrade(&shared);
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            // Only this outage ends: one set since then stays.
            if let Some(shared) = shared.upgrade()
                && shared.faults.outage() == outage
            {
                shared.faults.set_outage(Outage::None);
            }
        });
    }
    ok(json!({"outage": outage, "for_ms": request.for_ms}))
}

#[derive(Deserialize)]
struct RateRequest {
    rate: f64,
}

async fn fail_rate(State(shared): State<Arc<Shared>>, Json(request): Json<RateRequest>) -> Response {
    shared.faults.set_fail_rate(request.rate);
    ok(json!({"rate": shared.faults.fail_rate()}))
}

async fn short_ship_rate(State(shared): State<Arc<Shared>>, Json(request): Json<RateRequest>) -> Response {
    shared.faults.set_short_ship_rate(request.rate);
    ok(json!({"rate": shared.faults.short_ship_rate()}))
}

#[derive(Deserialize)]
struct LatencyRequest {
    ms: u64,
}

async fn latency(State(shared): State<Arc<Shared>>, Json(request): Json<LatencyRequest>) -> Response {
    shared.faults.set_latency(Duration::from_millis(request.ms));
    ok(json!({"ms": request.ms}))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    ok(json!(shared.stats.snapshot()))
}

async fn fulfilments(State(shared): State<Arc<Shared>>) -> Response {
    let kind = shared.kind();
    let book = shared.book.lock().expect("book lock");
    let views: Vec<_> = book.all().iter().map(|f| f.view(kind)).collect();
    ok(json!(views))
}

async fn fulfilment(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let kind = shared.kind();
    let book = shared.book.lock().expect("book lock");
    match parse_id(kind, &id).and_then(|seq| book.get(seq)) {
        Some(f) => ok(json!(f.view(kind))),
        None => unknown(&id),
    }
}

async fn ship(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let kind = shared.kind();
    let Some(seq) = parse_id(kind, &id) else {
        return unknown(&id);
    };
    match shared.ship_now(seq, |f| f.view(kind)) {
        Some(Some(view)) => ok(json!(view)),
        Some(None) => json_response(StatusCode::CONFLICT, &json!({"error": "the fulfilment is cancelled"})),
        None => unknown(&id),
    }
}

async fn return_rate(State(shared): State<Arc<Shared>>, Json(request): Json<RateRequest>) -> Response {
    shared.returns.set_rate(request.rate);
    ok(json!({"rate": shared.returns.rate()}))
}

#[derive(Deserialize)]
struct ReturnRequest {
    #[serde(default)]
    case_id: Option<String>,
    #[serde(default)]
    lines: Vec<ReturnLineRequest>,
}

#[derive(Deserialize)]
struct ReturnLineRequest {
    sku: String,
    quantity: u32,
    #[serde(default = "restock")]
    disposition: String,
}

fn restock() -> String {
    "restock".into()
}

async fn send_return(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(request): Json<ReturnRequest>,
) -> Response {
    let Some(seq) = parse_id(shared.kind(), &id) else {
        return unknown(&id);
    };
    if let Some(bad) = request
        .lines
        .iter()
        .position(|l| !DISPOSITIONS.contains(&l.disposition.as_str()))
    {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"error": format!("disposition is one of {}", DISPOSITIONS.join(", ")),
                    "field": format!("lines[{bad}].disposition")}),
        );
    }
    let lines: Vec<(String, u32, String)> = request
        .lines
        .into_iter()
        .map(|l| (l.sku, l.quantity, l.disposition))
        .collect();
    match shared.send_return(seq, &lines, request.case_id.as_deref()) {
        Ok(report_id) => ok(json!({"fulfilment_id": id, "report_id": report_id})),
        Err(WmsSimError::UnknownFulfilment(_)) => unknown(&id),
        Err(error) => json_response(StatusCode::CONFLICT, &json!({"error": error.to_string()})),
    }
}

async fn callbacks(State(shared): State<Arc<Shared>>) -> Response {
    let records = shared.callbacks.lock().expect("callbacks lock");
    ok(json!(records.iter().collect::<Vec<_>>()))
}
