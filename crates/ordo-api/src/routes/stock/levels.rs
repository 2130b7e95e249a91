//! Stock levels: changes, CSV import, availability (bundles included), movements and the
//! balance check.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use ordo_core::auth::Permission;
use ordo_core::inventory::{ChannelPolicy, StockLevel, bundle_available, channel_sellable, is_low_stock};
use ordo_store::stock::inventory::{
    Discrepancy, MovementQuery, MovementRecord, StockChange, StockChangeError, StockOp, Warehouse,
};
use ordo_store::stock::records::ChannelRule;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::stock::catalogue::parse_body;
use crate::routes::{parse_limit, parse_uuid};
use crate::state::AppState;

/// Most rows one stock call or CSV import may carry; bounds one transaction.
pub const MAX_STOCK_ROWS: usize = 10_000;

/// One stock change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockChangeBody {
    /// Warehouse code.
    pub warehouse: String,
    /// SKU code.
    pub sku: String,
    /// `set` (absolute on hand), `adjust` (signed change), `receive` or `safety_stock`.
    pub op: String,
    /// The count, change, received units or safety stock.
    pub quantity: i64,
    /// For `set`: apply only if on hand is still this (optimistic WMS sync).
    #[serde(default)]
    pub expected_on_hand: Option<i64>,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// Outside reference (PO, WMS snapshot id).
    #[serde(default)]
    pub reference: Option<String>,
}

/// The result of one stock change.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockChangeResult {
    /// Position in the request (from 0), or the CSV line number.
    pub row: usize,
    /// Whether it applied.
    pub ok: bool,
    /// The level afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelView>,
    /// Why it did not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

/// A per-row error.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// Stable code: `unknown_warehouse`, `unknown_sku`, `is_bundle`, `stale`, `invalid`.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

/// A stock level with its availability.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelView {
    /// On hand.
    pub on_hand: i64,
    /// Reserved.
    pub reserved: i64,
    /// Safety stock.
    pub safety_stock: i64,
    /// Available to promise.
    pub available: i64,
}

impl From<StockLevel> for LevelView {
    fn from(l: StockLevel) -> Self {
        Self {
            on_hand: l.on_hand,
            reserved: l.reserved,
            safety_stock: l.safety_stock,
            available: l.available(),
        }
    }
}

fn row_error(error: &StockChangeError) -> RowError {
    let code = match error {
        StockChangeError::UnknownWarehouse(_) => "unknown_warehouse",
        StockChangeError::UnknownSku(_) => "unknown_sku",
        StockChangeError::IsBundle(_) => "is_bundle",
        StockChangeError::Stale { .. } => "stale",
        StockChangeError::Invalid(_) => "invalid",
    };
    RowError {
        code,
        message: error.to_string(),
    }
}

/// One change as the store takes it, or why it cannot be; shared with the console's forms.
pub fn to_change(body: StockChangeBody, actor: &str) -> Result<StockChange, RowError> {
    let op = match body.op.as_str() {
        "set" => StockOp::Set {
            on_hand: body.quantity,
            expected_on_hand: body.expected_on_hand,
        },
        "adjust" => StockOp::Adjust { delta: body.quantity },
        "receive" => StockOp::Receive {
            quantity: body.quantity,
        },
        "safety_stock" => StockOp::SetSafetyStock {
            safety_stock: body.quantity,
        },
        other => {
            return Err(RowError {
                code: "invalid",
                message: format!("op {other:?} is not one of set, adjust, receive, safety_stock"),
            });
        }
    };
    Ok(StockChange {
        warehouse: body.warehouse,
        sku: body.sku,
        op,
        reason: body.reason.unwrap_or_else(|| body.op.clone()),
        reference: body.reference,
        actor: actor.to_owned(),
    })
}

