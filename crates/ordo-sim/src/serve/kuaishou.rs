//! The Kuaishou shop open platform: one path per method (`/open/order/cursor/list`), the
//! system parameters in the query or a form body, the business parameters as JSON text in
//! `param`, every call signed (`signMethod=HMAC_SHA256`). Errors are answered with HTTP
//! 200 and `{result, error_msg}`, as the platform does; `result` 1 is success.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::json_response;
use crate::Credentials;
use crate::generate::{Shipment, Status};
use crate::limit::Admission;
use crate::sign::{same_signature, webhook_signature};
use crate::state::Shared;
use crate::writeback::WriteBackKind;

/// What the connector sees after the last page.
const NO_MORE: &str = "nomore";

/// Error codes (the simulator's own choice; the platform documents a long table, and the
/// connector reads the message as much as the code).
const PARAM: i64 = 22;
const AUTH: i64 = 24;
const SIGN: i64 = 25;
const NOT_FOUND: i64 = 802;
const RATE_LIMITED: i64 = 2001;

type Failure = (i64, String);

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/open/{*rest}", get(call).post(call))
}

/// The text a call's signature covers, in the platform's fixed order.
fn sign_text(params: &HashMap<String, String>, secret: &str) -> String {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    format!(
        "access_token={}&appkey={}&method={}&param={}&signMethod={}&timestamp={}&version={}&signSecret={secret}",
        get("access_token"),
        get("appkey"),
        get("method"),
        get("param"),
        get("signMethod"),
        get("timestamp"),
        get("version"),
    )
}

async fn call(
    State(shared): State<Arc<Shared>>,
    Path(rest): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    let answer = match run(&shared, &rest, query, &body) {
        Ok(data) => json!({"result": 1, "error_msg": "", "data": data}),
        Err((code, message)) => json!({"result": code, "error_msg": message}),
    };
    json_response(StatusCode::OK, &answer)
}

fn run(shared: &Shared, rest: &str, query: Vec<(String, String)>, body: &[u8]) -> Result<Value, Failure> {
    let mut params: HashMap<String, String> = query.into_iter().collect();
    if !body.is_empty() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| (PARAM, format!("参数错误: form body: {e}")))?;
        params.extend(pairs);
    }
    let method = format!("open.{}", rest.replace('/', "."));
    authenticate(shared, &params, &method)?;
    if let Admission::Limited { .. } = shared.admit("api", shared.config.rate_limits.api) {
        return Err((RATE_LIMITED, "调用过于频繁，触发限流".into()));
    }
    let param: Map<String, Value> = match params.get("param").map(String::as_str) {
        None | Some("") => Map::new(),
        Some(text) => serde_json::from_str(text).map_err(|_| (PARAM, "参数错误: param is not a JSON object".into()))?,
    };
    match method.as_str() {
        "open.order.cursor.list" => list(shared, &param),
        "open.order.detail" => {
            let id = text(&param, "oid").ok_or_else(|| (PARAM, "参数错误: oid is required".to_owned()))?;
            let book = shared.book.lock().expect("book lock");
            let order = book.get(&id).ok_or_else(|| (NOT_FOUND, format!("订单不存在: {id}")))?;
            Ok(shared.document(order))
        }
        "open.seller.order.goods.deliver" => {
            let shipped = deliver(shared, &param);
            if shipped.is_err() {
                shared.reject();
            }
            shipped.map(|()| json!({}))
        }
        other => Err((PARAM, format!("method {other} 不存在"))),
    }
}

