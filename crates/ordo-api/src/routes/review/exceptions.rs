//! The exception queue and the workflow: held orders with their reasons, suggested fixes,
//! age and SLA; approving, cancelling, re-reviewing and holding them (one or many at a
//! time); moving any order along the workflow.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use ordo_app::actions::{ActionError, Done, actor_of};
pub use ordo_app::exceptions::ExceptionAction;
use ordo_core::auth::Permission;
use ordo_core::{OrderId, OrderStatus};
use ordo_store::Shipment;
use ordo_store::review::records::{ExceptionQuery, ExceptionRow, HoldRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::stock::catalogue::parse_body;
use crate::routes::{parse_limit, parse_uuid};
use crate::state::AppState;
use crate::views::OrderSummaryView;

/// A hold on an order.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldView {
    /// Id.
    pub id: uuid::Uuid,
    /// `review` (by rule) or `manual` (by a person).
    pub kind: String,
    /// The rules that matched (rule, code, message, field, suggestion, until) or a note.
    #[schema(value_type = Object)]
    pub reasons: serde_json::Value,
    /// For a deferred review, when it is looked at again.
    pub until: Option<DateTime<Utc>>,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// By.
    pub opened_by: String,
    /// Closed, if it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// How it was closed.
    pub resolution: Option<String>,
}

impl From<HoldRecord> for HoldView {
    fn from(h: HoldRecord) -> Self {
        Self {
            id: h.id,
            kind: h.kind,
            reasons: h.hits,
            until: h.until,
            opened_at: h.opened_at,
            opened_by: h.opened_by,
            closed_at: h.closed_at,
            resolution: h.resolution,
        }
    }
}

/// One held order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionView {
    /// The order.
    pub order: OrderSummaryView,
    /// `review`, `manual`, or `stock` (waiting for stock or an unknown SKU, no open hold).
    pub reason: String,
    /// Since when it waits.
    pub held_since: DateTime<Utc>,
    /// Minutes it has waited.
    pub age_minutes: i64,
    /// When it should be dealt with.
    pub sla_due_at: DateTime<Utc>,
    /// Past its SLA.
    pub overdue: bool,
    /// Open holds.
    pub holds: Vec<HoldView>,
    /// What a person could do about it, from the rules that matched.
    pub suggestions: Vec<String>,
    /// Actions available: `approve`, `cancel`, `rerun`, `edit`.
    pub actions: Vec<&'static str>,
}

/// The exception queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionsView {
    /// Held orders, longest waiting first.
    pub items: Vec<ExceptionView>,
    /// How many are past their SLA.
    pub overdue: usize,
    /// The SLA in minutes.
    pub sla_minutes: i64,
}

/// Exception-queue filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExceptionParams {
    /// `review`, `manual` or `stock`.
    pub kind: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
}

/// Held orders with their reasons, suggested fixes, age and SLA.
#[utoipa::path(
    get, path = "/api/v1/exceptions", tag = "review", params(ExceptionParams),
    responses((status = 200, body = ExceptionsView)),
    security(("bearer" = []))
)]
pub async fn list_exceptions(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<ExceptionParams>,
) -> ApiResult<Json<ExceptionsView>> {
    let principal = auth.require(Permission::Read)?;
    let query = exception_query(params.kind, params.limit)?;
    let rows = state.store.exceptions(&principal.tenant, &query).await?;
    let now = Utc::now();
    let sla = Duration::minutes(state.review.sla_minutes);
    let items: Vec<ExceptionView> = rows.into_iter().map(|row| ExceptionView::of(row, now, sla)).collect();
    Ok(Json(ExceptionsView {
        overdue: items.iter().filter(|i| i.overdue).count(),
        items,
        sla_minutes: state.review.sla_minutes,
    }))
}

/// The reasons an order waits in the queue, as the store's exception kinds name them.
pub const EXCEPTION_KINDS: [&str; 3] = ["review", "manual", "stock"];

