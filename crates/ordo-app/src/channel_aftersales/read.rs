//! Reading a platform payload with the JSON path of every value kept beside it, so that an
//! error names exactly what was wrong (`refund_line_items[0].subtotal_set.shop_money.amount`).
//! Money is read only from decimal text through [`Money::parse`]: a JSON number has already
//! been through a float by the time `serde_json` hands it over, so it is refused, not
//! rounded back.

use chrono::{DateTime, NaiveDateTime, Utc};
use ordo_core::money::{Currency, Money};
use serde_json::Value;

use super::AfterSaleParseError as Error;

/// Largest integer a float keeps exactly (2^53). Ids above it that arrive only as JSON
/// numbers may have been rounded by whatever wrote them (a JavaScript sender, or the
/// platform's own documentation samples).
const EXACT_FLOAT_INTEGER: u64 = 1 << 53;

/// A value of the payload and where it is.
#[derive(Clone)]
pub(crate) struct At<'a> {
    pub value: &'a Value,
    pub path: String,
}

static NULL: Value = Value::Null;

impl<'a> At<'a> {
    /// The payload's root.
    pub fn root(value: &'a Value) -> Self {
        Self {
            value,
            path: String::new(),
        }
    }

    /// A member (`Null` when absent).
    pub fn get(&self, key: &str) -> At<'a> {
        let path = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        At {
            value: self.value.get(key).unwrap_or(&NULL),
            path,
        }
    }

    /// A member by a dotted path.
    pub fn at(&self, dotted: &str) -> At<'a> {
        dotted.split('.').fold(self.clone(), |at, key| at.get(key))
    }

    /// The value unless absent or null.
    pub fn present(self) -> Option<At<'a>> {
        (!self.value.is_null()).then_some(self)
    }

    /// An error of this value.
    pub fn error(&self, code: &'static str, message: impl Into<String>) -> Error {
        Error {
            code,
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// The value, or `missing_field`.
    pub fn required(self) -> Result<At<'a>, Error> {
        if self.value.is_null() {
            return Err(self.error("missing_field", "required and absent"));
        }
        Ok(self)
    }

    /// The elements of an array; absent or null is empty.
    pub fn items(&self) -> Result<Vec<At<'a>>, Error> {
        match self.value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, value)| At {
                    value,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            _ => Err(self.error("invalid_shape", "expected an array")),
        }
    }

    /// Non-empty text, trimmed; absent, null and blank are `None`.
    pub fn text(&self) -> Option<String> {
        match self.value {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        }
    }

    /// An id: text, or a JSON integer in its exact digits. A fractional or exponent number
    /// went through a float and is refused.
    pub fn id(&self) -> Result<String, Error> {
        match self.value {
            Value::Null => Err(self.error("missing_field", "required and absent")),
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            other => Err(self.error("invalid_id", format!("{other} is not an id"))),
        }
    }

    /// An id that may be absent.
    pub fn opt_id(&self) -> Result<Option<String>, Error> {
        match self.value {
            Value::Null => Ok(None),
            _ => self.id().map(Some),
        }
    }

    /// Whether this is a JSON integer too large for a float to have kept exactly.
    pub fn beyond_float(&self) -> bool {
        self.value.as_u64().is_some_and(|n| n > EXACT_FLOAT_INTEGER)
    }

    /// Money in minor units, from decimal text only.
    pub fn money(&self, currency: Currency) -> Result<i64, Error> {
        match self.value {
            Value::String(s) => Money::parse(s, currency)
                .map(|m| m.minor)
                .map_err(|e| self.error("invalid_money", e)),
            Value::Number(n) => Err(self.error(
                "money_not_text",
                format!("{n} is a JSON number; money is read only from decimal text"),
            )),
            Value::Null => Err(self.error("missing_field", "required and absent")),
            other => Err(self.error("invalid_money", format!("{other} is not an amount"))),
        }
    }

    /// Money that may be absent (zero then).
    pub fn money_or_zero(&self, currency: Currency) -> Result<i64, Error> {
        if self.value.is_null() {
            Ok(0)
        } else {
            self.money(currency)
        }
    }

    /// A whole count: a JSON integer or integer text.
    pub fn integer(&self) -> Result<i64, Error> {
        let parsed = match self.value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            Value::Null => return Err(self.error("missing_field", "required and absent")),
            _ => None,
        };
        parsed.ok_or_else(|| self.error("invalid_quantity", format!("{} is not a whole number", self.value)))
    }

    /// A time: RFC 3339, or (with `naive_utc`) a local time taken as UTC.
    pub fn time(&self, naive_utc: bool) -> Result<Option<DateTime<Utc>>, Error> {
        let Some(text) = self.text() else {
            return Ok(None);
        };
        if let Ok(t) = DateTime::parse_from_rfc3339(&text) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
        if naive_utc && let Ok(t) = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S") {
            return Ok(Some(t.and_utc()));
        }
        Err(self.error("invalid_time", format!("{text:?} is not an RFC 3339 time")))
    }
}

/// The currency named by a code at `at`.
pub(crate) fn currency(at: &At<'_>) -> Result<Currency, Error> {
    let code = at
        .text()
        .ok_or_else(|| at.error("currency_missing", "no currency code"))?;
    Currency::parse(&code).map_err(|e| at.error("invalid_currency", e))
}

impl At<'_> {
    /// Money the platform gives in integer fen (Douyin, Pinduoduo): a JSON integer or
    /// integer text, never a fraction (a fraction of a fen has been through a float).
    pub fn fen(&self) -> Result<i64, Error> {
        let parsed = match self.value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            Value::Null => return Err(self.error("missing_field", "required and absent")),
            _ => None,
        };
        match parsed {
            Some(n) if n >= 0 => Ok(n),
            _ => Err(self.error(
                "invalid_money",
                format!("{} is not a whole, non-negative number of fen", self.value),
            )),
        }
    }

    /// A time the platform writes in Beijing time (`yyyy-MM-dd HH:mm:ss`, +08:00), or as
    /// epoch seconds; absent or blank is `None`.
    pub fn beijing_time(&self) -> Result<Option<DateTime<Utc>>, Error> {
        if let Value::Number(n) = self.value {
            return n
                .as_i64()
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .map(Some)
                .ok_or_else(|| self.error("invalid_time", format!("{n} is not epoch seconds")));
        }
        let Some(text) = self.text() else {
            return Ok(None);
        };
        let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset");
        NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S")
            .ok()
            .and_then(|t| t.and_local_timezone(beijing).single())
            .map(|t| Some(t.with_timezone(&Utc)))
            .ok_or_else(|| self.error("invalid_time", format!("{text:?} is not yyyy-MM-dd HH:mm:ss")))
    }

    /// A status code: a JSON integer or integer text, kept as the platform's word.
    pub fn code(&self) -> Result<(i64, String), Error> {
        let parsed = match self.value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            Value::Null => return Err(self.error("missing_field", "required and absent")),
            _ => None,
        };
        parsed
            .map(|n| (n, n.to_string()))
            .ok_or_else(|| self.error("unknown_status", format!("{} is not a status code", self.value)))
    }
}

/// Renminbi, the currency of every Chinese platform's amounts.
pub(crate) fn cny() -> Currency {
    Currency::parse("CNY").expect("CNY is a currency")
}
