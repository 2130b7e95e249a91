//! Shopify refunds (`refunds/create`, and the REST `refund` / `refunds` responses) and the
//! dispatch of its return topics (see `shopify_returns`).
//!
//! The money that went back is the sum of the refund's successful `refund` transactions;
//! the parts are its lines (`subtotal_set` + `total_tax_set`, shop money), its shipping
//! (`refund_shipping_lines`, or in older versions the `shipping_refund` order adjustments),
//! its duties and additional fees, and the other order adjustments. Shopify records an
//! adjustment with the sign it takes off the order (a shipping refund of 5.00 is
//! `"-5.00"`), so each adds `-(amount + tax_amount)` to the refund.
//!
//! Amounts are read in the shop's currency, as orders are (`shopify.order.toml`). A refund
//! transaction is in the buyer's (presentment) currency; one in another currency than the
//! shop's is refused as `currency_mismatch` rather than added to shop money.
//!
//! A refund *calculation* (`refunds/calculate`) moves no money and has no id: it is refused
//! as `refund_calculation`; Ordo quotes refunds itself (`ordo_core::aftersale::refund`).

use ordo_core::money::Currency;
use serde_json::Value;

use super::read::{At, currency};
use super::{AfterSaleParseError as Error, ChannelAfterSale, ChannelRefund, ChannelRefundLine};

/// Reads a Shopify after-sale payload; `Ok(None)` for other topics.
pub fn parse(topic: &str, payload: &Value) -> Result<Option<ChannelAfterSale>, Error> {
    let root = At::root(payload);
    Ok(Some(match topic {
        "refunds/create" | "refund" => ChannelAfterSale::Refund(refund(&envelope(&root, "refund"))?),
        "refunds" => ChannelAfterSale::Refunds(
            root.get("refunds")
                .required()?
                .items()?
                .iter()
                .map(refund)
                .collect::<Result<_, _>>()?,
        ),
        "returns/request" | "returns/approve" | "returns/decline" | "returns/close" | "returns/reopen"
        | "returns/cancel" => ChannelAfterSale::Return(super::shopify_returns::case(&root)?),
        "returns/update" => ChannelAfterSale::ReturnUpdate(super::shopify_returns::update(&root)?),
        "reverse_deliveries/attach_deliverable" => {
            ChannelAfterSale::ReturnShipment(super::shopify_returns::shipment(&root)?)
        }
        "reverse_fulfillment_orders/dispose" => ChannelAfterSale::Disposed(super::shopify_returns::disposal(&root)?),
        _ => return Ok(None),
    }))
}

/// The object under `key` when the payload is a REST envelope (`{"refund": {…}}`), else the
/// payload itself (a webhook body).
fn envelope<'a>(root: &At<'a>, key: &str) -> At<'a> {
    match root.get(key).present() {
        Some(inner) if inner.value.is_object() => inner,
        _ => root.clone(),
    }
}

/// The numeric tail of a GraphQL id (`gid://shopify/Return/123` → `123`).
pub(crate) fn gid_tail(at: &At<'_>) -> Option<String> {
    let text = at.text()?;
    let tail = text.rsplit('/').next()?.split('?').next()?;
    (!tail.is_empty()).then(|| tail.to_owned())
}

/// An object's id as Ordo keys it: the GraphQL id's tail when `gid_key` has one, else the
/// numeric `id_key`. Notes in `inexact` the path of an id that a float may have rounded.
pub(crate) fn exact_id(
    object: &At<'_>,
    id_key: &str,
    gid_key: &str,
    inexact: &mut Vec<String>,
) -> Result<String, Error> {
    let numeric = object.get(id_key);
    match gid_tail(&object.get(gid_key)) {
        Some(tail) => {
            if numeric.opt_id()?.is_some_and(|n| n != tail) {
                inexact.push(numeric.path.clone());
            }
            Ok(tail)
        }
        None => {
            let id = numeric.id()?;
            if numeric.beyond_float() {
                inexact.push(numeric.path.clone());
            }
            Ok(id)
        }
    }
}

/// Shop money of a money set (`{shop_money: {amount, currency_code}}`), checked to be in
/// `currency`; zero when the set is absent.
fn shop_money(set: &At<'_>, currency: Currency) -> Result<i64, Error> {
    let Some(set) = set.clone().present() else {
        return Ok(0);
    };
    let money = set.get("shop_money");
    let code = money.get("currency_code");
    if let Some(text) = code.text()
        && !text.eq_ignore_ascii_case(currency.code())
    {
        return Err(code.error("currency_mismatch", format!("{text} in a {currency} refund")));
    }
    money.get("amount").money(currency)
}

/// Shop money of `set_key`, or the plain decimal text of `plain_key` when the set is absent.
fn set_or_plain(object: &At<'_>, set_key: &str, plain_key: &str, currency: Currency) -> Result<i64, Error> {
    match object.get(set_key).present() {
        Some(set) => shop_money(&set, currency),
        None => object.get(plain_key).money_or_zero(currency),
    }
}

/// The shop's currency: the first `shop_money` code of the refund, else a transaction's.
fn shop_currency(refund: &At<'_>) -> Result<Currency, Error> {
    let mut candidates = Vec::new();
    for line in refund.get("refund_line_items").items()? {
        candidates.push(line.at("subtotal_set.shop_money.currency_code"));
    }
    for key in ["total_duties_set", "total_additional_fees_set"] {
        candidates.push(refund.at(key).at("shop_money.currency_code"));
    }
    for transaction in refund.get("transactions").items()? {
        candidates.push(transaction.get("currency"));
    }
    candidates.push(refund.get("currency"));
    match candidates.into_iter().find(|c| c.text().is_some()) {
        Some(at) => currency(&at),
        None => Err(refund
            .get("currency")
            .error("currency_missing", "no currency anywhere in the refund")),
    }
}

