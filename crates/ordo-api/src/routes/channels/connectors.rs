//! A tenant's connections as data: channel accounts (`/api/v1/channels/{code}`) and
//! warehouse connectors (the `connector` of `PUT /api/v1/warehouses/{code}`), added,
//! changed, paused and removed while nodes run; every node picks a change up within a
//! second. Saving checks the connection with one call to the platform or warehouse
//! (`?check=false` skips it). Credentials are sealed before they are stored and never
//! shown again: a connection shows their fingerprint and when they were set.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use ordo_app::connections::{self, ConnectionProblem};
use ordo_core::TenantId;
use ordo_core::auth::Permission;
use ordo_store::settings::connections::SOURCE_API;
use ordo_store::{Connection, ConnectionKind, Lease};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::RawBody;
use crate::state::AppState;

/// Whether saving calls the platform first.
#[derive(Debug, Deserialize)]
pub struct SaveQuery {
    /// `false` saves without the test call (e.g. while the platform is down).
    #[serde(default = "yes")]
    pub check: bool,
}

fn yes() -> bool {
    true
}

fn problem(p: ConnectionProblem) -> ApiError {
    let field = p.field.clone().unwrap_or_else(|| "body".into());
    ApiError::InvalidPayload {
        code: p.code,
        message: p.to_string(),
        details: vec![ordo_core::FieldError::new(field, p.code, p.message)],
        inbox_id: None,
    }
}

/// Saves a connection as written for the caller's tenant; shared by channels,
/// warehouses and the console.
pub async fn save(
    state: &AppState,
    tenant: &TenantId,
    actor: &str,
    kind: ConnectionKind,
    code: &str,
    written: Map<String, Value>,
    check: bool,
) -> ApiResult<Connection> {
    let previous = state.store.get_connection(tenant, kind, code).await?;
    let (connection, running) = connections::to_store(
        state.secrets.as_ref(),
        tenant,
        kind,
        code,
        &written,
        previous.as_ref(),
        SOURCE_API,
        actor,
    )
    .map_err(problem)?;
    if check
        && !connection.paused
        && let Err(refused) = connections::check(&running).await
    {
        return Err(ApiError::InvalidPayload {
            code: "connection_check_failed",
            message: format!("the test call failed: {refused}"),
            details: vec![ordo_core::FieldError::new(
                "base_url",
                "connection_check_failed",
                refused,
            )],
            inbox_id: None,
        });
    }
    Ok(state.store.put_connection(tenant, &connection, Utc::now()).await?)
}

/// The node polling a tenant's channel connection, among `leases` (read once per request).
pub fn poller(leases: &[Lease], tenant: &TenantId, code: &str) -> Option<String> {
    let name = connections::poll_lease(tenant.as_str(), code);
    leases
        .iter()
        .find(|l| l.name == name && l.expires_at > Utc::now())
        .map(|l| l.holder.clone())
}

/// A connection as shown: its settings, never its credentials; `leases` say which node
/// polls a channel.
pub async fn view(state: &AppState, tenant: &TenantId, c: &Connection, leases: &[Lease]) -> ApiResult<Value> {
    let mut shown = json!({
        "id": c.id,
        "code": c.code,
        "kind": c.kind.as_str(),
        "settings": c.settings,
        "credentials": {
            "set": c.sealed.is_some(),
            "fingerprint": c.fingerprint,
            "set_at": c.secrets_set_at,
        },
        "paused": c.paused,
        "version": c.version,
        "source": c.source,
        "updated_by": c.updated_by,
        "updated_at": c.updated_at,
    });
    if c.kind == ConnectionKind::Channel {
        let platform = c.settings["platform"].as_str().unwrap_or_default();
        shown["hook_path"] = json!(format!("/api/v1/hooks/{platform}/{}", c.id));
        shown["polled_by"] = json!(poller(leases, tenant, &c.code));
        // Why it cannot run (e.g. `secret_unreadable` under a key this node lacks).
        shown["problem"] = json!(state.channels.known(tenant.as_str(), &c.code).and_then(|k| k.problem));
        if let Some(handle) = state.channels.get(tenant.as_str(), &c.code) {
            shown["status"] = serde_json::to_value(handle.status()).unwrap_or_default();
        }
        shown["cursor"] = json!(state.store.get_cursor(tenant, &c.code).await?);
    } else {
        shown["callback_path"] = json!(format!("/api/v1/warehouse-hooks/{}/events", c.id));
        if let Some(health) = state.warehouses.health(tenant).remove(&c.code) {
            shown["health"] = serde_json::to_value(health).unwrap_or_default();
        }
    }
    Ok(shown)
}

