//! One inbound payload: its raw body exactly as received, why it failed field by field,
//! and an editor to correct the body and replay it through the same service as
//! `POST /api/v1/inbox/{id}/replay` (the correction is kept as a new entry; the original
//! becomes `resolved` when it succeeds).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ordo_api::error::ApiError;
use ordo_api::views::InboxEntryView;
use ordo_core::auth::Permission;
use ordo_store::InboxStatus;

use crate::screens::bulk::invalid;
use crate::screens::form_fields;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// One problem of a payload: field, code, message.
pub type Detail = (String, String, String);

/// The entry's page.
#[derive(Template)]
#[template(path = "inbox_entry.html")]
pub struct EntryPage {
    c: Chrome,
    e: InboxEntryView,
    code: String,
    message: String,
    details: Vec<Detail>,
    /// The body to start editing from (pretty when it is JSON).
    editable: String,
    replayable: bool,
}

fn details_of(error: &serde_json::Value) -> Vec<Detail> {
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    error["details"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| (text(d, "field"), text(d, "code"), text(d, "message")))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /inbox/{id}`: one read.
pub async fn show(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| invalid("id", "not an inbox entry id"))?;
    let entry = console
        .app
        .store
        .get_inbox(&principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("inbox entry {id} not found")))?;
    let e = InboxEntryView::new(entry, true);
    let error = e.error.clone().unwrap_or_default();
    let editable = e.body.as_deref().map_or_else(String::new, |text| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| text.to_owned())
    });
    let page = EntryPage {
        c: Chrome::new(&console, &signed, "inbox"),
        code: error["code"].as_str().unwrap_or_default().to_owned(),
        message: error["message"].as_str().unwrap_or_default().to_owned(),
        details: details_of(&error),
        replayable: e.status == InboxStatus::Failed && signed.may(Permission::Operate),
        editable,
        e,
    };
    Ok(Page(page).into_response())
}

/// What a replay came to.
#[derive(Template)]
#[template(path = "inbox_result.html")]
pub struct ReplayResult {
    c: Chrome,
    /// Applied: the order, its outcome and status.
    order: Option<(uuid::Uuid, String, String)>,
    /// Refused: code, message, problems, and the entry the correction was kept as.
    refused: Option<(String, String, Vec<Detail>, Option<uuid::Uuid>)>,
}

/// `POST /inbox/{id}/replay`: `body`, the corrected payload (blank: the stored one again).
pub async fn replay(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| invalid("id", "not an inbox entry id"))?;
    let corrected = form_fields(&body)
        .into_iter()
        .find(|(k, _)| k == "body")
        .map(|(_, v)| v.into_bytes())
        .unwrap_or_default();
    let c = Chrome::new(&console, &signed, "inbox");
    let outcome = ordo_api::routes::orders::inbox::replay(&console.app, principal, id, corrected).await;
    Ok(match outcome {
        Ok(done) => {
            let order = Some((done.id, done.outcome, done.status.as_str().to_owned()));
            Page(ReplayResult {
                c,
                order,
                refused: None,
            })
            .into_response()
        }
        Err(ApiError::InvalidPayload {
            code,
            message,
            details,
            inbox_id,
        }) => {
            let status = if code == "invalid_json" {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let details = details
                .into_iter()
                .map(|d| (d.field, d.code.to_owned(), d.message))
                .collect();
            let refused = Some((code.to_owned(), message, details, inbox_id));
            (
                status,
                Page(ReplayResult {
                    c,
                    order: None,
                    refused,
                }),
            )
                .into_response()
        }
        Err(other) => crate::error::ConsoleError::from(other).into_response(),
    })
}
