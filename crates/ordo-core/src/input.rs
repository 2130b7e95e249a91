//! The wire and document form of an order, and its validation into an [`Order`].
//!
//! [`OrderInput`] is what `POST /api/v1/orders` takes and what connectors produce. It is
//! deliberately loose (optional strings) so that [`OrderInput::validate`] can report every
//! problem at once, each naming its field, instead of stopping at the first serde error.
//! The same shape, rebuilt from a valid order by [`OrderInput::from_order`], is how orders
//! are stored, so a stored order always re-validates.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{FieldError, ValidationErrors};
use crate::ids::{ChannelId, ExternalOrderId, Quantity, Sku};
use crate::money::{Currency, Money};
use crate::order::{Address, Buyer, FinancialStatus, Order, OrderLine, TaxRounding};

mod parts;
pub use parts::{DiscountInput, FeeInput, MAX_PARTS, TaxLineInput};

/// Most lines one order may have; bounds the work one request can cause.
pub const MAX_LINES: usize = 1_000;
/// Largest `unit_price × quantity` of one line, in minor units.
pub const MAX_LINE_GROSS_MINOR: i64 = 1_000_000_000_000_000;
/// Longest free-text field (names, address lines), in characters.
pub const MAX_TEXT: usize = 500;
/// Longest buyer remark, in characters.
pub const MAX_REMARK: usize = 2_000;

/// A canonical order as it travels: money as decimal strings, times as RFC 3339.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// Sales channel code, e.g. `web`, `taobao`, `shopify-eu`.
    #[serde(default)]
    pub channel: Option<String>,
    /// The channel's order number. A JSON integer is accepted and kept exactly.
    #[serde(default, deserialize_with = "string_or_integer")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub external_id: Option<String>,
    /// When the buyer placed it: RFC 3339 with an offset.
    #[serde(default)]
    pub placed_at: Option<String>,
    /// When the channel last changed it: RFC 3339. Older deliveries are ignored as stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// ISO 4217 code of every amount in the order.
    #[serde(default)]
    pub currency: Option<String>,
    /// `pending`, `authorized`, `paid`, `partially_paid`, `partially_refunded`, `refunded`
    /// or `voided`; `pending` when absent.
    #[serde(default)]
    pub financial_status: Option<String>,
    /// When the channel cancelled the order: RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    /// Who bought.
    #[serde(default)]
    pub buyer: Option<BuyerInput>,
    /// Where the goods go. An order without one is stored and held until it has one
    /// (unless nothing in it ships).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<AddressInput>,
    /// At least one line.
    #[serde(default)]
    pub lines: Vec<LineInput>,
    /// Decimal string; `"0"` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_fee: Option<DecimalText>,
    /// Whether line prices include tax.
    #[serde(default)]
    pub taxes_included: bool,
    /// Discounts on the whole order, beyond the lines' own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<DiscountInput>,
    /// Taxes on the whole order as the platform itemises them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tax_lines: Vec<TaxLineInput>,
    /// `per_line` or `per_order`: where the platform rounds tax. `per_order` when absent
    /// and `tax_lines` are given (they are then the tax), else `per_line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rounding: Option<String>,
    /// Fees and surcharges (handling, cash on delivery, gift wrap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fees: Vec<FeeInput>,
    /// The buyer's tip, decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<DecimalText>,
    /// The total the channel states. Kept beside Ordo's own; when they differ the order
    /// is stored and flagged `total_mismatch` with both figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<DecimalText>,
    /// The buyer's remark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// Buyer as it travels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BuyerInput {
    /// The channel's buyer id.
    #[serde(
        default,
        deserialize_with = "string_or_integer",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Address as it travels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// Recipient.
    #[serde(default)]
    pub name: Option<String>,
    /// Recipient's phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    pub country: Option<String>,
    /// Province or state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// District or county.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// First line.
    #[serde(default)]
    pub line1: Option<String>,
    /// Second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// Order line as it travels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The channel's line id.
    #[serde(
        default,
        deserialize_with = "string_or_integer",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub line_id: Option<String>,
    /// SKU code.
    #[serde(default)]
    pub sku: Option<String>,
    /// Product title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Units, a positive integer.
    #[serde(default)]
    pub quantity: Option<i64>,
    /// Price of one unit, decimal string.
    #[serde(default)]
    pub unit_price: Option<DecimalText>,
    /// Discount on the whole line, decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<DecimalText>,
    /// Tax on the whole line, decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<DecimalText>,
    /// `false` for what is not shipped (digital goods, services); `true` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_shipping: Option<bool>,
}

