//! Douyin shop (抖店) after-sales as `afterSale/List` lists them, read from the platform's
//! documentation: no live sample was available, so the fixtures are written from it and
//! marked so.
//!
//! Each entry of `data.items` holds `aftersale_info` (the after-sale: `aftersale_id`,
//! `aftersale_type`, `aftersale_status`, `refund_status`, `refund_amount` and
//! `refund_post_amount` in integer fen, `update_time` in epoch seconds, `related_id` the
//! SKU order it concerns) and `order_info` (`shop_order_id` and, per SKU order,
//! `related_order_info[].sku_order_id` with `aftersale_item_num`). The `douyin.order`
//! mapping keys orders by the shop order id and lines by the SKU order id.
//!
//! `aftersale_type`: 0 退货退款 (return and refund), 1 已发货仅退款 and 2 未发货仅退款
//! (refund only, shipped or not), 3 换货 (exchange), 6 价保 (price protection: money only),
//! 7 补寄 (reship), 8 维修 (repair: the goods come back and go out again, as an exchange).
//!
//! `aftersale_status`: 6 待商家同意 → requested; 7 待买家退货 → awaiting_return; 8 待商家发货
//! → approved; 11 待商家二次同意 (the goods are back; the second approval, after receipt)
//! → received; 12 售后成功 → refunded (money kinds) or closed; 3 and 13 换货待买家收货 →
//! approved; 14 换货成功 → closed; 27 商家一次拒绝 and 29 商家二次拒绝 → declined; 28 售后失败
//! (including the buyer withdrawing) → cancelled. The code is kept verbatim as the case's
//! channel status.
//!
//! Money moved when `refund_status` is 3 (退款成功); only then is there a refund.

use ordo_core::aftersale::{CaseKind, CaseStatus};
use serde_json::Value;

use super::read::At;
use super::{
    AfterSaleParseError as Error, ChannelAfterSale, ChannelRefund, ChannelRefundLine, ChannelReturn, ChannelReturnLine,
};

/// `refund_status` of money that went back.
const REFUND_SUCCESS: i64 = 3;

/// Reads `aftersale` (one entry of `data.items`) or `aftersales` (the whole answer of
/// `afterSale/List`); `Ok(None)` for other topics.
pub fn parse(topic: &str, payload: &Value) -> Result<Option<ChannelAfterSale>, Error> {
    let root = At::root(payload);
    Ok(Some(match topic {
        "aftersale" => record(&root)?,
        "aftersales" => {
            let items = root.at("data.items");
            ChannelAfterSale::Several(items.items()?.iter().map(record).collect::<Result<_, _>>()?)
        }
        _ => return Ok(None),
    }))
}

fn kind_of(at: &At<'_>) -> Result<CaseKind, Error> {
    let (code, _) = at.code().map_err(|mut e| {
        if e.code == "unknown_status" {
            e.code = "unknown_type";
        }
        e
    })?;
    Ok(match code {
        0 => CaseKind::ReturnRefund,
        1 | 2 | 6 => CaseKind::RefundOnly,
        3 | 8 => CaseKind::Exchange,
        7 => CaseKind::Reship,
        other => return Err(at.error("unknown_type", format!("{other} is not a Douyin after-sale type"))),
    })
}

fn status_of(at: &At<'_>, kind: CaseKind) -> Result<(CaseStatus, String), Error> {
    let (code, word) = at.code()?;
    let status = match code {
        6 => CaseStatus::Requested,
        7 => CaseStatus::AwaitingReturn,
        8 | 3 | 13 => CaseStatus::Approved,
        11 => CaseStatus::Received,
        12 if matches!(kind, CaseKind::RefundOnly | CaseKind::ReturnRefund) => CaseStatus::Refunded,
        12 | 14 => CaseStatus::Closed,
        27 | 29 => CaseStatus::Declined,
        28 => CaseStatus::Cancelled,
        other => return Err(at.error("unknown_status", format!("{other} is not a Douyin after-sale status"))),
    };
    Ok((status, word))
}

