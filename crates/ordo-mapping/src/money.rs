//! Money conversion: exact decimals from decimal strings, integer minor units and floats.
//!
//! Amounts are carried as an integer mantissa and a count of decimal places, never as a
//! float, so sums, divisions and unit conversions are exact. The one place a value may be
//! adjusted is a JSON float: see [`from_json`].

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Most decimal places read; beyond this a value is not a price.
const MAX_SCALE: u32 = 30;

/// How a platform writes an amount (`money = …` in a rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyForm {
    /// `money = true` or `"decimal"`: major units as a decimal string (`"89.99"`) or a
    /// JSON number (`89.99`).
    Decimal,
    /// `money = "minor"`: a whole number of minor units (fen, cents): `8999` is `89.99`
    /// at the default exponent 2.
    Minor,
}

/// Reads `money = true | false | "decimal" | "minor"`.
pub(crate) fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<MoneyForm>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Flag(bool),
        Name(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Flag(true) => Ok(Some(MoneyForm::Decimal)),
        Raw::Flag(false) => Ok(None),
        Raw::Name(name) if name == "decimal" => Ok(Some(MoneyForm::Decimal)),
        Raw::Name(name) if name == "minor" => Ok(Some(MoneyForm::Minor)),
        Raw::Name(name) => Err(serde::de::Error::custom(format!(
            "money = {name:?}: expected true, \"decimal\" or \"minor\""
        ))),
    }
}

/// An exact decimal: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

