//! Bearer-token authentication. Every route but `/healthz` and `/metrics` takes an
//! [`Auth`] extractor, so a handler cannot forget it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ordo_app::Principal;
use ordo_core::auth::Permission;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl Auth {
    /// Fails with 403 unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ApiError> {
        if self.0.role.allows(permission) {
            Ok(&self.0)
        } else {
            Err(ApiError::Forbidden(format!(
                "role {} may not do this ({permission:?})",
                self.0.role.as_str()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(ApiError::Unauthorized("missing Authorization: Bearer <token> header"))?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(ApiError::Unauthorized(
                "Authorization header must be \"Bearer <token>\"",
            ))?;
        let record = state
            .tokens
            .authenticate(secret)
            .await?
            .ok_or(ApiError::Unauthorized("token is unknown or revoked"))?;
        Ok(Auth(Principal {
            tenant: record.tenant,
            role: record.role,
            actor: format!("token:{}", record.id),
        }))
    }
}
