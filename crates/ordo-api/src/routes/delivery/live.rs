//! Real time: the live stream (Server-Sent Events with resume), the same feed as JSON
//! pages, channel stock rules and what each channel was offered, low-stock alerts, and
//! the outbox of messages for outside systems.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::Utc;
use futures_util::Stream;
use ordo_core::TenantId;
use ordo_core::auth::Permission;
use ordo_core::inventory::{ChannelPolicy, SkuOverride};
use ordo_store::{ChannelRule, FeedEvent, OutboxMessage, OutboxStatus, StockAlert};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::parse_limit;
use crate::routes::stock::catalogue::parse_body;
use crate::state::AppState;

/// Stream parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Resume after this event number (the `Last-Event-ID` header wins). Without either,
    /// the stream starts with the next event.
    pub after: Option<i64>,
    /// Only kinds starting with one of these comma-separated prefixes, e.g.
    /// `availability.,order.allocated`.
    pub kinds: Option<String>,
}

/// How long a subscriber waits for a bell before reading anyway: events committed by
/// another node reach it within this even without a notification.
const IDLE_READ: Duration = Duration::from_millis(500);

/// Live events: `availability.changed`, `stock.low`, `stock.recovered` and every order
/// event (`order.created`, `order.allocated`, …). Each SSE message has the event number as
/// its `id`, the kind as its `event`, and the event as JSON `data`; reconnecting with
/// `Last-Event-ID` resumes without a gap.
#[utoipa::path(
    get, path = "/api/v1/stream", tag = "live", params(StreamParams),
    responses((status = 200, description = "text/event-stream of feed events", content_type = "text/event-stream")),
    security(("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    QueryParams(params): QueryParams<StreamParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let tenant = auth.require(Permission::Read)?.tenant.clone();
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| ApiError::InvalidHeader("Last-Event-ID must be an event number".into()))?,
        ),
    };
    let after = match last_event_id.or(params.after) {
        Some(after) => after,
        None => state.store.feed_head(&tenant).await?,
    };
    let kinds: Vec<String> = params
        .kinds
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect();
    let subscriber = Subscriber {
        bell: state.feed.subscribe(),
        state,
        tenant,
        after,
        kinds,
        buffer: VecDeque::new(),
    };
    metrics::gauge!("ordo_stream_subscribers").increment(1.0);
    let events = futures_util::stream::unfold(subscriber, |mut s| async move {
        let event = s.next().await;
        Some((Ok(event), s))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

struct Subscriber {
    state: AppState,
    bell: tokio::sync::watch::Receiver<u64>,
    tenant: TenantId,
    after: i64,
    kinds: Vec<String>,
    buffer: VecDeque<FeedEvent>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        metrics::gauge!("ordo_stream_subscribers").decrement(1.0);
    }
}

impl Subscriber {
    async fn next(&mut self) -> Event {
        loop {
            if let Some(e) = self.buffer.pop_front() {
                self.after = e.seq;
                if self.kinds.is_empty() || self.kinds.iter().any(|k| e.kind.starts_with(k.as_str())) {
                    return to_sse(&e);
                }
                continue;
            }
            // Mark the bell seen before reading, so a commit landing during the read rings
            // again instead of being lost.
            self.bell.borrow_and_update();
            match self.state.store.read_feed(&self.tenant, self.after, 500).await {
                Ok(events) if !events.is_empty() => self.buffer.extend(events),
                Ok(_) => {
                    let _ = tokio::time::timeout(IDLE_READ, self.bell.changed()).await;
                }
                Err(error) => {
                    tracing::warn!(%error, "stream read failed; retrying");
                    tokio::time::sleep(IDLE_READ).await;
                }
            }
        }
    }
}

fn to_sse(e: &FeedEvent) -> Event {
    let data = serde_json::json!({ "seq": e.seq, "kind": e.kind, "at": e.at, "data": e.data });
    Event::default()
        .id(e.seq.to_string())
        .event(e.kind.as_str())
        .data(data.to_string())
}

/// Feed page parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Events after this number (default 0: from the start).
    pub after: Option<i64>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// A feed event.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEventView {
    /// Number; pass as `after` to continue.
    pub seq: i64,
    /// Kind.
    pub kind: String,
    /// Details.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Committed at.
    pub at: chrono::DateTime<Utc>,
}

