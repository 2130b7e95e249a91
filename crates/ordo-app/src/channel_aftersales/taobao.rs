//! Taobao / Tmall refunds as `taobao.refunds.receive.get` lists them (and
//! `taobao.refund.get` returns one), read from the platform's documentation: no live
//! sample was available, so the fixtures are written from it and marked so.
//!
//! A refund (退款单) is one order line's (`oid`) after-sale on a trade (`tid`): the keys the
//! `taobao.order` mapping gives orders and lines. Its `status`:
//!
//! | status | meaning | Ordo |
//! |---|---|---|
//! | `WAIT_SELLER_AGREE` | buyer asked, seller to agree | requested |
//! | `WAIT_BUYER_RETURN_GOODS` | agreed, buyer to send the goods back | awaiting_return |
//! | `WAIT_SELLER_CONFIRM_GOODS` | goods sent back, seller to confirm receipt | awaiting_return |
//! | `SELLER_REFUSE_BUYER` | seller refused | declined |
//! | `CLOSED` | withdrawn or timed out | cancelled |
//! | `SUCCESS` | money went back | refunded |
//!
//! `has_good_return` says whether goods come back (退货退款) or not (仅退款).
//! `refund_fee` is yuan as decimal text; money moved only at `SUCCESS`, so only then is
//! there a refund beside the case. `modified` is Beijing time.

use ordo_core::aftersale::{CaseKind, CaseStatus};
use serde_json::Value;

use super::read::At;
use super::{
    AfterSaleParseError as Error, ChannelAfterSale, ChannelRefund, ChannelRefundLine, ChannelReturn, ChannelReturnLine,
};

/// Reads `refund` (one refund object, or `taobao.refund.get`'s answer) or `refunds`
/// (`taobao.refunds.receive.get`'s answer); `Ok(None)` for other topics.
pub fn parse(topic: &str, payload: &Value) -> Result<Option<ChannelAfterSale>, Error> {
    let root = At::root(payload);
    Ok(Some(match topic {
        "refund" | "aftersale" => {
            let refund = match root.get("refund_get_response").present() {
                Some(envelope) => envelope.get("refund").required()?,
                None => root,
            };
            record(&refund)?
        }
        "refunds" => {
            let list = root.at("refunds_receive_get_response.refunds.refund");
            ChannelAfterSale::Several(list.items()?.iter().map(record).collect::<Result<_, _>>()?)
        }
        _ => return Ok(None),
    }))
}

/// One refund object: its case, and the refund when the money went back.
pub(super) fn record(at: &At<'_>) -> Result<ChannelAfterSale, Error> {
    let refund_id = at.get("refund_id").id()?;
    let tid = at.get("tid").id()?;
    let oid = at.get("oid").opt_id()?;
    let status_at = at.get("status").required()?;
    let channel_status = status_at
        .text()
        .ok_or_else(|| status_at.error("unknown_status", "the status is not text"))?;
    let status = match channel_status.as_str() {
        "WAIT_SELLER_AGREE" => CaseStatus::Requested,
        "WAIT_BUYER_RETURN_GOODS" | "WAIT_SELLER_CONFIRM_GOODS" => CaseStatus::AwaitingReturn,
        "SELLER_REFUSE_BUYER" => CaseStatus::Declined,
        "CLOSED" => CaseStatus::Cancelled,
        "SUCCESS" => CaseStatus::Refunded,
        other => return Err(status_at.error("unknown_status", format!("{other:?} is not a Taobao refund status"))),
    };
    let goods_back = match at.get("has_good_return").value {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) if s == "true" || s == "false" => s == "true",
        other => {
            return Err(at
                .get("has_good_return")
                .error("invalid_shape", format!("{other} is not true or false")));
        }
    };
    let kind = if goods_back {
        CaseKind::ReturnRefund
    } else {
        CaseKind::RefundOnly
    };
    let amount = at.get("refund_fee").required()?.money(super::read::cny())?;
    let quantity = match at.get("num").present() {
        Some(num) => num.integer()?,
        None => 1,
    };
    let sku = at.get("outer_id").text().or(at.get("sku").text());
    let reason = at.get("reason").text();
    let case = ChannelReturn {
        channel_case_id: refund_id.clone(),
        external_order_id: Some(tid.clone()),
        channel_status,
        status,
        kind,
        lines: vec![ChannelReturnLine {
            line_id: oid.clone(),
            sku: sku.clone(),
            quantity,
            reason: reason.clone(),
        }],
        decline_reason: None,
        decline_note: None,
    };
    let refund = (status == CaseStatus::Refunded).then(|| ChannelRefund {
        channel_refund_id: refund_id,
        external_order_id: tid,
        currency: "CNY".to_owned(),
        amount,
        shipping: 0,
        duties: 0,
        lines: vec![ChannelRefundLine {
            line_id: oid,
            sku,
            quantity,
            amount,
            tax: 0,
            restock: false,
            restock_type: None,
        }],
        adjustments: 0,
        itemised: amount,
        note: reason,
        created_at: None,
        inexact_ids: Vec::new(),
    });
    let refund = match refund {
        Some(mut r) => {
            r.created_at = at.get("modified").beijing_time()?;
            Some(r)
        }
        None => {
            at.get("modified").beijing_time()?;
            None
        }
    };
    Ok(ChannelAfterSale::Case { case, refund })
}
