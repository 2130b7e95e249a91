//! One order: header, buyer, address, lines with what each reserved where, parcels, and
//! one timeline of everything that happened to it (events, repairs with before → after,
//! holds, merges, status moves), and its after-sales: paid / refunded / net, its cases,
//! and for operators the form that opens one (posting to
//! [`super::aftersale_forms::open`]).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use ordo_app::aftersales::Payment;
use ordo_core::aftersale::CaseKind;
use ordo_core::allocation::OrderStock;
use ordo_core::auth::Permission;
use ordo_core::{OrderId, OrderStatus};
use ordo_store::OrderRecord;
use ordo_store::aftersales::records::{CaseQuery, CaseRecord};
use ordo_store::fulfilment::shipments::{ShipmentQuery, ShipmentRecord};

use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// One entry of the timeline.
pub struct Moment {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The event's stable kind.
    pub kind: String,
    /// Who.
    pub actor: String,
    /// A class for the dot: `hold`, `repair` or empty.
    pub class: &'static str,
    /// The details, as readable JSON.
    pub detail: String,
}

/// A payload that arrived for the order, as text.
pub struct Payload {
    /// The inbox entry.
    pub id: uuid::Uuid,
    /// Where it came from (`api`, `hook:shopify`, `connector:taobao` …).
    pub source: String,
    /// When.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// `processed`, `failed` …
    pub status: String,
    /// What it did (`created`, `updated`, `unchanged`, `stale`).
    pub outcome: String,
    /// The body, pretty-printed when it is JSON, cut at 16 KiB so the page stays small.
    pub body: String,
}

/// Payloads shown per order; older ones are in the inbox.
const PAYLOADS: u32 = 10;
/// Longest body shown inline.
const BODY_CHARS: usize = 16 * 1024;

fn payload(entry: ordo_store::InboxEntry) -> Payload {
    let text = match serde_json::from_slice::<serde_json::Value>(&entry.body) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(&entry.body).into_owned(),
    };
    let body = if text.len() > BODY_CHARS {
        let cut = (0..=BODY_CHARS).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        format!("{}\n…", &text[..cut])
    } else {
        text
    };
    Payload {
        id: entry.id,
        source: entry.source,
        received_at: entry.received_at,
        status: entry.status.as_str().to_owned(),
        outcome: entry.outcome.unwrap_or_default(),
        body,
    }
}

/// The order page.
#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    c: Chrome,
    money: Vec<MoneyRow>,
    o: OrderRecord,
    stock: OrderStock,
    parcels: Vec<ShipmentRecord>,
    payloads: Vec<Payload>,
    timeline: Vec<Moment>,
    actions: Vec<&'static str>,
    payment: Payment,
    cases: Vec<CaseRecord>,
    /// The open-a-case form's lines; empty for a role that may not open one.
    open_lines: Vec<OpenLine>,
    kinds: Vec<&'static str>,
}

/// One order line in the form that opens a case.
pub struct OpenLine {
    /// Its index in the form (`l{index}.…`).
    pub index: usize,
    /// The SKU.
    pub sku: String,
    /// Units sold.
    pub sold: u32,
    /// Units that left a warehouse (what a return can take back).
    pub shipped: i64,
}

/// One row of the order's money: what it is, a detail (a coupon code, a tax rate), the
/// amount in minor units, and whether it is taken off.
pub struct MoneyRow {
    key: &'static str,
    detail: String,
    minor: i64,
    class: &'static str,
}

