//! The exception queue (审单): held orders by reason, one tab per reason with its count,
//! each row with why it waits, what the rules suggest, its age against the SLA; bulk
//! actions over the selected rows or over every order of the tab. Corrections of one held
//! order are in [`super::exceptions_edit`].
//!
//! The queue, its reasons, ages and SLA are the API's (`GET /api/v1/exceptions`): the same
//! store query and the same [`ExceptionView::of`].

use std::collections::HashSet;
use std::time::Instant;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse};
use chrono::{Duration, Utc};
use ordo_api::routes::review::exceptions::{EXCEPTION_KINDS, ExceptionView, exception_query};
use ordo_app::exceptions::ExceptionAction;
use ordo_core::auth::Permission;
use ordo_store::SavedView;
use serde::Deserialize;

use crate::error::escape;
use crate::i18n::Words;
use crate::screens::bulk::{self, BulkRow, MAX_BULK, invalid};
use crate::screens::{field, form_fields};
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Rows per page: the longest waiting first, one screenful.
pub const PAGE_ROWS: u32 = 50;
/// Orders acted on between checks of the time spent, when acting on a whole tab.
const CHUNK: usize = 50;

/// The queue's words, `(key, English, Chinese)`, sorted by key.
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("exc_all_confirm", "Act on every order of this tab", "对本标签下的全部订单执行"),
    ("exc_city", "City", "城市"),
    ("exc_correct", "Correct", "修正"),
    ("exc_country", "Country", "国家"),
    ("exc_district", "District", "区县"),
    ("exc_due", "Due", "截止"),
    ("exc_edit_title", "Correct the order", "修正订单"),
    ("exc_empty", "Nothing waits here.", "这里没有待处理的订单。"),
    ("exc_kind_manual", "Held by hand", "人工挂起"),
    ("exc_kind_review", "Review rules", "规则审单"),
    ("exc_kind_stock", "Stock / unknown SKU", "缺货 / 未知 SKU"),
    ("exc_line1", "Address line 1", "详细地址"),
    ("exc_line2", "Address line 2", "地址补充"),
    ("exc_minutes", "min", "分钟"),
    ("exc_overdue", "Overdue", "已超时"),
    ("exc_postal_code", "Postal code", "邮编"),
    ("exc_province", "Province", "省份"),
    ("exc_recipient", "Recipient", "收件人"),
    ("exc_saved", "Saved; the rules ran again.", "已保存，已重新审单。"),
    ("exc_shown_of", "Longest waiting first; showing", "按等待时长排序，显示"),
    ("exc_stock_wait", "Waiting for stock, or a SKU the catalogue does not know", "等待到货，或商品目录中没有该 SKU"),
    ("exc_stopped", "Stopped to answer in time; run it again for the rest.", "为及时响应已暂停，请再次执行处理剩余订单。"),
    ("exc_suggestion", "Suggestion", "建议"),
];

/// The queue's filters, as they sit in the URL.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExceptionFilters {
    /// `review`, `manual` or `stock`.
    #[serde(default)]
    pub kind: Option<String>,
}

/// One reason's tab.
pub struct Tab {
    /// The store's exception kind.
    pub kind: &'static str,
    /// Its word.
    pub label: &'static str,
    /// Held orders of this reason.
    pub count: i64,
    /// How many of them are past the SLA.
    pub overdue: i64,
}

/// Why a rule (or a person) held the order.
pub struct Hit {
    /// `review` or `manual`.
    pub kind: String,
    /// The stable code, e.g. `remark_present`.
    pub code: String,
    /// What it says.
    pub message: String,
    /// The field it is about, if any.
    pub field: String,
}

/// One row of the queue.
pub struct Row {
    /// The API's view of the entry.
    pub e: ExceptionView,
    /// Its holds' reasons.
    pub hits: Vec<Hit>,
    /// `sla-ok`, `sla-warn` or `sla-late`.
    pub sla: &'static str,
    /// How long it has waited, readable.
    pub age: String,
}

/// The queue page.
#[derive(Template)]
#[template(path = "exceptions.html")]
pub struct ExceptionsPage {
    c: Chrome,
    kind: &'static str,
    tabs: Vec<Tab>,
    count: i64,
    rows: Vec<Row>,
    sla_minutes: i64,
    actions: Vec<&'static str>,
    views: Vec<SavedView>,
}

/// The SLA colour of an entry: late past the SLA, warned in its last quarter.
fn sla_class(e: &ExceptionView, sla_minutes: i64) -> &'static str {
    if e.overdue {
        "sla-late"
    } else if e.age_minutes * 4 >= sla_minutes * 3 {
        "sla-warn"
    } else {
        "sla-ok"
    }
}

fn hits_of(e: &ExceptionView) -> Vec<Hit> {
    let text = |hit: &serde_json::Value, key: &str| hit[key].as_str().unwrap_or_default().to_owned();
    e.holds
        .iter()
        .flat_map(|h| {
            let hits = h.reasons.as_array().cloned().unwrap_or_default();
            hits.into_iter().map(|hit| Hit {
                kind: h.kind.clone(),
                code: text(&hit, "code"),
                message: text(&hit, "message"),
                field: text(&hit, "field"),
            })
        })
        .collect()
}

