//! Identifier and quantity newtypes. Each can only be built valid, so code that holds one
//! never re-checks it.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Checks a code: 1..=max characters of `[A-Za-z0-9._:-]`, returning why not.
fn check_code(value: &str, max: usize, what: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if value.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters"));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(format!(
            "{what} may contain only letters, digits and . _ : - (found {bad:?})"
        ));
    }
    Ok(())
}

macro_rules! code_newtype {
    ($(#[$meta:meta])* $name:ident, $max:expr, $what:expr, $lower:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Longest accepted value, in characters.
            pub const MAX_LEN: usize = $max;

            /// Parses a value, returning a message that says what is wrong.
            pub fn parse(value: impl Into<String>) -> Result<Self, String> {
                let mut value: String = value.into();
                if $lower {
                    value.make_ascii_lowercase();
                }
                check_code(&value, $max, $what)?;
                Ok(Self(value))
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_newtype!(
    /// A merchant (tenant). Every row and every token belongs to exactly one; it is also the
    /// distribution key of a sharded PostgreSQL. Lower-case.
    TenantId, 64, "tenant id", true
);
code_newtype!(
    /// A sales channel code such as `web`, `shopify-eu` or `taobao`. Lower-case.
    ChannelId, 64, "channel", true
);
code_newtype!(
    /// A stock-keeping unit code. Case is kept: platforms and warehouses treat it as given.
    Sku, 128, "sku", false
);

impl TenantId {
    /// The tenant every fresh install has.
    pub fn default_tenant() -> Self {
        Self("default".to_owned())
    }
}

/// The order number a channel gave the order. Free text (platform numbers include `#`,
/// spaces and non-ASCII), trimmed, 1..=128 characters. Shopify's numeric ids exceed 2^53,
/// which is why every external id is a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct ExternalOrderId(String);

impl ExternalOrderId {
    /// Parses an external order id.
    pub fn parse(value: impl Into<String>) -> Result<Self, String> {
        let value: String = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err("external id must not be empty".to_owned());
        }
        if trimmed.chars().count() > 128 {
            return Err("external id must be at most 128 characters".to_owned());
        }
        if trimmed.chars().any(char::is_control) {
            return Err("external id must not contain control characters".to_owned());
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ExternalOrderId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(value)
    }
}

impl From<ExternalOrderId> for String {
    fn from(value: ExternalOrderId) -> String {
        value.0
    }
}

impl fmt::Display for ExternalOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Ordo's own id for an order: a UUIDv7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct OrderId(pub Uuid);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A positive count of units. The upper bound keeps every product of quantity and price
/// far inside `i64` minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(u32);

impl Quantity {
    /// Largest quantity on one line.
    pub const MAX: u32 = 1_000_000;

    /// Parses a quantity: an integer in `1..=MAX`.
    pub fn new(value: i64) -> Result<Self, String> {
        if value < 1 {
            return Err(format!("quantity must be at least 1 (got {value})"));
        }
        if value > i64::from(Self::MAX) {
            return Err(format!("quantity must be at most {} (got {value})", Self::MAX));
        }
        Ok(Self(value as u32))
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        Self::new(value)
    }
}

impl From<Quantity> for i64 {
    fn from(value: Quantity) -> i64 {
        i64::from(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_codes_are_lower_cased_and_checked() {
        assert_eq!(ChannelId::parse("Shopify-EU").unwrap().as_str(), "shopify-eu");
        assert!(ChannelId::parse("").is_err());
        assert!(ChannelId::parse("has space").unwrap_err().contains("' '"));
        assert!(ChannelId::parse("x".repeat(65)).is_err());
    }

    #[test]
    fn skus_keep_their_case() {
        assert_eq!(Sku::parse("TEE-RED-M").unwrap().as_str(), "TEE-RED-M");
    }

    #[test]
    fn external_ids_are_trimmed_and_may_hold_any_printable_text() {
        assert_eq!(ExternalOrderId::parse("  #1001 ").unwrap().as_str(), "#1001");
        assert_eq!(ExternalOrderId::parse("订单 42").unwrap().as_str(), "订单 42");
        assert!(ExternalOrderId::parse("a\nb").is_err());
        assert!(ExternalOrderId::parse("   ").is_err());
    }

    #[test]
    fn quantities_are_positive_and_bounded() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-1).is_err());
        assert_eq!(Quantity::new(3).unwrap().get(), 3);
        assert!(Quantity::new(i64::from(Quantity::MAX) + 1).is_err());
    }
}
