//! After-sale events as the channels send them (refunds, returns, dispositions), turned
//! into Ordo's terms without deciding anything: pure functions over a payload, no IO.
//!
//! Money is integer minor units read from decimal text ([`ordo_core::money::Money::parse`]);
//! an amount sent as a JSON number is refused (`money_not_text`) because it has already
//! been through a float. Ids are the same ones the order mappings key orders and lines by
//! (`crates/ordo-mapping/mappings/*.order.toml`), so a refund finds its order and lines:
//! for Shopify the numeric tail of the GraphQL id where there is one, since numeric ids can
//! exceed 2^53 and arrive rounded; for WooCommerce the order line a refund line refunds
//! (`_refunded_item_id`), not the refund line's own id.
//!
//! A refund keeps both the money that moved (`amount`) and what its parts add up to
//! (`itemised`); a difference is for review ([`ChannelRefund::mismatch`]), never resolved
//! here. What the channel says about restocking is advice: stock moves on receipt only.

pub mod amazon;
pub mod apply;
pub mod douyin;
pub mod pinduoduo;
pub mod shopify;
mod shopify_returns;
pub mod taobao;
pub mod woocommerce;

mod read;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use ordo_core::aftersale::{CaseKind, CaseStatus, Disposition};
use serde::Serialize;

/// Why a payload could not be read. `code` is stable; `path` is the JSON path of the value
/// at fault (empty for the payload itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} at {path}: {message}")]
pub struct AfterSaleParseError {
    /// Stable code: `missing_field`, `invalid_id`, `money_not_text`, `invalid_money`,
    /// `invalid_quantity`, `invalid_time`, `invalid_shape`, `currency_missing`,
    /// `invalid_currency`, `currency_mismatch`, `unknown_status`, `unknown_restock_type`,
    /// `unknown_disposition`, `unknown_type`, `refund_calculation`, `order_id_missing`,
    /// `unsupported_platform`.
    pub code: &'static str,
    /// Where, e.g. `refund_line_items[0].subtotal_set.shop_money.amount`.
    pub path: String,
    /// What was wrong, for people.
    pub message: String,
}

/// Money given back on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelRefund {
    /// The channel's refund id.
    pub channel_refund_id: String,
    /// The order's id as Ordo keys it.
    pub external_order_id: String,
    /// ISO 4217 code of every amount here.
    pub currency: String,
    /// Money that went back, minor units: what the channel's payment records say moved
    /// (Shopify: successful refund transactions; WooCommerce: the refund's `amount`).
    pub amount: i64,
    /// Shipping refunded, tax included.
    pub shipping: i64,
    /// Duties and additional fees refunded.
    pub duties: i64,
    /// Per line refunded.
    pub lines: Vec<ChannelRefundLine>,
    /// Other adjustments, signed as they change the refund (positive adds money back;
    /// Shopify's refund discrepancies, WooCommerce fee lines).
    pub adjustments: i64,
    /// What the parts add up to: lines + shipping + duties + adjustments.
    pub itemised: i64,
    /// The merchant's or buyer's note.
    pub note: Option<String>,
    /// When the refund was made.
    pub created_at: Option<DateTime<Utc>>,
    /// JSON paths of ids that came only as numbers beyond 2^53, or as numbers that
    /// disagree with the exact GraphQL id beside them: a float rounded them somewhere, so
    /// matching them to stored orders needs care.
    pub inexact_ids: Vec<String>,
}

impl ChannelRefund {
    /// Both figures when the money that moved is not what the parts add up to.
    pub fn mismatch(&self) -> Option<RefundMismatch> {
        (self.amount != self.itemised).then_some(RefundMismatch {
            refunded: self.amount,
            itemised: self.itemised,
        })
    }
}

/// A refund whose money and parts disagree, kept for review with both figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RefundMismatch {
    /// Money that went back.
    pub refunded: i64,
    /// What the parts add up to.
    pub itemised: i64,
}

/// One order line of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelRefundLine {
    /// The order line's id as Ordo keys it.
    pub line_id: Option<String>,
    /// The SKU, when the channel says.
    pub sku: Option<String>,
    /// Units refunded (positive).
    pub quantity: i64,
    /// Money refunded for the line, tax included (positive).
    pub amount: i64,
    /// Of which tax.
    pub tax: i64,
    /// The channel's advice to restock; stock moves on receipt only.
    pub restock: bool,
    /// The channel's restocking word verbatim (Shopify `restock_type`).
    pub restock_type: Option<String>,
}