/// The feed as JSON pages, for clients that poll instead of streaming.
#[utoipa::path(
    get, path = "/api/v1/feed", tag = "live", params(FeedParams),
    responses((status = 200, description = "Events, oldest first", body = [FeedEventView])),
    security(("bearer" = []))
)]
pub async fn feed(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<FeedParams>,
) -> ApiResult<Json<Vec<FeedEventView>>> {
    let principal = auth.require(Permission::Read)?;
    let limit = parse_limit(params.limit)?;
    let events = state
        .store
        .read_feed(&principal.tenant, params.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| FeedEventView {
                seq: e.seq,
                kind: e.kind,
                data: e.data,
                at: e.at,
            })
            .collect(),
    ))
}

/// How a channel is offered stock.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelRuleBody {
    /// Channel (ignored on input: the path names it).
    #[serde(default)]
    pub channel: Option<String>,
    /// Share of available stock offered, per mille (1000 = all).
    pub ratio_permille: i64,
    /// Units held back from this channel.
    #[serde(default)]
    pub buffer: i64,
    /// Per SKU: `{"mode": "fixed", "quantity": 5}` or `{"mode": "cap", "quantity": 20}`.
    #[serde(default)]
    pub overrides: std::collections::BTreeMap<String, SkuOverride>,
}

impl From<ChannelRule> for ChannelRuleBody {
    fn from(rule: ChannelRule) -> Self {
        Self {
            channel: Some(rule.channel),
            ratio_permille: rule.policy.ratio_permille,
            buffer: rule.policy.buffer,
            overrides: rule.overrides,
        }
    }
}

/// Sets how a channel is offered stock and queues its new quantity of every SKU.
#[utoipa::path(
    put, path = "/api/v1/channels/{channel}/stock-rule", tag = "live",
    params(("channel" = String, Path, description = "Channel code")),
    request_body = ChannelRuleBody,
    responses((status = 200, body = ChannelRuleBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn put_channel_rule(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ChannelRuleBody>> {
    let principal = auth.require(Permission::Operate)?;
    let body: ChannelRuleBody = parse_body(&body)?;
    let rule = channel_rule(channel, body)?;
    state
        .store
        .put_channel_rule(&principal.tenant, &rule, Utc::now())
        .await?;
    state.feed.bump();
    Ok(Json(rule.into()))
}

/// A channel's stock rule from its body, checked (channel code, ratio, buffer, overrides);
/// shared with the console's rule editor.
pub fn channel_rule(channel: String, body: ChannelRuleBody) -> ApiResult<ChannelRule> {
    ordo_core::ChannelId::parse(&channel).map_err(|message| ApiError::InvalidParameter {
        parameter: "channel".into(),
        message,
    })?;
    let invalid = |message: String| ApiError::InvalidParameter {
        parameter: "body".into(),
        message,
    };
    if !(0..=1000).contains(&body.ratio_permille) {
        return Err(invalid(format!(
            "ratio_permille {} is outside 0..=1000",
            body.ratio_permille
        )));
    }
    if body.buffer < 0 {
        return Err(invalid(format!("buffer {} is negative", body.buffer)));
    }
    if let Some((sku, _)) = body.overrides.iter().find(|(_, o)| match o {
        SkuOverride::Fixed(q) | SkuOverride::Cap(q) => *q < 0,
    }) {
        return Err(invalid(format!("override of {sku} is negative")));
    }
    Ok(ChannelRule {
        channel,
        policy: ChannelPolicy {
            ratio_permille: body.ratio_permille,
            buffer: body.buffer,
        },
        overrides: body.overrides,
    })
}

/// Every channel's stock rule.
#[utoipa::path(
    get, path = "/api/v1/channels/stock-rules", tag = "live",
    responses((status = 200, body = [ChannelRuleBody])),
    security(("bearer" = []))
)]
pub async fn list_channel_rules(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ChannelRuleBody>>> {
    let principal = auth.require(Permission::Read)?;
    let rules = state.store.list_channel_rules(&principal.tenant).await?;
    Ok(Json(rules.into_iter().map(Into::into).collect()))
}

/// A quantity offered to a channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedView {
    /// SKU.
    pub sku: String,
    /// Units the channel may sell.
    pub quantity: i64,
}

/// What a channel was last offered, per SKU.
#[utoipa::path(
    get, path = "/api/v1/channels/{channel}/stock", tag = "live",
    params(("channel" = String, Path, description = "Channel code")),
    responses((status = 200, body = [OfferedView])),
    security(("bearer" = []))
)]
pub async fn channel_stock(
    State(state): State<AppState>,
    auth: Auth,
    Path(channel): Path<String>,
) -> ApiResult<Json<Vec<OfferedView>>> {
    let principal = auth.require(Permission::Read)?;
    let offered = state.store.list_published(&principal.tenant, None).await?;
    Ok(Json(
        offered
            .into_iter()
            .filter(|(c, _, _)| *c == channel)
            .map(|(_, sku, quantity)| OfferedView { sku, quantity })
            .collect(),
    ))
}

