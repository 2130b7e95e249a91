//! The after-sales queue (售后): cases by state, one tab per state with its count, each row
//! with its order, kind, reason, Ordo's state beside the channel's own, and its units. One
//! case is in [`super::aftersale_case`]; the forms that change cases are in
//! [`super::aftersale_forms`].
//!
//! The cases and counts are the API's (`GET /api/v1/aftersales`): the same store queries.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use ordo_core::aftersale::CaseStatus;
use ordo_core::auth::Permission;
use ordo_store::aftersales::records::{CaseQuery, CaseRecord};
use serde::Deserialize;

use crate::i18n::{Lang, Words};
use crate::screens::bulk::invalid;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Cases per page: the most recently changed first.
pub const PAGE_ROWS: u32 = 100;

/// The tabs, in the order a case usually moves through them; `all` last.
pub const TABS: [&str; 11] = [
    "requested",
    "approved",
    "awaiting_return",
    "partly_received",
    "received",
    "inspected",
    "refunded",
    "closed",
    "declined",
    "cancelled",
    "all",
];

/// The after-sales words, `(key, English, Chinese)`, sorted by key. A case's state, kind,
/// action or disposition is `as_` and its stable name (see [`word`]).
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("aftersales", "After-sales", "售后"),
    ("as_approve", "Approve", "同意"),
    ("as_approved", "Approved", "已同意"),
    ("as_attach_return", "Attach return tracking", "填写退货物流"),
    ("as_awaiting_return", "Awaiting return", "待买家退货"),
    ("as_cancel", "Cancel case", "撤销售后"),
    ("as_cancelled", "Cancelled", "已撤销"),
    ("as_case", "Case", "售后单"),
    ("as_cases", "After-sale cases", "售后单"),
    ("as_channel_status", "Channel status", "平台状态"),
    ("as_close", "Close", "关闭"),
    ("as_closed", "Closed", "已关闭"),
    ("as_col_missing", "Missing", "缺件"),
    ("as_col_quarantined", "Quarantined", "隔离"),
    ("as_col_received", "Received", "已收"),
    ("as_col_requested", "Asked", "申请数"),
    ("as_col_restocked", "Restocked", "已入库"),
    ("as_col_shipped", "Shipped", "已发"),
    ("as_col_written_off", "Written off", "报损"),
    ("as_computed", "Ordo computes", "系统计算"),
    ("as_decline", "Decline", "拒绝"),
    ("as_declined", "Declined", "已拒绝"),
    ("as_disposition", "Disposition", "处理方式"),
    ("as_empty", "No cases here.", "这里没有售后单。"),
    ("as_exchange", "Exchange", "换货"),
    ("as_exchange_order", "Order sent", "换货/补寄订单"),
    ("as_exchange_qty", "Exchange qty", "换货数量"),
    ("as_exchange_sku", "Exchange SKU", "换货 SKU"),
    ("as_inspect", "Mark inspected", "质检完成"),
    ("as_inspected", "Inspected", "已质检"),
    ("as_kind", "Kind", "类型"),
    ("as_missing", "Missing", "缺件"),
    ("as_net", "Net", "净收"),
    ("as_no_due", "Nothing is due yet: refunds follow what came back.", "暂无应退金额：按已收货计算。"),
    ("as_none", "Not refunded", "未退款"),
    ("as_note", "Note", "备注"),
    ("as_open", "Open a case", "发起售后"),
    ("as_paid", "Paid", "实付"),
    ("as_partly_received", "Partly received", "部分收货"),
    ("as_partly_refunded", "Partly refunded", "部分退款"),
    ("as_price_difference", "Price difference (buyer owes)", "差价（买家应补）"),
    ("as_quarantine", "Quarantine", "隔离"),
    ("as_receipt", "Receive and inspect", "收货与质检"),
    ("as_receive", "Receive", "确认收货"),
    ("as_received", "Received", "已收货"),
    ("as_refund", "Refund", "退款"),
    ("as_refund_only", "Refund only", "仅退款"),
    ("as_refunded", "Refunded", "已退款"),
    ("as_refunds", "Refunds", "退款记录"),
    ("as_reopen", "Reopen", "重新打开"),
    ("as_requested", "Requested", "待处理"),
    ("as_reship", "Reship", "补寄"),
    ("as_restock", "Restock", "入库"),
    ("as_restocking_fee", "Restocking fee ‰", "折旧费 ‰"),
    ("as_restocking_kept", "Restocking fee", "折旧费"),
    ("as_return_refund", "Return and refund", "退货退款"),
    ("as_shipped_from", "Where it shipped from", "原发货仓"),
    ("as_shipping", "Shipping refunded", "退运费"),
    ("as_source", "Source", "来源"),
    ("as_units", "Units", "件数"),
    ("as_unpriced", "not sold on this order, valued at nothing", "非本订单商品，按零计价"),
    ("as_updated", "Updated", "更新时间"),
    ("as_write_off", "Write off", "报损"),
];

