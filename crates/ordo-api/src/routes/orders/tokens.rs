//! `/api/v1/tokens`: an admin manages its tenant's tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ordo_core::auth::{Permission, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::RawBody;
use crate::routes::parse_uuid;
use crate::state::AppState;

/// A token request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// `admin`, `operator`, `integration` or `viewer`.
    pub role: Role,
    /// A label, e.g. `shopify connector`.
    pub name: String,
}

/// A token as listed (never the secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Its id.
    pub id: Uuid,
    /// Its role.
    pub role: Role,
    /// Its label.
    pub name: String,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The secret: present only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<ordo_store::TokenRecord> for TokenView {
    fn from(r: ordo_store::TokenRecord) -> Self {
        Self {
            id: r.id,
            role: r.role,
            name: r.name,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            token: None,
        }
    }
}

/// Creates a token in the caller's tenant. The secret is shown once.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenRequest,
    responses((status = 201, body = TokenView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<TokenView>)> {
    let principal = auth.require(Permission::Administer)?;
    let request: NewTokenRequest = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidPayload {
        code: "validation_failed",
        message: e.to_string(),
        details: Vec::new(),
        inbox_id: None,
    })?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::InvalidParameter {
            parameter: "name".into(),
            message: "must be 1..=100 characters".into(),
        });
    }
    let minted = state
        .tokens
        .create(&principal.tenant, request.role, name, Utc::now())
        .await?;
    let mut view = TokenView::from(minted.record);
    view.token = Some(minted.secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Lists the caller's tenant's tokens.
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_tokens(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<TokenView>>> {
    let principal = auth.require(Permission::Administer)?;
    let tokens = state.store.list_tokens(&principal.tenant).await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

/// Revokes a token of the caller's tenant.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn revoke_token(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let principal = auth.require(Permission::Administer)?;
    state
        .tokens
        .revoke(&principal.tenant, parse_uuid("id", &id)?, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
