//! `/api/v1/subscriptions`: an admin registers webhook receivers for its tenant's feed
//! events and reads their delivery history. The secret deliveries are signed with is shown
//! once, in the answer that created the subscription.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ordo_app::subscriptions::{self, NewSubscription, SubscriptionError};
use ordo_core::auth::Permission;
use ordo_store::OutboxStatus;
use ordo_store::delivery::subscriptions::Subscription;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::stock::catalogue::parse_body;
use crate::routes::{parse_limit, parse_uuid};
use crate::state::AppState;

/// A subscription request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriptionRequest {
    /// Where deliveries are POSTed: an `http` or `https` URL.
    pub url: String,
    /// Feed event patterns: an exact kind (`order.created`), a prefix ending in `*`
    /// (`order.*`, `stock.*`), or `*` for every event.
    pub events: Vec<String>,
    /// A label, e.g. `ERP order sync`.
    #[serde(default)]
    pub description: Option<String>,
}

/// A subscription as shown (the secret only when it was just created).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Its id.
    pub id: Uuid,
    /// Where deliveries go.
    pub url: String,
    /// Event patterns.
    pub events: Vec<String>,
    /// Its label.
    pub description: Option<String>,
    /// False once deleted; its delivery history stays readable.
    pub active: bool,
    /// The number of the last feed event handed over for delivery.
    pub cursor: i64,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// The HMAC-SHA256 key of its deliveries (`X-Ordo-Signature: sha256=<hex of the
    /// body's HMAC>`): present only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            url: s.url,
            events: s.events,
            description: s.description,
            active: s.active,
            cursor: s.cursor,
            created_at: s.created_at,
            secret: None,
        }
    }
}

/// One delivery of an event to a subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The delivery id, sent as `X-Ordo-Delivery` on every attempt.
    pub id: Uuid,
    /// The event kind, e.g. `order.created`.
    pub event: String,
    /// The event's feed number.
    pub seq: Option<i64>,
    /// `pending`, `delivered`, `dead` (gave up after the last attempt) or `dropped` (the
    /// subscription was deleted first).
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the event was handed over.
    pub created_at: DateTime<Utc>,
}

impl From<ordo_store::OutboxMessage> for DeliveryView {
    fn from(m: ordo_store::OutboxMessage) -> Self {
        Self {
            id: m.id,
            event: m.payload["type"].as_str().unwrap_or_default().to_owned(),
            seq: m.payload["seq"].as_i64(),
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            last_error: m.last_error,
            next_attempt_at: (m.status == OutboxStatus::Pending).then_some(m.next_attempt_at),
            created_at: m.created_at,
        }
    }
}

/// Delivery listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

impl From<SubscriptionError> for ApiError {
    fn from(error: SubscriptionError) -> Self {
        match error {
            SubscriptionError::Invalid { field, message } => ApiError::InvalidPayload {
                code: "validation_failed",
                message: format!("{field}: {message}"),
                details: vec![ordo_core::FieldError::new(field, "invalid", message)],
                inbox_id: None,
            },
            too_many @ SubscriptionError::TooMany => ApiError::Conflict(too_many.to_string()),
            SubscriptionError::Store(e) => e.into(),
        }
    }
}

/// Registers a webhook receiver for the caller's tenant. It receives events committed
/// from now on; the answer carries the signing secret, shown this once.
#[utoipa::path(
    post, path = "/api/v1/subscriptions", tag = "subscriptions", request_body = NewSubscriptionRequest,
    responses(
        (status = 201, body = SubscriptionView), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn create_subscription(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<SubscriptionView>)> {
    let principal = auth.require(Permission::Administer)?;
    let request: NewSubscriptionRequest = parse_body(&body)?;
    let request = NewSubscription {
        url: request.url,
        events: request.events,
        description: request.description,
    };
    let created = subscriptions::create(state.store.as_ref(), &principal.tenant, request, Utc::now()).await?;
    let secret = created.secret.clone();
    let mut view = SubscriptionView::from(created);
    view.secret = Some(secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Lists the caller's tenant's subscriptions, deleted ones included, oldest first;
/// never their secrets.
#[utoipa::path(
    get, path = "/api/v1/subscriptions", tag = "subscriptions",
    responses((status = 200, body = Vec<SubscriptionView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_subscriptions(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<SubscriptionView>>> {
    let principal = auth.require(Permission::Administer)?;
    let listed = state.store.list_subscriptions(&principal.tenant).await?;
    Ok(Json(listed.into_iter().map(SubscriptionView::from).collect()))
}

/// Deletes a subscription: no more events are handed over and its pending deliveries are
/// dropped; it stays listed, inactive, with its delivery history.
#[utoipa::path(
    delete, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = String, Path, description = "Subscription id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn delete_subscription(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let principal = auth.require(Permission::Administer)?;
    let id = parse_uuid("id", &id)?;
    if state
        .store
        .deactivate_subscription(&principal.tenant, id, Utc::now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no active subscription {id}")))
    }
}

/// A subscription's deliveries, newest first: status, attempts, last error and next
/// attempt.
#[utoipa::path(
    get, path = "/api/v1/subscriptions/{id}/deliveries", tag = "subscriptions",
    params(("id" = String, Path, description = "Subscription id"), DeliveryParams),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<DeliveryParams>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let principal = auth.require(Permission::Administer)?;
    let id = parse_uuid("id", &id)?;
    let limit = parse_limit(params.limit)?;
    if state.store.get_subscription(&principal.tenant, id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no subscription {id}")));
    }
    let deliveries = state.store.list_deliveries(&principal.tenant, id, limit).await?;
    Ok(Json(deliveries.into_iter().map(DeliveryView::from).collect()))
}
