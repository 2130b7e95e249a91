//! What happens to an order's stock after it arrives: shipment (reserved → deducted),
//! return (restocked where it shipped from), cancellation (released), and a retry of an
//! order waiting for stock. Each is one transaction with the order's status and events.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use ordo_core::OrderId;
use ordo_core::allocation::OrderStock;
use ordo_core::auth::Permission;
use ordo_store::{OrderRequest, OrderRequestError, Shipment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::RawBody;
use crate::routes::{body_or_default, parse_uuid};
use crate::state::AppState;

/// An order's status and stock after a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderStockView {
    /// Ordo's order id.
    pub order_id: String,
    /// Status afterwards.
    pub status: ordo_core::OrderStatus,
    /// Version afterwards.
    pub version: i64,
    /// What the order holds: per (SKU, warehouse) reserved, shipped and returned units,
    /// and per SKU the units it still waits for.
    pub stock: OrderStock,
}

/// Units to return per SKU; all shipped units when absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// SKU → units.
    #[serde(default)]
    pub lines: Option<BTreeMap<String, i64>>,
}

/// Why an order is cancelled.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Recorded on the event.
    #[serde(default)]
    pub reason: Option<String>,
}

async fn run(state: &AppState, auth: &Auth, id: &str, request: OrderRequest) -> ApiResult<Json<OrderStockView>> {
    let principal = auth.require(Permission::Operate)?;
    let id = OrderId(parse_uuid("id", id)?);
    let policy = state.ingest.stock_policy(&principal.tenant);
    let result = state
        .store
        .order_request(&principal.tenant, id, &request, policy, &principal.actor, Utc::now())
        .await?;
    state.feed.bump();
    match result {
        Ok(outcome) => Ok(Json(OrderStockView {
            order_id: id.to_string(),
            status: outcome.status,
            version: outcome.version,
            stock: outcome.stock,
        })),
        Err(OrderRequestError::NotFound) => Err(ApiError::NotFound(format!("order {id} not found"))),
        Err(e @ OrderRequestError::IllegalState { .. }) => Err(ApiError::IllegalTransition(e.to_string())),
        Err(OrderRequestError::Plan(e)) => Err(ApiError::StockRefused(e.to_string())),
    }
}

/// Marks an allocated order shipped, whole or one package at a time: the package's
/// reserved units leave on hand and the order is `shipped` once nothing is left.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/ship", tag = "fulfilment",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = ShipBody, description = "Carrier and tracking; an empty body ships without tracking"),
    responses(
        (status = 200, description = "Shipped", body = OrderStockView),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 409, description = "Not allowed from the order's status", body = ErrorBody),
        (status = 422, description = "A count found fewer units than the order holds", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn ship(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<OrderStockView>> {
    let body: ShipBody = body_or_default(&body)?;
    let shipment = Shipment {
        carrier: body.carrier,
        tracking_number: body.tracking_number,
        tracking_url: body.tracking_url,
        warehouse: body.warehouse,
        units: body.units,
        parcels: Vec::new(),
    };
    run(&state, &auth, &id, OrderRequest::Ship(shipment)).await
}

/// How the goods left; the tracking is written back to the order's channel.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipBody {
    /// Carrier, e.g. `SF Express` or `UPS`.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// A tracking page.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// The warehouse the package left: only what the order holds there ships (one
    /// package of a split order); without it, everything reserved ships.
    #[serde(default)]
    pub warehouse: Option<String>,
    /// SKU → units in the package, when not everything in scope left.
    #[serde(default)]
    pub units: std::collections::BTreeMap<String, i64>,
}

/// Records returned goods and puts them back on hand where they shipped from.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/return", tag = "fulfilment",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = ReturnBody, description = "Units per SKU; empty body returns everything shipped"),
    responses(
        (status = 200, description = "Restocked", body = OrderStockView),
        (status = 409, description = "Not shipped", body = ErrorBody),
        (status = 422, description = "More than was shipped", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn return_goods(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<OrderStockView>> {
    let body: ReturnBody = body_or_default(&body)?;
    let principal = auth.require(Permission::Operate)?;
    let order = OrderId(parse_uuid("id", &id)?);
    let units = returnable_here(&state, &principal.tenant, order, body.lines).await?;
    run(&state, &auth, &id, OrderRequest::Return(Some(units))).await
}

/// What a direct return may put back: what shipped and did not come back, less what the
/// order's after-sale cases already received, so goods counted there are never
/// restocked twice. Asking for more is `422 stock_refused`.
async fn returnable_here(
    state: &AppState,
    tenant: &ordo_core::TenantId,
    order: OrderId,
    asked: Option<BTreeMap<String, i64>>,
) -> ApiResult<BTreeMap<String, i64>> {
    let stock = state.store.get_order_stock(tenant, order).await?;
    let mut left: BTreeMap<String, i64> = BTreeMap::new();
    for a in &stock.allocations {
        *left.entry(a.sku.clone()).or_insert(0) += a.shipped - a.returned;
    }
    let query = ordo_store::aftersales::records::CaseQuery {
        order_id: Some(order),
        limit: 500,
        ..Default::default()
    };
    for case in state.store.list_cases(tenant, &query).await? {
        for line in &case.lines {
            if let Some(units) = left.get_mut(&line.sku) {
                *units -= line.received;
            }
        }
    }
    left.retain(|_, units| *units > 0);
    let Some(asked) = asked else {
        return Ok(left);
    };
    for (sku, units) in &asked {
        let can = left.get(sku).copied().unwrap_or(0);
        if *units > can {
            return Err(ApiError::StockRefused(format!(
                "{sku}: {units} to return but only {can} shipped and not already returned or received in a case"
            )));
        }
    }
    Ok(asked)
}

/// Cancels an order that has not shipped and releases its stock.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/cancel", tag = "fulfilment",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = CancelBody, description = "Optional reason"),
    responses(
        (status = 200, description = "Cancelled", body = OrderStockView),
        (status = 409, description = "Already shipped, cancelled or refunded", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<OrderStockView>> {
    let body: CancelBody = body_or_default(&body)?;
    let reason = body.reason.unwrap_or_else(|| "cancelled by hand".into());
    run(&state, &auth, &id, OrderRequest::Cancel { reason }).await
}

/// Tries again to reserve what a held or backordered order waits for.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/retry", tag = "fulfilment",
    params(("id" = String, Path, description = "Order id")),
    responses(
        (status = 200, description = "Tried; the status says whether it is now allocated", body = OrderStockView),
        (status = 409, description = "Not waiting for stock", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn retry(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderStockView>> {
    run(&state, &auth, &id, OrderRequest::Retry).await
}

/// What an order holds.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}/stock", tag = "fulfilment",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, description = "Holdings", body = OrderStock), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn order_stock(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderStock>> {
    let principal = auth.require(Permission::Read)?;
    let id = OrderId(parse_uuid("id", &id)?);
    if state.store.get_order(&principal.tenant, id).await?.is_none() {
        return Err(ApiError::NotFound(format!("order {id} not found")));
    }
    Ok(Json(state.store.get_order_stock(&principal.tenant, id).await?))
}
