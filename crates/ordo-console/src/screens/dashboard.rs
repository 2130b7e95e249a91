//! The dashboard: the tenant's figures per channel and warehouse for today, 7 and 30 days,
//! read from the store's rollups (the same as `GET /api/v1/kpis`), refreshed live: an SSE
//! stream rings when orders move, and the figures fragment reloads at most once a second.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::Utc;
use futures_util::Stream;
use ordo_app::kpis::{Dashboard, Figures, KpiSettings, Windows, dashboard};
use ordo_core::auth::Permission;
use serde::Deserialize;

use crate::i18n::Words;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// The dashboard's own words.
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("30d", "30 days", "近30天"),
    ("7d", "7 days", "近7天"),
    ("allocated", "Allocated", "已配货"),
    ("allocated_to_sent", "Allocated → sent", "配货 → 推送"),
    ("by_channel", "By channel", "按渠道"),
    ("by_warehouse", "By warehouse", "按仓库"),
    ("daily_chart", "Orders in and shipped per day", "每日进单与发货"),
    ("failed_inbox", "Failed inbox entries", "失败的收件"),
    ("first_route_fill", "First-route fill", "首选仓满足率"),
    ("held_orders", "Held orders", "挂起订单"),
    ("latency", "Latency p50 / p95", "时效 p50 / p95"),
    ("live", "Live", "实时"),
    ("low_stock_skus", "Low-stock SKUs", "低库存 SKU"),
    ("oldest", "Oldest", "最久"),
    ("on_time", "On-time shipping", "准时发货率"),
    ("order_to_allocated", "Order → allocated", "下单 → 配货"),
    ("orders_in", "Orders in", "进单"),
    ("overdue", "Overdue", "超时"),
    ("oversold_units", "Oversold units", "超卖件数"),
    ("sent", "Sent to warehouse", "已推送仓库"),
    ("sent_to_shipped", "Sent → shipped", "推送 → 发货"),
    ("shipped_count", "Shipped", "已发货"),
    ("split_rate", "Split rate", "拆单率"),
    ("sync_lag", "Sync lag", "同步延迟"),
    ("today", "Today", "今天"),
];

/// Which window the tables show.
#[derive(Debug, Default, Deserialize)]
pub struct WindowParam {
    window: Option<String>,
}

impl WindowParam {
    fn key(&self) -> &'static str {
        match self.window.as_deref() {
            Some("7d") => "7d",
            Some("30d") => "30d",
            _ => "today",
        }
    }
}

/// The figures fragment (also the body of the page).
#[derive(Template)]
#[template(path = "dashboard_figures.html")]
pub struct FiguresFragment {
    c: Chrome,
    d: Dashboard,
    window: &'static str,
    chart: String,
}

impl FiguresFragment {
    /// The figures of one window of `w`.
    fn pick<'a>(&self, w: &'a Windows) -> &'a Figures {
        match self.window {
            "7d" => &w.days_7,
            "30d" => &w.days_30,
            _ => &w.today,
        }
    }

    /// A rate as a percentage, or a dash.
    fn percent(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(|| "—".into(), |r| format!("{:.1} %", r * 100.0))
    }

    /// Seconds as a short age, or a dash.
    fn seconds(&self, seconds: &Option<i64>) -> String {
        seconds.map_or_else(|| "—".into(), crate::format::age_short)
    }

    /// An age in seconds.
    fn age(&self, seconds: &i64) -> String {
        crate::format::age(*seconds)
    }
}

/// The page.
#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    c: Chrome,
    window: &'static str,
    figures: String,
}

async fn figures(console: &Console, signed: &Signed, window: &'static str) -> ScreenResult<FiguresFragment> {
    let principal = signed.require(Permission::Read)?;
    let d = dashboard(
        console.app.store.as_ref(),
        &principal.tenant,
        &KpiSettings::default(),
        Utc::now(),
    )
    .await?;
    let days: Vec<i64> = d.daily.iter().map(|day| day.day.timestamp()).collect();
    let orders_in: Vec<i64> = d.daily.iter().map(|day| day.orders_in).collect();
    let shipped: Vec<i64> = d.daily.iter().map(|day| day.shipped).collect();
    let chart = serde_json::json!([days, orders_in, shipped]).to_string();
    Ok(FiguresFragment {
        c: Chrome::new(console, signed, "dashboard"),
        d,
        window,
        chart,
    })
}

/// `GET /dashboard`.
pub async fn show(State(console): State<Console>, signed: Signed, Query(w): Query<WindowParam>) -> ScreenResult {
    let window = w.key();
    let fragment = figures(&console, &signed, window).await?.render()?;
    let page = DashboardPage {
        c: Chrome::new(&console, &signed, "dashboard"),
        window,
        figures: fragment,
    };
    Ok(Page(page).into_response())
}

/// `GET /dashboard/figures`: the live part, reloaded on each ring of the stream.
pub async fn fragment(State(console): State<Console>, signed: Signed, Query(w): Query<WindowParam>) -> ScreenResult {
    Ok(Page(figures(&console, &signed, w.key()).await?).into_response())
}

/// `GET /dashboard/live`: an SSE stream that says `tick` when the tenant's orders may have
/// moved, at most once a second, so a busy hour costs one refresh a second per screen.
pub async fn live(
    State(console): State<Console>,
    signed: Signed,
) -> ScreenResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    signed.require(Permission::Read)?;
    let bell = console.app.feed.subscribe();
    let ticks = futures_util::stream::unfold(bell, |mut bell| async move {
        bell.changed().await.ok()?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Rings during the pause are covered by this tick.
        bell.borrow_and_update();
        // An event with no data is never dispatched by EventSource.
        Some((Ok(Event::default().event("tick").data("1")), bell))
    });
    Ok(Sse::new(ticks).keep_alive(KeepAlive::default()))
}
