//! One after-sale case: its lines with where every unit went, its timeline, its refunds,
//! the order an exchange or reship sent, and, for operators, the buttons its state allows,
//! the receipt and inspection form and the refund form. The forms post to
//! [`super::aftersale_forms`].
//!
//! The refund Ordo would compute and an exchange's price difference are the API's
//! (`ordo_api::routes::aftersales::cases::detail`), so the console shows the same figures.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use ordo_core::aftersale::refund::RefundQuote;
use ordo_core::aftersale::{CaseAction, Disposition};
use ordo_core::auth::Permission;
use ordo_core::money::{Currency, Money};
use ordo_store::aftersales::records::{CaseDetail, CaseEvent, CaseRecord, RefundRecord};
use ordo_store::stock::inventory::Warehouse;

use crate::screens::aftersales::short_id;
use crate::screens::bulk::invalid;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// The moves the case page offers; the rest (receive, refund) have their own forms and
/// `attach_return` stays with the channel and the API.
pub const MOVES: [CaseAction; 6] = [
    CaseAction::Approve,
    CaseAction::Decline,
    CaseAction::Cancel,
    CaseAction::Inspect,
    CaseAction::Close,
    CaseAction::Reopen,
];

/// Rows of the receipt form per line still expected: the second lets one parcel's units
/// of a SKU go two ways (one restocked, one written off) in one receipt.
const SPLIT_ROWS: i64 = 2;

/// One row of the receipt and inspection form.
pub struct ReceiptRow {
    /// Its index in the form (`r{index}.…`).
    pub index: usize,
    /// The SKU.
    pub sku: String,
    /// Units still expected.
    pub outstanding: i64,
    /// The quantity filled in: everything outstanding on the first row, none on the split.
    pub quantity: i64,
    /// The disposition selected.
    pub disposition: &'static str,
    /// The warehouse selected: where the SKU shipped from.
    pub warehouse: String,
}

/// What Ordo would refund now, for the refund form.
pub struct Due {
    /// The computed amount, minor units.
    pub amount: i64,
    /// The same as the form's decimal text.
    pub decimal: String,
}

/// The case page.
#[derive(Template)]
#[template(path = "aftersale_case.html")]
pub struct CasePage {
    c: Chrome,
    case: CaseRecord,
    short: String,
    /// Newest first, each with its details as readable JSON.
    events: Vec<(CaseEvent, String)>,
    refunds: Vec<RefundRecord>,
    currency: String,
    due: Option<Due>,
    /// Why no refund can be computed (`code`, message).
    due_error: Option<(String, String)>,
    /// An exchange's or reship's price difference and the SKUs it could not price.
    difference: Option<(i64, String)>,
    exchange_external_id: String,
    moves: Vec<&'static str>,
    receipt: Vec<ReceiptRow>,
    warehouses: Vec<Warehouse>,
    dispositions: Vec<&'static str>,
    can_refund: bool,
}

/// The receipt form's rows: for each line still expecting units, a row with all of them to
/// restock where they shipped from, and a split row.
fn receipt_rows(case: &CaseRecord, shipped_from: &dyn Fn(&str) -> String) -> Vec<ReceiptRow> {
    let mut rows = Vec::new();
    for line in case.lines.iter().filter(|l| l.outstanding() > 0) {
        for split in 0..SPLIT_ROWS.min(line.outstanding()) {
            rows.push(ReceiptRow {
                index: rows.len(),
                sku: line.sku.clone(),
                outstanding: line.outstanding(),
                quantity: if split == 0 { line.outstanding() } else { 0 },
                disposition: if split == 0 {
                    Disposition::Restock.as_str()
                } else {
                    Disposition::WriteOff.as_str()
                },
                warehouse: shipped_from(&line.sku),
            });
        }
    }
    rows
}

/// The case id in a path.
pub fn case_id(id: &str) -> ScreenResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id).map_err(|_| invalid("id", "not a case id"))
}

/// `GET /aftersales/{id}`: the case, the API's view of it (refund due, price difference),
/// the order's stock (where each SKU shipped from) and the tenant's warehouses.
pub async fn show(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let id = case_id(&id)?;
    let store = &console.app.store;
    let tenant = &principal.tenant;
    let Some(CaseDetail { case, events, refunds }) = store.get_case(tenant, id).await? else {
        return Err(ordo_api::error::ApiError::NotFound(format!("case {id} not found")).into());
    };
    let (view, stock, warehouses) = tokio::try_join!(
        async {
            ordo_api::routes::aftersales::cases::detail(store.as_ref(), tenant, id)
                .await
                .map_err(crate::error::ConsoleError::from)
        },
        async { Ok(store.get_order_stock(tenant, case.order_id).await?) },
        async { Ok(store.list_warehouses(tenant).await?) },
    )?;
    let currency = view["currency"].as_str().unwrap_or_default().to_owned();
    let (due, due_error) = match serde_json::from_value::<RefundQuote>(view["refund_due"].clone()) {
        Ok(quote) => {
            let decimal = Currency::parse(&currency).map_or_else(
                |_| quote.amount.to_string(),
                |currency| {
                    Money {
                        minor: quote.amount,
                        currency,
                    }
                    .to_decimal_string()
                },
            );
            (
                Some(Due {
                    amount: quote.amount,
                    decimal,
                }),
                None,
            )
        }
        Err(_) => {
            let error = &view["refund_due"]["error"];
            let text = |key: &str| error[key].as_str().unwrap_or_default().to_owned();
            (None, error.is_object().then(|| (text("code"), text("message"))))
        }
    };
    let difference = view["price_difference"]["amount"].as_i64().map(|amount| {
        let unpriced: Vec<&str> = view["price_difference"]["unpriced"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str())
            .collect();
        (amount, unpriced.join(", "))
    });
    let flow = console.app.actions.aftersales(tenant).flow();
    let operator = signed.may(Permission::Operate);
    // Only what the case's state allows, and only for a role that may act at all: the
    // form handlers check both again.
    let moves = MOVES
        .iter()
        .filter(|a| operator && flow.allows(case.status, **a))
        .map(|a| a.as_str())
        .collect();
    let receives = operator && case.kind.takes_goods_back() && flow.allows(case.status, CaseAction::Receive);
    let shipped_from = |sku: &str| {
        stock
            .allocations
            .iter()
            .find(|a| a.sku == sku && a.shipped > 0)
            .map(|a| a.warehouse.clone())
            .unwrap_or_default()
    };
    let page = CasePage {
        c: Chrome::new(&console, &signed, "aftersales"),
        short: short_id(&case.id),
        receipt: if receives {
            receipt_rows(&case, &shipped_from)
        } else {
            Vec::new()
        },
        exchange_external_id: ordo_app::aftersales::exchange_external_id(&case),
        can_refund: operator && flow.allows(case.status, CaseAction::Refund),
        case,
        events: events
            .into_iter()
            .rev()
            .map(|e| {
                let detail = serde_json::to_string_pretty(&e.data).unwrap_or_default();
                (e, detail)
            })
            .collect(),
        refunds,
        currency,
        due,
        due_error,
        difference,
        moves,
        warehouses,
        dispositions: Disposition::ALL.iter().map(|d| d.as_str()).collect(),
    };
    Ok(Page(page).into_response())
}
