//! Health, metrics and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::auth::Auth;
use crate::state::AppState;

/// Health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    /// Store backend.
    pub store: &'static str,
    /// Whether the store answered.
    pub store_ok: bool,
}

/// Liveness and store health. No token needed.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let store_ok = state.store.ping().await.is_ok();
    let status = if store_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let health = Health {
        status: if store_ok { "ok" } else { "degraded" },
        store: state.store.backend(),
        store_ok,
    };
    (status, Json(health)).into_response()
}

/// Prometheus metrics. No token needed.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.metrics.as_ref().map(|handle| handle.render()).unwrap_or_default();
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI document")), security(("bearer" = [])))]
pub async fn openapi(_auth: Auth) -> Json<utoipa::openapi::OpenApi> {
    Json(crate::ApiDoc::openapi())
}

/// The nodes on this node's database and the leases they hold: which node polls which of
/// the caller's channel connections, and which runs each sweeper. Leases of other
/// tenants' connections are not shown.
#[utoipa::path(get, path = "/api/v1/cluster", tag = "system",
    responses((status = 200, description = "Nodes and leases")), security(("bearer" = [])))]
pub async fn cluster(State(state): State<AppState>, auth: Auth) -> crate::error::ApiResult<Json<serde_json::Value>> {
    let principal = auth.require(ordo_core::auth::Permission::Read)?;
    let now = chrono::Utc::now();
    let nodes = state
        .store
        .nodes_seen_since(now - ordo_app::cluster::NODE_FRESH)
        .await?;
    let leases: Vec<_> = state
        .store
        .list_leases()
        .await?
        .into_iter()
        .filter(|l| l.tenant.as_ref().is_none_or(|t| *t == principal.tenant))
        .map(|l| {
            serde_json::json!({
                "name": l.name,
                "holder": l.holder,
                "acquired_at": l.acquired_at,
                "expires_at": l.expires_at,
                "live": l.expires_at > now,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "this_node": state.cluster.as_ref().map(|c| c.node().to_owned()),
        "nodes": nodes.iter().map(|n| serde_json::json!({
            "id": n.id, "addr": n.addr, "started_at": n.started_at, "seen_at": n.seen_at,
        })).collect::<Vec<_>>(),
        "leases": leases,
    })))
}
