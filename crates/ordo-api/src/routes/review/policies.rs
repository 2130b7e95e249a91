//! The workflow and review rules in force, a dry run of candidate rules over recent
//! orders, a reload, and corrections to an order's fields.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use ordo_app::dry_run::{DryRun, dry_run};
use ordo_app::policies::{LoadProblem, parse_rules};
use ordo_core::OrderId;
use ordo_core::auth::Permission;
use ordo_core::input::OrderInput;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::parse_uuid;
use crate::routes::review::exceptions::{ActionView, action_error};
use crate::state::AppState;

/// The workflow in force for the caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowView {
    /// `built-in`, the file, or the tenant's saved version (`workflow v3`).
    pub source: String,
    /// When loaded.
    pub loaded_at: DateTime<Utc>,
    /// States an order may be created in.
    #[schema(value_type = Vec<String>)]
    pub initial: Value,
    /// Final states.
    #[schema(value_type = Vec<String>)]
    pub terminal: Value,
    /// Every transition: name, from, to, by, guards, actions, reason.
    #[schema(value_type = Vec<Object>)]
    pub transitions: Value,
    /// The last refused reload, while the file is still wrong.
    #[schema(value_type = Option<Object>)]
    pub problem: Option<LoadProblem>,
}

/// The workflow in force: states and transitions with their guards and actions.
#[utoipa::path(
    get, path = "/api/v1/workflow", tag = "review",
    responses((status = 200, body = WorkflowView)), security(("bearer" = []))
)]
pub async fn workflow(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<WorkflowView>> {
    let principal = auth.require(Permission::Read)?;
    let active = state.actions.policies().for_tenant(&principal.tenant);
    let w = &active.workflow;
    let transitions: Vec<Value> = w
        .transitions()
        .iter()
        .map(|t| {
            json!({
                "name": t.name, "from": t.from, "to": t.to, "by": t.by, "guards": t.guards,
                "actions": t.actions, "reason": t.reason, "description": t.description,
            })
        })
        .collect();
    Ok(Json(WorkflowView {
        source: active.workflow_source.clone(),
        loaded_at: active.loaded_at,
        initial: json!(w.initial()),
        terminal: json!(w.terminal()),
        transitions: Value::Array(transitions),
        problem: state.actions.policies().problem(),
    }))
}

/// The review rules in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// `built-in` or the file.
    pub source: String,
    /// When loaded.
    pub loaded_at: DateTime<Utc>,
    /// The rules, in order.
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    /// Every rule kind with its fields.
    #[schema(value_type = Vec<Object>)]
    pub kinds: Value,
    /// The last refused reload, while the file is still wrong.
    #[schema(value_type = Option<Object>)]
    pub problem: Option<LoadProblem>,
}

/// The review rules in force and the kinds a rule can have.
#[utoipa::path(
    get, path = "/api/v1/rules", tag = "review",
    responses((status = 200, body = RulesView)), security(("bearer" = []))
)]
pub async fn rules(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<RulesView>> {
    let principal = auth.require(Permission::Read)?;
    let active = state.actions.policies().for_tenant(&principal.tenant);
    let rules: Vec<Value> = active
        .rules
        .rules()
        .iter()
        .map(|r| {
            json!({
                "name": r.name, "kind": format!("{:?}", r.kind), "outcome": r.outcome,
                "enabled": r.enabled, "channels": r.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "description": r.description,
            })
        })
        .collect();
    let kinds: Vec<Value> = ordo_workflow::RuleSet::rule_kinds()
        .iter()
        .map(|k| json!({ "kind": k.kind, "description": k.description, "fields": k.fields }))
        .collect();
    Ok(Json(RulesView {
        source: active.rules_source.clone(),
        loaded_at: active.loaded_at,
        rules: Value::Array(rules),
        kinds: Value::Array(kinds),
        problem: state.actions.policies().problem(),
    }))
}

/// Dry-run parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DryRunParams {
    /// How many recent orders (default 200, at most 500).
    pub limit: Option<u32>,
}

