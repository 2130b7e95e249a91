//! `/api/v1/orders`: ingestion, lookup and search.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ordo_core::auth::Permission;
use ordo_core::ingest::Outcome;
use ordo_core::{ChannelId, OrderId, OrderStatus};
use ordo_store::{IngestResult, OrderCursor, OrderQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::routes::{parse_limit, parse_time, parse_uuid};
use ordo_app::HookOutcome;
use ordo_app::channel_aftersales::{self, ChannelAfterSale, apply::ApplyError};
use ordo_app::channel_hooks::{HookPlatform, douyin};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::state::AppState;
use crate::views::{FlagView, IngestResponse, OrderSummaryView, OrderView, PageView};

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Sends an order in. The raw body is kept in the inbox in the same commit as its effect;
/// a body that fails is kept as failed and can be replayed after a fix.
#[utoipa::path(
    post, path = "/api/v1/orders", tag = "orders",
    request_body(content = ordo_core::input::OrderInput, description = "A canonical order"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats with the same key and body get the first answer")),
    responses(
        (status = 201, description = "Created", body = IngestResponse),
        (status = 200, description = "Updated, unchanged (duplicate) or stale", body = IngestResponse),
        (status = 400, description = "Not JSON (kept in the inbox)", body = ErrorBody),
        (status = 422, description = "Invalid order (kept in the inbox), or a reused Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_order(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let principal = auth.require(Permission::Ingest)?;
    let key = idempotency_key(&headers)?;
    let ingested = state.ingest.ingest_canonical(principal, body, key).await?;
    respond(ingested)
}

/// Sends in a platform's own order payload (e.g. a Shopify `orders/create` webhook body),
/// read with the named mapping (`shopify.order`, `woocommerce.order`, or one from the
/// mapping directory). The raw payload is kept in the inbox; one the mapping cannot read
/// is kept as failed (`mapping_failed`, naming the field) and can be replayed after the
/// mapping file is fixed.
#[utoipa::path(
    post, path = "/api/v1/ingest/{mapping}", tag = "orders",
    params(("mapping" = String, Path, description = "Mapping name, e.g. shopify.order")),
    request_body(content = Object, description = "The platform's order payload"),
    responses(
        (status = 201, description = "Created", body = IngestResponse),
        (status = 200, description = "Updated, unchanged (duplicate) or stale", body = IngestResponse),
        (status = 404, description = "No such mapping", body = ErrorBody),
        (status = 422, description = "The mapping or validation failed (kept in the inbox)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn ingest_mapped(
    State(state): State<AppState>,
    auth: Auth,
    Path(mapping): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let principal = auth.require(Permission::Ingest)?;
    match state.ingest.ingest_mapped(principal, &mapping, body).await? {
        Some(ingested) => respond(ingested),
        None => Err(ApiError::NotFound(format!(
            "no mapping {mapping:?}; mappings in force: {}",
            state.ingest.mappings().names().join(", ")
        ))),
    }
}

/// A platform's own webhook (Shopify `orders/*` with `X-Shopify-Hmac-Sha256`, WooCommerce
/// `order.*` with `X-WC-Webhook-Signature`, a Douyin message batch with `event-sign`) for
/// a tenant. No bearer token: the signature, made with the secret configured for the
/// platform (for Douyin, the app secret), is the credential. A payload that does not
/// verify is kept as rejected and answered 401; a verified topic without an order is kept
/// and answered 202. A verified Douyin batch is kept, each order it names is fetched
/// again, and the answer is Douyin's own `{"code":0,"msg":"success"}`.
#[utoipa::path(
    post, path = "/api/v1/hooks/{platform}/{connection}", tag = "orders",
    params(
        ("platform" = String, Path, description = "shopify, woocommerce or douyin"),
        ("connection" = String, Path, description = "The channel connection's id (its `hook_path`); or `default`, for the node's own `[hooks]` secret"),
    ),
    request_body(content = Object, description = "The platform's webhook body, byte for byte"),
    responses(
        (status = 201, description = "Created", body = IngestResponse),
        (status = 200, description = "Updated or unchanged; or a Douyin batch kept (`{\"code\":0,\"msg\":\"success\"}`)", body = IngestResponse),
        (status = 202, description = "Verified, kept, no order in this topic"),
        (status = 401, description = "Signature missing or wrong (kept as rejected)", body = ErrorBody),
        (status = 404, description = "Unknown platform or connection", body = ErrorBody),
        (status = 422, description = "The mapping or validation failed (kept)", body = ErrorBody),
    )
)]
pub async fn platform_hook(
    State(state): State<AppState>,
    Path((platform, connection)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let hook = HookPlatform::parse(&platform)
        .ok_or_else(|| ApiError::NotFound(format!("no webhook endpoint for platform {platform:?}")))?;
    // The path names a connection (its id), which names the tenant and the secret. A
    // tenant name instead is the node's own `[hooks]` secret, the default tenant's only.
    let (tenant, code, secret) = match uuid::Uuid::parse_str(&connection)
        .ok()
        .and_then(|id| state.channels.by_id(id))
    {
        Some((tenant, code, known)) if known.platform.as_str() == hook.channel() => {
            let tenant = ordo_core::TenantId::parse(&tenant).map_err(ApiError::Internal)?;
            (tenant, code, known.webhook_secret)
        }
        Some(_) => {
            return Err(ApiError::NotFound(format!(
                "connection {connection} is not a {platform} connection"
            )));
        }
        None => {
            let tenant = ordo_core::TenantId::parse(&connection).map_err(|message| ApiError::InvalidParameter {
                parameter: "connection".into(),
                message,
            })?;
            if tenant != ordo_core::TenantId::default_tenant() || !state.store.tenant_exists(&tenant).await? {
                return Err(ApiError::NotFound(format!("no {platform} connection {connection}")));
            }
            let secret = state.ingest.node_hook_secret(hook).map(str::to_owned);
            (tenant, hook.channel().to_owned(), secret)
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let topic = header(hook.topic_header());
    // A refund, fulfilment or edit is not an order, and a Douyin message only names one:
    // the orders named are fetched again instead; a deletion is noted.
    let route = hook.route(topic.as_deref().unwrap_or_default());
    let refetches = hook.refetches(topic.as_deref().unwrap_or_default(), &body);
    let deleted = route
        .order_id(&body)
        .filter(|_| matches!(route, ordo_app::channel_hooks::HookRoute::Deleted(_)));
    let app_id = header(douyin::APP_ID_HEADER).filter(|_| hook == HookPlatform::Douyin);
    let aftersale = aftersale_event(hook, topic.as_deref(), &body);
    let outcome = state
        .ingest
        .ingest_hook(
            &tenant,
            hook,
            secret.as_deref(),
            None,
            topic.as_deref(),
            header(hook.signature_header()).as_deref(),
            app_id.as_deref(),
            body,
        )
        .await?;
    match outcome {
        HookOutcome::Ingested(ingested) => respond(ingested),
        HookOutcome::Rejected { inbox_id, reason } => Err(ApiError::BadSignature { reason, inbox_id }),
        HookOutcome::Ignored { inbox_id } => {
            let applied = match aftersale {
                Some(event) => Some(apply_aftersale(&state, &tenant, &code, &event, inbox_id).await?),
                None => None,
            };
            let handle = state.channels.get(tenant.as_str(), &code);
            let refetching = if handle.is_some() { refetches } else { Vec::new() };
            for order_id in &refetching {
                let (channels, tenant, code) = (state.channels.clone(), tenant.clone(), code.clone());
                let order_id = order_id.clone();
                // The platform wants its answer at once; each fetch runs on its own.
                tokio::spawn(async move {
                    if let Some(handle) = channels.get(tenant.as_str(), &code)
                        && let Err(error) = handle.fetch_pushed(&order_id).await
                    {
                        tracing::warn!(%error, code, order_id, "fetching an order a webhook named failed");
                    }
                });
            }
            if hook == HookPlatform::Douyin {
                // Douyin reads only its own success body; anything else is sent again.
                return Ok((
                    StatusCode::OK,
                    [
                        (header::CONTENT_TYPE, "application/json".to_owned()),
                        (header::HeaderName::from_static("x-ordo-inbox-id"), inbox_id.to_string()),
                    ],
                    douyin::SUCCESS,
                )
                    .into_response());
            }
            Ok((
                StatusCode::ACCEPTED,
                Json(serde_json::json!({
                    "inbox_id": inbox_id,
                    "ignored": "this topic carries no order",
                    "refetching": refetching.first(),
                    "deleted": deleted,
                    "aftersale": applied,
                })),
            )
                .into_response())
        }
    }
}

/// The mappings in force, and the problem of the last reload if one was refused (the
/// previous mappings stay in force until the files are fixed).
#[utoipa::path(
    get, path = "/api/v1/mappings", tag = "orders",
    responses((status = 200, description = "{\"mappings\": [names], \"reload_error\": null or the problem}")),
    security(("bearer" = []))
)]
pub async fn list_mappings(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<serde_json::Value>> {
    auth.require(Permission::Read)?;
    let mappings = state.ingest.mappings();
    Ok(Json(serde_json::json!({
        "mappings": mappings.names(),
        "reload_error": mappings.last_error(),
    })))
}

fn respond(ingested: ordo_app::Ingested) -> ApiResult<Response> {
    match ingested.result {
        IngestResult::Applied { .. } => {
            let view = IngestResponse::from_result(&ingested.result).expect("applied");
            let created = view.outcome == Outcome::Created.as_str();
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            let location = format!("/api/v1/orders/{}", view.id);
            Ok((status, [(header::LOCATION, location)], Json(view)).into_response())
        }
        IngestResult::FailedKept { inbox_id } => Err(ApiError::kept_as_failed(inbox_id, ingested.problem)),
        IngestResult::IdempotencyKeyReused { inbox_id } => Err(ApiError::IdempotencyKeyReused { inbox_id }),
        IngestResult::NotReplayable { reason, .. } => Err(ApiError::NotReplayable(reason)),
    }
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::InvalidHeader("Idempotency-Key must be visible ASCII".into()))?
        .trim();
    if text.is_empty() || text.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::InvalidHeader(format!(
            "Idempotency-Key must be 1..={MAX_IDEMPOTENCY_KEY} characters"
        )));
    }
    Ok(Some(text.to_owned()))
}

/// One order with its full event history.
#[utoipa::path(
    get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Ordo order id")),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_order(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let principal = auth.require(Permission::Read)?;
    let id = OrderId(parse_uuid("id", &id)?);
    let record = state
        .store
        .get_order(&principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {id} not found")))?;
    let placed_at = record.state.order.placed_at;
    let refunds = state.store.order_refunds(&principal.tenant, id).await?;
    let payment = ordo_app::aftersales::payment(&record.state.order, &refunds);
    let mut view = OrderView::from(record);
    (view.paid, view.refunded, view.net) = (payment.paid, payment.refunded, payment.net);
    view.refund_state = payment.refund_state.into();
    view.refunds = refunds.iter().map(|r| serde_json::json!(r)).collect();
    let query = ordo_store::aftersales::records::CaseQuery {
        order_id: Some(id),
        limit: 100,
        ..Default::default()
    };
    view.cases = state
        .store
        .list_cases(&principal.tenant, &query)
        .await?
        .iter()
        .map(|c| serde_json::json!(c))
        .collect();
    let flags = state.store.order_flags(&principal.tenant, id).await?;
    view.flags = flags
        .into_iter()
        .map(|f| FlagView {
            kind: f.kind,
            detail: f.detail,
            at: f.at,
        })
        .collect();
    let matches = state
        .store
        .order_matches(
            &principal.tenant,
            id,
            state.matching.merge_window.max(state.matching.duplicate_window),
        )
        .await?;
    // One query with the wider window, then each list cut to its own.
    let within = |window: chrono::Duration, placed: chrono::DateTime<chrono::Utc>| (placed - placed_at).abs() <= window;
    view.possible_duplicates = matches
        .possible_duplicates
        .into_iter()
        .filter(|o| within(state.matching.duplicate_window, o.placed_at))
        .map(OrderSummaryView::from)
        .collect();
    view.merge_candidates = matches
        .merge_candidates
        .into_iter()
        .filter(|o| within(state.matching.merge_window, o.placed_at))
        .map(OrderSummaryView::from)
        .collect();
    view.merge_id = matches.merge_group.map(|g| g.id);
    Ok(Json(view))
}

/// The after-sale event a verified body carries (a refund, a return, a label), if its
/// topic is one; a body that does not read is left to the inbox like any other topic.
fn aftersale_event(hook: HookPlatform, topic: Option<&str>, body: &[u8]) -> Option<ChannelAfterSale> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    match channel_aftersales::parse(hook.channel(), topic?, &json) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(%error, "an after-sale webhook did not read");
            None
        }
    }
}

