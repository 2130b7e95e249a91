//! What each rule kind looks at. Every check is a pure function of the order, the
//! context and the rule's settings.

use chrono::{DateTime, Duration, Utc};
use ordo_core::Order;
use ordo_core::order::FinancialStatus;

use super::text::{compact, fold, next_window_start, same_phone};
use super::{PartyList, RuleContext, RuleKind};

/// What a matching rule found; the evaluator adds the rule's name and outcome.
pub(crate) struct Finding {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub suggestion: Option<String>,
    pub until: Option<DateTime<Utc>>,
}

fn found(code: &'static str, message: String, field: Option<String>, suggestion: Option<&str>) -> Option<Finding> {
    Some(Finding {
        code,
        message,
        field,
        suggestion: suggestion.map(str::to_owned),
        until: None,
    })
}

/// `Some` when the rule matches the order.
pub(crate) fn check(kind: &RuleKind, order: &Order, ctx: &RuleContext) -> Option<Finding> {
    match kind {
        RuleKind::MissingAddress => missing_address(order),
        RuleKind::TotalMismatch => total_mismatch(order),
        RuleKind::UnknownSku => {
            let first = ctx.unknown_skus.first()?;
            let index = order.lines.iter().position(|l| l.sku.as_str() == first);
            found(
                "unknown_sku",
                format!("unknown SKU: {}", ctx.unknown_skus.join(", ")),
                index.map(|i| format!("lines[{i}].sku")),
                Some("add the SKU to the catalogue or map it to an existing product, then review again"),
            )
        }
        RuleKind::BadPhone => (ctx.phone_valid == Some(false)).then(|| Finding {
            code: "bad_phone",
            message: "the phone number is not valid".to_owned(),
            field: Some("shipping_address.phone".to_owned()),
            suggestion: Some("confirm the phone number with the buyer and correct the address".to_owned()),
            until: None,
        }),
        RuleKind::SensitiveWords { words } => {
            let remark = fold(order.remark.as_deref()?);
            let word = words.iter().find(|w| remark.contains(&fold(w)))?;
            found(
                "sensitive_word",
                format!("the remark contains {word:?}"),
                Some("remark".to_owned()),
                Some("read the remark; cancel the order if it asks for something the shop must not do"),
            )
        }
        RuleKind::RemarkPresent => {
            let remark = order.remark.as_deref().map(str::trim).filter(|r| !r.is_empty())?;
            // Enough to recognise the remark in a list of hits; the order holds all of it.
            let shown: String = remark.chars().take(60).collect();
            let ellipsis = if shown.len() < remark.len() { "…" } else { "" };
            found(
                "remark_present",
                format!("the buyer left a remark: {shown}{ellipsis}"),
                Some("remark".to_owned()),
                Some("do what the remark asks (or note why not) before releasing the order"),
            )
        }
        RuleKind::OrderValueAbove { amount } => {
            let total = order.totals().total;
            (amount.currency == order.currency && total > amount.minor).then(|| Finding {
                code: "order_value_above",
                message: format!("the order total {} is above {amount}", order.money(total)),
                field: Some("total".to_owned()),
                suggestion: Some("check the buyer and the payment before fulfilling".to_owned()),
                until: None,
            })
        }
        RuleKind::LinePriceBelow { amount, skus } => {
            if amount.currency != order.currency {
                return None;
            }
            let mut cheap = order.lines.iter().enumerate().filter(|(_, l)| {
                // Compared as net < floor × quantity so that no division rounds; a product too
                // large for i64 is above any real net amount.
                let checked = skus.is_empty() || skus.iter().any(|s| s == l.sku.as_str());
                let floor = amount.minor.checked_mul(i64::from(l.quantity.get()));
                checked && floor.is_none_or(|floor| l.net() < floor)
            });
            let (index, line) = cheap.next()?;
            let others = cheap.count();
            let more = if others > 0 {
                format!(" (and {others} more lines)")
            } else {
                String::new()
            };
            found(
                "line_price_below",
                format!(
                    "{} sells for {} for {} units after discount, below {amount} a unit{more}",
                    line.sku,
                    order.money(line.net()),
                    line.quantity.get()
                ),
                Some(format!("lines[{index}].unit_price")),
                Some("check the listing price on the channel; cancel or correct the order if it was mispriced"),
            )
        }
        RuleKind::SuspectedDuplicate => {
            let first = ctx.possible_duplicates.first()?;
            found(
                "suspected_duplicate",
                format!("looks like order {}", ctx.possible_duplicates.join(", ")),
                None,
                Some(&format!(
                    "compare with {first}; if the buyer ordered twice by mistake, cancel one"
                )),
            )
        }
        RuleKind::UnpaidTooLong { minutes } => {
            let unpaid = matches!(
                order.financial_status,
                FinancialStatus::Pending | FinancialStatus::Authorized
            );
            let waited = ctx.now - order.placed_at;
            (unpaid && waited > Duration::minutes(i64::from(*minutes))).then(|| Finding {
                code: "unpaid_too_long",
                message: format!("unpaid for {} minutes (limit {minutes})", waited.num_minutes()),
                field: Some("financial_status".to_owned()),
                suggestion: Some("remind the buyer to pay, or cancel the order".to_owned()),
                until: None,
            })
        }
        RuleKind::Blocked(list) => party(list, order).map(|(which, field, entry)| Finding {
            code: which.code(true),
            message: format!("{} {entry:?} is blocked", which.noun()),
            field: Some(field),
            suggestion: Some("do not fulfil; check the blocklist entry if this is a mistake".to_owned()),
            until: None,
        }),
        RuleKind::BuyerList(list) => party(list, order).map(|(which, field, entry)| Finding {
            code: which.code(false),
            message: format!("{} {entry:?} is on the list", which.noun()),
            field: Some(field),
            suggestion: None,
            until: None,
        }),
        RuleKind::SkuExcluded { skus } => {
            let (index, line) = order
                .lines
                .iter()
                .enumerate()
                .find(|(_, l)| skus.iter().any(|s| s == l.sku.as_str()))?;
            found(
                "sku_excluded",
                format!("{} always needs manual review", line.sku),
                Some(format!("lines[{index}].sku")),
                Some("check the item (made to order, fragile, restricted) before releasing"),
            )
        }
        RuleKind::ReviewWindow { start, end, utc_offset } => {
            let until = next_window_start(ctx.now, *start, *end, *utc_offset)?;
            Some(Finding {
                code: "outside_review_window",
                message: format!(
                    "outside review hours {}–{} ({utc_offset}); review resumes at {}",
                    start.format("%H:%M"),
                    end.format("%H:%M"),
                    until.with_timezone(utc_offset).format("%Y-%m-%d %H:%M %:z")
                ),
                field: None,
                suggestion: None,
                until: Some(until),
            })
        }
        RuleKind::PaidFor { minutes } => {
            let paid = matches!(
                order.financial_status,
                FinancialStatus::Paid | FinancialStatus::PartiallyPaid
            );
            let paid_at = ctx.paid_at.or(paid.then_some(order.placed_at))?;
            let until = paid_at.checked_add_signed(Duration::minutes(i64::from(*minutes)))?;
            (ctx.now < until).then(|| Finding {
                code: "paid_too_recently",
                message: format!(
                    "paid {} minutes ago; orders wait {minutes} minutes after payment",
                    (ctx.now - paid_at).num_minutes()
                ),
                field: None,
                suggestion: None,
                until: Some(until),
            })
        }
    }
}

