//! Channels and warehouses: each connection of the tenant with its health as this node
//! sees it (last poll, lag behind the cursor, last error, failures in a row, rate
//! limiting; a warehouse's breaker), "poll now", and the fields platforms added to or
//! dropped from their payloads. Adding and editing connections is in
//! [`crate::screens::channels_edit`].

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use ordo_api::routes::channels::connectors::poller;
use ordo_core::auth::Permission;
use ordo_store::channels::records::DriftRecord;
use ordo_store::{Connection, ConnectionKind};
use serde::Deserialize;

use crate::i18n::Words;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Drifted fields shown: the newest, one screenful.
const DRIFT_ROWS: usize = 50;

/// A channel connection as the page shows it.
pub struct ChannelRow {
    /// Its code.
    pub code: String,
    /// `shopify`, `taobao` …
    pub platform: String,
    /// The platform's address.
    pub base_url: String,
    /// Neither polled nor written to.
    pub paused: bool,
    /// Credentials are stored (never shown), and since when.
    pub secrets_set_at: Option<DateTime<Utc>>,
    /// Whether credentials are stored at all.
    pub secrets_set: bool,
    /// The node polling it, if any.
    pub polled_by: Option<String>,
    /// Why it cannot run.
    pub problem: Option<String>,
    /// Its connector's state, when this node polls it.
    pub health: Option<ChannelHealth>,
}

/// What this node's connector says about a channel.
pub struct ChannelHealth {
    /// When the last poll ended.
    pub last_poll: Option<DateTime<Utc>>,
    /// When a poll last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure: code, message, when.
    pub last_error: Option<(String, String, DateTime<Utc>)>,
    /// Polls failed in a row; 0 is healthy.
    pub failures: u32,
    /// Orders handed over since start.
    pub ingested: u64,
    /// Requests sent since start.
    pub requests: u64,
    /// Rate-limit answers since start.
    pub rate_limited: u64,
    /// The cursor as stored.
    pub cursor: String,
    /// How far the cursor is behind now, e.g. `3 m`.
    pub lag: Option<String>,
    /// The after-sale cursor as stored, for platforms whose after-sales are polled.
    pub aftersales_cursor: Option<String>,
    /// The after-sale poll's last failure: code and message (orders go on without it).
    pub aftersales_error: Option<(String, String)>,
}

/// A warehouse connector as the page shows it.
pub struct WarehouseRow {
    /// The warehouse code.
    pub code: String,
    /// `generic` or `shipbob`.
    pub kind: String,
    /// The warehouse's address.
    pub base_url: String,
    /// The stored connection (none: from this node's file only).
    pub stored: bool,
    /// Requests wait.
    pub paused: bool,
    /// Credentials are stored.
    pub secrets_set: bool,
    /// Since when.
    pub secrets_set_at: Option<DateTime<Utc>>,
    /// Its health on this node.
    pub health: Option<ordo_app::fulfil::Health>,
}

/// The page.
#[derive(Template)]
#[template(path = "channels.html")]
pub struct ChannelsPage {
    c: Chrome,
    channels: Vec<ChannelRow>,
    warehouses: Vec<WarehouseRow>,
    drift: Vec<DriftRecord>,
    drift_more: usize,
    saved: Option<String>,
}

/// What the page was asked.
#[derive(Debug, Default, Deserialize)]
pub struct ChannelsQuery {
    /// A connection just saved, to say so.
    pub saved: Option<String>,
}

fn text(settings: &serde_json::Value, key: &str) -> String {
    settings[key].as_str().unwrap_or_default().to_owned()
}

/// `GET /channels`: five reads whatever the number of connections; the health comes from
/// this node's memory.
pub async fn list(State(console): State<Console>, signed: Signed, Query(q): Query<ChannelsQuery>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let tenant = &principal.tenant;
    let store = &console.app.store;
    let (channels, warehouses, leases, mut drift) = tokio::try_join!(
        store.list_connections(tenant, ConnectionKind::Channel),
        store.list_connections(tenant, ConnectionKind::Warehouse),
        store.list_leases(),
        store.list_drift(tenant),
    )?;
    let now = Utc::now();
    let channels = channels
        .into_iter()
        .map(|c| {
            let polled_by = poller(&leases, tenant, &c.code);
            let known = console.app.channels.known(tenant.as_str(), &c.code);
            let health = console.app.channels.get(tenant.as_str(), &c.code).map(|handle| {
                let s = handle.status();
                ChannelHealth {
                    last_poll: s.last_poll_finished,
                    last_success: s.last_success,
                    last_error: s.last_error.map(|e| (e.code, e.message, e.at)),
                    failures: s.consecutive_failures,
                    ingested: s.orders_ingested,
                    requests: s.requests,
                    rate_limited: s.rate_limited,
                    lag: lag(s.cursor.as_ref(), now),
                    cursor: s.cursor.map(|c| c.to_string()).unwrap_or_default(),
                    aftersales_cursor: s.aftersales_cursor.map(|c| c.to_string()),
                    aftersales_error: s.aftersales_error.map(|e| (e.code, e.message)),
                }
            });
            ChannelRow {
                platform: text(&c.settings, "platform"),
                base_url: text(&c.settings, "base_url"),
                paused: c.paused,
                secrets_set: c.sealed.is_some(),
                secrets_set_at: c.secrets_set_at,
                polled_by,
                problem: known.and_then(|k| k.problem),
                health,
                code: c.code,
            }
        })
        .collect();
    let drift_more = drift.len().saturating_sub(DRIFT_ROWS);
    drift.truncate(DRIFT_ROWS);
    let page = ChannelsPage {
        c: Chrome::new(&console, &signed, "channels"),
        channels,
        warehouses: warehouse_rows(&console, tenant, warehouses),
        drift,
        drift_more,
        saved: q.saved,
    };
    Ok(Page(page).into_response())
}

