//! Returns reports a channel publishes as files: Amazon's FBA customer returns report,
//! sent as it was downloaded. The file is kept in the inbox before anything is done
//! with it, so what Amazon said is on record whatever happens next.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use ordo_app::channel_aftersales::amazon::fba_returns_report;
use ordo_app::channel_aftersales::apply::{ApplyError, apply_fba_returns};
use ordo_core::auth::Permission;
use ordo_store::{InboxWrite, IngestItem, NewInbox};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::RawBody;
use crate::state::AppState;

/// Where Amazon's counted goods are received.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The Ordo warehouse standing for Amazon's fulfilment centres; without it the cases
    /// wait for their goods to be counted in Ordo.
    pub warehouse: Option<String>,
}

/// Takes Amazon's FBA customer returns report (tab-separated, as downloaded) for an Amazon
/// channel: one return case per order, keyed by the order and the report's licence plates
/// so the same report twice changes nothing; with `warehouse`, the goods are received
/// there as Amazon disposed of them (sellable → restock, anything else → quarantine).
#[utoipa::path(
    post, path = "/api/v1/channels/{channel}/amazon-returns", tag = "aftersales",
    params(("channel" = String, Path, description = "The Amazon channel's code"), ReportParams),
    request_body(content = String, content_type = "text/tab-separated-values", description = "The report file"),
    responses(
        (status = 200, description = "What each order's case became", body = Object),
        (status = 409, description = "A report names an order not stored yet (`order_unknown`)", body = ErrorBody),
        (status = 422, description = "The file does not read (the column or row named)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn amazon_returns(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Query(params): Query<ReportParams>,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let principal = auth.require(Permission::Operate)?;
    let now = Utc::now();
    let inbox_id = uuid::Uuid::now_v7();
    let kept = IngestItem::Noted {
        inbox: NewInbox {
            id: inbox_id,
            tenant: principal.tenant.clone(),
            source: "amazon.returns_report".into(),
            received_at: now,
            body: body.clone(),
            channel: Some(code.clone()),
            external_id: None,
            write: InboxWrite::Insert,
        },
    };
    state.store.ingest_batch(Arc::from(vec![kept]), now).await?;
    let text = String::from_utf8_lossy(&body);
    let rows = fba_returns_report(&text).map_err(|e| ApiError::Rejected {
        code: e.code,
        message: format!("{}: {} (kept as inbox entry {inbox_id})", e.path, e.message),
    })?;
    let flow = state.actions.aftersales(&principal.tenant).flow();
    let warehouse = params.warehouse.as_deref();
    let applied = apply_fba_returns(
        state.store.as_ref(),
        &principal.tenant,
        &code,
        &rows,
        warehouse,
        &flow,
        now,
    )
    .await
    .map_err(|e| match e {
        ApplyError::OrderUnknown { channel, external_id } => ApiError::Refused {
            code: "order_unknown",
            message: format!("no {channel} order {external_id} is stored (kept as inbox entry {inbox_id})"),
        },
        ApplyError::Refused(e) => e.into(),
        ApplyError::Store(e) => e.into(),
    })?;
    state.feed.bump();
    Ok(Json(
        json!({ "inbox_id": inbox_id, "rows": rows.len(), "cases": applied }),
    ))
}