/// Runs a candidate rules file (the TOML body) over recent paid, allocated and held
/// orders and reports which it would hold, release or reject compared with the rules in
/// force. Changes nothing.
#[utoipa::path(
    post, path = "/api/v1/rules/dry-run", tag = "review", params(DryRunParams),
    request_body(content = String, content_type = "application/toml", description = "A rules file"),
    responses(
        (status = 200, body = Object),
        (status = 422, description = "invalid_config: each problem with its line and column", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rules_dry_run(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<DryRunParams>,
    RawBody(body): RawBody,
) -> ApiResult<Json<DryRun>> {
    let principal = auth.require(Permission::Operate)?;
    let text = String::from_utf8(body).map_err(|_| ApiError::InvalidConfig(vec!["body: not UTF-8".into()]))?;
    Ok(Json(
        rules_dry_run_text(&state, &principal.tenant, &text, params.limit).await?,
    ))
}

/// Runs candidate rules (TOML `text`) against the rules in force over `tenant`'s `limit`
/// newest reviewable orders (default 200); shared with the console's rules editor.
pub async fn rules_dry_run_text(
    state: &AppState,
    tenant: &ordo_core::TenantId,
    text: &str,
    limit: Option<u32>,
) -> ApiResult<DryRun> {
    let candidate = parse_rules(text, "body").map_err(ApiError::InvalidConfig)?;
    let current = state.actions.policies().for_tenant(tenant).rules.clone();
    Ok(dry_run(
        &state.store,
        tenant,
        current,
        candidate,
        limit.unwrap_or(200),
        Utc::now(),
    )
    .await?)
}

/// Reads the workflow and rules files again now (the node also notices changes by
/// itself); a file with errors is refused and the old configuration stays in force.
#[utoipa::path(
    post, path = "/api/v1/policies/reload", tag = "review",
    responses((status = 200, body = Object), (status = 422, body = ErrorBody)), security(("bearer" = []))
)]
pub async fn reload(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    auth.require(Permission::Administer)?;
    state.actions.policies().reload().map_err(ApiError::InvalidConfig)?;
    let active = state.actions.policies().current();
    Ok(Json(json!({
        "workflow": active.workflow_source, "rules": active.rules_source, "loaded_at": active.loaded_at,
    })))
}

/// Corrects an order's fields with a JSON merge patch of its canonical form (e.g.
/// `{"shipping_address": {"city": "杭州市"}}`); the result must validate. A held order's
/// rules run again afterwards.
#[utoipa::path(
    patch, path = "/api/v1/orders/{id}", tag = "review",
    params(("id" = String, Path, description = "Order id")),
    request_body(content = Object, description = "A merge patch of the canonical order"),
    responses(
        (status = 200, body = ActionView),
        (status = 409, description = "Shipped or cancelled", body = ErrorBody),
        (status = 422, description = "The result does not validate", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn edit_order(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ActionView>> {
    let principal = auth.require(Permission::Operate)?;
    let id = OrderId(parse_uuid("id", &id)?);
    let patch: Value = crate::routes::stock::catalogue::parse_body(&body)?;
    let done = apply_edit(&state, principal, id, &patch).await?;
    Ok(Json(ActionView {
        order_id: id.to_string(),
        status: done.status,
        version: done.version,
        transition: done.transition,
    }))
}

/// Applies a merge patch of the canonical order for `principal`: the result must
/// validate, and a held order's rules run again. Shared with the console's corrections.
pub async fn apply_edit(
    state: &AppState,
    principal: &ordo_app::Principal,
    id: OrderId,
    patch: &Value,
) -> ApiResult<ordo_app::actions::Done> {
    if !patch.is_object() {
        return Err(ApiError::InvalidParameter {
            parameter: "body".into(),
            message: "a merge patch is a JSON object".into(),
        });
    }
    for key in ["channel", "external_id"] {
        if patch.get(key).is_some() {
            return Err(ApiError::InvalidParameter {
                parameter: key.into(),
                message: "the channel and external id cannot be edited".into(),
            });
        }
    }
    let record = state
        .store
        .get_order(&principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {id} not found")))?;
    let before = serde_json::to_value(OrderInput::from_order(&record.state.order))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut after = before.clone();
    merge(&mut after, patch);
    let input: OrderInput = serde_json::from_value(after.clone()).map_err(|e| ApiError::InvalidPayload {
        code: "invalid_field",
        message: e.to_string(),
        details: Vec::new(),
        inbox_id: None,
    })?;
    let order = ordo_app::payload::validate(input).map_err(|p| ApiError::InvalidPayload {
        code: p.code,
        message: p.message,
        details: p.details,
        inbox_id: None,
    })?;
    let changes: serde_json::Map<String, Value> = order
        .changed_fields(&record.state.order)
        .into_iter()
        .map(|f| (f.to_owned(), json!({ "before": before[f], "after": after[f] })))
        .collect();
    let done = state
        .actions
        .edit(
            &principal.tenant,
            id,
            order,
            Value::Object(changes),
            &principal.actor,
            Utc::now(),
        )
        .await
        .map_err(action_error)?;
    state.feed.bump();
    Ok(done)
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}