/// The stated and computed totals, both named, so a person sees which figure to trust.
fn total_mismatch(order: &Order) -> Option<Finding> {
    let (stated, computed) = order.total_mismatch()?;
    found(
        "total_mismatch",
        format!(
            "the channel states a total of {} but the order's parts add up to {} (difference {})",
            order.money(stated),
            order.money(computed),
            order.money(stated - computed)
        ),
        Some("total".to_owned()),
        Some("compare the order with the channel: a discount, tax or fee was not carried over"),
    )
}

/// Whether the order cannot ship as it stands for want of an address.
pub(crate) fn missing_address(order: &Order) -> Option<Finding> {
    if !order.ships() {
        return None;
    }
    let Some(address) = &order.shipping_address else {
        return found(
            "address_missing",
            "the goods ship but the order has no shipping address".to_owned(),
            Some("shipping_address".to_owned()),
            Some("wait for the channel to release the address, or ask the buyer and edit the order"),
        );
    };
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|v| v.trim().is_empty());
    let mut missing = Vec::new();
    if address.line1.trim().is_empty() {
        missing.push("line1");
    }
    if address.country.trim().is_empty() {
        missing.push("country");
    }
    // Chinese carriers route by province and city; a parcel without them is returned.
    if address.country == "CN" {
        if blank(&address.province) {
            missing.push("province");
        }
        if blank(&address.city) {
            missing.push("city");
        }
    }
    let first = missing.first()?;
    found(
        "missing_address",
        format!("the shipping address has no {}", missing.join(", ")),
        Some(format!("shipping_address.{first}")),
        Some("ask the buyer for the full address and edit the order"),
    )
}

