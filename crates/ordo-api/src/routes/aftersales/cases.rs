//! `/api/v1/aftersales`: open a case, list and read cases, move them (approve, decline,
//! cancel, attach a return label, receive, inspect, close, reopen), and refund, with or
//! without a case.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use ordo_app::aftersales::{exchange_order, price_difference};
use ordo_core::OrderId;
use ordo_core::aftersale::{CaseKind, CaseStatus, Receipt};
use ordo_core::auth::Permission;
use ordo_store::aftersales::records::{CaseCommand, CaseDetail, CaseQuery, CaseRecord, NewCase, NewRefund};
use ordo_store::aftersales::refunds::quote_for;
use ordo_store::{IngestResult, Store};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::RawBody;
use crate::routes::stock::catalogue::parse_body;
use crate::routes::{body_or_default, parse_uuid};
use crate::state::AppState;

/// Units of a SKU.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitsBody {
    /// SKU code.
    pub sku: String,
    /// Units.
    pub quantity: i64,
}

/// A case to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseBody {
    /// Ordo's order id.
    pub order_id: String,
    /// `refund_only`, `return_refund`, `exchange` or `reship`.
    pub kind: String,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// What is asked for.
    #[serde(default)]
    pub lines: Vec<UnitsBody>,
    /// What an exchange sends instead (a reship sends `lines` again when absent).
    #[serde(default)]
    pub exchange_lines: Vec<UnitsBody>,
    /// The channel's own id of the case.
    #[serde(default)]
    pub channel_case_id: Option<String>,
    /// The channel's own status, verbatim.
    #[serde(default)]
    pub channel_status: Option<String>,
}

fn pairs(lines: &[UnitsBody]) -> Vec<(String, i64)> {
    lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect()
}

/// Opens an after-sale case on an order: a refund without a return, a return and refund,
/// an exchange or a reship. The units must be on the order (shipped and not already in
/// another case, for goods coming back).
#[utoipa::path(
    post, path = "/api/v1/aftersales", tag = "aftersales",
    request_body = CaseBody,
    responses(
        (status = 201, description = "Opened (200: the channel's case was known)", body = Object),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 422, description = "More units than the order can give back, or no lines", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn open_case(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let principal = auth.require(Permission::Operate)?;
    let body: CaseBody = parse_body(&body)?;
    let kind = CaseKind::parse(&body.kind).ok_or_else(|| ApiError::Rejected {
        code: "invalid_kind",
        message: format!(
            "kind: {:?} is not one of {}",
            body.kind,
            CaseKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        ),
    })?;
    let new = NewCase {
        order_id: OrderId(parse_uuid("order_id", &body.order_id)?),
        kind,
        reason: body.reason,
        lines: pairs(&body.lines),
        exchange_lines: pairs(&body.exchange_lines),
        channel_case_id: body.channel_case_id,
        channel_status: body.channel_status,
    };
    let now = Utc::now();
    let case = state
        .store
        .open_case(&principal.tenant, &new, &principal.actor, now)
        .await??;
    state.feed.bump();
    let status = if case.created_at == now {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(detail(state.store.as_ref(), &principal.tenant, case.id).await?),
    ))
}

/// Case listing parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseParams {
    /// Only this state, e.g. `awaiting_return`.
    pub status: Option<String>,
    /// Only this order.
    pub order_id: Option<String>,
    /// Page size (default 100).
    pub limit: Option<u32>,
}

/// Cases, most recently changed first, with the count per state.
#[utoipa::path(
    get, path = "/api/v1/aftersales", tag = "aftersales", params(CaseParams),
    responses((status = 200, description = "Cases and counts", body = Object)),
    security(("bearer" = []))
)]
pub async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<CaseParams>,
) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Read)?;
    let status = params
        .status
        .as_deref()
        .map(|s| {
            CaseStatus::parse(s).ok_or_else(|| ApiError::InvalidParameter {
                parameter: "status".into(),
                message: format!("{s:?} is not a case state"),
            })
        })
        .transpose()?;
    let order_id = params
        .order_id
        .as_deref()
        .map(|o| parse_uuid("order_id", o).map(OrderId))
        .transpose()?;
    let query = CaseQuery {
        status,
        order_id,
        limit: params.limit.unwrap_or(100),
    };
    let cases = state.store.list_cases(&principal.tenant, &query).await?;
    let counts: BTreeMap<String, i64> = state.store.case_counts(&principal.tenant).await?.into_iter().collect();
    Ok(Json(json!({ "cases": cases, "counts": counts })))
}

