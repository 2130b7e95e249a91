//! Orders that belong together or look alike, and payloads that drifted: likely
//! duplicates, merges into one shipment (by hand here, by rule in the sweeper, undone
//! here), and the fields platforms added or dropped.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ordo_core::OrderId;
use ordo_core::auth::Permission;
use ordo_store::channels::records::{DriftRecord, MergeError, MergeGroup};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::parse_uuid;
use crate::routes::stock::catalogue::parse_body;
use crate::state::AppState;
use crate::views::OrderSummaryView;

/// A drifted field of a mapping's payloads.
#[derive(Debug, Serialize, ToSchema)]
pub struct DriftView {
    /// Mapping, e.g. `shopify.order`.
    pub mapping: String,
    /// Field path, e.g. `line_items[].seller_sku`.
    pub field: String,
    /// `appeared` or `vanished`.
    pub change: String,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
    /// In how many payloads.
    pub seen_count: i64,
    /// The last order it was seen on.
    pub last_order_id: Option<Uuid>,
    /// The last inbox entry it was seen in (replay it after fixing the mapping).
    pub last_inbox_id: Option<Uuid>,
}

impl From<DriftRecord> for DriftView {
    fn from(r: DriftRecord) -> Self {
        Self {
            mapping: r.mapping,
            field: r.field,
            change: r.change.as_str().into(),
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            seen_count: r.seen_count,
            last_order_id: r.last_order_id.map(|o| o.0),
            last_inbox_id: r.last_inbox_id,
        }
    }
}

/// Fields platforms added to or dropped from their payloads, newest first.
#[utoipa::path(
    get, path = "/api/v1/drift", tag = "channels",
    responses((status = 200, body = [DriftView])),
    security(("bearer" = []))
)]
pub async fn list_drift(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<DriftView>>> {
    let principal = auth.require(Permission::Read)?;
    let records = state.store.list_drift(&principal.tenant).await?;
    Ok(Json(records.into_iter().map(DriftView::from).collect()))
}

/// Orders merged into one shipment.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeView {
    /// Its id.
    pub id: Uuid,
    /// The orders.
    pub order_ids: Vec<Uuid>,
    /// `rule` or who merged them.
    pub merged_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was undone.
    pub dissolved_at: Option<DateTime<Utc>>,
    /// Who undid it.
    pub dissolved_by: Option<String>,
}

impl From<MergeGroup> for MergeView {
    fn from(g: MergeGroup) -> Self {
        Self {
            id: g.id,
            order_ids: g.order_ids.into_iter().map(|o| o.0).collect(),
            merged_by: g.merged_by,
            created_at: g.created_at,
            dissolved_at: g.dissolved_at,
            dissolved_by: g.dissolved_by,
        }
    }
}

/// Which orders to merge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// Two or more order ids.
    pub order_ids: Vec<String>,
}

/// How far back to look.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SinceParams {
    /// Placed at or after (RFC 3339); the duplicate window back from now when absent.
    pub since: Option<String>,
}

fn groups(found: Vec<Vec<ordo_store::OrderSummary>>) -> Vec<Vec<OrderSummaryView>> {
    found
        .into_iter()
        .map(|g| g.into_iter().map(OrderSummaryView::from).collect())
        .collect()
}

fn merge_refused(error: MergeError) -> ApiError {
    match error {
        MergeError::NotFound(_) => ApiError::NotFound(error.to_string()),
        MergeError::NotMergeable { .. } | MergeError::Released { .. } => ApiError::IllegalTransition(error.to_string()),
        _ => ApiError::Conflict(error.to_string()),
    }
}

/// Groups of likely duplicates: same buyer, address, goods and amount, on any channel.
#[utoipa::path(
    get, path = "/api/v1/orders/duplicates", tag = "orders", params(SinceParams),
    responses((status = 200, description = "Groups, newest first", body = [Vec<OrderSummaryView>])),
    security(("bearer" = []))
)]
pub async fn duplicates(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<SinceParams>,
) -> ApiResult<Json<Vec<Vec<OrderSummaryView>>>> {
    let principal = auth.require(Permission::Read)?;
    let since = match params.since {
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .map_err(|e| ApiError::InvalidParameter {
                parameter: "since".into(),
                message: e.to_string(),
            })?
            .with_timezone(&Utc),
        None => Utc::now() - state.matching.duplicate_window,
    };
    let found = state.store.duplicate_groups(&principal.tenant, since, 100).await?;
    Ok(Json(groups(found)))
}

/// Groups of orders that could ship together: one buyer, one address, paid within the
/// merge window, not yet released to a warehouse, in no merge.
#[utoipa::path(
    get, path = "/api/v1/merges/candidates", tag = "orders",
    responses((status = 200, body = [Vec<OrderSummaryView>])),
    security(("bearer" = []))
)]
pub async fn merge_candidates(
    State(state): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<Vec<Vec<OrderSummaryView>>>> {
    let principal = auth.require(Permission::Read)?;
    let found = state
        .store
        .merge_candidates(&principal.tenant, state.matching.merge_window, 100)
        .await?;
    Ok(Json(groups(found)))
}

/// Merges, newest first, including undone ones.
#[utoipa::path(
    get, path = "/api/v1/merges", tag = "orders",
    responses((status = 200, body = [MergeView])),
    security(("bearer" = []))
)]
pub async fn list_merges(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<MergeView>>> {
    let principal = auth.require(Permission::Read)?;
    let found = state.store.list_merges(&principal.tenant, 100).await?;
    Ok(Json(found.into_iter().map(MergeView::from).collect()))
}

/// Merges orders into one shipment by hand.
#[utoipa::path(
    post, path = "/api/v1/merges", tag = "orders", request_body = MergeBody,
    responses(
        (status = 201, body = MergeView),
        (status = 404, description = "An order does not exist", body = ErrorBody),
        (status = 409, description = "Not mergeable: status, buyer or address, window, or already merged", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_merge(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<MergeView>)> {
    let principal = auth.require(Permission::Operate)?;
    let body: MergeBody = parse_body(&body)?;
    let ids = body
        .order_ids
        .iter()
        .map(|id| parse_uuid("order_ids", id).map(OrderId))
        .collect::<ApiResult<Vec<_>>>()?;
    let merged = state
        .store
        .merge_orders(
            &principal.tenant,
            &ids,
            state.matching.merge_window,
            &principal.actor,
            Utc::now(),
        )
        .await?
        .map_err(merge_refused)?;
    Ok((StatusCode::CREATED, Json(merged.into())))
}

/// Undoes a merge while none of its orders has been released to a warehouse.
#[utoipa::path(
    delete, path = "/api/v1/merges/{id}", tag = "orders",
    params(("id" = String, Path, description = "Merge id")),
    responses(
        (status = 200, body = MergeView),
        (status = 404, description = "No such active merge", body = ErrorBody),
        (status = 409, description = "An order was already released", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn undo_merge(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MergeView>> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    let undone = state
        .store
        .dissolve_merge(&principal.tenant, id, &principal.actor, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no active merge {id}")))?
        .map_err(merge_refused)?;
    Ok(Json(undone.into()))
}