/// Which list of a [`PartyList`] matched.
#[derive(Clone, Copy)]
enum Party {
    Buyer,
    Phone,
    Address,
    Name,
}

impl Party {
    fn noun(self) -> &'static str {
        match self {
            Party::Buyer => "buyer",
            Party::Phone => "phone",
            Party::Address => "address",
            Party::Name => "name",
        }
    }

    /// The hit code: `blocked_phone` for a blocklist, `listed_phone` for a buyer list.
    fn code(self, blocked: bool) -> &'static str {
        match (blocked, self) {
            (true, Party::Buyer) => "blocked_buyer",
            (true, Party::Phone) => "blocked_phone",
            (true, Party::Address) => "blocked_address",
            (true, Party::Name) => "blocked_name",
            (false, Party::Buyer) => "listed_buyer",
            (false, Party::Phone) => "listed_phone",
            (false, Party::Address) => "listed_address",
            (false, Party::Name) => "listed_name",
        }
    }
}

/// The first entry of a party list that matches: (which list, order field, entry).
fn party(list: &PartyList, order: &Order) -> Option<(Party, String, String)> {
    let buyer = &order.buyer;
    let address = order.destination();
    let hit = |which: Party, field: &str, entry: &String| Some((which, field.to_owned(), entry.clone()));
    for entry in &list.buyers {
        let wanted = entry.trim();
        if buyer.id.as_deref().is_some_and(|id| id.trim() == wanted) {
            return hit(Party::Buyer, "buyer.id", entry);
        }
        if buyer
            .email
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(wanted))
        {
            return hit(Party::Buyer, "buyer.email", entry);
        }
        if buyer.phone.as_deref().is_some_and(|p| same_phone(p, wanted)) {
            return hit(Party::Buyer, "buyer.phone", entry);
        }
    }
    for entry in &list.phones {
        if buyer.phone.as_deref().is_some_and(|p| same_phone(p, entry)) {
            return hit(Party::Phone, "buyer.phone", entry);
        }
        if address.phone.as_deref().is_some_and(|p| same_phone(p, entry)) {
            return hit(Party::Phone, "shipping_address.phone", entry);
        }
    }
    let parts = [&address.province, &address.city, &address.district];
    let mut full: String = parts.iter().filter_map(|p| p.as_deref()).collect();
    full.push_str(&address.line1);
    full.push_str(address.line2.as_deref().unwrap_or(""));
    let full = compact(&full);
    for entry in &list.addresses {
        let wanted = compact(entry);
        if !wanted.is_empty() && full.contains(&wanted) {
            return hit(Party::Address, "shipping_address", entry);
        }
    }
    for entry in &list.names {
        let wanted = compact(entry);
        if buyer.name.as_deref().is_some_and(|n| compact(n) == wanted) {
            return hit(Party::Name, "buyer.name", entry);
        }
        if compact(&address.name) == wanted {
            return hit(Party::Name, "shipping_address.name", entry);
        }
    }
    None
}
