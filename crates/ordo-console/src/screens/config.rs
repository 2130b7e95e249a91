//! The tenant's policies as versioned TOML (`workflow`, `rules`, `routing`,
//! `consolidation`, `inventory`, `alerts`, `mapping:{name}`): an editor per kind that checks
//! as you type (each problem at its line and column), a trial before saving
//! ([`crate::screens::config_trial`]), saving with a note (a save over a newer version is
//! refused, as `PUT /api/v1/policies/{kind}` refuses it), the history with each version's
//! diff, and restore. Everything goes through the policy book the API uses.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use ordo_api::error::ApiError;
use ordo_api::routes::settings::policies::{PolicyView, SaveParams, kind_of, refused, view};
use ordo_app::policies::kinds::{PolicyKind, check};
use ordo_core::auth::Permission;
use ordo_store::PolicyVersion;
use serde::Deserialize;

use crate::i18n::Words;
use crate::screens::form_fields;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Versions listed: the newest, one screenful.
const HISTORY_ROWS: usize = 50;

/// One kind on the index.
pub struct KindRow {
    /// Its name, as in URLs.
    pub name: String,
    /// The version in force; 0: the node's default.
    pub version: i64,
}

/// The index.
#[derive(Template)]
#[template(path = "config.html")]
pub struct ConfigIndex {
    c: Chrome,
    kinds: Vec<KindRow>,
}

/// `GET /config`: every kind with the version in force, from one read.
pub async fn index(State(console): State<Console>, signed: Signed) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let stamps = console.app.store.policy_stamps().await?;
    let mine: Vec<_> = stamps.into_iter().filter(|s| s.tenant == principal.tenant).collect();
    let version = |name: &str| mine.iter().find(|s| s.kind == name).map_or(0, |s| s.version);
    let mut kinds: Vec<KindRow> = PolicyKind::FIXED
        .iter()
        .map(|k| KindRow {
            version: version(&k.name()),
            name: k.name(),
        })
        .collect();
    for stamp in &mine {
        if let Some(kind @ PolicyKind::Mapping(_)) = PolicyKind::parse(&stamp.kind) {
            kinds.push(KindRow {
                name: kind.name(),
                version: stamp.version,
            });
        }
    }
    let page = ConfigIndex {
        c: Chrome::new(&console, &signed, "config"),
        kinds,
    };
    Ok(Page(page).into_response())
}

/// One problem of a policy text, where it is.
pub struct Problem {
    /// 1-based line and column, when the checker said.
    pub at: Option<(usize, usize)>,
    /// What is wrong (with the path in the file).
    pub message: String,
}

/// Reads the checker's `{kind}:{line}:{column}: {message}` lines.
pub fn problems(kind: &PolicyKind, errors: Vec<String>) -> Vec<Problem> {
    let prefixes = [format!("{}:", kind.name()), "body:".to_owned()];
    errors
        .into_iter()
        .map(|error| {
            let rest = prefixes.iter().find_map(|p| error.strip_prefix(p.as_str()));
            let mut parts = rest.unwrap_or("").splitn(3, ':');
            let (line, column, message) = (parts.next(), parts.next(), parts.next());
            match (
                line.and_then(|l| l.trim().parse().ok()),
                column.and_then(|c| c.trim().parse().ok()),
                message,
            ) {
                (Some(line), Some(column), Some(message)) => Problem {
                    at: Some((line, column)),
                    message: message.trim().to_owned(),
                },
                _ => Problem {
                    at: None,
                    message: error,
                },
            }
        })
        .collect()
}

/// The check's answer: fine, or each problem.
#[derive(Template)]
#[template(path = "config_check.html")]
pub struct CheckResult {
    c: Chrome,
    problems: Vec<Problem>,
    /// A refused save: the stable code (`invalid_config`, `policy_changed` …) and message.
    refusal: Option<(String, String)>,
}

