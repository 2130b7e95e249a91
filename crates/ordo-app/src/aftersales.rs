//! After-sales beside the store's cases and refunds: the outbound order an exchange or
//! reship sends (its own order, reserved and routed like any other, linked to the case),
//! what it costs against what came back, and the order's money view (paid, refunded,
//! net).

use ordo_core::Order;
use ordo_core::aftersale::refund::{line_costs, paid};
use ordo_core::input::OrderInput;
use ordo_store::aftersales::records::{CaseRecord, RefundRecord};
use serde::Serialize;
use serde_json::json;

/// An order's money after refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// What the buyer paid (minor units).
    pub paid: i64,
    /// What went back.
    pub refunded: i64,
    /// What the merchant keeps.
    pub net: i64,
    /// `none`, `partly_refunded` or `refunded`: the money axis, beside the order's status.
    pub refund_state: &'static str,
}

/// Paid, refunded and net for an order and its refunds.
pub fn payment(order: &Order, refunds: &[RefundRecord]) -> Payment {
    let paid = paid(order);
    let refunded: i64 = refunds.iter().map(|r| r.amount).sum();
    let refund_state = match refunded {
        0 => "none",
        r if r >= paid => "refunded",
        _ => "partly_refunded",
    };
    Payment {
        paid,
        refunded,
        net: paid - refunded,
        refund_state,
    }
}

/// The external id of the order an exchange or reship sends: the original's, marked so
/// it can never collide with an order the channel sends.
pub fn exchange_external_id(case: &CaseRecord) -> String {
    let short = case.id.simple().to_string();
    format!(
        "{}~{}-{}",
        case.external_order_id,
        case.kind.as_str(),
        &short[short.len() - 8..]
    )
}

/// The canonical order that sends what an exchange or reship promises, to the original
/// buyer and address, already paid (the goods were paid with the original order): lines
/// at no charge, so the money stays on the original order and its refunds.
pub fn exchange_order(case: &CaseRecord, original: &Order, now: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    let mut input = serde_json::to_value(OrderInput::from_order(original)).unwrap_or_else(|_| json!({}));
    input["external_id"] = json!(exchange_external_id(case));
    input["placed_at"] = json!(now.to_rfc3339());
    input["financial_status"] = json!("paid");
    input["lines"] = json!(
        case.exchange_lines
            .iter()
            .map(|(sku, quantity)| json!({ "sku": sku, "quantity": quantity, "unit_price": "0" }))
            .collect::<Vec<_>>()
    );
    for field in ["discounts", "tax_lines", "fees", "stated_total", "tip", "shipping_fee"] {
        if let Some(map) = input.as_object_mut() {
            map.remove(field);
        }
    }
    input["remark"] = json!(format!(
        "{} for order {} (case {})",
        case.kind, case.external_order_id, case.id
    ));
    input
}

/// What an exchange sends is worth at the original order's prices, less what comes back
/// (positive: the buyer owes the difference). A SKU the original order did not sell is
/// valued at nothing and named in `unpriced`.
pub fn price_difference(case: &CaseRecord, original: &Order) -> (i64, Vec<String>) {
    let costs = line_costs(original);
    let unit = |sku: &str| -> Option<i64> {
        let (line, cost) = original.lines.iter().zip(&costs).find(|(l, _)| l.sku.as_str() == sku)?;
        Some(cost / i64::from(line.quantity.get()))
    };
    let mut unpriced = Vec::new();
    let out: i64 = case
        .exchange_lines
        .iter()
        .map(|(sku, n)| {
            unit(sku).unwrap_or_else(|| {
                unpriced.push(sku.clone());
                0
            }) * n
        })
        .sum();
    let back: i64 = case.lines.iter().map(|l| unit(&l.sku).unwrap_or(0) * l.quantity).sum();
    (out - back, unpriced)
}
