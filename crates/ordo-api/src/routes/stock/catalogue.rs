//! Warehouses and the SKU catalogue (bundles included).

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use ordo_core::auth::{Permission, Role};
use ordo_core::inventory::Component;
use ordo_store::stock::inventory::{SkuRecord, StockChangeError, Warehouse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::parse_limit;
use crate::state::AppState;

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| ApiError::InvalidPayload {
        code: "validation_failed",
        message: format!("{}: {}", e.path(), e.inner()),
        details: vec![ordo_core::FieldError::new(
            e.path().to_string(),
            "invalid",
            e.inner().to_string(),
        )],
        inbox_id: None,
    })
}

fn check_code(parameter: &str, code: &str) -> ApiResult<()> {
    ordo_core::Sku::parse(code)
        .map(|_| ())
        .map_err(|message| ApiError::InvalidParameter {
            parameter: parameter.into(),
            message,
        })
}

/// A warehouse as sent and shown (the code is in the path).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseBody {
    /// Code (ignored on input: the path names it).
    #[serde(default)]
    pub code: Option<String>,
    /// Display name.
    pub name: String,
    /// Latitude.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// Region, e.g. `CN-ZJ`.
    #[serde(default)]
    pub region: Option<String>,
    /// Channels served; empty = all.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Orders per day it can ship.
    #[serde(default)]
    pub daily_capacity: Option<i64>,
    /// Lower ships first.
    #[serde(default)]
    pub priority: i64,
    /// Takes reservations.
    #[serde(default = "yes")]
    pub active: bool,
    /// Its connector (`kind` `generic` or `shipbob`, `base_url`, `token`, `secret`, and the
    /// other `[[warehouses]]` keys): Ordo sends the warehouse's allocated orders to it.
    /// Left out: unchanged; `null`: removed. Shown without its credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub connector: Option<serde_json::Value>,
}

fn yes() -> bool {
    true
}

impl From<Warehouse> for WarehouseBody {
    fn from(w: Warehouse) -> Self {
        Self {
            code: Some(w.code),
            name: w.name,
            latitude: w.latitude,
            longitude: w.longitude,
            region: w.region,
            channels: w.channels,
            daily_capacity: w.daily_capacity,
            priority: w.priority,
            active: w.active,
            connector: None,
        }
    }
}

/// Creates or replaces a warehouse.
#[utoipa::path(put, path = "/api/v1/warehouses/{code}", tag = "inventory", request_body = WarehouseBody,
    params(("code" = String, Path)), responses((status = 200, body = WarehouseBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_warehouse(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    axum::extract::Query(query): axum::extract::Query<crate::routes::channels::connectors::SaveQuery>,
    RawBody(body): RawBody,
) -> ApiResult<Json<WarehouseBody>> {
    let principal = auth.require(Permission::Operate)?;
    check_code("code", &code)?;
    let connector = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|mut v| v.get_mut("connector").map(serde_json::Value::take));
    if connector.is_some() {
        // A connector carries credentials: tenant settings, for admins.
        auth.require(Permission::Administer)?;
    }
    let body: WarehouseBody = parse_body(&body)?;
    if body.name.trim().is_empty() {
        return Err(ApiError::InvalidParameter {
            parameter: "name".into(),
            message: "is required".into(),
        });
    }
    let latitude_ok = body.latitude.is_none_or(|v| (-90.0..=90.0).contains(&v));
    let longitude_ok = body.longitude.is_none_or(|v| (-180.0..=180.0).contains(&v));
    if !latitude_ok || !longitude_ok {
        return Err(ApiError::InvalidParameter {
            parameter: "latitude/longitude".into(),
            message: "out of range".into(),
        });
    }
    let warehouse = Warehouse {
        code,
        name: body.name.trim().to_owned(),
        latitude: body.latitude,
        longitude: body.longitude,
        region: body.region,
        channels: body.channels.into_iter().map(|c| c.to_ascii_lowercase()).collect(),
        daily_capacity: body.daily_capacity,
        priority: body.priority,
        active: body.active,
    };
    // The connector is checked (and called) before anything is written.
    let kind = ordo_store::ConnectionKind::Warehouse;
    let saved = match connector {
        None => None,
        Some(serde_json::Value::Null) => {
            state
                .store
                .delete_connection(&principal.tenant, kind, &warehouse.code)
                .await?;
            None
        }
        Some(serde_json::Value::Object(written)) => Some(
            crate::routes::channels::connectors::save(
                &state,
                &principal.tenant,
                &principal.actor,
                kind,
                &warehouse.code,
                written,
                query.check,
            )
            .await?,
        ),
        Some(_) => {
            return Err(ApiError::InvalidParameter {
                parameter: "connector".into(),
                message: "must be an object or null".into(),
            });
        }
    };
    state
        .store
        .upsert_warehouse(&principal.tenant, &warehouse, Utc::now())
        .await?;
    let mut shown: WarehouseBody = warehouse.into();
    if let Some(saved) = saved {
        let view = crate::routes::channels::connectors::view(&state, &principal.tenant, &saved, &[]).await?;
        shown.connector = Some(view);
    }
    Ok(Json(shown))
}

/// Lists warehouses.
#[utoipa::path(get, path = "/api/v1/warehouses", tag = "inventory",
    responses((status = 200, body = Vec<WarehouseBody>)), security(("bearer" = [])))]
