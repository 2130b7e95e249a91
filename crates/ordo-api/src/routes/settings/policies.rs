//! A tenant's policies as versioned TOML: `workflow`, `rules`, `routing`,
//! `consolidation`, `inventory`, `alerts` and `mapping:{name}`. Saving checks the text
//! (every problem with its line and column) and keeps a new version with who saved it,
//! when, why and what changed; any version can be restored; every node runs the version
//! in force within a second. A tenant that saved nothing runs under the node's defaults,
//! which are what it starts editing from.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use ordo_app::policies::book::PolicyError;
use ordo_app::policies::kinds::PolicyKind;
use ordo_core::auth::Permission;
use ordo_store::PolicyVersion;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::state::AppState;

/// A policy as in force for the caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// `workflow`, `rules`, `routing`, `consolidation`, `inventory`, `alerts`,
    /// `mapping:{name}`.
    pub kind: String,
    /// The version in force; 0 when the tenant never saved one.
    pub version: i64,
    /// `saved` (the tenant's own version) or `default` (the node's).
    pub in_force: &'static str,
    /// The TOML in force (an alert secret only as its seal); `null` for a mapping the
    /// tenant has not saved (see `GET /api/v1/mappings/{name}`).
    pub body: Option<String>,
    /// Who saved the version in force.
    pub saved_by: Option<String>,
    /// When.
    pub saved_at: Option<DateTime<Utc>>,
    /// Why, in the author's words.
    pub note: Option<String>,
}

/// One saved version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// Its number.
    pub version: i64,
    /// Who saved it.
    pub saved_by: String,
    /// When.
    pub saved_at: DateTime<Utc>,
    /// Why.
    pub note: Option<String>,
    /// The version it restored, if a restore.
    pub restored_from: Option<i64>,
    /// Whether it went back to the node's default.
    pub default: bool,
    /// What changed from the version before, as a unified diff.
    pub changes: String,
    /// Its text (only when one version is asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl VersionView {
    fn of(v: PolicyVersion, with_body: bool) -> Self {
        Self {
            version: v.version,
            saved_by: v.created_by,
            saved_at: v.created_at,
            note: v.note,
            restored_from: v.restored_from,
            default: v.body.is_none(),
            changes: v.changes,
            body: v.body.filter(|_| with_body),
        }
    }
}

/// How a save is made.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SaveParams {
    /// The version the change was made from; a save over a newer one is refused (409
    /// `policy_changed`) rather than silently undoing it.
    pub replaces: Option<i64>,
    /// Why, kept with the version.
    pub note: Option<String>,
}

/// A policy kind from its name in a path; 404 for an unknown one.
pub fn kind_of(name: &str) -> Result<PolicyKind, ApiError> {
    PolicyKind::parse(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no policy kind {name:?}: workflow, rules, routing, consolidation, inventory, alerts or mapping:{{name}}"
        ))
    })
}

/// A refused save or restore as the API's error (`policy_changed`, `invalid_config` …).
pub fn refused(error: PolicyError) -> ApiError {
    match error {
        PolicyError::Invalid(errors) => ApiError::InvalidConfig(errors),
        PolicyError::Conflict(message) => ApiError::Refused {
            code: "policy_changed",
            message,
        },
        PolicyError::NoVersion(kind, version) => ApiError::NotFound(format!("{kind} has no version {version}")),
        PolicyError::SecretKeyMissing => ApiError::Refused {
            code: "secret_key_missing",
            message: error.to_string(),
        },
        PolicyError::Store(error) => error.into(),
    }
}

/// A policy as in force for `tenant`: the tenant's version, or the node's default.
pub async fn view(state: &AppState, tenant: &ordo_core::TenantId, kind: &PolicyKind) -> ApiResult<PolicyView> {
    let saved = state.store.policy_version(tenant, &kind.name(), None).await?;
    let default = state.policy_book.default_text(kind);
    Ok(match saved {
        Some(v) => PolicyView {
            kind: kind.name(),
            version: v.version,
            in_force: if v.body.is_some() { "saved" } else { "default" },
            body: v.body.or(default),
            saved_by: Some(v.created_by),
            saved_at: Some(v.created_at),
            note: v.note,
        },
        None => PolicyView {
            kind: kind.name(),
            version: 0,
            in_force: "default",
            body: default,
            saved_by: None,
            saved_at: None,
            note: None,
        },
    })
}

/// Every policy kind of the caller's tenant with the version in force (mappings the
/// tenant saved included).
#[utoipa::path(
    get, path = "/api/v1/policies", tag = "settings",
    responses((status = 200, body = Vec<PolicyView>)), security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<PolicyView>>> {
    let principal = auth.require(Permission::Read)?;
    let mut kinds: Vec<PolicyKind> = PolicyKind::FIXED.to_vec();
    for (tenant, version) in state.store.policies_in_force().await? {
        if tenant == principal.tenant
            && let Some(kind @ PolicyKind::Mapping(_)) = PolicyKind::parse(&version.kind)
        {
            kinds.push(kind);
        }
    }
    let mut views = Vec::with_capacity(kinds.len());
    for kind in &kinds {
        views.push(view(&state, &principal.tenant, kind).await?);
    }
    Ok(Json(views))
}

