//! What needs a person: inbound payloads that failed (fixed and replayed in
//! [`crate::screens::inbox_entry`]), outbox messages that died (queued again), and the
//! alerts (low stock, delivery problems to acknowledge, payload drift). One page, five
//! reads, each at most one page of rows; the failed payloads page on by keyset.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse};
use chrono::{DateTime, Utc};
use ordo_core::auth::Permission;
use ordo_store::channels::records::DriftRecord;
use ordo_store::fulfilment::shipments::{ShipmentQuery, ShipmentRecord};
use ordo_store::{InboxEntry, InboxQuery, InboxStatus, OutboxMessage, OutboxStatus, StockAlert};
use serde::Deserialize;

use crate::i18n::Words;
use crate::screens::bulk::invalid;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Rows per section: one screenful.
pub const PAGE_ROWS: u32 = 50;

/// A failed payload in the list (its body is read on its own page).
pub struct FailedRow {
    /// The entry.
    pub id: uuid::Uuid,
    /// `api`, `webhook:…`, `mapped:…`.
    pub source: String,
    /// Channel and order number, when they could be read.
    pub label: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// The error's code.
    pub code: String,
    /// Its message.
    pub message: String,
    /// Times processed.
    pub attempts: i32,
}

impl From<InboxEntry> for FailedRow {
    fn from(e: InboxEntry) -> Self {
        let error = e.error.unwrap_or_default();
        let text = |key: &str| error[key].as_str().unwrap_or_default().to_owned();
        Self {
            id: e.id,
            label: [e.channel.as_deref(), e.external_id.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            source: e.source,
            received_at: e.received_at,
            code: text("code"),
            message: text("message"),
            attempts: e.attempts,
        }
    }
}

/// The page.
#[derive(Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    c: Chrome,
    failed: Vec<FailedRow>,
    next: Option<String>,
    paged: bool,
    dead: Vec<OutboxMessage>,
    low_stock: Vec<StockAlert>,
    problems: Vec<ShipmentRecord>,
    drift: Vec<DriftRecord>,
}

/// Where the failed payloads start.
#[derive(Debug, Default, Deserialize)]
pub struct InboxParams {
    /// The last entry of the previous page.
    pub cursor: Option<String>,
}

/// `GET /inbox`.
pub async fn list(State(console): State<Console>, signed: Signed, Query(q): Query<InboxParams>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let tenant = &principal.tenant;
    let after = q
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| uuid::Uuid::parse_str(c).map_err(|_| invalid("cursor", "not a page cursor")))
        .transpose()?;
    let failed = InboxQuery {
        status: Some(InboxStatus::Failed),
        after,
        limit: PAGE_ROWS,
    };
    let problems = ShipmentQuery {
        problems: true,
        limit: PAGE_ROWS,
        ..ShipmentQuery::default()
    };
    let store = &console.app.store;
    let (page, dead, mut low_stock, problems, mut drift) = tokio::try_join!(
        store.list_inbox(tenant, &failed),
        store.list_outbox(tenant, None, Some(OutboxStatus::Dead), PAGE_ROWS),
        store.list_alerts(tenant, true),
        store.list_shipments(tenant, &problems),
        store.list_drift(tenant),
    )?;
    low_stock.truncate(PAGE_ROWS as usize);
    drift.truncate(PAGE_ROWS as usize);
    let page = InboxPage {
        c: Chrome::new(&console, &signed, "inbox"),
        failed: page.items.into_iter().map(FailedRow::from).collect(),
        next: page.next.map(|id| id.to_string()),
        paged: after.is_some(),
        dead,
        low_stock,
        problems,
        drift,
    };
    Ok(Page(page).into_response())
}

fn parse_id(id: &str) -> ScreenResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id).map_err(|_| invalid("id", "not an id"))
}

/// `POST /inbox/outbox/{id}/retry`: as `POST /api/v1/outbox/{id}/retry`.
pub async fn retry(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = parse_id(&id)?;
    ordo_api::routes::delivery::live::retry_dead(&console.app, principal, id).await?;
    Ok(done(&signed, "ibx_requeued", "retried"))
}

/// `POST /inbox/parcels/{id}/acknowledge`: as `POST /api/v1/shipments/{id}/acknowledge`.
pub async fn acknowledge(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = parse_id(&id)?;
    if !console
        .app
        .store
        .acknowledge_problem(&principal.tenant, id, Utc::now())
        .await?
    {
        let message = format!("shipment {id} has no open delivery problem");
        return Err(ordo_api::error::ApiError::NotFound(message).into());
    }
    Ok(done(&signed, "ibx_acknowledged", "acknowledged"))
}

/// What replaces a row's button once it worked.
fn done(signed: &Signed, word: &str, state: &str) -> axum::response::Response {
    Html(format!(
        "<span class=\"ok\" data-done=\"{state}\">{}</span>",
        crate::error::escape(signed.lang().t(word))
    ))
    .into_response()
}

/// The inbox screens' words.
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("ibx_acknowledge", "Acknowledge", "确认"),
    ("ibx_acknowledged", "Acknowledged", "已确认"),
    ("ibx_attempts", "Attempts", "尝试次数"),
    ("ibx_available", "Available", "可用"),
    ("ibx_body_not_text", "The body is not text; shown as hex.", "报文不是文本，以十六进制显示。"),
    ("ibx_carrier", "Carrier", "承运商"),
    ("ibx_dead", "Dead outbox messages", "发送失败的消息"),
    ("ibx_delivery_problems", "Delivery problems", "配送异常"),
    ("ibx_destination", "Destination", "目标"),
    ("ibx_details", "Details", "详情"),
    ("ibx_drift", "Payload drift", "报文字段变化"),
    ("ibx_edit_replay", "Edit the body and replay", "修改报文并重放"),
    ("ibx_failed", "Failed payloads", "处理失败的报文"),
    ("ibx_field", "Field", "字段"),
    ("ibx_low_stock", "Low stock", "低库存"),
    ("ibx_no_dead", "No dead messages.", "没有发送失败的消息。"),
    ("ibx_no_drift", "No payload drift.", "没有报文字段变化。"),
    ("ibx_no_failed", "No failed payloads.", "没有处理失败的报文。"),
    ("ibx_no_low_stock", "No SKU is low.", "没有低库存 SKU。"),
    ("ibx_no_problems", "No open delivery problems.", "没有未处理的配送异常。"),
    ("ibx_payload", "Message", "消息内容"),
    ("ibx_replayed", "Replayed", "已重放"),
    ("ibx_replayed_as", "Kept as inbox entry", "已保存为收件箱记录"),
    ("ibx_requeued", "Queued again", "已重新排队"),
    ("ibx_retry", "Retry", "重试"),
    ("ibx_source", "Source", "来源"),
    ("ibx_still_failing", "Still failing; the corrected body is kept.", "仍然失败；修改后的报文已保存。"),
    ("ibx_threshold", "Threshold", "阈值"),
    ("ibx_topic", "Topic", "主题"),
    ("ibx_tracking", "Tracking", "运单号"),
];