/// The store query for a kind (checked) and page size; shared with the console's queue.
pub fn exception_query(kind: Option<String>, limit: Option<u32>) -> ApiResult<ExceptionQuery> {
    if let Some(kind) = kind.as_deref()
        && !EXCEPTION_KINDS.contains(&kind)
    {
        return Err(ApiError::InvalidParameter {
            parameter: "kind".into(),
            message: format!("{kind:?} is not one of review, manual, stock"),
        });
    }
    Ok(ExceptionQuery {
        kind,
        limit: parse_limit(limit)?,
    })
}

impl ExceptionView {
    /// One queue entry as of `now` under an SLA of `sla`: its reason, age, due time and
    /// suggestions (the console shows the same entry).
    pub fn of(row: ExceptionRow, now: DateTime<Utc>, sla: Duration) -> Self {
        let held_since = row
            .holds
            .iter()
            .map(|h| h.opened_at)
            .min()
            .unwrap_or(row.order.updated_at);
        let suggestions = row
            .holds
            .iter()
            .flat_map(|h| h.hits.as_array().cloned().unwrap_or_default())
            .filter_map(|hit| hit["suggestion"].as_str().map(str::to_owned))
            .collect();
        let reason = row.holds.first().map_or_else(|| "stock".to_owned(), |h| h.kind.clone());
        Self {
            order: row.order.into(),
            reason,
            held_since,
            age_minutes: (now - held_since).num_minutes(),
            sla_due_at: held_since + sla,
            overdue: now > held_since + sla,
            holds: row.holds.into_iter().map(HoldView::from).collect(),
            suggestions,
            actions: vec!["approve", "cancel", "rerun", "edit"],
        }
    }
}

/// A note or reason for an action.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Recorded on the event (required to cancel when the workflow says so).
    #[serde(default)]
    pub reason: Option<String>,
}

/// An order after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    /// Ordo's order id.
    pub order_id: String,
    /// Status afterwards.
    pub status: OrderStatus,
    /// Version afterwards.
    pub version: i64,
    /// The workflow transition taken.
    pub transition: String,
}

fn view(id: OrderId, done: Done) -> ActionView {
    ActionView {
        order_id: id.to_string(),
        status: done.status,
        version: done.version,
        transition: done.transition,
    }
}

pub fn action_error(error: ActionError) -> ApiError {
    match error {
        ActionError::NotFound(id) => ApiError::NotFound(format!("order {id} not found")),
        ActionError::Workflow { code, message } => ApiError::Workflow { code, message },
        ActionError::Stock(m) => ApiError::StockRefused(m),
        ActionError::Invalid { code, message, details } => ApiError::InvalidPayload {
            code,
            message,
            details,
            inbox_id: None,
        },
        ActionError::Store(e) => e.into(),
    }
}

async fn perform(
    state: &AppState,
    principal: &ordo_app::Principal,
    id: OrderId,
    action: ExceptionAction,
    reason: Option<String>,
) -> Result<Done, ActionError> {
    let done = state
        .actions
        .exception(&principal.tenant, id, action, &principal.actor, reason, Utc::now())
        .await;
    state.feed.bump();
    done
}

async fn one(
    state: AppState,
    auth: Auth,
    id: String,
    body: Vec<u8>,
    action: ExceptionAction,
) -> ApiResult<Json<ActionView>> {
    let principal = auth.require(Permission::Operate)?;
    let id = OrderId(parse_uuid("id", &id)?);
    let body: NoteBody = crate::routes::body_or_default(&body)?;
    let done = perform(&state, principal, id, action, body.reason)
        .await
        .map_err(action_error)?;
    Ok(Json(view(id, done)))
}