/// The editor of one kind.
#[derive(Template)]
#[template(path = "config_kind.html")]
pub struct KindPage {
    c: Chrome,
    kind: String,
    p: PolicyView,
    history: Vec<PolicyVersion>,
    history_more: usize,
    saved: Option<i64>,
    /// Which trial the kind has: `dry_run`, `what_if` or `diff`.
    trial: &'static str,
}

/// What the editor was asked.
#[derive(Debug, Default, Deserialize)]
pub struct KindQuery {
    /// The version just saved, to say so.
    pub saved: Option<i64>,
}

fn parse_kind(name: &str) -> ScreenResult<PolicyKind> {
    Ok(kind_of(name)?)
}

/// `GET /config/{kind}`: the text in force, the editor and the history; two reads.
pub async fn show(
    State(console): State<Console>,
    signed: Signed,
    Path(name): Path<String>,
    Query(q): Query<KindQuery>,
) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let kind = parse_kind(&name)?;
    let (p, mut history) = tokio::try_join!(view(&console.app, &principal.tenant, &kind), async {
        Ok(console
            .app
            .store
            .policy_history(&principal.tenant, &kind.name())
            .await?)
    },)?;
    let history_more = history.len().saturating_sub(HISTORY_ROWS);
    history.truncate(HISTORY_ROWS);
    let page = KindPage {
        c: Chrome::new(&console, &signed, "config"),
        trial: match kind {
            PolicyKind::Rules => "dry_run",
            PolicyKind::Routing => "what_if",
            _ => "diff",
        },
        kind: kind.name(),
        p,
        history,
        history_more,
        saved: q.saved,
    };
    Ok(Page(page).into_response())
}

/// A form field, blank as none.
pub fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .filter(|v| !v.trim().is_empty())
}

/// `POST /config/{kind}/check`: `body`; checked as saving would check it.
pub async fn check_text(
    State(console): State<Console>,
    signed: Signed,
    Path(name): Path<String>,
    body: Bytes,
) -> ScreenResult {
    signed.require(Permission::Operate)?;
    let kind = parse_kind(&name)?;
    let text = field(&form_fields(&body), "body").unwrap_or_default();
    let problems = match check(&kind, &text) {
        Ok(_) => Vec::new(),
        Err(errors) => problems(&kind, errors),
    };
    Ok(answer(&console, &signed, StatusCode::OK, problems, None))
}

/// The check fragment with `status`.
pub fn answer(
    console: &Console,
    signed: &Signed,
    status: StatusCode,
    problems: Vec<Problem>,
    refusal: Option<(String, String)>,
) -> Response {
    let fragment = CheckResult {
        c: Chrome::new(console, signed, "config"),
        problems,
        refusal,
    };
    (status, Page(fragment)).into_response()
}

/// A refused save or trial as the check fragment: the problems at their places, or the
/// API's code and message (`policy_changed` for a stale save).
pub fn refusal(console: &Console, signed: &Signed, kind: &PolicyKind, error: ApiError) -> Response {
    let (code, status) = error.code_and_status();
    match error {
        ApiError::InvalidConfig(errors) => answer(
            console,
            signed,
            status,
            problems(kind, errors),
            Some((code.to_owned(), String::new())),
        ),
        error @ (ApiError::Refused { .. } | ApiError::NotFound(_) | ApiError::InvalidParameter { .. }) => {
            let message = error.message();
            answer(console, signed, status, Vec::new(), Some((code.to_owned(), message)))
        }
        other => crate::error::ConsoleError::from(other).into_response(),
    }
}