/// A return case as the channel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelReturn {
    /// The channel's case id.
    pub channel_case_id: String,
    /// The order's id as Ordo keys it, when the event names it.
    pub external_order_id: Option<String>,
    /// The channel's status verbatim.
    pub channel_status: String,
    /// The same, in Ordo's terms.
    pub status: CaseStatus,
    /// Return, or exchange when something goes out in return.
    pub kind: CaseKind,
    /// Lines asked back (absent from some events: an empty list says nothing).
    pub lines: Vec<ChannelReturnLine>,
    /// Why the merchant declined: the channel's reason verbatim.
    pub decline_reason: Option<String>,
    /// The note sent with a decline.
    pub decline_note: Option<String>,
}

/// One line of a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelReturnLine {
    /// The order line's id as Ordo keys it.
    pub line_id: Option<String>,
    /// The SKU, when the channel says.
    pub sku: Option<String>,
    /// Units asked back.
    pub quantity: i64,
    /// The buyer's reason verbatim.
    pub reason: Option<String>,
}

/// Lines taken off a return after it was opened (Shopify `returns/update`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelReturnUpdate {
    /// The channel's case id.
    pub channel_case_id: String,
    /// Return line id (the channel's, not the order line's) and units removed.
    pub removed: Vec<(String, i64)>,
}

/// A return label or the buyer's tracking attached to a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelReturnShipment {
    /// The channel's case id.
    pub channel_case_id: String,
    /// The channel's id of the delivery.
    pub channel_delivery_id: String,
    /// Carrier name verbatim.
    pub carrier: Option<String>,
    /// Tracking number.
    pub tracking_number: Option<String>,
    /// Tracking page.
    pub tracking_url: Option<String>,
    /// Label file.
    pub label_url: Option<String>,
}

/// What the channel did with goods that came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelDisposal {
    /// The channel's id of what was disposed of (Shopify: a reverse fulfillment order,
    /// which names neither the return nor the order; the channel must be asked for those).
    pub channel_reference: String,
    /// Per line.
    pub dispositions: Vec<ChannelDisposition>,
}

/// Units of one line and what was done with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelDisposition {
    /// The channel's line id (Shopify: a reverse fulfillment order line, not an order line).
    pub line_id: Option<String>,
    /// The SKU, when the channel says.
    pub sku: Option<String>,
    /// Units.
    pub quantity: i64,
    /// In Ordo's terms.
    pub disposition: Disposition,
    /// The channel's word verbatim.
    pub channel_disposition: String,
    /// The channel's location id, where restocked.
    pub location_id: Option<String>,
}

/// An after-sale event from a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChannelAfterSale {
    /// One refund.
    Refund(ChannelRefund),
    /// Several (a fetched list).
    Refunds(Vec<ChannelRefund>),
    /// A return opened or moved.
    Return(ChannelReturn),
    /// Lines taken off a return.
    ReturnUpdate(ChannelReturnUpdate),
    /// A label or tracking for goods coming back.
    ReturnShipment(ChannelReturnShipment),
    /// Returned goods disposed of.
    Disposed(ChannelDisposal),
    /// A Chinese platform's after-sale record: its case as the platform states it, and
    /// the refund when money went back.
    Case {
        /// The case, with the platform's status verbatim.
        case: ChannelReturn,
        /// The money that went back, when it did.
        refund: Option<ChannelRefund>,
    },
    /// Several events (a fetched list of after-sale records).
    Several(Vec<ChannelAfterSale>),
}

/// Reads `payload` of `topic` from `platform` (`shopify`, `woocommerce`, `taobao`,
/// `douyin`, `pinduoduo`); `Ok(None)` for topics that are not after-sale. Besides the
/// webhook topics, `refund` and `refunds` name a refund and a list of refunds fetched over
/// REST; for the Chinese platforms `aftersale` names one polled after-sale record and
/// `aftersales` a list call's answer (see each platform's module). WooCommerce refunds carry neither
/// their order's currency nor always its id: see [`woocommerce::parse_with_order`].
pub fn parse(
    platform: &str,
    topic: &str,
    payload: &serde_json::Value,
) -> Result<Option<ChannelAfterSale>, AfterSaleParseError> {
    match platform {
        "shopify" => shopify::parse(topic, payload),
        "woocommerce" => woocommerce::parse_with_order(topic, payload, None, None),
        "taobao" => taobao::parse(topic, payload),
        "douyin" => douyin::parse(topic, payload),
        "pinduoduo" => pinduoduo::parse(topic, payload),
        other => Err(AfterSaleParseError {
            code: "unsupported_platform",
            path: String::new(),
            message: format!("no after-sale reading for {other:?}"),
        }),
    }
}