/// One refund object.
fn refund(at: &At<'_>) -> Result<ChannelRefund, Error> {
    let transactions = at.get("transactions").items()?;
    if transactions
        .iter()
        .any(|t| t.get("kind").text().as_deref() == Some("suggested_refund"))
    {
        return Err(at.error(
            "refund_calculation",
            "a refund calculation moves no money; Ordo quotes refunds itself",
        ));
    }
    let mut inexact = Vec::new();
    let channel_refund_id = exact_id(at, "id", "admin_graphql_api_id", &mut inexact)?;
    let order = at.get("order_id");
    let external_order_id = order.id()?;
    if order.beyond_float() {
        inexact.push(order.path.clone());
    }
    let cur = shop_currency(at)?;

    let mut amount = 0;
    for t in &transactions {
        let kind = t.get("kind").text();
        let status = t.get("status").text();
        if kind.as_deref() != Some("refund") || status.as_deref() != Some("success") {
            continue;
        }
        let code = t.get("currency");
        if let Some(text) = code.text()
            && !text.eq_ignore_ascii_case(cur.code())
        {
            return Err(code.error("currency_mismatch", format!("a {text} transaction on a {cur} refund")));
        }
        amount += t.get("amount").money(cur)?;
    }

    let mut lines = Vec::new();
    for line in at.get("refund_line_items").items()? {
        lines.push(refund_line(&line, cur, &mut inexact)?);
    }

    let mut shipping = 0;
    let shipping_lines = at.get("refund_shipping_lines").items()?;
    for s in &shipping_lines {
        shipping += shop_money(&s.get("subtotal_amount_set"), cur)?;
        let tax = s
            .get("tax_amount_set")
            .present()
            .unwrap_or_else(|| s.get("total_tax_amount_set"));
        shipping += shop_money(&tax, cur)?;
    }
    let mut adjustments = 0;
    for adj in at.get("order_adjustments").items()? {
        let effect = -(adj.get("amount").money_or_zero(cur)? + adj.get("tax_amount").money_or_zero(cur)?);
        match adj.get("kind").text().as_deref() {
            // Newer versions also list shipping refunds as refund shipping lines.
            Some("shipping_refund") if shipping_lines.is_empty() => shipping += effect,
            Some("shipping_refund") => {}
            _ => adjustments += effect,
        }
    }
    let duties = duties(at, cur)? + shop_money(&at.get("total_additional_fees_set"), cur)?;
    let itemised = lines.iter().map(|l| l.amount).sum::<i64>() + shipping + duties + adjustments;
    Ok(ChannelRefund {
        channel_refund_id,
        external_order_id,
        currency: cur.code().to_owned(),
        amount,
        shipping,
        duties,
        lines,
        adjustments,
        itemised,
        note: at.get("note").text(),
        created_at: at
            .get("created_at")
            .time(false)?
            .or(at.get("processed_at").time(false)?),
        inexact_ids: inexact,
    })
}

/// Duties refunded: the stated total, else the sum of the refunded duties.
fn duties(at: &At<'_>, cur: Currency) -> Result<i64, Error> {
    if let Some(total) = at.get("total_duties_set").present() {
        return shop_money(&total, cur);
    }
    at.get("duties")
        .items()?
        .iter()
        .map(|d| shop_money(&d.get("amount_set"), cur))
        .sum()
}

/// One refund line item.
fn refund_line(line: &At<'_>, cur: Currency, inexact: &mut Vec<String>) -> Result<ChannelRefundLine, Error> {
    let quantity_at = line.get("quantity");
    let quantity = quantity_at.integer()?;
    if quantity < 0 {
        return Err(quantity_at.error("invalid_quantity", format!("{quantity} units cannot be refunded")));
    }
    let item = line.get("line_item");
    // The order line's GraphQL id is exact; `line_item_id` may have been rounded.
    let line_id = match gid_tail(&item.get("admin_graphql_api_id")) {
        Some(tail) => {
            let numeric = line.get("line_item_id");
            if numeric.opt_id()?.is_some_and(|n| n != tail) {
                inexact.push(numeric.path.clone());
            }
            Some(tail)
        }
        None => {
            let numeric = line.get("line_item_id");
            if numeric.beyond_float() {
                inexact.push(numeric.path.clone());
            }
            numeric.opt_id()?
        }
    };
    let subtotal = set_or_plain(line, "subtotal_set", "subtotal", cur)?;
    let tax = set_or_plain(line, "total_tax_set", "total_tax", cur)?;
    let restock_at = line.get("restock_type");
    let restock_type = restock_at.text();
    let restock = match restock_type.as_deref() {
        None | Some("no_restock") => false,
        // `cancel`: unfulfilled units go back to available; `return` and the older
        // `legacy_restock`: returned units go back to stock.
        Some("cancel" | "return" | "legacy_restock") => true,
        Some(other) => {
            return Err(restock_at.error(
                "unknown_restock_type",
                format!("{other:?} is not a Shopify restock type"),
            ));
        }
    };
    Ok(ChannelRefundLine {
        line_id,
        sku: item.get("sku").text(),
        quantity,
        amount: subtotal + tax,
        tax,
        restock,
        restock_type,
    })
}
