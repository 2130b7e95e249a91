//! The orders list: filters kept in the URL, keyset paging, saved views, bulk actions and
//! a streamed CSV export of exactly the filtered list.

use askama::Template;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use futures_util::{StreamExt, stream};
use ordo_api::routes::orders::order::{OrderSearchParams, encode_cursor};
use ordo_core::OrderStatus;
use ordo_core::auth::Permission;
use ordo_store::{OrderQuery, OrderSummary, SavedView};
use serde::{Deserialize, Serialize};

use crate::screens::bulk::invalid;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Rows per page: one screenful, so a page stays small.
pub const PAGE_ROWS: u32 = 50;
/// Rows per store query while exporting.
const EXPORT_PAGE: u32 = 500;

/// The list's filters, exactly as they sit in the URL.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OrderFilters {
    /// Status name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Channel code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Buyer id, e-mail or phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<String>,
    /// The channel's order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Placed on or after this day (tenant's zone), `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Placed on or before this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Where the page starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl OrderFilters {
    /// The store query, through the API's own parameter rules.
    pub fn query(&self, tz: Tz, limit: u32) -> ScreenResult<OrderQuery> {
        let day = |name: &str, value: &Option<String>, next: bool| -> ScreenResult<Option<String>> {
            let Some(text) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            let date =
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid(name, "a date such as 2026-12-07"))?;
            let date = if next { date.succ_opt().unwrap_or(date) } else { date };
            Ok(Some(start_of(date, tz).to_rfc3339()))
        };
        let params = OrderSearchParams {
            channel: self.channel.clone(),
            external_id: self.external_id.clone(),
            status: self.status.clone(),
            buyer: self.buyer.clone(),
            placed_from: day("from", &self.from, false)?,
            placed_to: day("to", &self.to, true)?,
            cursor: self.cursor.clone(),
            limit: Some(limit),
        };
        Ok(params.query()?)
    }

    /// The filters as a query string, without the cursor (what a saved view keeps).
    pub fn without_cursor(&self) -> String {
        let filters = Self {
            cursor: None,
            ..self.clone()
        };
        let encoded = serde_urlencoded::to_string(&filters).unwrap_or_default();
        // Blank fields filter nothing, so they stay out of links and saved views.
        encoded
            .split('&')
            .filter(|pair| pair.split_once('=').is_some_and(|(_, v)| !v.is_empty()))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Midnight of `date` in `tz`, in UTC.
fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&midnight), |t| t.with_timezone(&Utc))
}

/// The orders page.
#[derive(Template)]
#[template(path = "orders.html")]
pub struct OrdersPage {
    c: Chrome,
    f: OrderFilters,
    rows: Vec<OrderSummary>,
    next: Option<String>,
    statuses: Vec<&'static str>,
    views: Vec<SavedView>,
    filter_query: String,
    paged: bool,
}

/// `GET /orders`.
pub async fn list(State(console): State<Console>, signed: Signed, Query(f): Query<OrderFilters>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let query = f.query(console.settings.time_zone, PAGE_ROWS)?;
    let store = &console.app.store;
    let (page, views) = tokio::try_join!(
        store.search_orders(&principal.tenant, &query),
        store.list_views(&principal.tenant, signed.who.user.id, "orders"),
    )?;
    let page = OrdersPage {
        c: Chrome::new(&console, &signed, "orders"),
        filter_query: f.without_cursor(),
        paged: f.cursor.is_some(),
        f,
        rows: page.items,
        next: page.next.map(encode_cursor),
        statuses: OrderStatus::ALL.iter().map(|s| s.as_str()).collect(),
        views,
    };
    Ok(Page(page).into_response())
}

/// `GET /orders.csv`: the filtered list, every page of it, streamed as it is read so a
/// large export neither waits nor holds it all in memory.
pub async fn export(State(console): State<Console>, signed: Signed, Query(f): Query<OrderFilters>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?.clone();
    let first = f.query(console.settings.time_zone, EXPORT_PAGE)?;
    let store = console.app.store.clone();
    let tz = console.settings.time_zone;
    let header_row = csv_line(&[
        "id",
        "channel",
        "external_id",
        "status",
        "placed_at",
        "buyer_id",
        "buyer_name",
        "currency",
        "total",
        "total_minor",
    ]);
    let pages = stream::unfold(Some(first), move |query| {
        let store = store.clone();
        let tenant = principal.tenant.clone();
        async move {
            let mut query = query?;
            let page = match store.search_orders(&tenant, &query).await {
                Ok(page) => page,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let mut chunk = String::new();
            for o in &page.items {
                chunk.push_str(&row_of(o, tz));
            }
            let next = page.next.map(|cursor| {
                query.after = Some(cursor);
                query
            });
            Some((Ok::<_, std::io::Error>(chunk), next))
        }
    });
    let body = stream::iter([Ok(header_row)]).chain(pages);
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"orders.csv\""),
    );
    Ok(response)
}

fn row_of(o: &OrderSummary, tz: Tz) -> String {
    csv_line(&[
        &o.id.to_string(),
        &o.channel,
        &o.external_id,
        o.status.as_str(),
        &o.placed_at.with_timezone(&tz).to_rfc3339(),
        o.buyer_id.as_deref().unwrap_or(""),
        o.buyer_name.as_deref().unwrap_or(""),
        &o.currency,
        &crate::format::money(o.total_minor, &o.currency),
        &o.total_minor.to_string(),
    ])
}

/// One CSV record, quoted as RFC 4180 says.
fn csv_line(fields: &[&str]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(fields);
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