/// One entry of `data.items`: its case, and the refund when the money went back.
pub(super) fn record(item: &At<'_>) -> Result<ChannelAfterSale, Error> {
    let info = item.get("aftersale_info").required()?;
    let order = item.get("order_info");
    let aftersale_id = info.get("aftersale_id").id()?;
    let order_id = match order.get("shop_order_id").opt_id()? {
        Some(id) => id,
        None => info.get("order_id").id()?,
    };
    let kind = kind_of(&info.get("aftersale_type").required()?)?;
    let (status, channel_status) = status_of(&info.get("aftersale_status").required()?, kind)?;
    let amount = match info.get("refund_amount").present() {
        Some(at) => at.fen()?,
        None => 0,
    };
    let shipping = match info.get("refund_post_amount").present() {
        Some(at) => at.fen()?,
        None => 0,
    };
    let refunded = match info.get("refund_status").present() {
        Some(at) => at.code()?.0 == REFUND_SUCCESS,
        None => false,
    };
    let updated_at = info.get("update_time").beijing_time()?;
    let reason = info.get("reason").text().or(item.at("text_part.reason_text").text());

    // The SKU orders concerned, with their units; else the one `related_id` names.
    let mut lines = Vec::new();
    for line in order.get("related_order_info").items()? {
        let quantity = match line.get("aftersale_item_num").present() {
            Some(n) => n.integer()?,
            None => match line.get("item_num").present() {
                Some(n) => n.integer()?,
                None => 1,
            },
        };
        if quantity < 1 {
            return Err(line
                .get("aftersale_item_num")
                .error("invalid_quantity", format!("{quantity}: must be at least 1")));
        }
        lines.push(ChannelReturnLine {
            line_id: line.get("sku_order_id").opt_id()?,
            sku: line.get("shop_sku_code").text(),
            quantity,
            reason: reason.clone(),
        });
    }
    if lines.is_empty()
        && let Some(id) = info.get("related_id").opt_id()?
    {
        let quantity = match info.get("aftersale_num").present() {
            Some(n) => n.integer()?,
            None => 1,
        };
        lines.push(ChannelReturnLine {
            line_id: Some(id),
            sku: None,
            quantity,
            reason: reason.clone(),
        });
    }

    let refund = (refunded && amount + shipping > 0).then(|| {
        // The goods' money spread over the lines by units, the first taking the remainder.
        let units: i64 = lines.iter().map(|l| l.quantity).sum::<i64>().max(1);
        let mut left = amount;
        let mut refund_lines: Vec<ChannelRefundLine> = lines
            .iter()
            .map(|l| {
                let share = amount * l.quantity / units;
                left -= share;
                ChannelRefundLine {
                    line_id: l.line_id.clone(),
                    sku: l.sku.clone(),
                    quantity: if kind == CaseKind::ReturnRefund || kind == CaseKind::RefundOnly {
                        l.quantity
                    } else {
                        0
                    },
                    amount: share,
                    tax: 0,
                    restock: false,
                    restock_type: None,
                }
            })
            .collect();
        if let Some(first) = refund_lines.first_mut() {
            first.amount += left;
        }
        let itemised = refund_lines.iter().map(|l| l.amount).sum::<i64>() + shipping;
        ChannelRefund {
            channel_refund_id: aftersale_id.clone(),
            external_order_id: order_id.clone(),
            currency: "CNY".into(),
            amount: amount + shipping,
            shipping,
            duties: 0,
            lines: refund_lines,
            adjustments: 0,
            itemised: if lines.is_empty() { amount + shipping } else { itemised },
            note: reason.clone(),
            created_at: updated_at,
            inexact_ids: Vec::new(),
        }
    });
    let case = ChannelReturn {
        channel_case_id: aftersale_id,
        external_order_id: Some(order_id),
        channel_status,
        status,
        kind,
        lines,
        decline_reason: None,
        decline_note: None,
    };
    Ok(ChannelAfterSale::Case { case, refund })
}