/// How far a cursor (`{"updated_after": …}`) is behind `now`, e.g. `3 m`.
fn lag(cursor: Option<&serde_json::Value>, now: DateTime<Utc>) -> Option<String> {
    cursor
        .and_then(|c| c["updated_after"].as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| crate::format::age((now - t.to_utc()).num_seconds()))
}

/// Every warehouse connector of the tenant: the stored ones, and any this node runs from
/// its own file.
fn warehouse_rows(console: &Console, tenant: &ordo_core::TenantId, stored: Vec<Connection>) -> Vec<WarehouseRow> {
    let mut health = console.app.warehouses.health(tenant);
    let mut rows: Vec<WarehouseRow> = stored
        .into_iter()
        .map(|c| WarehouseRow {
            kind: text(&c.settings, "kind"),
            base_url: text(&c.settings, "base_url"),
            stored: true,
            paused: c.paused,
            secrets_set: c.sealed.is_some(),
            secrets_set_at: c.secrets_set_at,
            health: health.remove(&c.code),
            code: c.code,
        })
        .collect();
    for (code, h) in health {
        let config = console.app.warehouses.config(tenant.as_str(), &code);
        rows.push(WarehouseRow {
            kind: config
                .as_ref()
                .and_then(|c| serde_json::to_value(c.kind).ok())
                .and_then(|k| k.as_str().map(str::to_owned))
                .unwrap_or_default(),
            base_url: config.map(|c| c.base_url).unwrap_or_default(),
            stored: false,
            paused: h.paused,
            secrets_set: false,
            secrets_set_at: None,
            health: Some(h),
            code,
        });
    }
    rows
}

/// `POST /channels/poll/{code}`: as `POST /api/v1/channels/{code}/poll`.
pub async fn poll(State(console): State<Console>, signed: Signed, Path(code): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    ordo_api::routes::channels::connectors::poll(&console.app, &principal.tenant, &code).await?;
    let done = format!(
        "<span class=\"ok\" data-polled=\"{}\">{}</span>",
        crate::error::escape(&code),
        signed.lang().t("ch_poll_requested")
    );
    Ok(axum::response::Html(done).into_response())
}

/// The channel screens' words.
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("ch_add_channel", "Add channel connection", "添加渠道连接"),
    ("ch_add_warehouse", "Add warehouse connection", "添加仓库连接"),
    ("ch_aftersales", "After-sales", "售后"),
    ("ch_base_url", "Address", "接口地址"),
    ("ch_breaker", "Breaker", "熔断器"),
    ("ch_channel_id", "Channel id", "渠道 ID"),
    ("ch_check_first", "Test the connection before saving", "保存前先测试连接"),
    ("ch_connection", "Connection", "连接"),
    ("ch_credentials", "Credentials", "凭据"),
    ("ch_credentials_keep", "Leave blank to keep the stored value.", "留空则保留已保存的值。"),
    ("ch_credentials_none", "None stored", "未保存"),
    ("ch_credentials_set", "Stored", "已保存"),
    ("ch_cursor", "Cursor", "游标"),
    ("ch_dead", "Dead", "死信"),
    ("ch_delivered", "Delivered", "已送达"),
    ("ch_drift", "Payload drift", "报文字段变化"),
    ("ch_drift_more", "more not shown", "条未显示"),
    ("ch_edit", "Edit", "编辑"),
    ("ch_extra", "More settings (JSON)", "其他设置（JSON）"),
    ("ch_failed", "Failed", "失败"),
    ("ch_failures", "Failures in a row", "连续失败"),
    ("ch_field", "Field", "字段"),
    ("ch_from_file", "from the node's file", "来自节点配置文件"),
    ("ch_health", "Health", "健康状况"),
    ("ch_ingested", "Orders read", "已读取订单"),
    ("ch_kind", "Kind", "类型"),
    ("ch_lag", "Lag", "延迟"),
    ("ch_last_error", "Last error", "最近错误"),
    ("ch_last_poll", "Last poll", "最近拉取"),
    ("ch_last_success", "Last success", "最近成功"),
    ("ch_mapping", "Mapping", "映射"),
    ("ch_no_channels", "No channel connections yet.", "还没有渠道连接。"),
    ("ch_no_drift", "No payload drift seen.", "没有发现报文字段变化。"),
    ("ch_no_warehouses", "No warehouse connectors.", "没有仓库连接。"),
    ("ch_not_polled", "Not polled on any node", "没有节点在拉取"),
    ("ch_paused", "Paused", "已暂停"),
    ("ch_platform", "Platform", "平台"),
    ("ch_poll_interval", "Poll interval (ms)", "拉取间隔（毫秒）"),
    ("ch_poll_now", "Poll now", "立即拉取"),
    ("ch_poll_requested", "Poll requested.", "已请求拉取。"),
    ("ch_polled_by", "Polled by", "拉取节点"),
    ("ch_rate_limited", "Rate limited", "被限流"),
    ("ch_remove", "Remove connection", "删除连接"),
    ("ch_requests", "Requests", "请求数"),
    ("ch_saved", "Connection saved", "连接已保存"),
    ("ch_seen", "Seen", "出现次数"),
    ("ch_shipping_method", "Shipping method", "配送方式"),
    ("ch_timeout", "Timeout (ms)", "超时（毫秒）"),
    ("ch_warehouse_connectors", "Warehouse connectors", "仓库连接"),
];