/// Every part of the order's money, in the order they add up, ending with the total and,
/// when the channel stated a different one, that figure marked.
fn money_rows(order: &ordo_core::Order) -> Vec<MoneyRow> {
    let t = order.totals();
    let row = |key, detail: String, minor, class| MoneyRow {
        key,
        detail,
        minor,
        class,
    };
    let mut rows = vec![row("items_subtotal", String::new(), t.items, "")];
    if t.discount != 0 {
        rows.push(row("line_discounts", String::new(), -t.discount, ""));
    }
    for d in &order.discounts {
        let detail = [d.code.as_deref(), d.title.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        rows.push(row("order_discount", detail, -d.amount, ""));
    }
    if t.tax != 0 {
        let rates: Vec<String> = order
            .tax_lines
            .iter()
            .map(|l| {
                format!(
                    "{} {}",
                    l.title.as_deref().unwrap_or(""),
                    l.rate.as_deref().unwrap_or("")
                )
                .trim()
                .to_owned()
            })
            .collect();
        let class = if order.taxes_included { "muted" } else { "" };
        rows.push(row("tax", rates.join(", "), t.tax, class));
    }
    rows.push(row("shipping_fee", String::new(), t.shipping, ""));
    for f in &order.fees {
        let detail = [f.kind.as_deref(), f.title.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        rows.push(row("fee", detail, f.amount, ""));
    }
    if t.tip != 0 {
        rows.push(row("tip", String::new(), t.tip, ""));
    }
    rows.push(row("total", String::new(), t.total, "strong"));
    if let Some((stated, computed)) = order.total_mismatch() {
        let sign = if stated > computed { "+" } else { "" };
        let detail = format!("{sign}{}", order.money(stated - computed).to_decimal_string());
        rows.push(row("stated_total", detail, stated, "bad"));
    }
    rows
}

/// `GET /orders/{id}`.
pub async fn show(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| crate::screens::bulk::invalid("id", "not an order id"))?;
    let id = OrderId(id);
    let store = &console.app.store;
    let shipments = ShipmentQuery {
        order: Some(id),
        limit: 50,
        ..ShipmentQuery::default()
    };
    let cases = CaseQuery {
        order_id: Some(id),
        limit: 100,
        ..CaseQuery::default()
    };
    let (record, stock, parcels, payloads, refunds, cases) = tokio::try_join!(
        store.get_order(&principal.tenant, id),
        store.get_order_stock(&principal.tenant, id),
        store.list_shipments(&principal.tenant, &shipments),
        store.order_payloads(&principal.tenant, id, PAYLOADS),
        store.order_refunds(&principal.tenant, id),
        store.list_cases(&principal.tenant, &cases),
    )?;
    let Some(o) = record else {
        return Err(ordo_api::error::ApiError::NotFound(format!("order {id} not found")).into());
    };
    let timeline = o
        .events
        .iter()
        .rev()
        .map(|e| Moment {
            at: e.at,
            kind: e.kind.clone(),
            actor: e.actor.clone(),
            class: if e.kind.contains("hold") {
                "hold"
            } else if e.kind.contains("repair") || e.kind.contains("edit") {
                "repair"
            } else {
                ""
            },
            detail: serde_json::to_string_pretty(&e.data).unwrap_or_default(),
        })
        .collect();
    let held = o.state.status == OrderStatus::OnHold;
    // The buttons the workflow allows from here, for a role that may act at all.
    let actions = if signed.may(Permission::Operate) {
        let tenant = &principal.tenant;
        let from = o.state.status;
        let mut actions = Vec::new();
        let reach = |to| {
            console
                .app
                .actions
                .steps(tenant, from, to)
                .is_some_and(|s| !s.is_empty())
        };
        if held && (reach(OrderStatus::Allocated) || reach(OrderStatus::Paid)) {
            actions.push("approve");
        }
        if held || from == OrderStatus::Paid {
            actions.push("rerun");
        }
        if !held && reach(OrderStatus::OnHold) {
            actions.push("hold");
        }
        if reach(OrderStatus::Cancelled) {
            actions.push("cancel");
        }
        actions
    } else {
        Vec::new()
    };
    // The money after refunds is the API's own (`GET /api/v1/orders/{id}`).
    let payment = ordo_app::aftersales::payment(&o.state.order, &refunds);
    let open_lines = if signed.may(Permission::Operate) {
        o.state
            .order
            .lines
            .iter()
            .enumerate()
            .map(|(index, l)| OpenLine {
                index,
                sku: l.sku.as_str().to_owned(),
                sold: l.quantity.get(),
                shipped: stock
                    .allocations
                    .iter()
                    .filter(|a| a.sku == l.sku.as_str())
                    .map(|a| a.shipped)
                    .sum(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = OrderPage {
        c: Chrome::new(&console, &signed, "orders"),
        money: money_rows(&o.state.order),
        payment,
        cases,
        open_lines,
        kinds: CaseKind::ALL.iter().map(|k| k.as_str()).collect(),
        o,
        stock,
        parcels,
        payloads: payloads.into_iter().map(payload).collect(),
        timeline,
        actions,
    };
    Ok(Page(page).into_response())
}