/// `POST /config/{kind}/save`: `body`, `note`, `replaces` (the version the editor was
/// opened on); as `PUT /api/v1/policies/{kind}?replaces=…&note=…`.
pub async fn save(
    State(console): State<Console>,
    signed: Signed,
    Path(name): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let kind = parse_kind(&name)?;
    let fields = form_fields(&body);
    let text = field(&fields, "body").unwrap_or_default();
    let replaces = match field(&fields, "replaces") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| crate::screens::bulk::invalid("replaces", "a version number"))?,
        ),
    };
    let params = SaveParams {
        replaces,
        note: field(&fields, "note").map(|n| n.trim().to_owned()),
    };
    let saved =
        ordo_api::routes::settings::policies::save(&console.app, principal, &kind.name(), Some(&text), params).await;
    Ok(match saved {
        Ok(p) => to_kind(&kind, p.version),
        Err(error) => refusal(&console, &signed, &kind, error),
    })
}

/// `POST /config/{kind}/restore/{version}`: that version's text in force again, as a new
/// version.
pub async fn restore(
    State(console): State<Console>,
    signed: Signed,
    Path((name, version)): Path<(String, i64)>,
) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let kind = parse_kind(&name)?;
    let restored = console
        .app
        .policy_book
        .restore(&principal.tenant, &kind, version, &principal.actor, Utc::now())
        .await
        .map_err(refused);
    Ok(match restored {
        Ok(v) => to_kind(&kind, v.version),
        Err(error) => refusal(&console, &signed, &kind, error),
    })
}

/// Back to the editor (htmx follows `HX-Redirect`), saying which version is in force.
fn to_kind(kind: &PolicyKind, version: i64) -> Response {
    let path = format!(
        "/config/{}?saved={version}",
        form_urlencoded::byte_serialize(kind.name().as_bytes()).collect::<String>()
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&path) {
        response.headers_mut().insert("hx-redirect", value);
    }
    response
}

/// The configuration screens' words.
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("cfg_by_default", "The node's default", "节点默认配置"),
    ("cfg_candidate", "Candidate", "候选"),
    ("cfg_changes", "Changes", "变更"),
    ("cfg_check", "Check", "检查"),
    ("cfg_check_ok", "No problems.", "没有问题。"),
    ("cfg_column", "column", "列"),
    ("cfg_conflict", "Someone saved a newer version while you edited. Reload, then make your change again.", "您编辑期间已有人保存了更新的版本。请重新加载后再修改。"),
    ("cfg_cost", "Cost (minor units)", "成本（最小货币单位）"),
    ("cfg_current", "In force", "当前"),
    ("cfg_default_mapping", "No saved version: the node's mapping of this name is in force.", "没有保存的版本：使用节点同名映射。"),
    ("cfg_diff", "Show the changes", "查看变更"),
    ("cfg_dry_run", "Dry run over recent orders", "用近期订单试运行"),
    ("cfg_history", "History", "历史版本"),
    ("cfg_kind", "Policy", "策略"),
    ("cfg_km", "Distance (km)", "距离（公里）"),
    ("cfg_line", "Line", "行"),
    ("cfg_more_versions", "older versions not shown", "个较早版本未显示"),
    ("cfg_no_changes", "No changes against the version in force.", "与当前版本相比没有变化。"),
    ("cfg_no_history", "No saved versions: the node's default is in force.", "没有保存的版本：使用节点默认配置。"),
    ("cfg_note", "Note", "备注"),
    ("cfg_orders_checked", "Orders checked", "检查的订单"),
    ("cfg_reject", "Reject", "拒绝"),
    ("cfg_reload", "Reload", "重新加载"),
    ("cfg_restore", "Restore", "恢复"),
    ("cfg_restored_from", "Restored from version", "恢复自版本"),
    ("cfg_routed", "Routed", "可配货"),
    ("cfg_saved_as", "Saved as version", "已保存为版本"),
    ("cfg_saved_by", "Saved by", "保存人"),
    ("cfg_split", "Split orders", "拆单"),
    ("cfg_unroutable", "Unroutable", "无法配货"),
    ("cfg_valid_as_you_type", "Checked as you type.", "输入时自动检查。"),
    ("cfg_version", "Version", "版本"),
    ("cfg_what_if", "What-if over recent orders", "用近期订单模拟"),
    ("cfg_would_change", "Orders that would change", "会改变的订单"),
];