/// Applies parsed rows in one store call and reports each in its own position (a row
/// refused while parsing keeps its error); shared with the console.
pub async fn apply_rows(
    state: &AppState,
    principal: &ordo_app::Principal,
    rows: Vec<(usize, Result<StockChange, RowError>)>,
) -> ApiResult<Vec<StockChangeResult>> {
    if rows.len() > MAX_STOCK_ROWS {
        return Err(ApiError::InvalidParameter {
            parameter: "body".into(),
            message: format!("at most {MAX_STOCK_ROWS} rows"),
        });
    }
    let changes: Vec<StockChange> = rows.iter().filter_map(|(_, r)| r.as_ref().ok().cloned()).collect();
    let mut applied = state
        .store
        .change_stock(&principal.tenant, &changes, Utc::now())
        .await?
        .into_iter();
    state.feed.bump();
    let mut results = Vec::with_capacity(rows.len());
    for (row, parsed) in rows {
        results.push(match parsed {
            Err(error) => StockChangeResult {
                row,
                ok: false,
                level: None,
                error: Some(error),
            },
            Ok(_) => match applied.next() {
                Some(Ok(level)) => StockChangeResult {
                    row,
                    ok: true,
                    level: Some(level.into()),
                    error: None,
                },
                Some(Err(error)) => StockChangeResult {
                    row,
                    ok: false,
                    level: None,
                    error: Some(row_error(&error)),
                },
                None => return Err(ApiError::Internal("store returned fewer results than changes".into())),
            },
        });
    }
    Ok(results)
}

/// Applies stock changes; each row applies or fails on its own.
#[utoipa::path(post, path = "/api/v1/stock/changes", tag = "inventory", request_body = Vec<StockChangeBody>,
    responses((status = 200, body = Vec<StockChangeResult>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_stock(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<Vec<StockChangeResult>>> {
    let principal = auth.require(Permission::Operate)?;
    let bodies: Vec<StockChangeBody> = parse_body(&body)?;
    let rows = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| (i, to_change(b, &principal.actor)))
        .collect();
    Ok(Json(apply_rows(&state, principal, rows).await?))
}

/// Imports absolute stock counts from CSV with a header `warehouse,sku,on_hand`; reports
/// every row. Rows are numbered as lines of the file (the header is line 1).
#[utoipa::path(post, path = "/api/v1/stock/import", tag = "inventory",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Vec<StockChangeResult>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import_stock_csv(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<Vec<StockChangeResult>>> {
    let principal = auth.require(Permission::Operate)?;
    let rows = parse_stock_csv(body, &principal.actor)?;
    Ok(Json(apply_rows(&state, principal, rows).await?))
}

/// The rows of a stock CSV (header `warehouse,sku,on_hand`), each numbered by its line in
/// the file (the header is line 1), as absolute counts by `actor`; shared with the console.
pub fn parse_stock_csv(body: Vec<u8>, actor: &str) -> ApiResult<Vec<(usize, Result<StockChange, RowError>)>> {
    let text = String::from_utf8(body).map_err(|_| ApiError::InvalidParameter {
        parameter: "body".into(),
        message: "CSV must be UTF-8".into(),
    })?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .map(|(_, l)| {
            l.trim_start_matches('\u{feff}')
                .split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    if header != ["warehouse", "sku", "on_hand"] {
        return Err(ApiError::InvalidParameter {
            parameter: "body".into(),
            message: "the first line must be the header warehouse,sku,on_hand".into(),
        });
    }
    Ok(lines
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let parsed = match fields.as_slice() {
                [warehouse, sku, on_hand] => on_hand
                    .parse::<i64>()
                    .map_err(|_| RowError {
                        code: "invalid",
                        message: format!("on_hand {on_hand:?} is not an integer"),
                    })
                    .map(|on_hand| StockChange {
                        warehouse: (*warehouse).to_owned(),
                        sku: (*sku).to_owned(),
                        op: StockOp::Set {
                            on_hand,
                            expected_on_hand: None,
                        },
                        reason: "csv import".into(),
                        reference: None,
                        actor: actor.to_owned(),
                    }),
                _ => Err(RowError {
                    code: "invalid",
                    message: format!("expected 3 fields, found {}", fields.len()),
                }),
            };
            (index + 1, parsed)
        })
        .collect())
}

/// Availability of one SKU.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    /// SKU code.
    pub sku: String,
    /// Whether it is a bundle (its availability comes from its components).
    pub bundle: bool,
    /// Units available to promise in total.
    pub available: i64,
    /// The SKU's low-stock threshold, if it has one.
    pub low_stock_threshold: Option<i64>,
    /// True when total available is below the threshold.
    pub low_stock: bool,
    /// Per warehouse (for a bundle: bundles buildable from that warehouse's components).
    pub warehouses: BTreeMap<String, i64>,
    /// Per-warehouse levels (stocked SKUs only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<String, LevelView>,
    /// What one channel may sell, when `?channel=` was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelAvailabilityView>,
}

