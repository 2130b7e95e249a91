//! The catalogue of rule kinds: what each looks at and which settings it takes.

use chrono::{FixedOffset, NaiveTime};
use ordo_core::Money;
use serde::Serialize;

/// Who or what a `blocked` or `buyer_list` rule matches. Any one entry matching is a match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartyList {
    /// Buyer ids, e-mail addresses or phone numbers.
    pub buyers: Vec<String>,
    /// Phone numbers of the buyer or the recipient (matched on digits, so `+86 138 0013
    /// 8000` matches `13800138000`).
    pub phones: Vec<String>,
    /// Address fragments, matched as substrings ignoring spaces, case and full-width forms.
    pub addresses: Vec<String>,
    /// Buyer or recipient names, matched ignoring spaces, case and full-width forms.
    pub names: Vec<String>,
}

/// What a rule looks at, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    /// Goods ship but the address is absent, or lacks line 1 or country, or (in China)
    /// province or city.
    MissingAddress,
    /// The platform's stated total differs from the total of the order's parts.
    TotalMismatch,
    /// A line's SKU is not in the catalogue.
    UnknownSku,
    /// The phone failed the caller's check.
    BadPhone,
    /// The remark contains one of these words.
    SensitiveWords {
        /// Words, matched ignoring case and full-width forms.
        words: Vec<String>,
    },
    /// The buyer left a remark.
    RemarkPresent,
    /// The order total exceeds an amount (orders in other currencies are not checked).
    OrderValueAbove {
        /// The threshold.
        amount: Money,
    },
    /// A line sells below an amount a unit, after its discount.
    LinePriceBelow {
        /// The floor.
        amount: Money,
        /// SKUs checked; empty means every line.
        skus: Vec<String>,
    },
    /// The caller found orders that look like this one.
    SuspectedDuplicate,
    /// The order has waited for payment for longer than this.
    UnpaidTooLong {
        /// Minutes since it was placed.
        minutes: u32,
    },
    /// A blocklist.
    Blocked(PartyList),
    /// A list of known buyers, usually with outcome `pass`.
    BuyerList(PartyList),
    /// A line's SKU always needs a person.
    SkuExcluded {
        /// The SKUs.
        skus: Vec<String>,
    },
    /// Orders are reviewed only between two local times; outside, the order waits.
    ReviewWindow {
        /// Local opening time.
        start: NaiveTime,
        /// Local closing time; earlier than `start` when the window crosses midnight.
        end: NaiveTime,
        /// The merchant's offset from UTC.
        utc_offset: FixedOffset,
    },
    /// Orders wait this long after payment, since buyers often change or cancel an order
    /// in the first minutes.
    PaidFor {
        /// Minutes after payment.
        minutes: u32,
    },
}

/// A rule kind's name, meaning and fields, for an API or CLI to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleKindInfo {
    /// The `kind` value.
    pub kind: &'static str,
    /// One line on what it checks.
    pub description: &'static str,
    /// Its own fields; a trailing `?` marks optional ones.
    pub fields: &'static [&'static str],
}

/// Every rule kind. Besides its own fields, every rule has `name`, `kind`, `outcome`,
/// and optional `enabled`, `channels` and `description`.
pub const RULE_KINDS: &[RuleKindInfo] = &[
    info(
        "missing_address",
        "goods ship and the address is absent, lacks line1 or country, or a CN address lacks province or city",
        &[],
    ),
    info(
        "total_mismatch",
        "the platform's stated total differs from the sum of the order's parts",
        &[],
    ),
    info("unknown_sku", "a line's SKU is not in the product catalogue", &[]),
    info(
        "bad_phone",
        "the recipient's or buyer's phone number failed validation",
        &[],
    ),
    info(
        "sensitive_words",
        "the buyer's remark contains one of the words",
        &["words"],
    ),
    info("remark_present", "the buyer left a remark", &[]),
    info(
        "order_value_above",
        "the order total is above an amount",
        &["amount", "currency"],
    ),
    info(
        "line_price_below",
        "a line sells below an amount a unit after discount",
        &["amount", "currency", "skus?"],
    ),
    info("suspected_duplicate", "other orders look like this one", &[]),
    info(
        "unpaid_too_long",
        "the order has been waiting for payment for too long",
        &["minutes"],
    ),
    info(
        "blocked",
        "the buyer, phone, address or name is on a blocklist",
        PARTY_FIELDS,
    ),
    info(
        "buyer_list",
        "the buyer, phone, address or name is on a list (e.g. VIPs)",
        PARTY_FIELDS,
    ),
    info("sku_excluded", "a line's SKU always needs manual review", &["skus"]),
    info(
        "review_window",
        "outside local review hours, defer until the next opening",
        &["start", "end", "utc_offset"],
    ),
    info("paid_for", "defer until some minutes after payment", &["minutes"]),
];

const PARTY_FIELDS: &[&str] = &["buyers?", "phones?", "addresses?", "names?"];

const fn info(kind: &'static str, description: &'static str, fields: &'static [&'static str]) -> RuleKindInfo {
    RuleKindInfo {
        kind,
        description,
        fields,
    }
}

impl RuleKind {
    /// The `kind` value in the configuration.
    pub fn name(&self) -> &'static str {
        match self {
            Self::MissingAddress => "missing_address",
            Self::TotalMismatch => "total_mismatch",
            Self::UnknownSku => "unknown_sku",
            Self::BadPhone => "bad_phone",
            Self::SensitiveWords { .. } => "sensitive_words",
            Self::RemarkPresent => "remark_present",
            Self::OrderValueAbove { .. } => "order_value_above",
            Self::LinePriceBelow { .. } => "line_price_below",
            Self::SuspectedDuplicate => "suspected_duplicate",
            Self::UnpaidTooLong { .. } => "unpaid_too_long",
            Self::Blocked(_) => "blocked",
            Self::BuyerList(_) => "buyer_list",
            Self::SkuExcluded { .. } => "sku_excluded",
            Self::ReviewWindow { .. } => "review_window",
            Self::PaidFor { .. } => "paid_for",
        }
    }

    /// Deferral kinds hold an order until a time instead of for a person.
    pub fn is_deferral(&self) -> bool {
        matches!(self, Self::ReviewWindow { .. } | Self::PaidFor { .. })
    }
}
