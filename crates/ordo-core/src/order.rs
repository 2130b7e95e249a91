//! The canonical order: what every channel's payload becomes once it is inside Ordo.
//!
//! An [`Order`] is always valid (built only by [`crate::input::OrderInput::validate`]);
//! money is held in minor units of the order's one currency.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, ExternalOrderId, Quantity, Sku};
use crate::money::{Currency, Money};

/// Payment state as the channel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FinancialStatus {
    /// Not paid yet.
    Pending,
    /// Payment authorised, not captured.
    Authorized,
    /// Paid in full.
    Paid,
    /// Paid in part.
    PartiallyPaid,
    /// Paid, then refunded in part.
    PartiallyRefunded,
    /// Paid, then refunded in full.
    Refunded,
    /// Payment voided before capture.
    Voided,
}

impl FinancialStatus {
    /// All values, for messages that list the accepted ones.
    pub const ALL: [FinancialStatus; 7] = [
        Self::Pending,
        Self::Authorized,
        Self::Paid,
        Self::PartiallyPaid,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Voided,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Paid => "paid",
            Self::PartiallyPaid => "partially_paid",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Where an order is in its life. The default workflow's states; which moves are allowed
/// is decided by the workflow, not by this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, waiting for payment.
    PendingPayment,
    /// Paid, waiting for review and allocation.
    Paid,
    /// Held for a person or a rule.
    OnHold,
    /// Stock reserved and a warehouse chosen.
    Allocated,
    /// Handed to the warehouse.
    SentToWarehouse,
    /// Being picked.
    Picking,
    /// Packed.
    Packed,
    /// Left the warehouse.
    Shipped,
    /// With the carrier.
    InTransit,
    /// Delivered to the buyer.
    Delivered,
    /// Closed.
    Completed,
    /// Cancelled before shipment.
    Cancelled,
    /// The buyer asked to return.
    ReturnRequested,
    /// Goods came back.
    Returned,
    /// Money went back.
    Refunded,
}

impl OrderStatus {
    /// All states.
    pub const ALL: [OrderStatus; 15] = [
        Self::PendingPayment,
        Self::Paid,
        Self::OnHold,
        Self::Allocated,
        Self::SentToWarehouse,
        Self::Picking,
        Self::Packed,
        Self::Shipped,
        Self::InTransit,
        Self::Delivered,
        Self::Completed,
        Self::Cancelled,
        Self::ReturnRequested,
        Self::Returned,
        Self::Refunded,
    ];

    /// The wire name, also stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::OnHold => "on_hold",
            Self::Allocated => "allocated",
            Self::SentToWarehouse => "sent_to_warehouse",
            Self::Picking => "picking",
            Self::Packed => "packed",
            Self::Shipped => "shipped",
            Self::InTransit => "in_transit",
            Self::Delivered => "delivered",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::ReturnRequested => "return_requested",
            Self::Returned => "returned",
            Self::Refunded => "refunded",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The state a new order starts in, from what the channel says of its payment.
    pub fn initial(order: &Order) -> Self {
        if order.cancelled_at.is_some() {
            return Self::Cancelled;
        }
        match order.financial_status {
            FinancialStatus::Pending | FinancialStatus::Authorized => Self::PendingPayment,
            FinancialStatus::Paid | FinancialStatus::PartiallyPaid | FinancialStatus::PartiallyRefunded => Self::Paid,
            FinancialStatus::Refunded => Self::Refunded,
            FinancialStatus::Voided => Self::Cancelled,
        }
    }

    /// True once the goods have left (or the order ended), after which a channel update
    /// can no longer cancel it.
    pub fn is_past_shipment(self) -> bool {
        matches!(
            self,
            Self::Shipped
                | Self::InTransit
                | Self::Delivered
                | Self::Completed
                | Self::ReturnRequested
                | Self::Returned
                | Self::Refunded
        )
    }
}

/// Who bought.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Buyer {
    /// The channel's buyer id.
    pub id: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone, as given.
    pub phone: Option<String>,
}

