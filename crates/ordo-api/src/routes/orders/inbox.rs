//! `/api/v1/inbox`: every inbound payload as received, and replay of failed ones.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ordo_app::{Principal, ReplayError};
use ordo_core::auth::Permission;
use ordo_store::{InboxQuery, InboxStatus, IngestResult};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{QueryParams, RawBody};
use crate::routes::{parse_limit, parse_uuid};
use crate::state::AppState;
use crate::views::{InboxEntryView, IngestResponse, PageView};

/// Inbox listing parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// `processed`, `failed`, `rejected` or `resolved`.
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1..=500 (default 50).
    pub limit: Option<u32>,
}

/// Lists inbound payloads, newest first (without bodies).
#[utoipa::path(
    get, path = "/api/v1/inbox", tag = "inbox", params(InboxParams),
    responses((status = 200, body = PageView<InboxEntryView>), (status = 400, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_inbox(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<InboxParams>,
) -> ApiResult<Json<PageView<InboxEntryView>>> {
    let principal = auth.require(Permission::Read)?;
    let status = params
        .status
        .as_deref()
        .map(|s| {
            InboxStatus::parse(s).ok_or_else(|| ApiError::InvalidParameter {
                parameter: "status".into(),
                message: format!("{s:?} is not one of processed, failed, rejected, resolved"),
            })
        })
        .transpose()?;
    let query = InboxQuery {
        status,
        after: params.cursor.as_deref().map(|c| parse_uuid("cursor", c)).transpose()?,
        limit: parse_limit(params.limit)?,
    };
    let page = state.store.list_inbox(&principal.tenant, &query).await?;
    Ok(Json(PageView {
        items: page.items.into_iter().map(|e| InboxEntryView::new(e, false)).collect(),
        next_cursor: page.next.map(|id| id.to_string()),
    }))
}

/// One inbound payload with its raw body.
#[utoipa::path(
    get, path = "/api/v1/inbox/{id}", tag = "inbox",
    params(("id" = String, Path, description = "Inbox entry id")),
    responses((status = 200, body = InboxEntryView), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_inbox(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<InboxEntryView>> {
    let principal = auth.require(Permission::Read)?;
    let id = parse_uuid("id", &id)?;
    let entry = state
        .store
        .get_inbox(&principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("inbox entry {id} not found")))?;
    Ok(Json(InboxEntryView::new(entry, true)))
}

/// Processes a failed payload again. With an empty body the stored payload is processed
/// as it is (after a fix elsewhere); with a body, that body is a correction: it is kept
/// as a new entry and, if it succeeds, the original becomes `resolved`.
#[utoipa::path(
    post, path = "/api/v1/inbox/{id}/replay", tag = "inbox",
    params(("id" = String, Path, description = "Failed inbox entry id")),
    request_body(content = Option<ordo_core::input::OrderInput>, description = "Optional corrected payload"),
    responses(
        (status = 200, description = "Applied", body = IngestResponse),
        (status = 422, description = "Still invalid (kept)", body = ErrorBody),
        (status = 409, description = "Entry did not fail", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn replay_inbox(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let principal = auth.require(Permission::Operate)?;
    let id = parse_uuid("id", &id)?;
    let view = replay(&state, principal, id, body).await?;
    Ok(Json(view).into_response())
}

/// Replays a failed entry of `principal`'s tenant, with `body` as its correction unless it
/// is blank; shared with the console. A correction that still fails is kept (422).
pub async fn replay(state: &AppState, principal: &Principal, id: Uuid, body: Vec<u8>) -> ApiResult<IngestResponse> {
    let corrected = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(body)
    };
    let ingested = state
        .ingest
        .replay(principal, id, corrected)
        .await
        .map_err(|e| match e {
            ReplayError::NotFound(id) => ApiError::NotFound(format!("inbox entry {id} not found")),
            ReplayError::NotReplayable(m) => ApiError::NotReplayable(m),
            ReplayError::UnknownSource(s) => ApiError::NotReplayable(format!("source {s:?} cannot be replayed here")),
            ReplayError::Ingest(e) => ApiError::from(e),
        })?;
    match ingested.result {
        IngestResult::FailedKept { inbox_id } => Err(ApiError::kept_as_failed(inbox_id, ingested.problem)),
        result => IngestResponse::from_result(&result)
            .ok_or_else(|| ApiError::Internal(format!("unexpected replay result {result:?}"))),
    }
}
