//! SKU aliases: other names channels send for catalogue SKUs (listing ids, old codes).
//! Orders resolve a line's SKU through them before reserving stock.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use ordo_core::auth::Permission;
use ordo_store::SkuAlias;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::stock::catalogue::parse_body;
use crate::state::AppState;

/// An alias as sent and shown.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AliasBody {
    /// The name the channel sends (the path names it on input).
    #[serde(default)]
    pub alias: Option<String>,
    /// The catalogue SKU it stands for.
    pub sku: String,
    /// The channel it applies to; absent or empty for every channel.
    #[serde(default)]
    pub channel: Option<String>,
}

impl From<SkuAlias> for AliasBody {
    fn from(a: SkuAlias) -> Self {
        Self {
            alias: Some(a.alias),
            sku: a.sku,
            channel: (!a.channel.is_empty()).then_some(a.channel),
        }
    }
}

/// Which channel's alias.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AliasParams {
    /// The channel; absent for the every-channel alias.
    pub channel: Option<String>,
}

fn checked_channel(channel: Option<String>) -> ApiResult<String> {
    match channel.filter(|c| !c.is_empty()) {
        None => Ok(String::new()),
        Some(c) => ordo_core::ChannelId::parse(&c)
            .map(|id| id.to_string())
            .map_err(|message| ApiError::InvalidParameter {
                parameter: "channel".into(),
                message,
            }),
    }
}

/// Creates or replaces an alias.
#[utoipa::path(
    put, path = "/api/v1/sku-aliases/{alias}", tag = "inventory",
    params(("alias" = String, Path, description = "The name the channel sends")),
    request_body = AliasBody,
    responses((status = 200, body = AliasBody), (status = 422, description = "Unknown SKU", body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn put_alias(
    State(state): State<AppState>,
    auth: Auth,
    Path(alias): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<AliasBody>> {
    let principal = auth.require(Permission::Operate)?;
    let body: AliasBody = parse_body(&body)?;
    if alias.trim().is_empty() || alias.len() > 128 {
        return Err(ApiError::InvalidParameter {
            parameter: "alias".into(),
            message: "must be 1 to 128 characters".into(),
        });
    }
    let record = SkuAlias {
        channel: checked_channel(body.channel)?,
        alias,
        sku: body.sku,
    };
    if !state
        .store
        .put_sku_alias(&principal.tenant, &record, Utc::now())
        .await?
    {
        return Err(ApiError::InvalidPayload {
            code: "unknown_sku",
            message: format!("sku: {:?} is not in the catalogue", record.sku),
            details: vec![ordo_core::FieldError::new("sku", "unknown_sku", "not in the catalogue")],
            inbox_id: None,
        });
    }
    Ok(Json(record.into()))
}

/// Every alias.
#[utoipa::path(
    get, path = "/api/v1/sku-aliases", tag = "inventory",
    responses((status = 200, body = [AliasBody])),
    security(("bearer" = []))
)]
pub async fn list_aliases(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<AliasBody>>> {
    let principal = auth.require(Permission::Read)?;
    let aliases = state.store.list_sku_aliases(&principal.tenant).await?;
    Ok(Json(aliases.into_iter().map(Into::into).collect()))
}

/// Deletes an alias.
#[utoipa::path(
    delete, path = "/api/v1/sku-aliases/{alias}", tag = "inventory", params(("alias" = String, Path), AliasParams),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn delete_alias(
    State(state): State<AppState>,
    auth: Auth,
    Path(alias): Path<String>,
    QueryParams(params): QueryParams<AliasParams>,
) -> ApiResult<axum::http::StatusCode> {
    let principal = auth.require(Permission::Operate)?;
    let channel = checked_channel(params.channel)?;
    if state
        .store
        .delete_sku_alias(&principal.tenant, &channel, &alias)
        .await?
    {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no alias {alias:?} for that channel")))
    }
}