/// Where the goods go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Recipient.
    pub name: String,
    /// Recipient's phone, as given.
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// Province or state.
    pub province: Option<String>,
    /// City.
    pub city: Option<String>,
    /// District or county.
    pub district: Option<String>,
    /// First address line.
    pub line1: String,
    /// Second address line.
    pub line2: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// One line of an order. Amounts are minor units of the order's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// The channel's line id, when it has one.
    pub line_id: Option<String>,
    /// What was sold.
    pub sku: Sku,
    /// Product title as the channel showed it.
    pub title: Option<String>,
    /// Units.
    pub quantity: Quantity,
    /// Price of one unit.
    pub unit_price: i64,
    /// Discount on the whole line.
    pub discount: i64,
    /// Tax on the whole line.
    pub tax: i64,
    /// False for what nothing is shipped for (digital goods, services, gift cards): such a
    /// line needs no address and no warehouse.
    pub requires_shipping: bool,
}

impl OrderLine {
    /// `unit_price × quantity − discount`, before tax.
    pub fn net(&self) -> i64 {
        self.unit_price * i64::from(self.quantity.get()) - self.discount
    }
}

/// A discount on the whole order beyond what its lines carry (a coupon on the basket, a
/// shipping discount). Discounts the platform spreads onto lines belong on the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDiscount {
    /// The coupon or promotion code, when there is one.
    pub code: Option<String>,
    /// What the platform calls it.
    pub title: Option<String>,
    /// Minor units taken off.
    pub amount: i64,
}

/// One tax the platform itemises for the whole order (e.g. "CA State Tax 6.25%").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxLine {
    /// The tax's name.
    pub title: Option<String>,
    /// The rate as the platform states it, a decimal fraction such as `"0.0625"`.
    pub rate: Option<String>,
    /// Minor units of tax.
    pub amount: i64,
}

/// A charge besides goods and shipping: handling, cash on delivery, gift wrap, a payment
/// surcharge. A platform's negative fee (a manual reduction) is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fee {
    /// The platform's kind of fee, e.g. `cod`, `handling`, `gift_wrap`.
    pub kind: Option<String>,
    /// What the platform calls it.
    pub title: Option<String>,
    /// Minor units charged (negative for a reduction).
    pub amount: i64,
}

/// Where the platform rounds tax, which decides which figures add up to its total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxRounding {
    /// Each line's tax is rounded, and the order's tax is their sum (Shopify, most
    /// marketplaces). Order tax lines, when given, are a breakdown.
    #[default]
    PerLine,
    /// The order's tax is rounded once per tax (WooCommerce by default, many EU shops):
    /// the order tax lines are the tax, and line taxes are how it is spread.
    PerOrder,
}

impl TaxRounding {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerLine => "per_line",
            Self::PerOrder => "per_order",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::PerLine, Self::PerOrder].into_iter().find(|r| r.as_str() == text)
    }

    /// What an order that does not say means: order tax lines, when given, are the tax.
    pub fn implied(has_tax_lines: bool) -> Self {
        if has_tax_lines { Self::PerOrder } else { Self::PerLine }
    }
}

/// Totals computed from the order's parts; the platform's stated total is kept beside
/// them, never used instead of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Sum of `unit_price × quantity`.
    pub items: i64,
    /// Sum of line discounts.
    pub discount: i64,
    /// Sum of order-level discounts.
    pub order_discount: i64,
    /// The order's tax (see [`TaxRounding`]).
    pub tax: i64,
    /// Shipping fee.
    pub shipping: i64,
    /// Sum of fees and surcharges.
    pub fees: i64,
    /// Tip.
    pub tip: i64,
    /// What the buyer pays.
    pub total: i64,
}

/// The canonical order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Sales channel.
    pub channel: ChannelId,
    /// The channel's order number.
    pub external_id: ExternalOrderId,
    /// When the buyer placed it, in UTC.
    pub placed_at: DateTime<Utc>,
    /// When the channel last changed it, if it says; used to ignore stale deliveries.
    pub updated_at: Option<DateTime<Utc>>,
    /// The one currency of every amount in the order.
    pub currency: Currency,
    /// Payment state.
    pub financial_status: FinancialStatus,
    /// When the channel cancelled it.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Buyer.
    pub buyer: Buyer,
    /// Destination; absent when the platform withholds it (Amazon's restricted data) or
    /// nothing ships. An order that ships without one is held for it, never refused.
    pub shipping_address: Option<Address>,
    /// Lines; never empty.
    pub lines: Vec<OrderLine>,
    /// Shipping fee in minor units.
    pub shipping_fee: i64,
    /// Whether line prices already include tax (usual in China and the EU).
    pub taxes_included: bool,
    /// Order-level discounts, beyond the lines' own.
    pub discounts: Vec<OrderDiscount>,
    /// Order-level taxes as the platform itemises them.
    pub tax_lines: Vec<TaxLine>,
    /// Where the platform rounds tax.
    pub tax_rounding: TaxRounding,
    /// Fees and surcharges.
    pub fees: Vec<Fee>,
    /// The buyer's tip.
    pub tip: i64,
    /// The total the platform states, when it states one; compared with Ordo's own by
    /// [`Order::total_mismatch`].
    pub stated_total: Option<i64>,
    /// The buyer's remark.
    pub remark: Option<String>,
}

