//! The WeChat Channels shop API: `GET /cgi-bin/token` sells an access token for the
//! appid and secret; every other call carries it as `?access_token=` and posts JSON.
//! Answers are HTTP 200 with `errcode` (0 is success): 40001 for a token not handed out
//! or expired, 45009 for the quota, as the platform documents.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::{as_integer, json_response};
use crate::Credentials;
use crate::generate::{Shipment, Status, wechat};
use crate::limit::Admission;
use crate::state::Shared;
use crate::writeback::WriteBackKind;

/// Live tokens kept at most; selling more evicts expired ones.
const MAX_TOKENS: usize = 1024;

/// The list's longest update-time range.
const MAX_RANGE: TimeDelta = TimeDelta::days(7);

/// The simulator's code for an order id that is not the shop's (the platform documents
/// a long table; the connector only needs "not 0").
const NOT_FOUND: i64 = 10_020_001;
const BAD_ARG: i64 = 47_001;

type Failure = (i64, String);
type Answer = Result<Value, Failure>;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/cgi-bin/token", get(token))
        .route("/channels/ec/order/list/get", post(|s, q, b| api(s, q, b, list)))
        .route("/channels/ec/order/get", post(|s, q, b| api(s, q, b, order)))
        .route(
            "/channels/ec/order/delivery/send",
            post(|s, q, b| api(s, q, b, deliver)),
        )
        .route("/channels/ec/product/stock/update", post(|s, q, b| api(s, q, b, stock)))
}

fn error(code: i64, message: &str) -> Response {
    json_response(StatusCode::OK, &json!({"errcode": code, "errmsg": message}))
}

async fn token(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Response {
    let Credentials::AppKey {
        app_key, app_secret, ..
    } = &shared.config.credentials
    else {
        return error(-1, "misconfigured");
    };
    if query.get("grant_type").map(String::as_str) != Some("client_credential") {
        return error(40002, "invalid grant_type");
    }
    if query.get("appid") != Some(app_key) {
        return error(40013, "invalid appid");
    }
    if query.get("secret") != Some(app_secret) {
        return error(40125, "invalid appsecret");
    }
    let ttl = shared.config.token_ttl;
    let mut tokens = shared.tokens.lock().expect("tokens lock");
    let now = Instant::now();
    if tokens.len() >= MAX_TOKENS {
        tokens.retain(|_, expiry| *expiry > now);
    }
    let token = format!("sim-wx-{}-{:x}", tokens.len() + 1, shared.config.seed);
    tokens.insert(token.clone(), now + ttl);
    json_response(
        StatusCode::OK,
        &json!({"access_token": token, "expires_in": ttl.as_secs()}),
    )
}

/// Token, quota and body checks shared by every call, then the call itself.
async fn api(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
    handler: fn(&Shared, &Map<String, Value>) -> Answer,
) -> Response {
    let live = query.get("access_token").is_some_and(|t| {
        let tokens = shared.tokens.lock().expect("tokens lock");
        tokens.get(t).is_some_and(|expiry| *expiry > Instant::now())
    });
    if !live {
        return error(40001, "invalid credential, access_token is invalid or not latest");
    }
    if let Admission::Limited { .. } = shared.admit("api", shared.config.rate_limits.api) {
        return error(45009, "reach max api daily quota limit");
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return error(BAD_ARG, "data format error: body is not a JSON object");
    };
    match handler(&shared, &request) {
        Ok(Value::Object(mut answer)) => {
            answer.insert("errcode".into(), json!(0));
            answer.insert("errmsg".into(), json!("ok"));
            json_response(StatusCode::OK, &Value::Object(answer))
        }
        Ok(_) => error(-1, "system error"),
        Err((code, message)) => error(code, &message),
    }
}

fn bad(message: impl Into<String>) -> Failure {
    (BAD_ARG, format!("argument invalid: {}", message.into()))
}

fn seconds(range: &Value, name: &str) -> Result<DateTime<Utc>, Failure> {
    range
        .get(name)
        .and_then(as_integer)
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .ok_or_else(|| bad(format!("update_time_range.{name} is required (epoch seconds)")))
}

/// Order ids by update time, paged by `next_key`: the position of the last order handed
/// out in the book's modification order, so a change during the read never shifts a page.
fn list(shared: &Shared, request: &Map<String, Value>) -> Answer {
    let range = request
        .get("update_time_range")
        .ok_or_else(|| bad("update_time_range is required"))?;
    let (start, end) = (seconds(range, "start_time")?, seconds(range, "end_time")?);
    if start > end || end - start > MAX_RANGE {
        return Err(bad("update_time_range must run forwards and span at most 7 days"));
    }
    let size = request.get("page_size").and_then(as_integer).unwrap_or(10);
    if !(1..=100).contains(&size) {
        return Err(bad("page_size must be between 1 and 100"));
    }
    let after = match request.get("next_key").and_then(Value::as_str) {
        None | Some("") => 0,
        Some(key) => key.parse().map_err(|_| bad("next_key is not one handed out"))?,
    };
    let book = shared.book.lock().expect("book lock");
    let (orders, more) = book.page(after, size as usize, |o| o.updated_at >= start && o.updated_at <= end);
    let next_key = orders.last().map_or(after, |o| o.mseq).to_string();
    let ids: Vec<&str> = orders.iter().map(|o| o.external_id.as_str()).collect();
    Ok(json!({"order_id_list": ids, "next_key": next_key, "has_more": more}))
}

fn order_id(request: &Map<String, Value>) -> Result<String, Failure> {
    match request.get("order_id") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(bad("order_id is required, as text")),
    }
}

