//! B2B consolidation: each customer's pool of orders waiting to ship together, merging
//! orders into one shipment by hand and sending it at once, and shipping a pool now
//! (see `ordo_app::consolidation`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ordo_app::consolidation::{self, ReleaseError, describe};
use ordo_core::OrderId;
use ordo_core::auth::Permission;
use ordo_store::channels::records::MergeError;
use ordo_store::fulfilment::consolidate_records::{GroupPush, PushedRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::RawBody;
use crate::routes::parse_uuid;
use crate::routes::stock::catalogue::parse_body;
use crate::state::AppState;
use crate::views::OrderSummaryView;

/// Where a customer's orders go (no street: enough to recognise the customer's site).
#[derive(Debug, Serialize, ToSchema)]
pub struct DestinationView {
    /// Recipient.
    pub name: String,
    /// ISO country code.
    pub country: String,
    /// Province or state.
    pub province: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// One customer's pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPoolView {
    /// The buyer + destination key; `POST /api/v1/consolidation/{match_key}/release` ships it.
    pub match_key: String,
    /// The buyer's channel id.
    pub buyer_id: Option<String>,
    /// The buyer's name.
    pub buyer_name: Option<String>,
    /// Where the orders go.
    pub destination: Option<DestinationView>,
    /// Its open orders, by placement; the allocated ones ship at release, the others wait.
    pub orders: Vec<OrderSummaryView>,
    /// When it ships by itself; null while none of its orders is allocated.
    pub due_at: Option<DateTime<Utc>>,
}

/// The pool rule and every customer's pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolView {
    /// Whether a pool rule is configured (`[consolidation]`) on a node that pushes orders.
    pub enabled: bool,
    /// Channels whose orders are pooled.
    pub channels: Vec<String>,
    /// Buyers whose orders are pooled.
    pub buyer_ids: Vec<String>,
    /// Minutes a pool fills.
    pub window_minutes: Option<i64>,
    /// The pools, by key.
    pub customers: Vec<CustomerPoolView>,
}

/// A fulfilment request queued for a consolidated shipment.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    /// The warehouse.
    pub warehouse: String,
    /// The request id.
    pub request_id: Uuid,
}

fn requests(list: Vec<PushedRequest>) -> Vec<RequestView> {
    list.into_iter()
        .map(|r| RequestView {
            warehouse: r.warehouse,
            request_id: r.request_id,
        })
        .collect()
}

/// Orders to ship together.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsolidateBody {
    /// Two or more order ids of one buyer and address, none yet sent to a warehouse.
    pub order_ids: Vec<String>,
}

/// A consolidated shipment made by hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsolidationView {
    /// The consolidation (merge) id; requests carry it as `consolidation_id`.
    pub consolidation_id: Uuid,
    /// The orders.
    pub order_ids: Vec<Uuid>,
    /// Whether it went to the warehouse now.
    pub pushed: bool,
    /// The order the requests are named after.
    pub lead_order_id: Option<Uuid>,
    /// The requests queued.
    pub requests: Vec<RequestView>,
    /// Why it did not go yet (it goes by itself once every order is allocated).
    pub waiting: Option<String>,
}

/// What shipping a pool did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseView {
    /// The pool.
    pub match_key: String,
    /// The consolidation made of its allocated orders (none when one order went alone).
    pub consolidation_id: Option<Uuid>,
    /// Orders sent to the warehouse.
    pub sent: Vec<Uuid>,
    /// The requests queued.
    pub requests: Vec<RequestView>,
    /// Orders left in the pool because they are not allocated yet.
    pub left_in_pool: Vec<Uuid>,
    /// Why the allocated orders did not go, when they did not.
    pub blocked: Option<String>,
}

/// Each bad request has its own stable code.
fn refused(error: MergeError) -> ApiError {
    let code = match &error {
        MergeError::TooFew => {
            return ApiError::InvalidParameter {
                parameter: "order_ids".into(),
                message: error.to_string(),
            };
        }
        MergeError::NotFound(_) => return ApiError::NotFound(error.to_string()),
        MergeError::NotMergeable { .. } | MergeError::Released { .. } => "not_mergeable",
        MergeError::DifferentDestination(_) => "different_destination",
        MergeError::AlreadyMerged { .. } => "already_merged",
        MergeError::OutsideWindow { .. } => "outside_window",
    };
    ApiError::Refused {
        code,
        message: error.to_string(),
    }
}

