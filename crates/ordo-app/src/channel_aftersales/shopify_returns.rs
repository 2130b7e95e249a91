//! Shopify returns: the `returns/*` webhooks (the Return object), the label or tracking a
//! `reverse_deliveries/attach_deliverable` adds, and the `reverse_fulfillment_orders/dispose`
//! report of what was done with the goods.
//!
//! Shopify's return states map onto Ordo's: `REQUESTED` → requested, `OPEN` (approved,
//! goods expected back) → awaiting_return, `DECLINED` → declined, `CLOSED` → closed,
//! `CANCELED` → cancelled. A reopened return is `OPEN` again. Samples write them in lower
//! case, the GraphQL schema in upper case; the channel's word is kept as sent.
//!
//! A disposition names a reverse fulfillment order line, which is neither the return's nor
//! the order's line: tying it to an order line takes a look-up at Shopify, so it is kept
//! as its own event ([`ChannelDisposal`]) rather than guessed onto a return.

use ordo_core::aftersale::{CaseKind, CaseStatus, Disposition};

use super::read::At;
use super::shopify::{exact_id, gid_tail};
use super::{
    AfterSaleParseError as Error, ChannelDisposal, ChannelDisposition, ChannelReturn, ChannelReturnLine,
    ChannelReturnShipment, ChannelReturnUpdate,
};

/// The id of an object: its GraphQL id's tail, else its `id`.
fn object_id(at: &At<'_>) -> Result<String, Error> {
    exact_id(at, "id", "admin_graphql_api_id", &mut Vec::new())
}

/// The id of an optional object (absent or null is `None`).
fn opt_object_id(at: &At<'_>) -> Result<Option<String>, Error> {
    match at.clone().present() {
        Some(object) => match gid_tail(&object.get("admin_graphql_api_id")) {
            Some(tail) => Ok(Some(tail)),
            None => object.get("id").opt_id(),
        },
        None => Ok(None),
    }
}

/// A count of at least one unit.
fn units(at: &At<'_>) -> Result<i64, Error> {
    let n = at.integer()?;
    if n < 1 {
        return Err(at.error("invalid_quantity", format!("{n}: must be at least 1")));
    }
    Ok(n)
}

/// A return as `returns/request|approve|decline|close|reopen|cancel` send it.
pub(super) fn case(root: &At<'_>) -> Result<ChannelReturn, Error> {
    let channel_case_id = object_id(root)?;
    let external_order_id = match opt_object_id(&root.get("order"))? {
        Some(id) => Some(id),
        None => root.get("order_id").opt_id()?,
    };
    let status_at = root.get("status").required()?;
    let channel_status = status_at
        .text()
        .ok_or_else(|| status_at.error("unknown_status", "the status is not text"))?;
    let status = match channel_status.to_ascii_lowercase().as_str() {
        "requested" => CaseStatus::Requested,
        "open" => CaseStatus::AwaitingReturn,
        "declined" => CaseStatus::Declined,
        "closed" => CaseStatus::Closed,
        "canceled" | "cancelled" => CaseStatus::Cancelled,
        other => return Err(status_at.error("unknown_status", format!("{other:?} is not a Shopify return status"))),
    };
    let exchanges = root.get("exchange_line_items").items()?.len();
    let stated_exchanges = root.get("total_exchange_line_items").value.as_i64().unwrap_or(0);
    let kind = if exchanges > 0 || stated_exchanges > 0 {
        CaseKind::Exchange
    } else {
        CaseKind::ReturnRefund
    };
    let mut lines = Vec::new();
    for line in root.get("return_line_items").items()? {
        let item = line.at("fulfillment_line_item.line_item");
        lines.push(ChannelReturnLine {
            line_id: opt_object_id(&item)?,
            sku: item.get("sku").text(),
            quantity: units(&line.get("quantity"))?,
            reason: line.get("return_reason").text(),
        });
    }
    let decline = root.get("decline");
    Ok(ChannelReturn {
        channel_case_id,
        external_order_id,
        channel_status,
        status,
        kind,
        lines,
        decline_reason: decline.get("reason").text(),
        decline_note: decline.get("note").text(),
    })
}

/// `returns/update`: return lines taken off (`return_line_items.removals`).
pub(super) fn update(root: &At<'_>) -> Result<ChannelReturnUpdate, Error> {
    let channel_case_id = object_id(root)?;
    let mut removed = Vec::new();
    for removal in root.at("return_line_items.removals").items()? {
        removed.push((object_id(&removal)?, units(&removal.get("delta"))?));
    }
    Ok(ChannelReturnUpdate {
        channel_case_id,
        removed,
    })
}

/// `reverse_deliveries/attach_deliverable`: the carrier, tracking and label of the goods
/// coming back.
pub(super) fn shipment(root: &At<'_>) -> Result<ChannelReturnShipment, Error> {
    let return_at = root.get("return").required()?;
    let deliverable = root.get("shipping_deliverable");
    let tracking = deliverable.get("tracking");
    Ok(ChannelReturnShipment {
        channel_case_id: object_id(&return_at)?,
        channel_delivery_id: object_id(root)?,
        carrier: tracking.get("carrier_name").text(),
        tracking_number: tracking.get("tracking_number").text(),
        tracking_url: tracking.get("tracking_url").text(),
        label_url: deliverable.at("label.public_file_url").text(),
    })
}

/// `reverse_fulfillment_orders/dispose`.
pub(super) fn disposal(root: &At<'_>) -> Result<ChannelDisposal, Error> {
    let channel_reference = object_id(root)?;
    let mut dispositions = Vec::new();
    for d in root.get("dispositions").items()? {
        let type_at = d.get("type").required()?;
        let channel_disposition = type_at.text().unwrap_or_default();
        let disposition = match channel_disposition.to_ascii_lowercase().as_str() {
            "restocked" => Disposition::Restock,
            "processing_required" => Disposition::Quarantine,
            "not_restocked" => Disposition::WriteOff,
            "missing" => Disposition::Missing,
            other => {
                return Err(type_at.error("unknown_disposition", format!("{other:?} is not a Shopify disposition")));
            }
        };
        dispositions.push(ChannelDisposition {
            line_id: opt_object_id(&d.get("reverse_fulfillment_order_line_item"))?,
            sku: None,
            quantity: units(&d.get("quantity"))?,
            disposition,
            channel_disposition,
            location_id: opt_object_id(&d.get("location"))?,
        });
    }
    Ok(ChannelDisposal {
        channel_reference,
        dispositions,
    })
}
