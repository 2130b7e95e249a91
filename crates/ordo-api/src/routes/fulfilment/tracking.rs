//! Carrier tracking and shipments: updates in (`/api/v1/tracking/{source}`, kept, then
//! applied), kept updates listed and replayed, every parcel with where it is, and delivery
//! problems as alerts an operator acknowledges.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ordo_app::tracking::{self, Received, Source};
use ordo_core::OrderId;
use ordo_core::auth::Permission;
use ordo_store::fulfilment::shipments::{ShipmentQuery, ShipmentRecord, TrackingInbound};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::{parse_limit, parse_uuid};
use crate::state::AppState;

/// One parcel that left a warehouse.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentView {
    /// Its id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// The warehouse it left.
    pub warehouse: Option<String>,
    /// Carrier.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking_number: Option<String>,
    /// Tracking page.
    pub tracking_url: Option<String>,
    /// SKU → units in it.
    pub units: BTreeMap<String, i64>,
    /// `shipped` until a carrier speaks, then `pre_transit`, `in_transit`,
    /// `out_for_delivery`, `delivered`, `available_for_pickup`, `exception`,
    /// `failed_attempt`, `return_to_sender`, `expired`.
    pub status: String,
    /// The carrier's finer status.
    pub status_detail: Option<String>,
    /// A delivery problem nobody has acknowledged yet.
    pub open_problem: bool,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When its problem was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl From<ShipmentRecord> for ShipmentView {
    fn from(s: ShipmentRecord) -> Self {
        Self {
            open_problem: s.open_problem(),
            id: s.id,
            order_id: s.order_id.0,
            warehouse: s.warehouse,
            carrier: s.carrier,
            tracking_number: s.tracking_number,
            tracking_url: s.tracking_url,
            units: s.units,
            status: s.status,
            status_detail: s.status_detail,
            shipped_at: s.shipped_at,
            updated_at: s.updated_at,
            delivered_at: s.delivered_at,
            acknowledged_at: s.acknowledged_at,
        }
    }
}

/// A kept tracking update.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingInboundView {
    /// Its id.
    pub id: Uuid,
    /// `easypost`, `aftership`, `shipbob` or `generic`.
    pub source: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `received`, `applied`, `unmatched` or `failed`.
    pub status: String,
    /// What went wrong.
    #[schema(value_type = Option<Object>)]
    pub error: Option<serde_json::Value>,
    /// Times processed.
    pub attempts: i32,
}

impl From<TrackingInbound> for TrackingInboundView {
    fn from(t: TrackingInbound) -> Self {
        Self {
            id: t.id,
            source: t.source,
            received_at: t.received_at,
            status: t.status,
            error: t.error,
            attempts: t.attempts,
        }
    }
}

/// Shipment listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShipmentParams {
    /// Only this order's parcels.
    pub order_id: Option<String>,
    /// Only parcels with this status.
    pub status: Option<String>,
    /// `true`: only open delivery problems (the alert list).
    pub problems: Option<bool>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// Kept-update listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundParams {
    /// `received`, `applied`, `unmatched` or `failed`.
    pub status: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

fn answer(received: Received) -> (StatusCode, Json<serde_json::Value>) {
    let code = if received.status == "failed" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (code, Json(serde_json::to_value(received).unwrap_or_default()))
}

/// A carrier's (or tracking service's) update: kept first, then applied to the parcels
/// with its tracking numbers. 200 with `status` `applied` or `unmatched` (kept for a
/// replay once the parcel is known); 422 with `error.code` `invalid_tracking` and the
/// field when it cannot be read (kept too).
#[utoipa::path(
    post, path = "/api/v1/tracking/{source}", tag = "tracking",
    params(("source" = String, Path, description = "easypost, aftership, shipbob or generic")),
    request_body(content = Object, description = "The source's webhook body"),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = Object)),
    security(("bearer" = []))
)]
pub async fn receive(
    State(state): State<AppState>,
    auth: Auth,
    Path(source): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let principal = auth.require(Permission::Ingest)?;
    let source = Source::parse(&source).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no tracking source {source:?}; known: easypost, aftership, shipbob, generic"
        ))
    })?;
    let received = tracking::receive(&state.actions, &principal.tenant, source, body.to_vec(), Utc::now()).await?;
    state.feed.bump();
    Ok(answer(received))
}

/// Kept tracking updates, newest first.
#[utoipa::path(
    get, path = "/api/v1/tracking/inbound", tag = "tracking", params(InboundParams),
    responses((status = 200, body = Vec<TrackingInboundView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_inbound(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<InboundParams>,
) -> ApiResult<Json<Vec<TrackingInboundView>>> {
    let principal = auth.require(Permission::Read)?;
    let limit = parse_limit(params.limit)?;
    let rows = state
        .store
        .list_tracking_inbound(&principal.tenant, params.status.as_deref(), limit)
        .await?;
    Ok(Json(rows.into_iter().map(TrackingInboundView::from).collect()))
}

/// Applies a kept update again (after its parcel became known, or a fix).
#[utoipa::path(
    post, path = "/api/v1/tracking/inbound/{id}/replay", tag = "tracking",
    params(("id" = String, Path, description = "Kept update id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = Object)),
    security(("bearer" = []))
)]
pub async fn replay_inbound(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    let received = tracking::replay(&state.actions, &principal.tenant, id, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no kept tracking update {id}")))?;
    state.feed.bump();
    Ok(answer(received))
}

/// Parcels, newest first; `problems=true` lists the open delivery problems.
#[utoipa::path(
    get, path = "/api/v1/shipments", tag = "tracking", params(ShipmentParams),
    responses((status = 200, body = Vec<ShipmentView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_shipments(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<ShipmentParams>,
) -> ApiResult<Json<Vec<ShipmentView>>> {
    let principal = auth.require(Permission::Read)?;
    let query = ShipmentQuery {
        order: params
            .order_id
            .as_deref()
            .map(|o| parse_uuid("order_id", o).map(OrderId))
            .transpose()?,
        status: params.status,
        problems: params.problems.unwrap_or(false),
        limit: parse_limit(params.limit)?,
    };
    let rows = state.store.list_shipments(&principal.tenant, &query).await?;
    Ok(Json(rows.into_iter().map(ShipmentView::from).collect()))
}

/// Acknowledges a parcel's delivery problem: it leaves the alert list until a new one.
#[utoipa::path(
    post, path = "/api/v1/shipments/{id}/acknowledge", tag = "tracking",
    params(("id" = String, Path, description = "Shipment id")),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn acknowledge(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    if state
        .store
        .acknowledge_problem(&principal.tenant, id, Utc::now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!(
            "shipment {id} has no open delivery problem"
        )))
    }
}