fn order(shared: &Shared, request: &Map<String, Value>) -> Answer {
    let id = order_id(request)?;
    let book = shared.book.lock().expect("book lock");
    let order = book
        .get(&id)
        .ok_or_else(|| (NOT_FOUND, format!("order {id} not found")))?;
    Ok(json!({ "order": shared.document(order) }))
}

fn deliver(shared: &Shared, request: &Map<String, Value>) -> Answer {
    let result = deliver_checked(shared, request);
    if result.is_err() {
        shared.reject();
    }
    result
}

fn deliver_checked(shared: &Shared, request: &Map<String, Value>) -> Answer {
    let id = order_id(request)?;
    let packages = request
        .get("delivery_list")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| bad("delivery_list is required"))?;
    let mut book = shared.book.lock().expect("book lock");
    let order = book
        .get(&id)
        .ok_or_else(|| (NOT_FOUND, format!("order {id} not found")))?;
    match order.status() {
        Status::Paid => {}
        Status::Unpaid => return Err(bad("the order is not paid")),
        Status::Shipped | Status::Completed => return Err(bad("the order has already shipped")),
        Status::Cancelled | Status::Refunded => return Err(bad("the order is closed")),
    }
    let mut shipments = Vec::new();
    for package in packages {
        let field = |name: &str| package.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
        let (Some(carrier), Some(waybill)) = (field("delivery_id"), field("waybill_id")) else {
            return Err(bad("each package needs delivery_id and waybill_id"));
        };
        let products = package.get("product_infos").and_then(Value::as_array);
        let known = |p: &Value| {
            order.lines.iter().any(|l| {
                p.get("product_id").and_then(Value::as_str) == Some(&wechat::product_id(l.sku_index))
                    && p.get("sku_id").and_then(Value::as_str) == Some(&wechat::sku_id(l.sku_index))
                    && p.get("product_cnt").and_then(as_integer).is_some_and(|n| n > 0)
            })
        };
        if !products.is_some_and(|p| !p.is_empty() && p.iter().all(known)) {
            return Err(bad(
                "each package names the order's products (product_id, sku_id, product_cnt)",
            ));
        }
        shipments.push((carrier.to_owned(), waybill.to_owned()));
    }
    book.update(&id, Utc::now(), |o, at| {
        for (company, tracking_number) in shipments {
            o.shipments.push(Shipment {
                tracking_number,
                company,
                url: None,
                at,
            });
        }
    });
    shared.record(WriteBackKind::Tracking, &id, Value::Object(request.clone()));
    Ok(json!({}))
}

/// `diff_type` 1 adds `num`, 2 takes it away, 3 sets the level.
fn stock(shared: &Shared, request: &Map<String, Value>) -> Answer {
    let text = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or_default();
    let index = (0..shared.config.skus.len())
        .find(|&i| text("product_id") == wechat::product_id(i) && text("sku_id") == wechat::sku_id(i));
    let Some(i) = index else {
        shared.reject();
        return Err((NOT_FOUND, "product_id / sku_id is not the shop's".into()));
    };
    let num = request.get("num").and_then(as_integer).filter(|n| *n >= 0);
    let diff = request.get("diff_type").and_then(as_integer);
    let (Some(num), Some(diff @ 1..=3)) = (num, diff) else {
        shared.reject();
        return Err(bad("num must be >= 0 and diff_type 1, 2 or 3"));
    };
    {
        let mut stock = shared.stock.lock().expect("stock lock");
        let level = match diff {
            1 => stock[i] + num,
            2 => stock[i] - num,
            _ => num,
        };
        if level < 0 {
            shared.reject();
            return Err(bad("stock cannot go below zero"));
        }
        stock[i] = level;
    }
    shared.record(
        WriteBackKind::Stock,
        &shared.config.skus[i],
        Value::Object(request.clone()),
    );
    Ok(json!({}))
}