fn object(body: &[u8]) -> ApiResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidPayload {
            code: "invalid_connection",
            message: "a connection is a JSON object".into(),
            details: vec![],
            inbox_id: None,
        }),
        Err(e) => Err(ApiError::InvalidPayload {
            code: "invalid_json",
            message: format!("line {} column {}: {e}", e.line(), e.column()),
            details: vec![],
            inbox_id: None,
        }),
    }
}

/// Every channel connection of the caller's tenant, with its health where this node
/// polls it, which node polls it, and its cursor.
#[utoipa::path(
    get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "One entry per connection")),
    security(("bearer" = []))
)]
pub async fn list_channels(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Value>>> {
    let principal = auth.require(Permission::Read)?;
    let leases = state.store.list_leases().await?;
    let mut shown = Vec::new();
    for c in state
        .store
        .list_connections(&principal.tenant, ConnectionKind::Channel)
        .await?
    {
        shown.push(view(&state, &principal.tenant, &c, &leases).await?);
    }
    Ok(Json(shown))
}

/// One channel connection of the caller's tenant.
#[utoipa::path(
    get, path = "/api/v1/channels/{channel}", tag = "channels",
    params(("channel" = String, Path, description = "Channel code")),
    responses((status = 200, description = "The connection"), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_channel(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Read)?;
    let c = state
        .store
        .get_connection(&principal.tenant, ConnectionKind::Channel, &channel)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel connection {channel}")))?;
    let leases = state.store.list_leases().await?;
    Ok(Json(view(&state, &principal.tenant, &c, &leases).await?))
}

/// Creates or changes a channel connection: the `[[channels]]` keys of `ordo.toml`
/// (without `code`), `paused`, and `webhook_secret`. Credentials left out are kept;
/// `null` removes one.
#[utoipa::path(
    put, path = "/api/v1/channels/{channel}", tag = "channels",
    params(("channel" = String, Path, description = "Channel code"), ("check" = Option<bool>, Query, description = "Call the platform first (default true)")),
    request_body(content = Object, description = "The connection"),
    responses((status = 200, description = "Saved"), (status = 422, body = ErrorBody, description = "invalid_connection, connection_check_failed or secret_key_missing")),
    security(("bearer" = []))
)]
pub async fn put_channel(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
    Query(query): Query<SaveQuery>,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Administer)?;
    let written = object(&body)?;
    let saved = save(
        &state,
        &principal.tenant,
        &principal.actor,
        ConnectionKind::Channel,
        &channel,
        written,
        query.check,
    )
    .await?;
    let leases = state.store.list_leases().await?;
    Ok(Json(view(&state, &principal.tenant, &saved, &leases).await?))
}

/// Removes a channel connection: it is no longer polled, and write-backs still waiting
/// for it are dropped with the reason.
#[utoipa::path(
    delete, path = "/api/v1/channels/{channel}", tag = "channels",
    params(("channel" = String, Path, description = "Channel code")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn delete_channel(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<StatusCode> {
    let principal = auth.require(Permission::Administer)?;
    if state
        .store
        .delete_connection(&principal.tenant, ConnectionKind::Channel, &channel)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no channel connection {channel}")))
    }
}

/// Asks a connector to poll at once instead of at its next interval. Only the node that
/// polls a connection can: another answers 409 `polled_elsewhere`, naming it.
#[utoipa::path(
    post, path = "/api/v1/channels/{channel}/poll", tag = "channels",
    params(("channel" = String, Path, description = "Channel code")),
    responses((status = 202, description = "Poll requested"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn poll_channel(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<StatusCode> {
    let principal = auth.require(Permission::Operate)?;
    poll(&state, &principal.tenant, &channel).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Asks this node's connector for a tenant's channel to poll at once; shared with the
/// console. Another node's connection is refused with `polled_elsewhere`, naming it.
pub async fn poll(state: &AppState, tenant: &TenantId, channel: &str) -> ApiResult<()> {
    if let Some(handle) = state.channels.get(tenant.as_str(), channel) {
        handle.poll_now();
        return Ok(());
    }
    let stored = state
        .store
        .get_connection(tenant, ConnectionKind::Channel, channel)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel connection {channel}")))?;
    let leases = state.store.list_leases().await?;
    Err(ApiError::Refused {
        code: "polled_elsewhere",
        message: match poller(&leases, tenant, channel) {
            Some(node) => format!("channel {channel} is polled by node {node}; ask it"),
            None if stored.paused => format!("channel {channel} is paused"),
            None => format!("channel {channel} is not polled yet; try again in a second"),
        },
    })
}