/// A case with its events, refunds, the refund Ordo would compute now, and for an
/// exchange the price difference.
#[utoipa::path(
    get, path = "/api/v1/aftersales/{id}", tag = "aftersales",
    params(("id" = String, Path, description = "Case id")),
    responses(
        (status = 200, description = "The case", body = Object),
        (status = 404, description = "No such case", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_case(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Read)?;
    let id = parse_uuid("id", &id)?;
    Ok(Json(detail(state.store.as_ref(), &principal.tenant, id).await?))
}

/// The case as the API shows it.
pub async fn detail(store: &dyn Store, tenant: &ordo_core::TenantId, id: Uuid) -> ApiResult<Value> {
    let CaseDetail { case, events, refunds } = store
        .get_case(tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {id} not found")))?;
    let order = store.get_order(tenant, case.order_id).await?;
    let mut out = json!({ "events": events, "refunds": refunds });
    if let Some(order) = order {
        let before = store.order_refunds(tenant, case.order_id).await?;
        let due = quote_for(&order.state.order, Some(&case), &BTreeMap::new(), &before, 0, 0);
        out["refund_due"] = match due {
            Ok(q) => json!(q),
            Err(e) => json!({ "error": { "code": e.code(), "message": e.to_string() } }),
        };
        out["currency"] = json!(order.state.order.currency.code());
        if matches!(case.kind, CaseKind::Exchange | CaseKind::Reship) {
            let (difference, unpriced) = price_difference(&case, &order.state.order);
            out["price_difference"] = json!({ "amount": difference, "unpriced": unpriced });
        }
    }
    let mut view = serde_json::to_value(&case).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let (Some(view), Some(extra)) = (view.as_object_mut(), out.as_object()) {
        view.extend(extra.clone());
    }
    Ok(view)
}

/// What a move may say: why (decline, cancel), a note (inspect), a return label or the
/// buyer's tracking (attach_return).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
    /// Carrier of the return.
    #[serde(default)]
    pub carrier: Option<String>,
    /// Tracking number of the return.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// Where the return label is.
    #[serde(default)]
    pub label_url: Option<String>,
}

/// Moves a case: `approve`, `decline`, `cancel`, `attach_return`, `inspect`, `close`,
/// `reopen`. Approving an exchange or reship creates its outbound order (reserved and
/// routed like any other) and links it to the case.
#[utoipa::path(
    post, path = "/api/v1/aftersales/{id}/{action}", tag = "aftersales",
    params(("id" = String, Path, description = "Case id"), ("action" = String, Path, description = "approve, decline, cancel, attach_return, inspect, close or reopen")),
    request_body(content = MoveBody, description = "Optional"),
    responses(
        (status = 200, description = "The case afterwards", body = Object),
        (status = 404, description = "No such case or action", body = ErrorBody),
        (status = 409, description = "Not allowed from the case's state (`illegal_case_transition`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn move_case(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, action)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    let body: MoveBody = body_or_default(&body)?;
    let command = match action.as_str() {
        "approve" => CaseCommand::Approve,
        "decline" => CaseCommand::Decline(body.reason),
        "cancel" => CaseCommand::Cancel(body.reason),
        "inspect" => CaseCommand::Inspect(body.note),
        "close" => CaseCommand::Close,
        "reopen" => CaseCommand::Reopen,
        "attach_return" => CaseCommand::AttachReturn(json!({
            "carrier": body.carrier, "tracking_number": body.tracking_number, "label_url": body.label_url,
        })),
        other => return Err(ApiError::NotFound(format!("no case action {other:?}"))),
    };
    let case = command_case(&state, principal, id, &command).await?;
    if command == CaseCommand::Approve && matches!(case.kind, CaseKind::Exchange | CaseKind::Reship) {
        send_exchange(&state, principal, &case).await?;
    }
    Ok(Json(detail(state.store.as_ref(), &principal.tenant, id).await?))
}

/// Applies a command to a case under the case flow in force, and tells the live feed.
pub async fn command_case(
    state: &AppState,
    principal: &ordo_app::service::Principal,
    id: Uuid,
    command: &CaseCommand,
) -> ApiResult<CaseRecord> {
    let case = state
        .store
        .case_command(
            &principal.tenant,
            id,
            command,
            &state.actions.aftersales(&principal.tenant).flow(),
            &principal.actor,
            Utc::now(),
        )
        .await??;
    state.feed.bump();
    Ok(case)
}

/// Creates the order an approved exchange or reship sends, once (the case id is its
/// idempotency key), and links it.
pub async fn send_exchange(
    state: &AppState,
    principal: &ordo_app::service::Principal,
    case: &CaseRecord,
) -> ApiResult<()> {
    if case.exchange_order_id.is_some() || case.exchange_lines.is_empty() {
        return Ok(());
    }
    let original = state
        .store
        .get_order(&principal.tenant, case.order_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {} not found", case.order_id)))?;
    let body = exchange_order(case, &original.state.order, Utc::now());
    let body = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let ingested = state
        .ingest
        .ingest_canonical(principal, body, Some(format!("aftersale:{}", case.id)))
        .await
        .map_err(|e| ApiError::Internal(format!("the exchange order could not be stored: {e}")))?;
    match ingested.result {
        IngestResult::Applied { order_id, .. } => {
            let (difference, unpriced) = price_difference(case, &original.state.order);
            let link = CaseCommand::LinkOrder {
                order: order_id,
                price_difference: unpriced.is_empty().then_some(difference),
            };
            command_case(state, principal, case.id, &link).await?;
            Ok(())
        }
        other => Err(ApiError::Rejected {
            code: "exchange_order_failed",
            message: format!(
                "the exchange order was not accepted ({other:?}): {}",
                ingested.problem.map(|p| p.message).unwrap_or_default()
            ),
        }),
    }
}

/// Units counted on receipt.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveBody {
    /// Per SKU: units, `restock` | `quarantine` | `write_off` | `missing`, and the
    /// warehouse (where it shipped from when absent).
    pub lines: Vec<Receipt>,
}

/// Counts goods that came back. Stock moves only here: restocked units raise on hand in
/// the named warehouse; quarantined and written-off units are recorded as movements that
/// leave on hand as it is; missing units move nothing.
#[utoipa::path(
    post, path = "/api/v1/aftersales/{id}/receive", tag = "aftersales",
    params(("id" = String, Path, description = "Case id")),
    request_body = ReceiveBody,
    responses(
        (status = 200, description = "The case afterwards", body = Object),
        (status = 409, description = "Not expecting goods in its state", body = ErrorBody),
        (status = 422, description = "More units than expected, or an unknown SKU or warehouse", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn receive(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    let body: ReceiveBody = parse_body(&body)?;
    command_case(&state, principal, id, &CaseCommand::Receive(body.lines)).await?;
    Ok(Json(detail(state.store.as_ref(), &principal.tenant, id).await?))
}

/// A refund. Without `amount`, Ordo computes it: each line's price less its discounts
/// plus its tax, for the units named (a case: what came back, or what a refund-only case
/// asked for), plus `shipping`, less the restocking fee, capped at what is left of the
/// payment.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Minor units; computed when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Shipping refunded, minor units.
    #[serde(default)]
    pub shipping: Option<i64>,
    /// Units refunded (a case's due units when absent).
    #[serde(default)]
    pub lines: Vec<UnitsBody>,
    /// Restocking fee in per mille of the goods.
    #[serde(default)]
    pub restocking_fee_permille: Option<i64>,
    /// The channel's refund id (a second refund with it returns the first).
    #[serde(default)]
    pub channel_refund_id: Option<String>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
}

fn new_refund(order_id: OrderId, case_id: Option<Uuid>, body: RefundBody, fee: i64) -> NewRefund {
    NewRefund {
        order_id,
        case_id,
        channel_refund_id: body.channel_refund_id,
        units: body.lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect(),
        shipping: body.shipping.unwrap_or(0),
        amount: body.amount,
        restocking_fee_permille: body.restocking_fee_permille.unwrap_or(fee),
        source: "ordo".into(),
        stated_amount: None,
        note: body.note,
    }
}

/// Refunds a case.
#[utoipa::path(
    post, path = "/api/v1/aftersales/{id}/refund", tag = "aftersales",
    params(("id" = String, Path, description = "Case id")),
    request_body(content = RefundBody, description = "Optional: computed when empty"),
    responses(
        (status = 201, description = "The refund", body = Object),
        (status = 409, description = "Not refundable in the case's state", body = ErrorBody),
        (status = 422, description = "More than was paid (`refund_exceeds_paid`) or sold", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refund_case(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    let case = state
        .store
        .get_case(&principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {id} not found")))?;
    let body: RefundBody = body_or_default(&body)?;
    refund(
        &state,
        principal,
        new_refund(case.case.order_id, Some(id), body, fee(&state, principal)),
    )
    .await
}

/// Refunds an order without a case (a goodwill or shipping refund).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/refunds", tag = "aftersales",
    params(("id" = String, Path, description = "Order id")),
    request_body = RefundBody,
    responses(
        (status = 201, description = "The refund (200: the channel's refund was known)", body = Object),
        (status = 422, description = "More than was paid (`refund_exceeds_paid`)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn refund_order(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let principal = auth.require(Permission::Operate)?;
    let id = OrderId(parse_uuid("id", &id)?);
    let body: RefundBody = parse_body(&body)?;
    refund(&state, principal, new_refund(id, None, body, fee(&state, principal))).await
}

/// The tenant's restocking fee, per mille, for refunds that do not name one.
fn fee(state: &AppState, principal: &ordo_app::service::Principal) -> i64 {
    state.actions.aftersales(&principal.tenant).restocking_fee_permille
}

/// Records a refund under the case flow in force, tells the live feed, and answers it
/// (201 when new).
pub async fn refund(
    state: &AppState,
    principal: &ordo_app::service::Principal,
    new: NewRefund,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let (refund, created) = state
        .store
        .record_refund(
            &principal.tenant,
            &new,
            &state.actions.aftersales(&principal.tenant).flow(),
            &principal.actor,
            Utc::now(),
        )
        .await??;
    state.feed.bump();
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!(refund))))
}