/// A decimal amount as text. Deserialising a JSON number into it fails with a message that
/// says why: floats cannot hold prices exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "79.00"))]
#[serde(transparent)]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DecimalText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("money as a decimal string such as \"79.00\" (JSON numbers are not accepted for money)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_owned()))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl From<&str> for DecimalText {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Accepts `"123"` or `123` (kept exactly, beyond 2^53) for ids.
fn string_or_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Unsigned(u64),
        Signed(i64),
    }
    Ok(match Option::<Id>::deserialize(deserializer)? {
        None => None,
        Some(Id::Text(text)) => Some(text),
        Some(Id::Unsigned(n)) => Some(n.to_string()),
        Some(Id::Signed(n)) => Some(n.to_string()),
    })
}

/// Collects problems while validating.
struct Checker {
    errors: ValidationErrors,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    /// Trims free text; empty becomes `None`; too long is an error.
    fn text(&mut self, field: &str, value: &Option<String>, max: usize) -> Option<String> {
        let trimmed = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        if trimmed.chars().count() > max {
            self.fail(field, "too_long", format!("must be at most {max} characters"));
            return None;
        }
        // Control characters (NUL above all) corrupt exports and are refused by PostgreSQL;
        // tabs and line breaks are ordinary in remarks and address lines.
        if let Some(bad) = trimmed
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            self.fail(
                field,
                "invalid_character",
                format!("contains the control character U+{:04X}", bad as u32),
            );
            return None;
        }
        Some(trimmed.to_owned())
    }

    fn time(&mut self, field: &str, value: &Option<String>) -> Option<DateTime<Utc>> {
        let text = value.as_deref()?;
        match DateTime::parse_from_rfc3339(text.trim()) {
            // Stores keep microseconds; truncating here keeps stored and read-back orders equal.
            Ok(time) => Some(time.with_timezone(&Utc).trunc_subsecs(6)),
            Err(_) => {
                self.fail(
                    field,
                    "invalid_time",
                    format!("{text:?} is not an RFC 3339 time with an offset, e.g. \"2026-11-22T10:15:00+08:00\""),
                );
                None
            }
        }
    }

    /// Parses a non-negative amount: `Some(0)` when absent, `None` when invalid (recorded).
    fn money(&mut self, field: &str, value: &Option<DecimalText>, currency: Option<Currency>) -> Option<i64> {
        let minor = self.signed_money(field, value, currency)?;
        if minor < 0 {
            let text = value.as_ref().map_or("", |t| t.0.as_str());
            self.fail(field, "negative_money", format!("{text:?} must not be negative"));
            return None;
        }
        Some(minor)
    }

    /// Parses an amount that may be negative: `Some(0)` when absent, `None` when invalid.
    fn signed_money(&mut self, field: &str, value: &Option<DecimalText>, currency: Option<Currency>) -> Option<i64> {
        let Some(text) = value else { return Some(0) };
        let currency = currency?;
        match Money::parse(&text.0, currency) {
            Ok(money) => Some(money.minor),
            Err(message) => {
                self.fail(field, "invalid_money", message);
                None
            }
        }
    }
}