/// Availability as one channel sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelAvailabilityView {
    /// Channel code.
    pub channel: String,
    /// Active warehouses serving the channel.
    pub warehouses: Vec<String>,
    /// Available over those warehouses.
    pub available: i64,
    /// What the channel may list: available under the channel's stock rule (ratio,
    /// buffer, override; all of it when the channel has no rule).
    pub sellable: i64,
}

/// Availability parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelParams {
    /// Also show what this channel may sell.
    pub channel: Option<String>,
}

/// Availability of a SKU, per warehouse and in total; for a bundle, the minimum over its
/// components.
#[utoipa::path(get, path = "/api/v1/availability/{sku}", tag = "inventory", params(("sku" = String, Path), ChannelParams),
    responses((status = 200, body = AvailabilityView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn availability(
    State(state): State<AppState>,
    auth: Auth,
    Path(sku): Path<String>,
    QueryParams(params): QueryParams<ChannelParams>,
) -> ApiResult<Json<AvailabilityView>> {
    let principal = auth.require(Permission::Read)?;
    let mut view = sku_availability(&state, &principal.tenant, sku).await?;
    if let Some(channel) = params.channel {
        let channel = ordo_core::ChannelId::parse(channel).map_err(|message| ApiError::InvalidParameter {
            parameter: "channel".into(),
            message,
        })?;
        let warehouses = state.store.list_warehouses(&principal.tenant).await?;
        let rules = state.store.list_channel_rules(&principal.tenant).await?;
        view.channel = Some(channel_availability(&view, &channel, &warehouses, &rules));
    }
    Ok(Json(view))
}

/// What `channel` may sell of the SKU of `view`: available over the active warehouses
/// serving it, under the channel's stock rule (all of it when it has none); shared with
/// the console.
pub fn channel_availability(
    view: &AvailabilityView,
    channel: &ordo_core::ChannelId,
    warehouses: &[Warehouse],
    rules: &[ChannelRule],
) -> ChannelAvailabilityView {
    let serving: Vec<String> = warehouses
        .iter()
        .filter(|w| w.serves(channel.as_str()))
        .map(|w| w.code.clone())
        .collect();
    let available = serving.iter().filter_map(|w| view.warehouses.get(w)).sum();
    let rule = rules.iter().find(|r| r.channel == channel.as_str());
    let (policy, sku_override) = match rule {
        Some(rule) => (rule.policy, rule.overrides.get(&view.sku).copied()),
        None => (ChannelPolicy::default(), None),
    };
    ChannelAvailabilityView {
        channel: channel.to_string(),
        warehouses: serving,
        available,
        sellable: channel_sellable(available, policy, sku_override),
    }
}

/// Availability of one SKU, per warehouse and in total (a bundle's from its components);
/// shared with the console.
pub async fn sku_availability(
    state: &AppState,
    tenant: &ordo_core::TenantId,
    sku: String,
) -> ApiResult<AvailabilityView> {
    let record = state
        .store
        .get_sku(tenant, &sku)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("sku {sku:?} not found")))?;
    if record.components.is_empty() {
        let rows = state.store.list_stock(tenant, Some(&sku)).await?;
        let warehouses: BTreeMap<String, i64> = rows
            .iter()
            .map(|r| (r.warehouse.clone(), r.level.available()))
            .collect();
        let available = warehouses.values().sum();
        return Ok(AvailabilityView {
            sku,
            bundle: false,
            available,
            low_stock_threshold: record.low_stock_threshold,
            low_stock: is_low_stock(available, record.low_stock_threshold, 0.0, 0),
            warehouses,
            levels: rows.into_iter().map(|r| (r.warehouse, r.level.into())).collect(),
            channel: None,
        });
    }
    // A bundle ships from one warehouse, so it is built per warehouse from that
    // warehouse's components, then summed.
    let mut per_component: Vec<(i64, BTreeMap<String, i64>)> = Vec::new();
    for component in &record.components {
        let rows = state.store.list_stock(tenant, Some(&component.sku)).await?;
        per_component.push((
            component.quantity,
            rows.into_iter().map(|r| (r.warehouse, r.level.available())).collect(),
        ));
    }
    let warehouse_codes: std::collections::BTreeSet<String> = per_component
        .iter()
        .flat_map(|(_, by_wh)| by_wh.keys().cloned())
        .collect();
    let warehouses: BTreeMap<String, i64> = warehouse_codes
        .into_iter()
        .map(|wh| {
            let parts: Vec<(i64, i64)> = per_component
                .iter()
                .map(|(per, by_wh)| (by_wh.get(&wh).copied().unwrap_or(0), *per))
                .collect();
            let count = bundle_available(&parts);
            (wh, count)
        })
        .collect();
    let available = warehouses.values().sum();
    Ok(AvailabilityView {
        sku,
        bundle: true,
        available,
        low_stock_threshold: record.low_stock_threshold,
        low_stock: is_low_stock(available, record.low_stock_threshold, 0.0, 0),
        warehouses,
        levels: BTreeMap::new(),
        channel: None,
    })
}

