//! The sourcing (routing) configuration in force, and a what-if of a candidate one over
//! recent orders.

use axum::Json;
use axum::extract::State;
use ordo_app::whatif::{DEFAULT_LAST, MAX_LAST, Report, RoutingConfig, StockMode, current_config};
use ordo_core::auth::Permission;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::state::AppState;

/// The routing configuration in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingView {
    /// Where it comes from: `built-in` (the configuration Ordo ships with) or the file
    /// named by `routing.file`.
    pub source: String,
    /// Its TOML text, to start a candidate from.
    pub toml: String,
    /// The checked configuration: rules (every rank key spelt out), cost lanes with prices
    /// in minor units, carrier rules, and the currency.
    #[schema(value_type = Object)]
    pub config: Value,
}

/// The routing configuration orders are sourced with, as TOML and as checked.
#[utoipa::path(
    get, path = "/api/v1/routing", tag = "inventory",
    responses((status = 200, body = RoutingView)), security(("bearer" = []))
)]
pub async fn routing(auth: Auth) -> ApiResult<Json<RoutingView>> {
    let principal = auth.require(Permission::Read)?;
    let installed = current_config(&principal.tenant);
    let config = serde_json::to_value(&installed.config).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(RoutingView {
        source: installed.source.clone(),
        toml: installed.toml.clone(),
        config,
    }))
}

/// What-if parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WhatIfParams {
    /// How many of the newest orders that ship (default 500, at most 10,000).
    pub last: Option<u64>,
    /// `consume` (default): each order takes its units, as in production; `fixed`: every
    /// order sees the starting stock.
    pub mode: Option<String>,
}

/// Replays the newest orders that ship (not pending payment, not cancelled), oldest first,
/// under the routing configuration in force and under a candidate (the TOML body), from
/// the same starting stock (each level's on hand), and reports orders routed, packages,
/// split orders, distance and cost for each, their difference, and where every changed
/// order would ship. Changes nothing.
#[utoipa::path(
    post, path = "/api/v1/routing/what-if", tag = "inventory", params(WhatIfParams),
    request_body(content = String, content_type = "application/toml", description = "A routing configuration"),
    responses(
        (status = 200, body = Object),
        (status = 400, description = "invalid_parameter: `last` outside 1..=10000 or an unknown `mode`", body = ErrorBody),
        (status = 422, description = "invalid_config: each problem with its line and column", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn what_if(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<WhatIfParams>,
    RawBody(body): RawBody,
) -> ApiResult<Json<Report>> {
    let principal = auth.require(Permission::Operate)?;
    let text = String::from_utf8(body).map_err(|_| ApiError::InvalidConfig(vec!["body: not UTF-8".into()]))?;
    let report = what_if_text(&state, &principal.tenant, &text, params.last, params.mode.as_deref()).await?;
    Ok(Json(report))
}

/// Replays `tenant`'s newest orders under the routing in force and under a candidate
/// (TOML `text`); shared with the console's routing editor.
pub async fn what_if_text(
    state: &AppState,
    tenant: &ordo_core::TenantId,
    text: &str,
    last: Option<u64>,
    mode: Option<&str>,
) -> ApiResult<Report> {
    let last = parse_last(last)?;
    let mode = parse_mode(mode)?;
    let candidate = RoutingConfig::from_toml(text, "body")
        .map_err(|errors| ApiError::InvalidConfig(errors.iter().map(ToString::to_string).collect()))?;
    let report = ordo_app::whatif::what_if_recent(
        &state.store,
        tenant,
        &current_config(tenant).config,
        &candidate,
        last,
        mode,
    )
    .await?;
    Ok(report)
}

fn parse_last(last: Option<u64>) -> Result<usize, ApiError> {
    match last.map(usize::try_from) {
        None => Ok(DEFAULT_LAST),
        Some(Ok(n)) if (1..=MAX_LAST).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::InvalidParameter {
            parameter: "last".into(),
            message: format!("{} is outside 1..={MAX_LAST}", last.unwrap_or_default()),
        }),
    }
}

fn parse_mode(mode: Option<&str>) -> Result<StockMode, ApiError> {
    match mode {
        None | Some("consume") => Ok(StockMode::Consume),
        Some("fixed") => Ok(StockMode::Fixed),
        Some(other) => Err(ApiError::InvalidParameter {
            parameter: "mode".into(),
            message: format!("{other:?} is neither \"consume\" nor \"fixed\""),
        }),
    }
}