/// App key, signature, access token and method, in that order.
fn authenticate(shared: &Shared, params: &HashMap<String, String>, method: &str) -> Result<(), Failure> {
    let Credentials::AppKey {
        app_key,
        app_secret,
        access_token,
    } = &shared.config.credentials
    else {
        return Err((AUTH, "misconfigured".into()));
    };
    if params.get("appkey") != Some(app_key) {
        return Err((AUTH, "appkey 无效".into()));
    }
    if params.get("signMethod").map(String::as_str) != Some("HMAC_SHA256") {
        return Err((SIGN, "signMethod must be HMAC_SHA256".into()));
    }
    let expected = webhook_signature(app_secret, sign_text(params, app_secret).as_bytes());
    if !params.get("sign").is_some_and(|s| same_signature(s, &expected)) {
        return Err((SIGN, "签名验证失败 (sign)".into()));
    }
    if let Some(token) = access_token
        && params.get("access_token") != Some(token)
    {
        return Err((AUTH, "access_token 无效或已过期".into()));
    }
    if params.get("method").map(String::as_str) != Some(method) {
        return Err((PARAM, format!("method does not match the path ({method})")));
    }
    Ok(())
}

fn text(param: &Map<String, Value>, name: &str) -> Option<String> {
    match param.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn millis(param: &Map<String, Value>, name: &str) -> Result<DateTime<Utc>, Failure> {
    param
        .get(name)
        .and_then(Value::as_i64)
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| (PARAM, format!("参数错误: {name} is required (epoch milliseconds)")))
}

/// Cursor pages over the book's modification order: the cursor is the position of the
/// last order handed out, so an order changed while the list is read comes again later
/// instead of shifting the others.
fn list(shared: &Shared, param: &Map<String, Value>) -> Result<Value, Failure> {
    let (begin, end) = (millis(param, "beginTime")?, millis(param, "endTime")?);
    if begin > end {
        return Err((PARAM, "参数错误: beginTime is after endTime".into()));
    }
    let size = param.get("pageSize").and_then(Value::as_u64).unwrap_or(20);
    if !(1..=100).contains(&size) {
        return Err((PARAM, "参数错误: pageSize must be between 1 and 100".into()));
    }
    // queryType 2 selects by update time; 1 (the default) by creation time.
    let by_update = param.get("queryType").and_then(Value::as_i64) == Some(2);
    let after = match text(param, "cursor") {
        None => 0,
        Some(c) if c == NO_MORE => return Ok(json!({"cursor": NO_MORE, "orderList": []})),
        Some(c) => c
            .parse()
            .map_err(|_| (PARAM, "参数错误: cursor is not one handed out".to_owned()))?,
    };
    let book = shared.book.lock().expect("book lock");
    let (orders, more) = book.page(after, size as usize, |o| {
        let t = if by_update { o.updated_at } else { o.created_at };
        t >= begin && t <= end
    });
    let cursor = match orders.last() {
        Some(last) if more => last.mseq.to_string(),
        _ => NO_MORE.to_owned(),
    };
    let list: Vec<Value> = orders.iter().map(|o| shared.document(o)).collect();
    Ok(json!({"cursor": cursor, "orderList": list}))
}

fn deliver(shared: &Shared, param: &Map<String, Value>) -> Result<(), Failure> {
    let required = |name: &str| text(param, name).ok_or_else(|| (PARAM, format!("参数错误: {name} is required")));
    let (id, number, carrier) = (required("orderId")?, required("expressNo")?, required("expressCode")?);
    let mut book = shared.book.lock().expect("book lock");
    let order = book.get(&id).ok_or_else(|| (NOT_FOUND, format!("订单不存在: {id}")))?;
    match order.status() {
        Status::Paid => {}
        Status::Unpaid => return Err((PARAM, "订单未支付".into())),
        Status::Shipped | Status::Completed => return Err((PARAM, "订单已发货".into())),
        Status::Cancelled | Status::Refunded => return Err((PARAM, "订单已关闭".into())),
    }
    book.update(&id, Utc::now(), |o, at| {
        o.shipments.push(Shipment {
            tracking_number: number,
            company: carrier,
            url: None,
            at,
        });
    });
    shared.record(WriteBackKind::Tracking, &id, Value::Object(param.clone()));
    Ok(())
}