/// One policy as in force for the caller's tenant: its text and version.
#[utoipa::path(
    get, path = "/api/v1/policies/{kind}", tag = "settings",
    params(("kind" = String, Path, description = "workflow, rules, routing, consolidation, inventory, alerts, mapping:{name}")),
    responses((status = 200, body = PolicyView), (status = 404, body = ErrorBody)), security(("bearer" = []))
)]
pub async fn get(State(state): State<AppState>, auth: Auth, Path(kind): Path<String>) -> ApiResult<Json<PolicyView>> {
    let principal = auth.require(Permission::Read)?;
    Ok(Json(view(&state, &principal.tenant, &kind_of(&kind)?).await?))
}

/// Checks the TOML body and saves it as the caller's tenant's next version, in force on
/// every node within a second. An alert `secret` in clear is sealed before it is saved.
#[utoipa::path(
    put, path = "/api/v1/policies/{kind}", tag = "settings", params(("kind" = String, Path), SaveParams),
    request_body(content = String, content_type = "application/toml"),
    responses(
        (status = 200, body = PolicyView),
        (status = 409, description = "policy_changed: another version was saved after `replaces`", body = ErrorBody),
        (status = 422, description = "invalid_config: each problem with its line and column", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    auth: Auth,
    Path(kind): Path<String>,
    QueryParams(params): QueryParams<SaveParams>,
    RawBody(body): RawBody,
) -> ApiResult<Json<PolicyView>> {
    let principal = auth.require(Permission::Administer)?;
    let text = String::from_utf8(body).map_err(|_| ApiError::InvalidConfig(vec!["body: not UTF-8".into()]))?;
    Ok(Json(save(&state, principal, &kind, Some(&text), params).await?))
}

/// Goes back to the node's default (saved as a version too, so it can be undone).
#[utoipa::path(
    delete, path = "/api/v1/policies/{kind}", tag = "settings", params(("kind" = String, Path), SaveParams),
    responses((status = 200, body = PolicyView), (status = 409, body = ErrorBody)), security(("bearer" = []))
)]
pub async fn reset(
    State(state): State<AppState>,
    auth: Auth,
    Path(kind): Path<String>,
    QueryParams(params): QueryParams<SaveParams>,
) -> ApiResult<Json<PolicyView>> {
    let principal = auth.require(Permission::Administer)?;
    Ok(Json(save(&state, principal, &kind, None, params).await?))
}

/// Saves `body` (`None`: the default) as `principal`'s tenant's next version of `kind`;
/// shared with the console. The caller checks the principal may administer.
pub async fn save(
    state: &AppState,
    principal: &ordo_app::Principal,
    kind: &str,
    body: Option<&str>,
    params: SaveParams,
) -> ApiResult<PolicyView> {
    let kind = kind_of(kind)?;
    let (note, replaces) = (params.note.as_deref(), params.replaces);
    let book = &state.policy_book;
    book.save(
        &principal.tenant,
        &kind,
        body,
        note,
        replaces,
        &principal.actor,
        Utc::now(),
    )
    .await
    .map_err(refused)?;
    view(state, &principal.tenant, &kind).await
}

/// Every saved version of a policy, newest first: who, when, why and what changed.
#[utoipa::path(
    get, path = "/api/v1/policies/{kind}/versions", tag = "settings", params(("kind" = String, Path)),
    responses((status = 200, body = Vec<VersionView>)), security(("bearer" = []))
)]
pub async fn versions(
    State(state): State<AppState>,
    auth: Auth,
    Path(kind): Path<String>,
) -> ApiResult<Json<Vec<VersionView>>> {
    let principal = auth.require(Permission::Read)?;
    let kind = kind_of(&kind)?;
    let history = state.store.policy_history(&principal.tenant, &kind.name()).await?;
    Ok(Json(history.into_iter().map(|v| VersionView::of(v, false)).collect()))
}

/// One saved version with its text.
#[utoipa::path(
    get, path = "/api/v1/policies/{kind}/versions/{version}", tag = "settings",
    params(("kind" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = VersionView), (status = 404, body = ErrorBody)), security(("bearer" = []))
)]
pub async fn version(
    State(state): State<AppState>,
    auth: Auth,
    Path((kind, version)): Path<(String, i64)>,
) -> ApiResult<Json<VersionView>> {
    let principal = auth.require(Permission::Read)?;
    let kind = kind_of(&kind)?;
    let found = state
        .store
        .policy_version(&principal.tenant, &kind.name(), Some(version))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{kind} has no version {version}")))?;
    Ok(Json(VersionView::of(found, true)))
}

/// Puts an earlier version back in force, as a new version.
#[utoipa::path(
    post, path = "/api/v1/policies/{kind}/versions/{version}/restore", tag = "settings",
    params(("kind" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = PolicyView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn restore(
    State(state): State<AppState>,
    auth: Auth,
    Path((kind, version)): Path<(String, i64)>,
) -> ApiResult<Json<PolicyView>> {
    let principal = auth.require(Permission::Administer)?;
    let kind = kind_of(&kind)?;
    state
        .policy_book
        .restore(&principal.tenant, &kind, version, &principal.actor, Utc::now())
        .await
        .map_err(refused)?;
    Ok(Json(view(&state, &principal.tenant, &kind).await?))
}