pub async fn list_warehouses(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<WarehouseBody>>> {
    let principal = auth.require(Permission::Read)?;
    Ok(Json(
        state
            .store
            .list_warehouses(&principal.tenant)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A catalogue entry as sent and shown. Cost prices are shown only to admins and operators.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuBody {
    /// Code (ignored on input: the path names it).
    #[serde(default)]
    pub code: Option<String>,
    /// Barcode.
    #[serde(default)]
    pub barcode: Option<String>,
    /// Name.
    pub name: String,
    /// Weight, grams.
    #[serde(default)]
    pub weight_g: Option<i64>,
    /// Length, width, height in millimetres.
    #[serde(default)]
    pub dimensions_mm: Option<[i64; 3]>,
    /// Attributes such as `cold_chain`, `hazmat`.
    #[serde(default)]
    pub attributes: Vec<String>,
    /// Cost price, decimal string, in `cost_currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<String>,
    /// ISO 4217 code of the cost price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_currency: Option<String>,
    /// Low-stock alert threshold on total available.
    #[serde(default)]
    pub low_stock_threshold: Option<i64>,
    /// Components, for a bundle.
    #[serde(default)]
    pub components: Vec<Component>,
}

fn sku_view(record: SkuRecord, role: Role) -> SkuBody {
    let shows_cost = matches!(role, Role::Admin | Role::Operator);
    let cost_price = record
        .cost_price_minor
        .zip(record.cost_currency.as_deref())
        .and_then(|(minor, code)| {
            ordo_core::Currency::parse(code)
                .ok()
                .map(|currency| ordo_core::Money { minor, currency }.to_decimal_string())
        });
    SkuBody {
        code: Some(record.code),
        barcode: record.barcode,
        name: record.name,
        weight_g: record.weight_g,
        dimensions_mm: record.dimensions_mm,
        attributes: record.attributes,
        cost_price: cost_price.filter(|_| shows_cost),
        cost_currency: record.cost_currency.filter(|_| shows_cost),
        low_stock_threshold: record.low_stock_threshold,
        components: record.components,
    }
}

/// Creates or replaces a catalogue entry (a bundle when it has components).
#[utoipa::path(put, path = "/api/v1/skus/{code}", tag = "inventory", request_body = SkuBody,
    params(("code" = String, Path)), responses((status = 200, body = SkuBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_sku(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<SkuBody>> {
    let principal = auth.require(Permission::Operate)?;
    check_code("code", &code)?;
    let body: SkuBody = parse_body(&body)?;
    let invalid = |parameter: &str, message: String| ApiError::InvalidParameter {
        parameter: parameter.into(),
        message,
    };
    let cost_price_minor = match (&body.cost_price, &body.cost_currency) {
        (None, _) => None,
        (Some(_), None) => return Err(invalid("cost_currency", "is required with cost_price".into())),
        (Some(price), Some(code)) => {
            let currency = ordo_core::Currency::parse(code).map_err(|m| invalid("cost_currency", m))?;
            Some(
                ordo_core::Money::parse(price, currency)
                    .map_err(|m| invalid("cost_price", m))?
                    .minor,
            )
        }
    };
    let record = SkuRecord {
        code: code.clone(),
        barcode: body.barcode,
        name: body.name,
        weight_g: body.weight_g,
        dimensions_mm: body.dimensions_mm,
        attributes: body.attributes,
        cost_price_minor,
        cost_currency: body.cost_currency.map(|c| c.to_ascii_uppercase()),
        low_stock_threshold: body.low_stock_threshold,
        components: body.components,
    };
    state
        .store
        .upsert_sku(&principal.tenant, &record, Utc::now())
        .await?
        .map_err(stock_error)?;
    let stored = state
        .store
        .get_sku(&principal.tenant, &code)
        .await?
        .ok_or_else(|| ApiError::Internal("sku vanished".into()))?;
    Ok(Json(sku_view(stored, principal.role)))
}

/// One catalogue entry.
#[utoipa::path(get, path = "/api/v1/skus/{code}", tag = "inventory", params(("code" = String, Path)),
    responses((status = 200, body = SkuBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_sku(State(state): State<AppState>, auth: Auth, Path(code): Path<String>) -> ApiResult<Json<SkuBody>> {
    let principal = auth.require(Permission::Read)?;
    let record = state
        .store
        .get_sku(&principal.tenant, &code)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("sku {code:?} not found")))?;
    Ok(Json(sku_view(record, principal.role)))
}

/// Catalogue page parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SkuListParams {
    /// Continue after this SKU code.
    pub cursor: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// Lists the catalogue by code.
#[utoipa::path(get, path = "/api/v1/skus", tag = "inventory", params(SkuListParams),
    responses((status = 200, body = Vec<SkuBody>)), security(("bearer" = [])))]
pub async fn list_skus(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<SkuListParams>,
) -> ApiResult<Json<Vec<SkuBody>>> {
    let principal = auth.require(Permission::Read)?;
    let skus = state
        .store
        .list_skus(&principal.tenant, params.cursor.as_deref(), parse_limit(params.limit)?)
        .await?;
    Ok(Json(skus.into_iter().map(|s| sku_view(s, principal.role)).collect()))
}

pub(crate) fn stock_error(error: StockChangeError) -> ApiError {
    ApiError::InvalidPayload {
        code: "validation_failed",
        message: error.to_string(),
        details: vec![],
        inbox_id: None,
    }
}