impl Decimal {
    /// Parses `-12.30`; with `exponent_allowed`, also `1.5e-7` (how a float prints).
    pub fn parse(text: &str, exponent_allowed: bool) -> Option<Self> {
        let text = text.trim();
        let (body, exp) = match text.split_once(['e', 'E']) {
            Some((body, exp)) if exponent_allowed => (body, exp.parse::<i32>().ok()?),
            Some(_) => return None,
            None => (text, 0),
        };
        let (negative, digits) = match body.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, body),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !numeric(whole) || !numeric(fraction) || (digits.contains('.') && fraction.is_empty()) {
            return None;
        }
        let mut mantissa: i128 = format!("{whole}{fraction}").parse().ok()?;
        let mut scale = i64::try_from(fraction.len()).ok()? - i64::from(exp);
        if scale < 0 {
            mantissa = mantissa.checked_mul(10_i128.checked_pow(u32::try_from(-scale).ok()?)?)?;
            scale = 0;
        }
        let scale = u32::try_from(scale).ok().filter(|s| *s <= MAX_SCALE)?;
        Some(Self {
            mantissa: if negative { -mantissa } else { mantissa },
            scale,
        })
    }

    /// The same value with at least `scale` places.
    pub fn widen(self, scale: u32) -> Option<Self> {
        if scale <= self.scale {
            return Some(self);
        }
        let mantissa = self.mantissa.checked_mul(10_i128.checked_pow(scale - self.scale)?)?;
        Some(Self { mantissa, scale })
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.widen(scale)?, other.widen(scale)?);
        Some(Self {
            mantissa: a.mantissa.checked_add(b.mantissa)?,
            scale,
        })
    }

    pub fn negate(self) -> Self {
        Self {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    /// Nearest value with `scale` places (ties to even), and how far that moved it.
    fn round(self, scale: u32) -> Option<(Self, Self)> {
        if scale >= self.scale {
            return Some((self.widen(scale)?, Self { mantissa: 0, scale }));
        }
        let unit = 10_i128.checked_pow(self.scale - scale)?;
        let (q, r) = (self.mantissa.div_euclid(unit), self.mantissa.rem_euclid(unit));
        let up = 2 * r > unit || (2 * r == unit && q % 2 != 0);
        let rounded = Self {
            mantissa: q + i128::from(up),
            scale,
        };
        let moved = rounded.widen(self.scale)?.mantissa - self.mantissa;
        Some((
            rounded,
            Self {
                mantissa: moved.abs(),
                scale: self.scale,
            },
        ))
    }

    /// `self ÷ n` rounded up to the places `self` has, and the remainder
    /// `quotient × n − self` (zero when the division is exact, else below `n` units of the
    /// last place), so that quotient × n − remainder is exactly `self`.
    pub fn div_ceil(self, n: i128) -> Option<(Self, Self)> {
        if n <= 0 {
            return None;
        }
        let quotient = -(-self.mantissa).div_euclid(n);
        let remainder = quotient.checked_mul(n)? - self.mantissa;
        let at = |mantissa| Self {
            mantissa,
            scale: self.scale,
        };
        Some((at(quotient), at(remainder)))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = format!(
            "{:0>width$}",
            self.mantissa.unsigned_abs(),
            width = self.scale as usize + 1
        );
        let (whole, fraction) = digits.split_at(digits.len() - self.scale as usize);
        if fraction.is_empty() {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{fraction}")
        }
    }
}

/// An amount from a payload value.
///
/// - `Minor`: a whole number (JSON integer or digit string) of minor units, scaled by
///   `exponent` places: `1999` → `19.99`.
/// - `Decimal`, string: exactly as written (`"19.990"` keeps three places; the core then
///   refuses more places than the currency has rather than rounding).
/// - `Decimal`, JSON number: the shortest decimal that reads back as the same float (what
///   the platform wrote whenever it wrote at most 15 significant digits), written with
///   exactly `exponent` places. When it has more places than that, it is rounded to the
///   nearest `exponent`-place value only if the discarded part is float noise, under a
///   millionth of a minor unit (`12.299999999999999`, which is 4.1 × 3 in floats, →
///   `12.30`; `0.30000000000000004` → `0.30`); a real extra digit (`12.345`) is refused,
///   as the core refuses `"12.345"`.
///   The discarded part is never near a half, so the tie rule (to even) never decides.
pub fn from_json(form: MoneyForm, exponent: u32, value: &Value) -> Result<Decimal, String> {
    match (form, value) {
        (MoneyForm::Minor, Value::Number(n)) if n.is_i64() || n.is_u64() => minor(&n.to_string(), exponent),
        (MoneyForm::Minor, Value::String(s)) => minor(s, exponent),
        (MoneyForm::Minor, other) => Err(format!("{other} is not a whole number of minor units")),
        (MoneyForm::Decimal, Value::String(s)) => {
            Decimal::parse(s, false).ok_or_else(|| format!("{s:?} is not a decimal amount"))
        }
        (MoneyForm::Decimal, Value::Number(n)) => {
            let text = n.to_string();
            let exact = Decimal::parse(&text, true).ok_or_else(|| format!("{text} is not an amount"))?;
            let (rounded, moved) = exact.round(exponent).ok_or_else(|| format!("{text} is too large"))?;
            // moved < 10^-(exponent + 6), i.e. moved × 10^(exponent + 6) < 10^scale.
            let noise = 10_i128
                .checked_pow(exponent + 6)
                .and_then(|p| moved.mantissa.checked_mul(p))
                .zip(10_i128.checked_pow(moved.scale))
                .is_some_and(|(scaled, one)| scaled < one);
            if noise {
                Ok(rounded)
            } else {
                Err(format!("{text} has more than {exponent} decimal places"))
            }
        }
        (MoneyForm::Decimal, other) => Err(format!("{other} is not a decimal amount")),
    }
}

fn minor(text: &str, exponent: u32) -> Result<Decimal, String> {
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a whole number of minor units"));
    }
    let mantissa = trimmed.parse().map_err(|_| format!("{text:?} is too large"))?;
    Ok(Decimal {
        mantissa,
        scale: exponent,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(form: MoneyForm, exponent: u32, value: Value) -> Result<String, String> {
        from_json(form, exponent, &value).map(|d| d.to_string())
    }

    #[test]
    fn minor_units_scale_by_the_exponent() {
        assert_eq!(text(MoneyForm::Minor, 2, json!(1999)).unwrap(), "19.99");
        assert_eq!(text(MoneyForm::Minor, 2, json!(5)).unwrap(), "0.05");
        assert_eq!(text(MoneyForm::Minor, 2, json!("120000")).unwrap(), "1200.00");
        assert_eq!(text(MoneyForm::Minor, 0, json!(1980)).unwrap(), "1980");
        assert_eq!(text(MoneyForm::Minor, 3, json!(-1500)).unwrap(), "-1.500");
        assert!(
            text(MoneyForm::Minor, 2, json!(19.5))
                .unwrap_err()
                .contains("whole number")
        );
        assert!(text(MoneyForm::Minor, 2, json!("19.99")).is_err());
    }

    #[test]
    fn floats_keep_what_was_written_and_drop_only_float_noise() {
        let d = |v: Value| text(MoneyForm::Decimal, 2, v);
        assert_eq!(d(json!(12.3)).unwrap(), "12.30");
        assert_eq!(d(json!(89.99)).unwrap(), "89.99");
        assert_eq!(d(json!(3)).unwrap(), "3.00");
        assert_eq!(d(json!(0.1 + 0.2)).unwrap(), "0.30"); // 0.30000000000000004
        // As a payload carries them: JSON text parsed to a float.
        let num = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        assert_eq!(d(num("12.300000000000001")).unwrap(), "12.30"); // the same float as 12.3
        assert_eq!(d(num("12.299999999999999")).unwrap(), "12.30"); // 4.1 × 3
        assert_eq!(d(num("3.3000000000000003")).unwrap(), "3.30"); // 1.1 × 3
        assert_eq!(d(num("0.7999999999999999")).unwrap(), "0.80"); // 0.1 + 0.7
        assert_eq!(d(json!(1e21)).unwrap(), "1000000000000000000000.00");
        assert!(d(json!(12.345)).unwrap_err().contains("more than 2 decimal places"));
        assert!(d(json!(0.125)).is_err(), "a real third place is refused, not rounded");
        assert!(d(num("3.3333333333333335")).is_err(), "a price of 10/3 is refused");
        assert_eq!(text(MoneyForm::Decimal, 0, json!(1980.0)).unwrap(), "1980");
        // Strings are exact already and kept as written.
        assert_eq!(d(json!("19.990")).unwrap(), "19.990");
        assert!(d(json!("1.2.3")).is_err());
        assert!(d(json!("1e3")).is_err());
    }

    #[test]
    fn division_rounds_up_and_names_the_remainder() {
        let price = Decimal::parse("17.95", false).unwrap();
        let (unit, rest) = price.div_ceil(2).unwrap();
        assert_eq!((unit.to_string(), rest.to_string()), ("8.98".into(), "0.01".into()));
        let (unit, rest) = Decimal::parse("99.98", false).unwrap().div_ceil(2).unwrap();
        assert_eq!((unit.to_string(), rest.to_string()), ("49.99".into(), "0.00".into()));
        assert!(price.div_ceil(0).is_none());
        let sum = price
            .checked_add(Decimal::parse("1.5", false).unwrap().negate())
            .unwrap();
        assert_eq!(sum.to_string(), "16.45");
    }
}
