//! One exception action over many orders, each succeeding or failing on its own, with a
//! result per order: used by the orders list and the exception queue alike.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use chrono::Utc;
use ordo_app::exceptions::ExceptionAction;
use ordo_core::OrderId;
use ordo_core::auth::Permission;

use crate::screens::form_fields;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Most orders one request acts on; "all matching" walks them in pages of this size.
pub const MAX_BULK: usize = ordo_store::MAX_PAGE as usize;

/// The result for one order.
#[derive(Debug, Clone)]
pub struct BulkRow {
    /// The order's id as sent.
    pub order_id: String,
    /// Its status afterwards, when it worked.
    pub status: Option<String>,
    /// The error code and message, when it did not.
    pub error: Option<(String, String)>,
}

/// The results fragment.
#[derive(Template)]
#[template(path = "bulk_results.html")]
pub struct BulkResults {
    /// The frame (for words).
    pub c: Chrome,
    /// What was done.
    pub action: &'static str,
    /// One row per order.
    pub rows: Vec<BulkRow>,
    /// How many worked.
    pub done: usize,
}

/// Carries out `action` on each order for `signed`, one at a time.
pub async fn act(
    console: &Console,
    signed: &Signed,
    action: ExceptionAction,
    ids: &[String],
    reason: Option<String>,
) -> Vec<BulkRow> {
    let principal = &signed.principal;
    let mut rows = Vec::with_capacity(ids.len());
    for raw in ids {
        let Ok(id) = uuid::Uuid::parse_str(raw) else {
            rows.push(BulkRow {
                order_id: raw.clone(),
                status: None,
                error: Some(("invalid_parameter".into(), "not an order id".into())),
            });
            continue;
        };
        let outcome = console
            .app
            .actions
            .exception(
                &principal.tenant,
                OrderId(id),
                action,
                &principal.actor,
                reason.clone(),
                Utc::now(),
            )
            .await;
        rows.push(match outcome {
            Ok(done) => BulkRow {
                order_id: raw.clone(),
                status: Some(done.status.as_str().to_owned()),
                error: None,
            },
            Err(error) => {
                let error = ordo_api::routes::review::exceptions::action_error(error);
                let (code, _) = error.code_and_status();
                BulkRow {
                    order_id: raw.clone(),
                    status: None,
                    error: Some((code.to_owned(), error.message())),
                }
            }
        });
    }
    console.app.feed.bump();
    rows
}

/// `POST /orders/bulk`: `action`, `order_ids` (repeated), `reason`.
pub async fn run(State(console): State<Console>, signed: Signed, body: Bytes) -> ScreenResult {
    signed.require(Permission::Operate)?;
    let fields = form_fields(&body);
    let action = fields
        .iter()
        .find(|(k, _)| k == "action")
        .and_then(|(_, v)| ExceptionAction::parse(v))
        .ok_or_else(|| invalid("action", "one of approve, rerun, hold, cancel"))?;
    let reason = fields
        .iter()
        .find(|(k, _)| k == "reason")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let ids: Vec<String> = fields
        .into_iter()
        .filter(|(k, _)| k == "order_ids")
        .map(|(_, v)| v)
        .collect();
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(invalid("order_ids", "select 1 to 500 orders"));
    }
    let rows = act(&console, &signed, action, &ids, reason).await;
    Ok(results(&console, &signed, action, rows).into_response())
}

/// The results fragment for `rows`.
pub fn results(console: &Console, signed: &Signed, action: ExceptionAction, rows: Vec<BulkRow>) -> Page<BulkResults> {
    let done = rows.iter().filter(|r| r.error.is_none()).count();
    Page(BulkResults {
        c: Chrome::new(console, signed, "orders"),
        action: action.as_str(),
        rows,
        done,
    })
}

/// A form field's error.
pub fn invalid(parameter: &str, message: &str) -> crate::error::ConsoleError {
    ordo_api::error::ApiError::InvalidParameter {
        parameter: parameter.into(),
        message: message.into(),
    }
    .into()
}