/// Alert listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// Only open alerts (default true).
    pub open: Option<bool>,
}

/// Low-stock alerts, newest first.
#[utoipa::path(
    get, path = "/api/v1/alerts", tag = "live", params(AlertParams),
    responses((status = 200, description = "Alerts: sku, available, threshold, opened_at, closed_at")),
    security(("bearer" = []))
)]
pub async fn alerts(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<AlertParams>,
) -> ApiResult<Json<Vec<StockAlert>>> {
    let principal = auth.require(Permission::Read)?;
    let open = params.open.unwrap_or(true);
    Ok(Json(state.store.list_alerts(&principal.tenant, open).await?))
}

/// Outbox listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// `channel.stock` or `webhook`.
    pub topic: Option<String>,
    /// `pending`, `delivered`, `dead` or `dropped`.
    pub status: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// Messages queued for outside systems (channel quantities, alert webhooks), newest first.
#[utoipa::path(
    get, path = "/api/v1/outbox", tag = "live", params(OutboxParams),
    responses((status = 200, description = "Messages with status, attempts and last error")),
    security(("bearer" = []))
)]
pub async fn outbox(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<OutboxParams>,
) -> ApiResult<Json<Vec<OutboxMessage>>> {
    let principal = auth.require(Permission::Read)?;
    let status = match params.status.as_deref() {
        None => None,
        Some(text) => Some(OutboxStatus::parse(text).ok_or_else(|| ApiError::InvalidParameter {
            parameter: "status".into(),
            message: format!("{text:?} is not one of pending, delivered, dead, dropped"),
        })?),
    };
    let limit = parse_limit(params.limit)?;
    let messages = state
        .store
        .list_outbox(&principal.tenant, params.topic.as_deref(), status, limit)
        .await?;
    Ok(Json(messages))
}

/// Puts a dead message back in the queue (after its receiver was fixed): it is delivered
/// again from its first attempt, with the same id.
#[utoipa::path(
    post, path = "/api/v1/outbox/{id}/retry", tag = "live",
    params(("id" = String, Path, description = "Outbox message id")),
    responses((status = 204, description = "Queued again"), (status = 404, description = "No dead message with this id", body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn retry_outbox(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    let principal = auth.require(Permission::Operate)?;
    let id = crate::routes::parse_uuid("id", &id)?;
    retry_dead(&state, principal, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Queues a dead message of `principal`'s tenant again; shared with the console.
pub async fn retry_dead(state: &AppState, principal: &ordo_app::Principal, id: uuid::Uuid) -> ApiResult<()> {
    if ordo_app::ops::retry_dead(state.store.as_ref(), &principal.tenant, id, &principal.actor).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no dead outbox message {id}")))
    }
}
