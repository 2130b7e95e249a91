//! WooCommerce refunds, as the REST API (wc/v3) returns them: one refund (`refund`) or a
//! list of an order's refunds (`refunds`, a bare JSON array).
//!
//! WooCommerce has no refund webhook topic: its topics are `order.*`, `product.*`,
//! `customer.*` and `coupon.*` (plus `action.*` hooks, whose body names only the order),
//! and an `order.updated` body lists refunds only as `{id, reason, total}`. So refunds are
//! fetched, and any other topic is `Ok(None)` here.
//!
//! A refund object carries neither its order's currency nor its order id (only inside
//! `_links.up`), so both can be given ([`parse_with_order`]). WooCommerce writes refunded
//! lines negative (`quantity: -1`, `total: "-9.00"`); they are turned positive here by
//! negation, so a line written with the wrong sign shows as a mismatch against `amount`
//! instead of being hidden. A refund line names the order line it refunds in its
//! `_refunded_item_id` meta; that, not the refund line's own id, is the order's line id.

use ordo_core::money::Currency;
use serde_json::Value;

use super::read::{At, currency};
use super::{AfterSaleParseError as Error, ChannelAfterSale, ChannelRefund, ChannelRefundLine};

/// Reads a WooCommerce refund payload for an order whose id and currency the caller knows
/// (`None`: taken from the payload — `order_id`, `_links.up`, `currency` — or refused as
/// `order_id_missing` / `currency_missing`). `Ok(None)` for topics that are not refunds.
pub fn parse_with_order(
    topic: &str,
    payload: &Value,
    order_id: Option<&str>,
    currency_code: Option<&str>,
) -> Result<Option<ChannelAfterSale>, Error> {
    let root = At::root(payload);
    Ok(Some(match topic {
        "refund" => ChannelAfterSale::Refund(refund(&root, order_id, currency_code)?),
        "refunds" => ChannelAfterSale::Refunds(
            root.items()?
                .iter()
                .map(|r| refund(r, order_id, currency_code))
                .collect::<Result<_, _>>()?,
        ),
        _ => return Ok(None),
    }))
}

/// The order id from the refund: `order_id`, else the `/orders/{id}` of `_links.up`.
fn order_of(at: &At<'_>) -> Result<String, Error> {
    if let Some(id) = at.get("order_id").opt_id()? {
        return Ok(id);
    }
    let up = at.get("_links").get("up");
    for link in up.items()? {
        if let Some(href) = link.get("href").text()
            && let Some((_, tail)) = href.rsplit_once("/orders/")
            && !tail.is_empty()
            && tail.bytes().all(|b| b.is_ascii_digit())
        {
            return Ok(tail.to_owned());
        }
    }
    Err(at.get("order_id").error(
        "order_id_missing",
        "a WooCommerce refund does not name its order; pass the order id",
    ))
}

/// Money WooCommerce writes negative, as a positive amount.
fn refunded(at: &At<'_>, cur: Currency) -> Result<i64, Error> {
    Ok(-at.money_or_zero(cur)?)
}

fn refund(at: &At<'_>, order_id: Option<&str>, currency_code: Option<&str>) -> Result<ChannelRefund, Error> {
    let channel_refund_id = at.get("id").id()?;
    let external_order_id = match order_id {
        Some(id) => id.to_owned(),
        None => order_of(at)?,
    };
    let cur = match currency_code {
        Some(code) => Currency::parse(code).map_err(|e| Error {
            code: "invalid_currency",
            path: String::new(),
            message: e,
        })?,
        None => currency(&at.get("currency")).map_err(|mut e| {
            if e.code == "currency_missing" {
                e.message = "a WooCommerce refund does not carry its order's currency; pass it".to_owned();
            }
            e
        })?,
    };
    let amount = at.get("amount").required()?.money(cur)?;

    let mut lines = Vec::new();
    for line in at.get("line_items").items()? {
        lines.push(refund_line(&line, cur)?);
    }
    let mut shipping = 0;
    for s in at.get("shipping_lines").items()? {
        shipping += refunded(&s.get("total"), cur)? + refunded(&s.get("total_tax"), cur)?;
    }
    let mut adjustments = 0;
    for fee in at.get("fee_lines").items()? {
        adjustments += refunded(&fee.get("total"), cur)? + refunded(&fee.get("total_tax"), cur)?;
    }
    let itemised = lines.iter().map(|l| l.amount).sum::<i64>() + shipping + adjustments;
    Ok(ChannelRefund {
        channel_refund_id,
        external_order_id,
        currency: cur.code().to_owned(),
        amount,
        shipping,
        duties: 0,
        lines,
        adjustments,
        itemised,
        note: at.get("reason").text(),
        // `date_created` is the shop's local time in an unstated zone; only the GMT one is
        // a time.
        created_at: at.get("date_created_gmt").time(true)?,
        inexact_ids: Vec::new(),
    })
}

fn refund_line(line: &At<'_>, cur: Currency) -> Result<ChannelRefundLine, Error> {
    let quantity_at = line.get("quantity");
    let quantity = quantity_at
        .integer()?
        .checked_neg()
        .filter(|q| *q >= 0)
        .ok_or_else(|| {
            quantity_at.error(
                "invalid_quantity",
                format!("{}: WooCommerce writes refunded units negative", quantity_at.value),
            )
        })?;
    let mut line_id = None;
    for meta in line.get("meta_data").items()? {
        if meta.get("key").text().as_deref() == Some("_refunded_item_id") {
            line_id = meta.get("value").opt_id()?;
        }
    }
    // As the order mapping does: a product without a SKU is known by its product id.
    let sku = line
        .get("sku")
        .text()
        .or(line.get("product_id").opt_id()?.filter(|id| id != "0"));
    let total = refunded(&line.get("total"), cur)?;
    let tax = refunded(&line.get("total_tax"), cur)?;
    Ok(ChannelRefundLine {
        line_id,
        sku,
        quantity,
        amount: total + tax,
        tax,
        restock: false,
        restock_type: None,
    })
}
