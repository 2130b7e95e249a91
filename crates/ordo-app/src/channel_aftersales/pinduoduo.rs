//! Pinduoduo after-sales as `pdd.refund.list.increment.get` lists them (under
//! `refund_increment_get_response.refund_list`), read from the platform's documentation:
//! no live sample was available, so the fixtures are written from it and marked so.
//!
//! A record: `id` (the after-sale id), `order_sn` (the order, as the `pinduoduo.order`
//! mapping keys it), `after_sales_type`, `after_sales_status`, `refund_amount` in integer
//! fen, `goods_number`, `sku_id` / `outer_id` (the seller's code: Pinduoduo orders have no
//! line ids, so lines are found by SKU), `updated_time` in Beijing time.
//!
//! `after_sales_type`: 2 仅退款 (refund only), 3 退货退款 (return and refund), 4 换货
//! (exchange), 5 缺货补寄 (reship), 6 维修 (repair, as an exchange).
//!
//! `after_sales_status`: 2, 3 (buyer asked, merchant to decide), 8 (platform deciding), 14
//! and 21 (exchange, reship or repair to agree) → requested; 4, 5 (agreed, refund under
//! way), 15, 18, 22, 27, 31, 32, 33 → approved; 7 (agreed, buyer to send back) →
//! awaiting_return; 6 and 9 (refused) → declined; 10 (退款成功) → refunded; 11 (withdrawn),
//! 12, 13 (buyer overdue), 17 and 24 (failed, closed) → cancelled; 16 and 25 (exchange,
//! reship or repair done) → closed. Money moved at 10 only.

use ordo_core::aftersale::{CaseKind, CaseStatus};
use serde_json::Value;

use super::read::At;
use super::{
    AfterSaleParseError as Error, ChannelAfterSale, ChannelRefund, ChannelRefundLine, ChannelReturn, ChannelReturnLine,
};

/// `after_sales_status` of a refund that succeeded.
const REFUND_SUCCESS: i64 = 10;

/// Reads `aftersale` (one record of `refund_list`) or `aftersales` (the whole answer);
/// `Ok(None)` for other topics.
pub fn parse(topic: &str, payload: &Value) -> Result<Option<ChannelAfterSale>, Error> {
    let root = At::root(payload);
    Ok(Some(match topic {
        "aftersale" => record(&root)?,
        "aftersales" => {
            let list = root.at("refund_increment_get_response.refund_list");
            ChannelAfterSale::Several(list.items()?.iter().map(record).collect::<Result<_, _>>()?)
        }
        _ => return Ok(None),
    }))
}

/// One record: its case, and the refund when the money went back.
pub(super) fn record(at: &At<'_>) -> Result<ChannelAfterSale, Error> {
    let id = at.get("id").id()?;
    let order_sn = at.get("order_sn").id()?;
    let type_at = at.get("after_sales_type").required()?;
    let kind = match type_at.code().map_err(|mut e| {
        e.code = "unknown_type";
        e
    })? {
        (2, _) => CaseKind::RefundOnly,
        (3, _) => CaseKind::ReturnRefund,
        (4 | 6, _) => CaseKind::Exchange,
        (5, _) => CaseKind::Reship,
        (other, _) => {
            return Err(type_at.error("unknown_type", format!("{other} is not a Pinduoduo after-sale type")));
        }
    };
    let status_at = at.get("after_sales_status").required()?;
    let (code, channel_status) = status_at.code()?;
    let status = match code {
        2 | 3 | 8 | 14 | 21 => CaseStatus::Requested,
        4 | 5 | 15 | 18 | 22 | 27 | 31 | 32 | 33 => CaseStatus::Approved,
        7 => CaseStatus::AwaitingReturn,
        6 | 9 => CaseStatus::Declined,
        10 => CaseStatus::Refunded,
        11 | 12 | 13 | 17 | 24 => CaseStatus::Cancelled,
        16 | 25 => CaseStatus::Closed,
        other => {
            return Err(status_at.error(
                "unknown_status",
                format!("{other} is not a Pinduoduo after-sale status"),
            ));
        }
    };
    let amount = match at.get("refund_amount").present() {
        Some(a) => a.fen()?,
        None => 0,
    };
    let quantity = match at.get("goods_number").present() {
        Some(n) => n.integer()?,
        None => 1,
    };
    let sku = at.get("outer_id").text().or(at.get("sku_id").opt_id()?);
    let reason = at.get("after_sales_reason").text();
    let updated_at = at.get("updated_time").beijing_time()?;
    let refund = (code == REFUND_SUCCESS && amount > 0).then(|| ChannelRefund {
        channel_refund_id: id.clone(),
        external_order_id: order_sn.clone(),
        currency: "CNY".into(),
        amount,
        shipping: 0,
        duties: 0,
        lines: vec![ChannelRefundLine {
            line_id: None,
            sku: sku.clone(),
            quantity,
            amount,
            tax: 0,
            restock: false,
            restock_type: None,
        }],
        adjustments: 0,
        itemised: amount,
        note: reason.clone(),
        created_at: updated_at,
        inexact_ids: Vec::new(),
    });
    let case = ChannelReturn {
        channel_case_id: id,
        external_order_id: Some(order_sn),
        channel_status,
        status,
        kind,
        lines: vec![ChannelReturnLine {
            line_id: None,
            sku,
            quantity,
            reason,
        }],
        decline_reason: None,
        decline_note: None,
    };
    Ok(ChannelAfterSale::Case { case, refund })
}