impl OrderInput {
    /// Validates and normalises into a canonical [`Order`], reporting every problem.
    pub fn validate(&self) -> Result<Order, ValidationErrors> {
        let mut c = Checker {
            errors: ValidationErrors::default(),
        };

        let channel = match self.channel.as_deref() {
            None => {
                c.fail("channel", "required", "is required");
                None
            }
            Some(text) => ChannelId::parse(text)
                .map_err(|m| c.fail("channel", "invalid_code", m))
                .ok(),
        };
        let external_id = match self.external_id.as_deref() {
            None => {
                c.fail("external_id", "required", "is required");
                None
            }
            Some(text) => ExternalOrderId::parse(text)
                .map_err(|m| c.fail("external_id", "invalid_id", m))
                .ok(),
        };
        if self.placed_at.is_none() {
            c.fail("placed_at", "required", "is required");
        }
        let placed_at = c.time("placed_at", &self.placed_at);
        let updated_at = c.time("updated_at", &self.updated_at);
        let cancelled_at = c.time("cancelled_at", &self.cancelled_at);
        let currency = match self.currency.as_deref() {
            None => {
                c.fail("currency", "required", "is required");
                None
            }
            Some(code) => Currency::parse(code)
                .map_err(|m| c.fail("currency", "invalid_currency", m))
                .ok(),
        };
        let financial_status = match self.financial_status.as_deref().map(str::trim) {
            None | Some("") => Some(FinancialStatus::Pending),
            Some(text) => {
                let parsed = FinancialStatus::parse(&text.to_ascii_lowercase());
                if parsed.is_none() {
                    let allowed: Vec<&str> = FinancialStatus::ALL.iter().map(|s| s.as_str()).collect();
                    c.fail(
                        "financial_status",
                        "invalid_enum",
                        format!("{text:?} is not one of {}", allowed.join(", ")),
                    );
                }
                parsed
            }
        };

        let buyer_input = self.buyer.clone().unwrap_or_default();
        let buyer = Buyer {
            id: c.text("buyer.id", &buyer_input.id, 128),
            name: c.text("buyer.name", &buyer_input.name, MAX_TEXT),
            email: c.text("buyer.email", &buyer_input.email, 254),
            phone: c.text("buyer.phone", &buyer_input.phone, 64),
        };
        if buyer.email.as_deref().is_some_and(|e| !e.contains('@')) {
            c.fail("buyer.email", "invalid_email", "must contain '@'");
        }

        let address = self.shipping_address.as_ref().map(|a| validate_address(&mut c, a));

        if self.lines.is_empty() {
            c.fail("lines", "required", "must hold at least one line");
        }
        if self.lines.len() > MAX_LINES {
            c.fail("lines", "too_many", format!("must hold at most {MAX_LINES} lines"));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        // A platform may not price an order before it is paid (Amazon's pending orders);
        // such an order is stored as pending, and the paid update brings the prices.
        let unpriced_ok = financial_status == Some(FinancialStatus::Pending);
        for (index, line) in self.lines.iter().enumerate().take(MAX_LINES) {
            if let Some(line) = validate_line(&mut c, index, line, currency, unpriced_ok) {
                lines.push(line);
            }
        }
        let shipping_fee = c.money("shipping_fee", &self.shipping_fee, currency).unwrap_or(0);
        let remark = c.text("remark", &self.remark, MAX_REMARK);
        let discounts = parts::discounts(&mut c, &self.discounts, currency);
        let tax_lines = parts::tax_lines(&mut c, &self.tax_lines, currency);
        let fees = parts::fees(&mut c, &self.fees, currency);
        let tip = c.money("tip", &self.tip, currency).unwrap_or(0);
        let tax_rounding = match self.tax_rounding.as_deref().map(str::trim) {
            None | Some("") => TaxRounding::implied(!tax_lines.is_empty()),
            Some(text) => TaxRounding::parse(text).unwrap_or_else(|| {
                c.fail(
                    "tax_rounding",
                    "invalid_enum",
                    format!("{text:?} is not one of per_line, per_order"),
                );
                TaxRounding::PerLine
            }),
        };
        let stated_total = match &self.total {
            Some(total) => c.signed_money("total", &Some(total.clone()), currency),
            None => None,
        };

        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        let (Some(channel), Some(external_id), Some(placed_at), Some(currency), Some(financial_status)) =
            (channel, external_id, placed_at, currency, financial_status)
        else {
            // Every `None` above recorded an error, so this is unreachable; say so plainly.
            return Err(ValidationErrors(vec![FieldError::new(
                "",
                "invalid",
                "order is incomplete",
            )]));
        };
        let order = Order {
            channel,
            external_id,
            placed_at,
            updated_at,
            currency,
            financial_status,
            cancelled_at,
            buyer,
            shipping_address: address,
            lines,
            shipping_fee,
            taxes_included: self.taxes_included,
            discounts,
            tax_lines,
            tax_rounding,
            fees,
            tip,
            stated_total,
            remark,
        };
        if order.totals().total < 0 {
            c.fail(
                "discounts",
                "negative_total",
                format!(
                    "the discounts exceed what is charged: the total would be {}",
                    order.money(order.totals().total).to_decimal_string()
                ),
            );
        }
        c.errors.into_result(|| order)
    }

    /// The document form of a valid order; `validate` of it gives the order back.
    pub fn from_order(order: &Order) -> Self {
        let money = |minor: i64| Some(DecimalText(order.money(minor).to_decimal_string()));
        let nonzero = |minor: i64| if minor == 0 { None } else { money(minor) };
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let (discounts, tax_lines, fees) = parts::documents(order);
        Self {
            channel: Some(order.channel.to_string()),
            external_id: Some(order.external_id.to_string()),
            placed_at: Some(time(&order.placed_at)),
            updated_at: order.updated_at.as_ref().map(time),
            currency: Some(order.currency.code().to_owned()),
            financial_status: Some(order.financial_status.as_str().to_owned()),
            cancelled_at: order.cancelled_at.as_ref().map(time),
            buyer: Some(BuyerInput {
                id: order.buyer.id.clone(),
                name: order.buyer.name.clone(),
                email: order.buyer.email.clone(),
                phone: order.buyer.phone.clone(),
            }),
            shipping_address: order.shipping_address.as_ref().map(|a| AddressInput {
                name: Some(a.name.clone()).filter(|v| !v.is_empty()),
                phone: a.phone.clone(),
                country: Some(a.country.clone()).filter(|v| !v.is_empty()),
                province: a.province.clone(),
                city: a.city.clone(),
                district: a.district.clone(),
                line1: Some(a.line1.clone()).filter(|v| !v.is_empty()),
                line2: a.line2.clone(),
                postal_code: a.postal_code.clone(),
            }),
            lines: order
                .lines
                .iter()
                .map(|l| LineInput {
                    line_id: l.line_id.clone(),
                    sku: Some(l.sku.to_string()),
                    title: l.title.clone(),
                    quantity: Some(i64::from(l.quantity.get())),
                    unit_price: money(l.unit_price),
                    discount: nonzero(l.discount),
                    tax: nonzero(l.tax),
                    requires_shipping: (!l.requires_shipping).then_some(false),
                })
                .collect(),
            shipping_fee: money(order.shipping_fee),
            taxes_included: order.taxes_included,
            discounts,
            tax_lines,
            // Written when it is not what its absence means, so the stored order reads back equal.
            tax_rounding: (order.tax_rounding != TaxRounding::implied(!order.tax_lines.is_empty()))
                .then(|| order.tax_rounding.as_str().to_owned()),
            fees,
            tip: nonzero(order.tip),
            total: order.stated_total.and_then(money),
            remark: order.remark.clone(),
        }
    }
}

/// An address with parts missing is kept as far as it goes (review holds the order for
/// the rest); what is there must be well-formed.
fn validate_address(c: &mut Checker, a: &AddressInput) -> Address {
    let name = c.text("shipping_address.name", &a.name, MAX_TEXT);
    let line1 = c.text("shipping_address.line1", &a.line1, MAX_TEXT);
    let country = c.text("shipping_address.country", &a.country, 2).and_then(|code| {
        if code.len() == 2 && code.chars().all(|ch| ch.is_ascii_alphabetic()) {
            Some(code.to_ascii_uppercase())
        } else {
            c.fail(
                "shipping_address.country",
                "invalid_country",
                format!("{code:?} is not an ISO 3166-1 alpha-2 code such as \"CN\""),
            );
            None
        }
    });
    Address {
        name: name.unwrap_or_default(),
        phone: c.text("shipping_address.phone", &a.phone, 64),
        country: country.unwrap_or_default(),
        province: c.text("shipping_address.province", &a.province, 100),
        city: c.text("shipping_address.city", &a.city, 100),
        district: c.text("shipping_address.district", &a.district, 100),
        line1: line1.unwrap_or_default(),
        line2: c.text("shipping_address.line2", &a.line2, MAX_TEXT),
        postal_code: c.text("shipping_address.postal_code", &a.postal_code, 20),
    }
}

fn validate_line(
    c: &mut Checker,
    index: usize,
    line: &LineInput,
    currency: Option<Currency>,
    unpriced_ok: bool,
) -> Option<OrderLine> {
    let at = |field: &str| format!("lines[{index}].{field}");
    let sku = match line.sku.as_deref() {
        None => {
            c.fail(at("sku"), "required", "is required");
            None
        }
        Some(text) => Sku::parse(text.trim())
            .map_err(|m| c.fail(at("sku"), "invalid_code", m))
            .ok(),
    };
    let quantity = match line.quantity {
        None => {
            c.fail(at("quantity"), "required", "is required");
            None
        }
        Some(q) => Quantity::new(q)
            .map_err(|m| c.fail(at("quantity"), "invalid_quantity", m))
            .ok(),
    };
    if line.unit_price.is_none() && !unpriced_ok {
        c.fail(
            at("unit_price"),
            "required",
            "is required (it may be absent only while the order is pending payment)",
        );
    }
    let unit_price = c.money(&at("unit_price"), &line.unit_price, currency);
    let discount = c.money(&at("discount"), &line.discount, currency);
    let tax = c.money(&at("tax"), &line.tax, currency);
    let line_id = c.text(&at("line_id"), &line.line_id, 128);
    let title = c.text(&at("title"), &line.title, MAX_TEXT);
    let (sku, quantity, unit_price, discount, tax) = (sku?, quantity?, unit_price?, discount?, tax?);
    // A per-line ceiling keeps the sum over MAX_LINES lines inside i64.
    let gross = unit_price
        .checked_mul(i64::from(quantity.get()))
        .filter(|g| *g <= MAX_LINE_GROSS_MINOR);
    match gross {
        None => {
            c.fail(at("unit_price"), "too_large", "unit price × quantity is too large");
            None
        }
        Some(gross) if discount > gross => {
            c.fail(
                at("discount"),
                "discount_exceeds_price",
                "discount is larger than unit price × quantity",
            );
            None
        }
        Some(_) => Some(OrderLine {
            line_id,
            sku,
            title,
            quantity,
            unit_price,
            discount,
            tax,
            requires_shipping: line.requires_shipping.unwrap_or(true),
        }),
    }
}

#[cfg(test)]
mod tests;

/// The reference order every install must accept as is (also used by tests, the demo and
/// the OpenAPI example).
pub const EXAMPLE_JSON: &str = include_str!("input/example.json");
