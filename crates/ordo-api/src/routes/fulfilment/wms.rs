//! Warehouse connectors: their health, and the callbacks warehouses send (accepted,
//! picked, packed, shipped with tracking, cancelled, short-shipped, returned), verified by their
//! signature and applied to the order along the workflow (a return to its after-sale case).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use ordo_app::fulfil::{CallbackProblem, Health, apply_event};
use ordo_connect::wms::{CallbackHeaders, parse_callback};
use ordo_core::TenantId;
use ordo_core::auth::Permission;
use std::collections::BTreeMap;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::RawBody;
use crate::routes::review::exceptions::action_error;
use crate::state::AppState;

/// Each warehouse connector of the caller's tenant: deliveries, failures and circuit breaker.
#[utoipa::path(
    get, path = "/api/v1/warehouse-connectors", tag = "inventory",
    responses((status = 200, body = Object)), security(("bearer" = []))
)]
pub async fn health(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<BTreeMap<String, Health>>> {
    let principal = auth.require(Permission::Read)?;
    Ok(Json(state.warehouses.health(&principal.tenant)))
}

/// A warehouse's callback. Authenticated by its signature (`X-Ordo-Signature` for generic
/// warehouses, Standard Webhooks headers for ShipBob), not by a token.
#[utoipa::path(
    post, path = "/api/v1/warehouses/{code}/events", tag = "inventory",
    params(("code" = String, Path, description = "Warehouse code")),
    request_body(content = Object, description = "The warehouse's event"),
    responses(
        (status = 200, body = Object),
        (status = 401, description = "bad_signature"),
        (status = 404, description = "No connector for this warehouse"),
        (status = 409, description = "The order cannot make that move"),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<serde_json::Value>> {
    // This path names no tenant: it is the default tenant's (the node's own warehouses).
    // Every other tenant's warehouses call back on their connection's path.
    let tenant = TenantId::default_tenant();
    let config = state
        .warehouses
        .config(tenant.as_str(), &code)
        .ok_or_else(|| ApiError::NotFound(format!("no connector for warehouse {code}")))?;
    apply(&state, &tenant, &config, &headers, &body).await
}

/// A warehouse's callback to one connection (`callback_path` of the connection): the
/// connection names the tenant and the secret that signs it.
#[utoipa::path(
    post, path = "/api/v1/warehouse-hooks/{connection}/events", tag = "inventory",
    params(("connection" = uuid::Uuid, Path, description = "The warehouse connection's id")),
    request_body(content = Object, description = "The warehouse's event"),
    responses(
        (status = 200, body = Object),
        (status = 401, description = "bad_signature"),
        (status = 404, description = "No such connection"),
        (status = 409, description = "The order cannot make that move"),
    )
)]
pub async fn connection_callback(
    State(state): State<AppState>,
    Path(connection): Path<uuid::Uuid>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<serde_json::Value>> {
    let (tenant, config) = state
        .warehouses
        .by_id(connection)
        .ok_or_else(|| ApiError::NotFound(format!("no warehouse connection {connection}")))?;
    let tenant = TenantId::parse(&tenant).map_err(ApiError::Internal)?;
    apply(&state, &tenant, &config, &headers, &body).await
}

async fn apply(
    state: &AppState,
    tenant: &TenantId,
    config: &ordo_connect::wms::WmsConfig,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Json<serde_json::Value>> {
    let code = &config.code;
    let now = chrono::Utc::now().timestamp();
    let parsed = parse_callback(
        config.kind,
        &CallbackHeaders::from_header_map(config.kind, headers, Some(now)),
        config.secret.as_deref(),
        body,
    );
    let event = match parsed {
        Ok(event) => event,
        // Acknowledged, so the warehouse stops sending it; nothing to do.
        Err(e) if e.is_ignorable() => return Ok(Json(serde_json::json!({ "ignored": e.to_string() }))),
        Err(e) if matches!(e.code(), "bad_signature" | "no_secret" | "stale") => {
            metrics::counter!("ordo_wms_callbacks_total", "result" => "bad_signature").increment(1);
            return Err(ApiError::Unauthorized(
                "the warehouse callback signature did not verify",
            ));
        }
        Err(e) => {
            return Err(ApiError::InvalidParameter {
                parameter: "body".into(),
                message: e.to_string(),
            });
        }
    };
    let applied = apply_event(&state.actions, tenant, code, event)
        .await
        .map_err(|e| match e {
            CallbackProblem::NoOrder => ApiError::InvalidParameter {
                parameter: "order_id".into(),
                message: e.to_string(),
            },
            CallbackProblem::Action(e) => action_error(e),
        })?;
    metrics::counter!("ordo_wms_callbacks_total", "result" => "applied").increment(1);
    state.feed.bump();
    Ok(Json(serde_json::to_value(applied).unwrap_or_default()))
}