/// Movement listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementParams {
    /// Only this SKU.
    pub sku: Option<String>,
    /// Only this warehouse.
    pub warehouse: Option<String>,
    /// Continue after this movement id.
    pub cursor: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// A movement.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    /// Id.
    pub id: uuid::Uuid,
    /// Warehouse.
    pub warehouse: String,
    /// SKU.
    pub sku: String,
    /// `receipt`, `adjustment`, `reservation`, `release`, `shipment`, `return`.
    pub kind: String,
    /// Units (signed for adjustments).
    pub quantity: i64,
    /// On hand after.
    pub on_hand_after: i64,
    /// Reserved after.
    pub reserved_after: i64,
    /// Why.
    pub reason: String,
    /// Outside reference.
    pub reference: Option<String>,
    /// Who.
    pub actor: String,
    /// When.
    pub at: chrono::DateTime<Utc>,
}

impl From<MovementRecord> for MovementView {
    fn from(m: MovementRecord) -> Self {
        Self {
            id: m.id,
            warehouse: m.warehouse,
            sku: m.sku,
            kind: m.kind.as_str().to_owned(),
            quantity: m.quantity,
            on_hand_after: m.on_hand_after,
            reserved_after: m.reserved_after,
            reason: m.reason,
            reference: m.reference,
            actor: m.actor,
            at: m.at,
        }
    }
}

/// Lists stock movements, newest first.
#[utoipa::path(get, path = "/api/v1/movements", tag = "inventory", params(MovementParams),
    responses((status = 200, body = Vec<MovementView>)), security(("bearer" = [])))]
pub async fn list_movements(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<MovementParams>,
) -> ApiResult<Json<Vec<MovementView>>> {
    let principal = auth.require(Permission::Read)?;
    let query = MovementQuery {
        sku: params.sku,
        warehouse: params.warehouse,
        after: params.cursor.as_deref().map(|c| parse_uuid("cursor", c)).transpose()?,
        limit: parse_limit(params.limit)?,
    };
    Ok(Json(
        state
            .store
            .list_movements(&principal.tenant, &query)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Result of a balance check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    /// True when every balance equals the sum of its movements.
    pub consistent: bool,
    /// The levels that disagree.
    #[schema(value_type = Vec<Object>)]
    pub discrepancies: Vec<Discrepancy>,
}

/// Verifies that every stock balance equals the sum of its movements.
#[utoipa::path(get, path = "/api/v1/inventory/check", tag = "inventory",
    responses((status = 200, body = CheckView)), security(("bearer" = [])))]
pub async fn check(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<CheckView>> {
    let principal = auth.require(Permission::Read)?;
    let discrepancies = state.store.check_inventory(&principal.tenant).await?;
    Ok(Json(CheckView {
        consistent: discrepancies.is_empty(),
        discrepancies,
    }))
}
