//! Refund amounts Ordo decides. What a line cost the buyer is its price less its own
//! discount, less its share of the order's discounts, plus its tax (when the price did
//! not include it), the order-level parts spread over the lines in proportion to their
//! net amounts by largest remainder, so the lines add up exactly to what was paid for
//! goods. A refund of some units of a line takes the difference of two cumulative
//! shares, so refunding every unit one at a time returns the line's cost to the cent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CaseError;
use crate::order::{FinancialStatus, Order};

/// One line of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundLine {
    /// SKU code.
    pub sku: String,
    /// Units refunded.
    pub quantity: i64,
    /// Minor units.
    pub amount: i64,
}

/// What Ordo would refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundQuote {
    /// Per line.
    pub lines: Vec<RefundLine>,
    /// Shipping refunded.
    pub shipping: i64,
    /// Restocking fee kept back (subtracted).
    pub restocking_fee: i64,
    /// The total: lines + shipping − restocking fee, capped at what is left of the payment.
    pub amount: i64,
    /// What was paid and not yet refunded, before this refund.
    pub refundable: i64,
}

/// What the buyer paid for the order: its computed total once paid, nothing before.
pub fn paid(order: &Order) -> i64 {
    match order.financial_status {
        FinancialStatus::Pending | FinancialStatus::Authorized | FinancialStatus::Voided => 0,
        _ => order.totals().total,
    }
}

/// What each line cost the buyer, in the order of `order.lines`.
pub fn line_costs(order: &Order) -> Vec<i64> {
    let nets: Vec<i64> = order.lines.iter().map(|l| l.net()).collect();
    let totals = order.totals();
    let order_discount = spread(totals.order_discount, &nets);
    let line_tax: i64 = order.lines.iter().map(|l| l.tax).sum();
    let taxes: Vec<i64> = if order.taxes_included {
        vec![0; nets.len()]
    } else if line_tax == totals.tax {
        order.lines.iter().map(|l| l.tax).collect()
    } else {
        spread(totals.tax, &nets)
    };
    nets.iter()
        .zip(order_discount)
        .zip(taxes)
        .map(|((net, discount), tax)| net - discount + tax)
        .collect()
}

/// Spreads `amount` over `weights` in proportion, by largest remainder: the parts add up
/// to `amount` exactly. Equal weights when every weight is zero.
pub fn spread(amount: i64, weights: &[i64]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let positive: Vec<i128> = weights.iter().map(|w| i128::from((*w).max(0))).collect();
    let sum: i128 = positive.iter().sum();
    let (positive, sum) = if sum == 0 {
        (vec![1i128; weights.len()], weights.len() as i128)
    } else {
        (positive, sum)
    };
    let amount = i128::from(amount);
    let mut parts: Vec<i128> = positive.iter().map(|w| amount * w / sum).collect();
    let mut left = amount - parts.iter().sum::<i128>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse((amount * positive[*i]).rem_euclid(sum)));
    let step = left.signum();
    for i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[*i] += step;
        left -= step;
    }
    parts.into_iter().map(|p| p as i64).collect()
}

/// Units of a line's cost for `units` more of its `quantity`, `already` refunded.
fn share(cost: i64, quantity: i64, already: i64, units: i64) -> i64 {
    let (cost, quantity) = (i128::from(cost), i128::from(quantity.max(1)));
    let upto = |n: i64| cost * i128::from(n) / quantity;
    (upto(already + units) - upto(already)) as i64
}

/// What to refund for `units` (SKU → units) of `order`, `already` (SKU → units) refunded
/// before, `refunded` the money already refunded, with `shipping` (the order's shipping
/// when `None` is not asked) and a restocking fee in per mille of the goods. Refuses more
/// units than were sold less those already refunded.
pub fn quote(
    order: &Order,
    units: &BTreeMap<String, i64>,
    already: &BTreeMap<String, i64>,
    refunded: i64,
    shipping: i64,
    restocking_fee_permille: i64,
) -> Result<RefundQuote, CaseError> {
    let costs = line_costs(order);
    let mut lines = Vec::new();
    for (index, (sku, wanted)) in units.iter().enumerate() {
        if *wanted < 1 {
            return Err(CaseError::BadQuantity {
                index,
                quantity: *wanted,
            });
        }
        let mut left = *wanted;
        let mut before = already.get(sku).copied().unwrap_or(0);
        let mut amount = 0;
        let mut sold = 0;
        for (line, cost) in order.lines.iter().zip(&costs).filter(|(l, _)| l.sku.as_str() == sku) {
            let quantity = i64::from(line.quantity.get());
            sold += quantity;
            // Earlier refunds fill the lines of a SKU in order.
            let skip = before.min(quantity);
            before -= skip;
            let take = left.min(quantity - skip);
            if take > 0 {
                amount += share(*cost, quantity, skip, take);
                left -= take;
            }
        }
        if sold == 0 {
            return Err(CaseError::UnknownSku {
                index,
                sku: sku.clone(),
                on: "order",
            });
        }
        if left > 0 {
            return Err(CaseError::TooMany {
                index,
                sku: sku.clone(),
                requested: *wanted,
                allowed: wanted - left,
                what: "sold and not yet refunded",
            });
        }
        lines.push(RefundLine {
            sku: sku.clone(),
            quantity: *wanted,
            amount,
        });
    }
    let goods: i64 = lines.iter().map(|l| l.amount).sum();
    let restocking_fee = goods * restocking_fee_permille.clamp(0, 1000) / 1000;
    let refundable = (paid(order) - refunded).max(0);
    let amount = (goods + shipping - restocking_fee).min(refundable);
    Ok(RefundQuote {
        lines,
        shipping,
        restocking_fee,
        amount,
        refundable,
    })
}

/// Checks an amount given by a person or a channel against what is left of the payment.
pub fn check_amount(amount: i64, refundable: i64) -> Result<(), CaseError> {
    if amount < 1 {
        return Err(CaseError::BadAmount(amount));
    }
    if amount > refundable {
        return Err(CaseError::ExceedsPaid {
            requested: amount,
            refundable,
        });
    }
    Ok(())
}
