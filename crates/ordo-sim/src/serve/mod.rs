//! The HTTP side: each platform's endpoints behind the failure-injection gate, plus the
//! `/_sim/` control endpoints, which are never failed, limited or authenticated.
//!
//! Handlers return an early answer (auth refused, rate limited, bad body) as the `Err`
//! of a `Result<_, Response>`; boxing each of them would buy nothing here.
#![allow(clippy::result_large_err)]

mod amazon;
mod amazon_orders;
mod amazon_rdt;
mod amazon_write;
mod bigcommerce;
mod china;
mod china_aftersales;
pub(crate) use china_aftersales::{decided as aftersale_decided, has_aftersale as aftersale_of};
mod china_methods;
mod china_stock;
mod kuaishou;
mod magento;
mod shopify;
mod shopify_write;
mod wechat;
mod woo;
mod woo_write;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Platform;
use crate::state::Shared;

/// Request bodies beyond this are refused: write-backs are small.
const BODY_LIMIT_BYTES: usize = 1 << 20;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let platform = match shared.platform() {
        Platform::Shopify => shopify::routes(),
        Platform::WooCommerce => woo::routes(),
        Platform::Amazon => amazon::routes(),
        Platform::BigCommerce => bigcommerce::routes(),
        Platform::Magento => magento::routes(),
        Platform::Kuaishou => kuaishou::routes(),
        Platform::Wechat => wechat::routes(),
        other => china::routes(other),
    };
    let platform = platform.layer(axum::middleware::from_fn_with_state(
        shared.clone(),
        crate::faults::gate,
    ));
    platform
        .merge(crate::control::routes())
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .with_state(shared)
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(serde_json::to_vec(body).unwrap_or_default()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Adds a header, skipping values that cannot be header values.
pub(crate) fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(HeaderName::from_static(name), value);
    }
    response
}

/// Query or form pairs as a map; a repeated key keeps its last value.
pub(crate) fn pairs_to_map(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    pairs.into_iter().collect()
}

/// An injected failure, in the platform's error shape with the given status.
pub(crate) fn failure_response(platform: Platform, status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = match platform {
        Platform::Shopify => json!({"errors": reason}),
        Platform::WooCommerce => json!({
            "code": "internal_server_error",
            "message": reason,
            "data": {"status": status.as_u16()},
        }),
        Platform::Amazon => {
            let code = if status == StatusCode::SERVICE_UNAVAILABLE {
                "ServiceUnavailable"
            } else {
                "InternalFailure"
            };
            json!({"errors": [{"code": code, "message": "We encountered an internal error. Please try again.", "details": ""}]})
        }
        Platform::BigCommerce => json!([{"status": status.as_u16(), "message": reason}]),
        Platform::Magento => json!({"message": reason}),
        Platform::Kuaishou => json!({"result": 0, "error_msg": format!("系统错误: {reason}")}),
        // -1: WeChat's "system busy".
        Platform::Wechat => json!({"errcode": -1, "errmsg": reason}),
        other => china::error_body(other, china::Fault::Internal, reason),
    };
    json_response(status, &body)
}

/// A body as JSON, or `None` when it is not JSON.
pub(crate) fn parse_json(body: &[u8]) -> Option<Value> {
    serde_json::from_slice(body).ok()
}

/// A non-negative integer from a JSON number or a string of digits (WordPress coerces
/// numeric strings for integer parameters).
pub(crate) fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl IntoResponse for crate::SimError {
    fn into_response(self) -> Response {
        let status = match self {
            crate::SimError::UnknownOrder(_) => StatusCode::NOT_FOUND,
            crate::SimError::InvalidChange { .. } => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        json_response(status, &json!({"error": self.to_string()}))
    }
}
