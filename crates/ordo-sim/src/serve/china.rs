//! The Chinese platforms' "router" APIs: one URL, the method in a parameter, every request
//! signed. This module reads a call (query, form or JSON body), checks app key, signature
//! and session, charges the rate limit and answers errors in each platform's shape —
//! with HTTP 200, as those platforms do. The methods themselves are in `china_methods`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::{china_methods, json_response};
use crate::limit::Admission;
use crate::sign::{same_signature, sign_router};
use crate::state::Shared;
use crate::{Credentials, Platform};

/// What went wrong with a router call, mapped to each platform's error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    AppKey,
    Sign,
    Session,
    Method,
    Param,
    NotFound,
    /// The SKU named is not the shop's.
    Sku,
    RateLimited,
    Internal,
}

pub(super) fn routes(platform: Platform) -> Router<Arc<Shared>> {
    let any = |path: &str| Router::new().route(path, get(call).post(call));
    match platform {
        Platform::Taobao => any("/router/rest"),
        Platform::Jd => any("/routerjson"),
        Platform::Pinduoduo => any("/api/router"),
        Platform::Xiaohongshu => any("/api/sns/v3/").merge(any("/api/sns/v3")),
        // Douyin has one path per method: `order.searchList` is `/order/searchList`.
        _ => Router::new()
            .route("/order/{name}", get(douyin_call).post(douyin_call))
            .route("/sku/{name}", get(douyin_sku_call).post(douyin_sku_call))
            .route(
                "/afterSale/{name}",
                get(douyin_aftersale_call).post(douyin_aftersale_call),
            ),
    }
}

