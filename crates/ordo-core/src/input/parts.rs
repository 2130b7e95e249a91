//! The order-level parts of an order's money as they travel: discounts, tax lines, fees.
//! Each is validated like a line, with errors at its own path (`discounts[1].amount`).

use serde::{Deserialize, Serialize};

use super::{Checker, DecimalText};
use crate::money::Currency;
use crate::order::{Fee, OrderDiscount, TaxLine};

/// Most order-level entries of one kind; bounds the work one request can cause.
pub const MAX_PARTS: usize = 100;

/// An order-level discount as it travels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DiscountInput {
    /// Coupon or promotion code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// What the platform calls it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Amount taken off, decimal string.
    #[serde(default)]
    pub amount: Option<DecimalText>,
}

/// An order-level tax as it travels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TaxLineInput {
    /// The tax's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Rate as a decimal fraction, e.g. `"0.0625"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<DecimalText>,
    /// Tax amount, decimal string.
    #[serde(default)]
    pub amount: Option<DecimalText>,
}

/// A fee or surcharge as it travels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeeInput {
    /// The platform's kind of fee, e.g. `cod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What the platform calls it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Amount, decimal string; negative for a reduction.
    #[serde(default)]
    pub amount: Option<DecimalText>,
}

fn too_many(c: &mut Checker, field: &str, len: usize) {
    if len > MAX_PARTS {
        c.fail(field, "too_many", format!("must hold at most {MAX_PARTS} entries"));
    }
}

fn required_amount(c: &mut Checker, at: &str, amount: &Option<DecimalText>, currency: Option<Currency>) -> Option<i64> {
    if amount.is_none() {
        c.fail(at, "required", "is required");
        return None;
    }
    c.money(at, amount, currency)
}

pub(super) fn discounts(c: &mut Checker, inputs: &[DiscountInput], currency: Option<Currency>) -> Vec<OrderDiscount> {
    too_many(c, "discounts", inputs.len());
    let mut out = Vec::new();
    for (i, d) in inputs.iter().enumerate().take(MAX_PARTS) {
        let code = c.text(&format!("discounts[{i}].code"), &d.code, 128);
        let title = c.text(&format!("discounts[{i}].title"), &d.title, super::MAX_TEXT);
        let amount = required_amount(c, &format!("discounts[{i}].amount"), &d.amount, currency);
        // Mappings emit one entry per place a platform may put a discount; an empty one
        // without a code says nothing. A code is kept even at zero (free-shipping codes).
        match amount {
            Some(0) if code.is_none() => {}
            Some(amount) => out.push(OrderDiscount { code, title, amount }),
            None => {}
        }
    }
    out
}

pub(super) fn tax_lines(c: &mut Checker, inputs: &[TaxLineInput], currency: Option<Currency>) -> Vec<TaxLine> {
    too_many(c, "tax_lines", inputs.len());
    let mut out = Vec::new();
    for (i, t) in inputs.iter().enumerate().take(MAX_PARTS) {
        let title = c.text(&format!("tax_lines[{i}].title"), &t.title, super::MAX_TEXT);
        let rate = t.rate.as_ref().and_then(|r| {
            let text = r.0.trim();
            let valid = text.split_once('.').map_or(
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
                |(w, f)| !w.is_empty() && !f.is_empty() && (w.bytes().chain(f.bytes())).all(|b| b.is_ascii_digit()),
            );
            if !valid || text.len() > 20 {
                c.fail(
                    format!("tax_lines[{i}].rate"),
                    "invalid_rate",
                    format!("{text:?} is not a decimal fraction such as \"0.0625\""),
                );
                return None;
            }
            Some(text.to_owned())
        });
        if let Some(amount) = required_amount(c, &format!("tax_lines[{i}].amount"), &t.amount, currency) {
            out.push(TaxLine { title, rate, amount });
        }
    }
    out
}

pub(super) fn fees(c: &mut Checker, inputs: &[FeeInput], currency: Option<Currency>) -> Vec<Fee> {
    too_many(c, "fees", inputs.len());
    let mut out = Vec::new();
    for (i, f) in inputs.iter().enumerate().take(MAX_PARTS) {
        let at = format!("fees[{i}].amount");
        let kind = c.text(&format!("fees[{i}].kind"), &f.kind, 64);
        let title = c.text(&format!("fees[{i}].title"), &f.title, super::MAX_TEXT);
        if f.amount.is_none() {
            c.fail(&at, "required", "is required");
            continue;
        }
        // A fee of nothing is no fee (mappings emit one per place a platform may put one).
        if let Some(amount) = c.signed_money(&at, &f.amount, currency).filter(|a| *a != 0) {
            out.push(Fee { kind, title, amount });
        }
    }
    out
}

/// The document form of the parts, for [`super::OrderInput::from_order`].
pub(super) fn documents(order: &crate::order::Order) -> (Vec<DiscountInput>, Vec<TaxLineInput>, Vec<FeeInput>) {
    let money = |minor: i64| Some(DecimalText(order.money(minor).to_decimal_string()));
    let discounts = order
        .discounts
        .iter()
        .map(|d| DiscountInput {
            code: d.code.clone(),
            title: d.title.clone(),
            amount: money(d.amount),
        })
        .collect();
    let tax_lines = order
        .tax_lines
        .iter()
        .map(|t| TaxLineInput {
            title: t.title.clone(),
            rate: t.rate.as_deref().map(DecimalText::from),
            amount: money(t.amount),
        })
        .collect();
    let fees = order
        .fees
        .iter()
        .map(|f| FeeInput {
            kind: f.kind.clone(),
            title: f.title.clone(),
            amount: money(f.amount),
        })
        .collect();
    (discounts, tax_lines, fees)
}