/// The tab asked for, else the first reason with orders waiting, else `review`.
fn chosen(kind: Option<&str>, tabs: &[Tab]) -> ScreenResult<&'static str> {
    match kind.map(str::trim).filter(|k| !k.is_empty()) {
        Some(kind) => EXCEPTION_KINDS
            .into_iter()
            .find(|k| *k == kind)
            .ok_or_else(|| invalid("kind", "one of review, manual, stock")),
        None => Ok(tabs.iter().find(|t| t.count > 0).map_or("review", |t| t.kind)),
    }
}

/// `GET /exceptions?kind=…`: three store queries: the counts per reason, the user's saved
/// views, and one page of the tab.
pub async fn list(State(console): State<Console>, signed: Signed, Query(f): Query<ExceptionFilters>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let store = &console.app.store;
    let now = Utc::now();
    let sla_minutes = console.app.review.sla_minutes;
    let sla = Duration::minutes(sla_minutes);
    let (figures, views) = tokio::try_join!(
        store.held_by_reason(&principal.tenant, now - sla),
        store.list_views(&principal.tenant, signed.who.user.id, "exceptions"),
    )?;
    let tabs: Vec<Tab> = EXCEPTION_KINDS
        .into_iter()
        .map(|kind| {
            let figure = figures.iter().find(|f| f.reason == kind);
            Tab {
                kind,
                label: match kind {
                    "review" => "exc_kind_review",
                    "manual" => "exc_kind_manual",
                    _ => "exc_kind_stock",
                },
                count: figure.map_or(0, |f| f.count),
                overdue: figure.map_or(0, |f| f.overdue),
            }
        })
        .collect();
    let kind = chosen(f.kind.as_deref(), &tabs)?;
    let query = exception_query(Some(kind.to_owned()), Some(PAGE_ROWS))?;
    let rows = store
        .exceptions(&principal.tenant, &query)
        .await?
        .into_iter()
        .map(|row| {
            let e = ExceptionView::of(row, now, sla);
            Row {
                hits: hits_of(&e),
                sla: sla_class(&e, sla_minutes),
                age: crate::format::age(e.age_minutes * 60),
                e,
            }
        })
        .collect();
    let page = ExceptionsPage {
        c: Chrome::new(&console, &signed, "exceptions"),
        kind,
        count: tabs.iter().find(|t| t.kind == kind).map_or(0, |t| t.count),
        tabs,
        rows,
        sla_minutes,
        views,
        actions: if signed.may(Permission::Operate) {
            ExceptionAction::ALL.iter().map(|a| a.as_str()).collect()
        } else {
            Vec::new()
        },
    };
    Ok(Page(page).into_response())
}

/// `POST /exceptions/bulk`: `action`, `reason`, and either `order_ids` (repeated, the
/// selected rows) or `scope=all` with the tab's `kind` and the `expected` count the person
/// confirmed. "All" walks the tab in pages of at most 500, acts on each order once, and
/// never on more than the confirmed count: orders held after the page was shown are not
/// swept up unseen.
pub async fn run(State(console): State<Console>, signed: Signed, body: Bytes) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?.clone();
    let fields = form_fields(&body);
    let action = field(&fields, "action")
        .and_then(|a| ExceptionAction::parse(&a))
        .ok_or_else(|| invalid("action", "one of approve, rerun, hold, cancel"))?;
    let reason = field(&fields, "reason");
    if field(&fields, "scope").as_deref() != Some("all") {
        let ids: Vec<String> = fields
            .into_iter()
            .filter(|(k, _)| k == "order_ids")
            .map(|(_, v)| v)
            .collect();
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(invalid("order_ids", "select 1 to 500 orders"));
        }
        let rows = bulk::act(&console, &signed, action, &ids, reason).await;
        return Ok(bulk::results(&console, &signed, action, rows).into_response());
    }
    let query = exception_query(field(&fields, "kind"), Some(MAX_BULK as u32))?;
    if query.kind.is_none() {
        return Err(invalid("kind", "one of review, manual, stock"));
    }
    let expected: usize = field(&fields, "expected")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| invalid("expected", "the number of orders confirmed"))?;
    // Stop starting new work well before the node's request timeout, so the person gets
    // the results of what was done rather than a timeout; the rest stays in the tab.
    let budget = console.app.limits.request_timeout / 2;
    let started = Instant::now();
    let mut seen = HashSet::new();
    let mut rows: Vec<BulkRow> = Vec::new();
    let mut stopped = false;
    'pages: while seen.len() < expected {
        let page = console.app.store.exceptions(&principal.tenant, &query).await?;
        let room = expected - seen.len();
        // Orders the action left in the tab (a release back to waiting for stock, a
        // refusal) come round again; each is acted on once.
        let fresh: Vec<String> = page
            .into_iter()
            .map(|row| row.order.id)
            .filter(|id| seen.insert(*id))
            .take(room)
            .map(|id| id.to_string())
            .collect();
        if fresh.is_empty() {
            break;
        }
        for chunk in fresh.chunks(CHUNK) {
            if started.elapsed() > budget {
                stopped = true;
                break 'pages;
            }
            rows.extend(bulk::act(&console, &signed, action, chunk, reason.clone()).await);
        }
    }
    let results = bulk::results(&console, &signed, action, rows).0.render()?;
    let note = if stopped {
        format!(
            "<p class=\"error\" data-stopped>{}</p>",
            escape(signed.lang().t("exc_stopped"))
        )
    } else {
        String::new()
    };
    Ok(Html(note + &results).into_response())
}