/// The error body of a platform for a fault (a platform's own code table; the document
/// fixes only the rate-limit codes, the others follow each platform's published lists
/// as closely as the simulator needs).
pub(crate) fn error_body(platform: Platform, fault: Fault, detail: &str) -> Value {
    use Fault::*;
    match platform {
        Platform::Taobao => {
            let (code, msg, sub_code) = match fault {
                AppKey => (29, "Invalid app Key", "isv.appkey-not-exists"),
                Sign => (25, "Invalid signature", "isv.invalid-signature"),
                Session => (26, "Invalid session", "isv.invalid-sessionkey"),
                Method => (22, "Invalid method", "isv.invalid-method"),
                Param => (41, "Invalid arguments", "isv.invalid-parameter"),
                NotFound => (15, "Remote service error", "isv.trade-not-exist"),
                Sku => (15, "Remote service error", "isv.item-not-exist"),
                RateLimited => (7, "App Call Limited", "accesscontrol.limited-by-app-access-count"),
                Internal => (15, "Remote service error", "isp.remote-service-error"),
            };
            json!({"error_response": {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": detail, "request_id": "sim"}})
        }
        Platform::Jd => {
            let (code, zh) = match fault {
                AppKey => ("19", "无效的app_key"),
                Sign => ("22", "签名无效"),
                Session => ("18", "无效的access_token"),
                Method => ("20", "无效的方法名"),
                Param => ("61", "参数错误"),
                NotFound => ("66", "订单不存在"),
                Sku => ("66", "SKU不存在"),
                RateLimited => ("67", "调用频率超限"),
                Internal => ("1", "服务异常"),
            };
            json!({"error_response": {"code": code, "zh_desc": zh, "en_desc": detail}})
        }
        Platform::Douyin => {
            let (code, msg) = match fault {
                AppKey => (30001, "app_key无效"),
                Session => (30002, "access_token无效"),
                Method => (30004, "method不存在"),
                Sign => (30005, "签名校验失败"),
                Param => (40004, "参数错误"),
                NotFound => (40005, "订单不存在"),
                Sku => (40005, "商品SKU不存在"),
                RateLimited => (50002, "请求频率过高，请稍后再试"),
                Internal => (20000, "服务异常"),
            };
            json!({"code": code, "msg": msg, "sub_code": "", "sub_msg": detail, "log_id": "sim", "data": {}})
        }
        Platform::Pinduoduo => {
            let (code, msg) = match fault {
                Param => (10000, "参数错误"),
                Method => (10001, "type不存在"),
                AppKey => (10016, "client_id不存在"),
                Sign => (10017, "签名错误"),
                Session => (10019, "access_token已过期"),
                NotFound => (30000, "订单不存在"),
                Sku => (30000, "商品或SKU不存在"),
                RateLimited => (70031, "调用过于频繁,请调整调用频率"),
                Internal => (50000, "系统错误"),
            };
            json!({"error_response": {"error_code": code, "error_msg": msg, "sub_msg": detail, "request_id": "sim"}})
        }
        _ => {
            let (code, msg) = match fault {
                Internal => (1000, "系统错误"),
                AppKey => (1001, "appId无效"),
                Sign => (1002, "签名校验失败"),
                Session => (1003, "accessToken无效"),
                Method => (1004, "method不存在"),
                Param => (1005, "参数错误"),
                RateLimited => (1009, "请求过于频繁"),
                NotFound => (2001, "订单不存在"),
                Sku => (2001, "SKU不存在"),
            };
            json!({"success": false, "error_code": code, "msg": format!("{msg}: {detail}"), "data": null})
        }
    }
}

/// One parsed router call.
pub(super) struct RouterCall {
    /// Business parameters: flat ones, JSON body values, and the platform's container
    /// (`360buy_param_json`, `param_json`) unpacked.
    pub biz: Map<String, Value>,
    pub method: String,
}

/// (app key, session, method) parameter names.
fn names(platform: Platform) -> (&'static str, &'static str, &'static str) {
    match platform {
        Platform::Taobao => ("app_key", "session", "method"),
        Platform::Pinduoduo => ("client_id", "access_token", "type"),
        Platform::Xiaohongshu => ("appId", "accessToken", "method"),
        _ => ("app_key", "access_token", "method"),
    }
}

/// System parameters, left out of what a write-back records.
pub(super) const SYSTEM_PARAMS: [&str; 20] = [
    "app_key",
    "method",
    "sign",
    "sign_method",
    "timestamp",
    "v",
    "format",
    "session",
    "access_token",
    "client_id",
    "type",
    "data_type",
    "appId",
    "accessToken",
    "version",
    "partner_id",
    "360buy_param_json",
    "param_json",
    "simplify",
    "version_num",
];

/// A call's parameters as transmitted (for the signature) and its business parameters.
struct Parsed {
    params: Vec<(String, String)>,
    biz: Map<String, Value>,
    /// For a JSON body: the query parameters plus the raw body as `param_json`, Douyin's
    /// own way of carrying business parameters, accepted as a second way to sign.
    body_as_param_json: Option<Vec<(String, String)>>,
}

fn parse(query: Vec<(String, String)>, headers: &HeaderMap, body: &[u8]) -> Result<Parsed, String> {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut body_as_param_json = None;
    let mut params = query;
    let mut biz = Map::new();
    let body_text = std::str::from_utf8(body)
        .map_err(|_| "body is not UTF-8".to_owned())?
        .trim();
    if content_type.contains("json") || body_text.starts_with('{') {
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(body_text) else {
            return Err("body is not a JSON object".into());
        };
        let mut alternate = params.clone();
        alternate.push(("param_json".to_owned(), body_text.to_owned()));
        body_as_param_json = Some(alternate);
        for (k, v) in object {
            let text = match &v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            params.push((k.clone(), text));
            biz.insert(k, v);
        }
    } else if !body_text.is_empty() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(body_text).map_err(|e| format!("form body: {e}"))?;
        params.extend(pairs);
    }
    for (k, v) in &params {
        biz.entry(k.clone()).or_insert_with(|| Value::String(v.clone()));
    }
    for container in ["360buy_param_json", "param_json"] {
        if let Some(inner) = biz.get(container).cloned() {
            let inner = match inner {
                Value::String(text) => serde_json::from_str(&text).map_err(|_| format!("{container} is not JSON"))?,
                other => other,
            };
            let Value::Object(inner) = inner else {
                return Err(format!("{container} is not a JSON object"));
            };
            biz.extend(inner);
        }
    }
    Ok(Parsed {
        params,
        biz,
        body_as_param_json,
    })
}

/// Checks app key, signature and session, in that order, as the gateways do.
fn authenticate(shared: &Shared, parsed: &Parsed) -> Result<(), (Fault, String)> {
    let params = &parsed.params;
    let Credentials::AppKey {
        app_key,
        app_secret,
        access_token,
    } = &shared.config.credentials
    else {
        return Err((Fault::Internal, "misconfigured".into()));
    };
    let (key_name, session_name, _) = names(shared.platform());
    let get = |name: &str| params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if get(key_name) != Some(app_key.as_str()) {
        return Err((Fault::AppKey, format!("{key_name} is missing or unknown")));
    }
    if let Some(method) = get("sign_method")
        && !method.eq_ignore_ascii_case("hmac-sha256")
    {
        return Err((
            Fault::Sign,
            format!("sign_method {method} is not accepted; use hmac-sha256"),
        ));
    }
    let signed = |set: &[(String, String)]| sign_router(app_secret, set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let alternate = parsed
        .body_as_param_json
        .as_ref()
        .filter(|_| shared.platform() == Platform::Douyin);
    let matches = |sign: &str| {
        let sign = sign.to_ascii_uppercase();
        same_signature(&sign, &signed(params)) || alternate.is_some_and(|set| same_signature(&sign, &signed(set)))
    };
    match get("sign") {
        Some(sign) if matches(sign) => {}
        Some(_) => return Err((Fault::Sign, "sign does not match the parameters".into())),
        None => return Err((Fault::Sign, "sign is missing".into())),
    }
    if let Some(token) = access_token
        && get(session_name) != Some(token.as_str())
    {
        return Err((Fault::Session, format!("{session_name} is missing or invalid")));
    }
    Ok(())
}

async fn call(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    answer(&shared, None, query, &headers, &body)
}

async fn douyin_call(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    answer(&shared, Some(format!("order.{name}")), query, &headers, &body)
}

/// Douyin's after-sale calls: `afterSale.List` is `/afterSale/List`.
async fn douyin_aftersale_call(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    answer(&shared, Some(format!("afterSale.{name}")), query, &headers, &body)
}

/// Douyin's product calls: `sku.syncStock` is `/sku/syncStock`.
async fn douyin_sku_call(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    answer(&shared, Some(format!("sku.{name}")), query, &headers, &body)
}

fn answer(
    shared: &Shared,
    path_method: Option<String>,
    query: Vec<(String, String)>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let platform = shared.platform();
    let result = run(shared, path_method, query, headers, body);
    let body = match result {
        Ok(value) => value,
        Err((fault, detail)) => error_body(platform, fault, &detail),
    };
    json_response(StatusCode::OK, &body)
}

fn run(
    shared: &Shared,
    path_method: Option<String>,
    query: Vec<(String, String)>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, (Fault, String)> {
    let parsed = parse(query, headers, body).map_err(|e| (Fault::Param, e))?;
    authenticate(shared, &parsed)?;
    let biz = parsed.biz;
    let (_, _, method_name) = names(shared.platform());
    let given = biz.get(method_name).and_then(Value::as_str).map(str::to_owned);
    let method = match (path_method, given) {
        (Some(path), Some(given)) if path != given => {
            return Err((
                Fault::Method,
                format!("method {given} does not match the path ({path})"),
            ));
        }
        (Some(path), _) => path,
        (None, Some(given)) => given,
        (None, None) => return Err((Fault::Method, format!("{method_name} is missing"))),
    };
    if let Admission::Limited { wait, .. } = shared.admit("api", shared.config.rate_limits.api) {
        return Err((
            Fault::RateLimited,
            format!("This ban will last for {} more seconds", wait.as_secs().max(1)),
        ));
    }
    china_methods::dispatch(shared, &RouterCall { biz, method })
}