/// Every customer's pool: open orders the consolidation rule matches, waiting to ship
/// together.
#[utoipa::path(
    get, path = "/api/v1/consolidation/pool", tag = "fulfilment",
    responses((status = 200, body = PoolView)),
    security(("bearer" = []))
)]
pub async fn pool(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<PoolView>> {
    let principal = auth.require(Permission::Read)?;
    let policy = state.warehouses.push_policy(&principal.tenant);
    let Some(rule) = policy
        .pool
        .as_deref()
        .filter(|_| !policy.is_empty_for(&principal.tenant))
    else {
        return Ok(Json(PoolView {
            enabled: false,
            channels: Vec::new(),
            buyer_ids: Vec::new(),
            window_minutes: None,
            customers: Vec::new(),
        }));
    };
    let store = state.store.as_ref();
    let mut customers = Vec::new();
    for pool in consolidation::pools(store, &principal.tenant, rule, None).await? {
        let first = pool.orders.first();
        let record = match first {
            Some(o) => store.get_order(&principal.tenant, o.id).await?,
            None => None,
        };
        let destination = record
            .and_then(|r| r.state.order.shipping_address)
            .map(|a| DestinationView {
                name: a.name,
                country: a.country,
                province: a.province,
                city: a.city,
                postal_code: a.postal_code,
            });
        customers.push(CustomerPoolView {
            buyer_id: first.and_then(|o| o.buyer_id.clone()),
            buyer_name: first.and_then(|o| o.buyer_name.clone()),
            match_key: pool.match_key,
            destination,
            orders: pool.orders.into_iter().map(OrderSummaryView::from).collect(),
            due_at: pool.due_at,
        });
    }
    Ok(Json(PoolView {
        enabled: true,
        channels: rule.channels.iter().cloned().collect(),
        buyer_ids: rule.buyer_ids.iter().cloned().collect(),
        window_minutes: Some(rule.window.num_minutes()),
        customers,
    }))
}

/// Merges orders of one customer into one shipment by hand and sends it to the warehouse
/// now, as one request per warehouse; if an order is not allocated yet, the shipment
/// goes by itself once it is.
#[utoipa::path(
    post, path = "/api/v1/consolidation", tag = "fulfilment", request_body = ConsolidateBody,
    responses(
        (status = 201, body = ConsolidationView),
        (status = 400, description = "`invalid_parameter`: not a UUID, or fewer than two orders", body = ErrorBody),
        (status = 404, description = "`not_found`: an order does not exist", body = ErrorBody),
        (status = 409, description = "`not_mergeable` (not paid, or already sent), `different_destination`, `already_merged`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn consolidate(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<ConsolidationView>)> {
    let principal = auth.require(Permission::Operate)?;
    let body: ConsolidateBody = parse_body(&body)?;
    let ids = body
        .order_ids
        .iter()
        .map(|id| parse_uuid("order_ids", id).map(OrderId))
        .collect::<ApiResult<Vec<_>>>()?;
    let policy = state.warehouses.push_policy(&principal.tenant);
    let done = consolidation::consolidate(
        state.store.as_ref(),
        &principal.tenant,
        &ids,
        &policy,
        &principal.actor,
        Utc::now(),
    )
    .await?
    .map_err(refused)?;
    state.feed.bump();
    let mut view = ConsolidationView {
        consolidation_id: done.group.id,
        order_ids: done.group.order_ids.iter().map(|o| o.0).collect(),
        pushed: false,
        lead_order_id: None,
        requests: Vec::new(),
        waiting: None,
    };
    match done.push {
        GroupPush::Pushed {
            lead, requests: queued, ..
        } => {
            view.pushed = true;
            view.lead_order_id = Some(lead.0);
            view.requests = requests(queued);
        }
        GroupPush::Nothing if policy.is_empty_for(&principal.tenant) => {
            view.waiting = Some("no warehouse of this tenant takes requests from Ordo".into());
        }
        other => view.waiting = Some(describe(&other)),
    }
    Ok((StatusCode::CREATED, Json(view)))
}

/// Ships one customer's pool now: its allocated orders leave as one shipment; orders not
/// allocated yet stay in the pool.
#[utoipa::path(
    post, path = "/api/v1/consolidation/{match_key}/release", tag = "fulfilment",
    params(("match_key" = String, Path, description = "The pool's key, from the pool listing")),
    responses(
        (status = 200, body = ReleaseView),
        (status = 404, description = "`not_found`: no pooled order has this key", body = ErrorBody),
        (status = 409, description = "An order moved on meanwhile; release again", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn release(
    State(state): State<AppState>,
    auth: Auth,
    Path(match_key): Path<String>,
) -> ApiResult<Json<ReleaseView>> {
    let principal = auth.require(Permission::Operate)?;
    let policy = state.warehouses.push_policy(&principal.tenant);
    let done = consolidation::release(
        state.store.as_ref(),
        &principal.tenant,
        &policy,
        &match_key,
        &principal.actor,
        Utc::now(),
    )
    .await?
    .map_err(|e| match e {
        ReleaseError::Empty(_) => ApiError::NotFound(e.to_string()),
        ReleaseError::Merge(m) => refused(m),
    })?;
    state.feed.bump();
    Ok(Json(ReleaseView {
        match_key,
        consolidation_id: done.consolidation_id,
        sent: done.sent.iter().map(|o| o.0).collect(),
        requests: requests(done.requests),
        left_in_pool: done.left.iter().map(|o| o.0).collect(),
        blocked: done.blocked,
    }))
}