/// Applies a channel's after-sale event: 202 with what it did; 409 `order_unknown` while
/// its order is not stored (the platform sends it again later), 422 when a rule refuses
/// it. The payload is in the inbox either way.
async fn apply_aftersale(
    state: &AppState,
    tenant: &ordo_core::TenantId,
    channel: &str,
    event: &ChannelAfterSale,
    inbox_id: uuid::Uuid,
) -> ApiResult<serde_json::Value> {
    let flow = state.actions.aftersales(tenant).flow();
    let applied =
        channel_aftersales::apply::apply(state.store.as_ref(), tenant, channel, event, &flow, chrono::Utc::now());
    match applied.await {
        Ok(applied) => {
            state.feed.bump();
            Ok(serde_json::json!(applied))
        }
        Err(ApplyError::OrderUnknown { channel, external_id }) => Err(ApiError::Refused {
            code: "order_unknown",
            message: format!("no {channel} order {external_id} is stored yet (kept as inbox entry {inbox_id})"),
        }),
        Err(ApplyError::Refused(e)) => Err(e.into()),
        Err(ApplyError::Store(e)) => Err(e.into()),
    }
}

/// Order search parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderSearchParams {
    /// Channel code.
    pub channel: Option<String>,
    /// The channel's order number.
    pub external_id: Option<String>,
    /// Status, e.g. `paid`.
    pub status: Option<String>,
    /// Buyer id, e-mail or phone (exact).
    pub buyer: Option<String>,
    /// Placed at or after (RFC 3339).
    pub placed_from: Option<String>,
    /// Placed before (RFC 3339).
    pub placed_to: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// Searches orders, newest placed first, with cursor pagination.