impl Order {
    /// Totals computed from the order's parts. Validation guarantees they fit in `i64`.
    pub fn totals(&self) -> Totals {
        let items: i64 = self
            .lines
            .iter()
            .map(|l| l.unit_price * i64::from(l.quantity.get()))
            .sum();
        let discount: i64 = self.lines.iter().map(|l| l.discount).sum();
        let order_discount: i64 = self.discounts.iter().map(|d| d.amount).sum();
        let line_tax: i64 = self.lines.iter().map(|l| l.tax).sum();
        let order_tax: i64 = self.tax_lines.iter().map(|t| t.amount).sum();
        // Per order, the rounded order taxes are the tax; per line, the line taxes are,
        // unless the platform itemised tax only for the order.
        let tax = match self.tax_rounding {
            TaxRounding::PerOrder if !self.tax_lines.is_empty() => order_tax,
            _ if line_tax == 0 => order_tax,
            _ => line_tax,
        };
        let added_tax = if self.taxes_included { 0 } else { tax };
        let fees: i64 = self.fees.iter().map(|f| f.amount).sum();
        Totals {
            items,
            discount,
            order_discount,
            tax,
            shipping: self.shipping_fee,
            fees,
            tip: self.tip,
            total: items - discount - order_discount + added_tax + self.shipping_fee + fees + self.tip,
        }
    }

    /// `(stated, computed)` when the platform's stated total differs from the total
    /// computed from the order's parts: money was dropped or invented somewhere.
    pub fn total_mismatch(&self) -> Option<(i64, i64)> {
        let stated = self.stated_total?;
        let computed = self.totals().total;
        (stated != computed).then_some((stated, computed))
    }

    /// The shipping address, or an empty one when the platform gave none (an unknown
    /// destination: no region, no distance). Review holds such an order before it can
    /// reach a warehouse, so only reads that are fine with blanks use this.
    pub fn destination(&self) -> &Address {
        static NONE: Address = Address {
            name: String::new(),
            phone: None,
            country: String::new(),
            province: None,
            city: None,
            district: None,
            line1: String::new(),
            line2: None,
            postal_code: None,
        };
        self.shipping_address.as_ref().unwrap_or(&NONE)
    }

    /// True when at least one line is goods that ship.
    pub fn ships(&self) -> bool {
        self.lines.iter().any(|l| l.requires_shipping)
    }

    /// An amount of this order's currency.
    pub fn money(&self, minor: i64) -> Money {
        Money {
            minor,
            currency: self.currency,
        }
    }

    /// Names of the top-level fields that differ from `other`, for update events.
    pub fn changed_fields(&self, other: &Order) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        check("placed_at", self.placed_at != other.placed_at);
        check("updated_at", self.updated_at != other.updated_at);
        check("currency", self.currency != other.currency);
        check("financial_status", self.financial_status != other.financial_status);
        check("cancelled_at", self.cancelled_at != other.cancelled_at);
        check("buyer", self.buyer != other.buyer);
        check("shipping_address", self.shipping_address != other.shipping_address);
        check("lines", self.lines != other.lines);
        check("shipping_fee", self.shipping_fee != other.shipping_fee);
        check("taxes_included", self.taxes_included != other.taxes_included);
        check("discounts", self.discounts != other.discounts);
        check("tax_lines", self.tax_lines != other.tax_lines);
        check("tax_rounding", self.tax_rounding != other.tax_rounding);
        check("fees", self.fees != other.fees);
        check("tip", self.tip != other.tip);
        check("stated_total", self.stated_total != other.stated_total);
        check("remark", self.remark != other.remark);
        changed
    }
}