/// The word for an after-sale name (a case state, kind, action or disposition, or a
/// refund state); the name itself when the table has none.
pub fn word(lang: Lang, name: &str) -> &str {
    WORDS
        .iter()
        .find(|(k, _, _)| k.strip_prefix("as_") == Some(name))
        .map_or(name, |(_, en, zh)| if lang == Lang::En { en } else { zh })
}

/// The queue's filter, as it sits in the URL.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CaseFilters {
    /// A case state, or `all`.
    #[serde(default)]
    pub status: Option<String>,
}

/// One state's tab.
pub struct Tab {
    /// The state, or `all`.
    pub status: &'static str,
    /// Cases in it.
    pub count: i64,
}

/// One row of the queue.
pub struct Row {
    /// The case.
    pub case: CaseRecord,
    /// Units asked for, over its lines.
    pub units: i64,
    /// The end of its id, enough to tell cases apart on one screen.
    pub short: String,
}

/// The last 8 digits of a case id.
pub fn short_id(id: &uuid::Uuid) -> String {
    let simple = id.simple().to_string();
    simple[simple.len() - 8..].to_owned()
}

/// The queue page.
#[derive(Template)]
#[template(path = "aftersales.html")]
pub struct CasesPage {
    c: Chrome,
    status: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
}

/// The tab asked for, else the first of requested and awaiting return with cases (what
/// needs someone), else `all`.
fn chosen(status: Option<&str>, tabs: &[Tab]) -> ScreenResult<&'static str> {
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(status) => TABS
            .into_iter()
            .find(|t| *t == status)
            .ok_or_else(|| invalid("status", "a case state or all")),
        None => Ok(tabs
            .iter()
            .find(|t| matches!(t.status, "requested" | "awaiting_return") && t.count > 0)
            .map_or("all", |t| t.status)),
    }
}

/// `GET /aftersales?status=…`: two store queries, the counts per state and one page of
/// the tab.
pub async fn list(State(console): State<Console>, signed: Signed, Query(f): Query<CaseFilters>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let store = &console.app.store;
    let counts = store.case_counts(&principal.tenant).await?;
    let tabs: Vec<Tab> = TABS
        .into_iter()
        .map(|status| Tab {
            status,
            count: if status == "all" {
                counts.iter().map(|(_, n)| n).sum()
            } else {
                counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
            },
        })
        .collect();
    let status = chosen(f.status.as_deref(), &tabs)?;
    let query = CaseQuery {
        status: CaseStatus::parse(status),
        order_id: None,
        limit: PAGE_ROWS,
    };
    let rows = store
        .list_cases(&principal.tenant, &query)
        .await?
        .into_iter()
        .map(|case| Row {
            short: short_id(&case.id),
            units: case.lines.iter().map(|l| l.quantity).sum(),
            case,
        })
        .collect();
    let page = CasesPage {
        c: Chrome::new(&console, &signed, "aftersales"),
        status,
        tabs,
        rows,
    };
    Ok(Page(page).into_response())
}

#[cfg(test)]
mod tests {
    use ordo_core::aftersale::{CaseAction, CaseKind, CaseStatus, Disposition};

    use super::*;

    #[test]
    fn every_state_kind_action_and_disposition_has_a_word_in_both_languages() {
        let names = CaseStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .chain(CaseKind::ALL.iter().map(|k| k.as_str()))
            .chain(CaseAction::ALL.iter().map(|a| a.as_str()))
            .chain(Disposition::ALL.iter().map(|d| d.as_str()))
            .chain(["none", "partly_refunded"]);
        for name in names {
            assert_ne!(word(Lang::En, name), name, "{name} has no English word");
            assert_ne!(word(Lang::Zh, name), name, "{name} has no Chinese word");
        }
        assert!(TABS.iter().all(|t| *t == "all" || CaseStatus::parse(t).is_some()));
    }
}