#[utoipa::path(
    get, path = "/api/v1/orders", tag = "orders",
    params(OrderSearchParams),
    responses((status = 200, body = PageView<OrderSummaryView>), (status = 400, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn search_orders(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<OrderSearchParams>,
) -> ApiResult<Json<PageView<OrderSummaryView>>> {
    let principal = auth.require(Permission::Read)?;
    let query = params.query()?;
    let page = state.store.search_orders(&principal.tenant, &query).await?;
    Ok(Json(PageView {
        items: page.items.into_iter().map(OrderSummaryView::from).collect(),
        next_cursor: page.next.map(encode_cursor),
    }))
}

impl OrderSearchParams {
    /// The store query these parameters ask for; the console filters with the same rules.
    pub fn query(&self) -> ApiResult<OrderQuery> {
        let invalid = |parameter: &str, message: String| ApiError::InvalidParameter {
            parameter: parameter.into(),
            message,
        };
        Ok(OrderQuery {
            channel: text(&self.channel)
                .map(ChannelId::parse)
                .transpose()
                .map_err(|m| invalid("channel", m))?,
            external_id: text(&self.external_id).map(str::to_owned),
            status: text(&self.status)
                .map(|s| {
                    OrderStatus::parse(s).ok_or_else(|| invalid("status", format!("{s:?} is not an order status")))
                })
                .transpose()?,
            buyer: text(&self.buyer).map(str::to_owned),
            placed_from: text(&self.placed_from)
                .map(|v| parse_time("placed_from", v))
                .transpose()?,
            placed_to: text(&self.placed_to).map(|v| parse_time("placed_to", v)).transpose()?,
            after: text(&self.cursor).map(decode_cursor).transpose()?,
            limit: parse_limit(self.limit)?,
        })
    }
}

/// A parameter's text, `None` when absent or blank (an empty form field filters nothing).
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The text form of where a page of orders continues.
pub fn encode_cursor(cursor: OrderCursor) -> String {
    format!("{}.{}", cursor.placed_at.timestamp_micros(), cursor.id)
}

fn decode_cursor(text: &str) -> ApiResult<OrderCursor> {
    let bad = || ApiError::InvalidParameter {
        parameter: "cursor".into(),
        message: "not a cursor from this API".into(),
    };
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let placed_at = chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok(OrderCursor {
        placed_at,
        id: OrderId(uuid::Uuid::parse_str(id).map_err(|_| bad())?),
    })
}
