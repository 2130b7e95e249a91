//! The channel connectors running on this node: their health and cursors, and a nudge to
//! poll now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ordo_core::auth::Permission;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// Every connector of the caller's tenant: last poll, last success, last error (with a stable code), failures in
/// a row, orders taken in, requests, rate-limit answers and the cursor.
#[utoipa::path(
    get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "One status per connector")),
    security(("bearer" = []))
)]
pub async fn list_channels(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<serde_json::Value>> {
    let principal = auth.require(Permission::Read)?;
    let statuses = state.channels.statuses(&principal.tenant);
    let statuses = serde_json::to_value(statuses).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(statuses))
}

/// Asks a connector to poll at once instead of at its next interval.
#[utoipa::path(
    post, path = "/api/v1/channels/{channel}/poll", tag = "channels",
    params(("channel" = String, Path, description = "Channel code")),
    responses((status = 202, description = "Poll requested"), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn poll_channel(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<StatusCode> {
    let principal = auth.require(Permission::Operate)?;
    let handle = state
        .channels
        .get(principal.tenant.as_str(), &channel)
        .ok_or_else(|| ApiError::NotFound(format!("no connector runs for channel {channel}")))?;
    handle.poll_now();
    Ok(StatusCode::ACCEPTED)
}