/// Approves a held order: its holds close and it goes on.
#[utoipa::path(
    post, path = "/api/v1/exceptions/{id}/approve", tag = "review",
    params(("id" = String, Path, description = "Order id")), request_body = NoteBody,
    responses((status = 200, body = ActionView), (status = 409, description = "Not held", body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ActionView>> {
    one(state, auth, id, body, ExceptionAction::Approve).await
}

/// Runs the review rules in force on an order again.
#[utoipa::path(
    post, path = "/api/v1/exceptions/{id}/rerun", tag = "review",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = ActionView), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn rerun(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ActionView>> {
    one(state, auth, id, body, ExceptionAction::Rerun).await
}

/// Holds an order by hand.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/hold", tag = "review",
    params(("id" = String, Path, description = "Order id")), request_body = NoteBody,
    responses((status = 200, body = ActionView), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn hold(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ActionView>> {
    one(state, auth, id, body, ExceptionAction::Hold).await
}

/// The same action on many orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// What to do: `approve`, `cancel`, `rerun` or `hold`.
    #[schema(value_type = String, example = "approve")]
    pub action: ExceptionAction,
    /// The orders (at most 500).
    pub order_ids: Vec<String>,
    /// Recorded on each.
    #[serde(default)]
    pub reason: Option<String>,
}

/// One order's result in a bulk action.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    /// The order.
    pub order_id: String,
    /// Status afterwards, when it worked.
    pub status: Option<OrderStatus>,
    /// Error code, when it did not.
    pub error: Option<String>,
    /// Why.
    pub message: Option<String>,
}

/// Approves, cancels, re-reviews or holds many orders; each succeeds or fails on its own.
#[utoipa::path(
    post, path = "/api/v1/exceptions/bulk", tag = "review", request_body = BulkBody,
    responses((status = 200, body = Vec<BulkResult>)),
    security(("bearer" = []))
)]
pub async fn bulk(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<Vec<BulkResult>>> {
    let principal = auth.require(Permission::Operate)?;
    let body: BulkBody = parse_body(&body)?;
    if body.order_ids.len() > ordo_store::MAX_PAGE as usize {
        return Err(ApiError::InvalidParameter {
            parameter: "order_ids".into(),
            message: format!("at most {} orders at a time", ordo_store::MAX_PAGE),
        });
    }
    let mut results = Vec::with_capacity(body.order_ids.len());
    for raw in body.order_ids {
        let id = match parse_uuid("order_ids", &raw) {
            Ok(id) => OrderId(id),
            Err(_) => {
                results.push(BulkResult {
                    order_id: raw,
                    status: None,
                    error: Some("invalid_parameter".into()),
                    message: Some("not a UUID".into()),
                });
                continue;
            }
        };
        let outcome = perform(&state, principal, id, body.action, body.reason.clone()).await;
        results.push(match outcome {
            Ok(done) => BulkResult {
                order_id: raw,
                status: Some(done.status),
                error: None,
                message: None,
            },
            Err(error) => {
                let error = action_error(error);
                let (code, _) = error.code_and_status();
                BulkResult {
                    order_id: raw,
                    status: None,
                    error: Some(code.into()),
                    message: Some(error.message()),
                }
            }
        });
    }
    Ok(Json(results))
}

/// A move along the workflow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The status to move to, e.g. `picking`, `delivered`.
    pub to: OrderStatus,
    /// Why (the workflow may require one).
    #[serde(default)]
    pub reason: Option<String>,
    /// For `shipped`: carrier.
    #[serde(default)]
    pub carrier: Option<String>,
    /// For `shipped`: tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// For `shipped`: tracking page.
    #[serde(default)]
    pub tracking_url: Option<String>,
}

/// Moves an order to another status, as the workflow in force allows; 409 names the
/// statuses it could move to.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/transitions", tag = "review",
    params(("id" = String, Path, description = "Order id")), request_body = TransitionBody,
    responses(
        (status = 200, body = ActionView),
        (status = 409, description = "illegal_transition, guard_failed, actor_not_allowed or reason_required", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn transition(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ActionView>> {
    let principal = auth.require(Permission::Operate)?;
    let id = OrderId(parse_uuid("id", &id)?);
    let body: TransitionBody = parse_body(&body)?;
    let shipment = (body.to == OrderStatus::Shipped).then_some(Shipment {
        carrier: body.carrier,
        tracking_number: body.tracking_number,
        tracking_url: body.tracking_url,
        ..Default::default()
    });
    let done = state
        .actions
        .transition(
            &principal.tenant,
            id,
            body.to,
            actor_of(&principal.actor),
            &principal.actor,
            body.reason,
            shipment,
            Utc::now(),
        )
        .await
        .map_err(action_error)?;
    state.feed.bump();
    Ok(Json(view(id, done)))
}
