//! Money conversion: exact decimals from decimal strings, integer minor units and floats.
//!
//! Amounts are carried as an integer mantissa and a count of decimal places, never as a
//! float, so sums, divisions and unit conversions are exact. The one place a value may be
//! adjusted without being asked is a JSON float: see [`fit`]. Rounding that a mapping asks for
//! (`round`) is [`Decimal::round_to`].

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Most decimal places read; beyond this a value is not a price.
pub(crate) const MAX_SCALE: u32 = 30;

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

    /// The value with exactly `places` places, rounded by `mode` when that drops digits.
    pub fn round_to(self, places: u32, mode: RoundMode) -> Option<Self> {
        if places >= self.scale {
            return self.widen(places);
        }
        let unit = 10_i128.checked_pow(self.scale - places)?;
        // Truncation toward zero, then a step away from zero when the mode asks for one.
        let (q, r) = (self.mantissa / unit, self.mantissa % unit);
        let (twice, half) = (2 * r.abs(), unit);
        let away = match mode {
            RoundMode::Down => false,
            RoundMode::Up => r != 0,
            RoundMode::HalfUp => twice >= half,
            RoundMode::HalfEven => twice > half || (twice == half && q % 2 != 0),
        };
        let step = if away { self.mantissa.signum() } else { 0 };
        Some(Self {
            mantissa: q + step,
            scale: places,
        })
    }

    /// `self × 10^places` (a negative `places` divides), exactly.
    pub fn shift(self, places: i32) -> Option<Self> {
        let scale = i64::from(self.scale) - i64::from(places);
        if scale >= 0 {
            let scale = u32::try_from(scale).ok().filter(|s| *s <= MAX_SCALE)?;
            return Some(Self {
                mantissa: self.mantissa,
                scale,
            });
        }
        let factor = 10_i128.checked_pow(u32::try_from(-scale).ok()?)?;
        Some(Self {
            mantissa: self.mantissa.checked_mul(factor)?,
            scale: 0,
        })
    }

    /// The same value with at most `places` places, when the digits beyond are zeros
    /// (`55.9900` → `55.99`); `None` when a digit beyond is not zero.
    pub fn without_trailing_zeros(self, places: u32) -> Option<Self> {
        if self.scale <= places {
            return Some(self);
        }
        let narrowed = self.round_to(places, RoundMode::Down)?;
        (narrowed.widen(self.scale)? == self).then_some(narrowed)
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

/// How `round = { places = 2, mode = "…" }` treats the digits it drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundMode {
    /// To the nearest; a tie goes away from zero (`55.995` → `56.00`, `-0.125` → `-0.13`).
    HalfUp,
    /// To the nearest; a tie goes to the even neighbour (`0.125` → `0.12`, `0.135` → `0.14`).
    HalfEven,
    /// Toward zero: the dropped digits are cut off (`55.999` → `55.99`).
    Down,
    /// Away from zero whenever a dropped digit is not zero (`55.991` → `55.99` + `0.01`).
    Up,
}

/// An amount exactly as the payload gave it, before it is fitted to the currency's places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// The exact value.
    pub value: Decimal,
    /// Whether it came from a JSON number: only then may extra places be float noise.
    pub float: bool,
}

/// An amount from a payload value, exactly as written.
///
/// - `Minor`: a whole number (JSON integer or digit string) of minor units, scaled by
///   `exponent` places: `1999` → `19.99`.
/// - `Decimal`, string: exactly as written.
/// - `Decimal`, JSON number: the shortest decimal that reads back as the same float, which
///   is what the platform wrote whenever it wrote at most 15 significant digits.
///
/// [`fit`] then brings it to the currency's places.
pub fn read(form: MoneyForm, exponent: u32, value: &Value) -> Result<Read, String> {
    let exact = |value| Read { value, float: false };
    match (form, value) {
        (MoneyForm::Minor, Value::Number(n)) if n.is_i64() || n.is_u64() => minor(&n.to_string(), exponent).map(exact),
        (MoneyForm::Minor, Value::String(s)) => minor(s, exponent).map(exact),
        (MoneyForm::Minor, other) => Err(format!("{other} is not a whole number of minor units")),
        (MoneyForm::Decimal, Value::String(s)) => Decimal::parse(s, false)
            .map(exact)
            .ok_or_else(|| format!("{s:?} is not a decimal amount")),
        (MoneyForm::Decimal, Value::Number(n)) => {
            let text = n.to_string();
            let value = Decimal::parse(&text, true).ok_or_else(|| format!("{text} is not an amount"))?;
            Ok(Read { value, float: true })
        }
        (MoneyForm::Decimal, other) => Err(format!("{other} is not a decimal amount")),
    }
}

/// An amount with no more than `exponent` places, without changing what it is worth
/// except for float noise:
///
/// - decimal text with more places than that keeps its value when the extra digits are
///   zeros (`"55.9900"` → `55.99`) and is passed on as written when they are not
///   (`"55.995"`, or a dinar's `"1.234"`): the core refuses it by the order's currency,
///   naming the field, and a rule that means to round says `round`;
/// - a JSON number is written with exactly `exponent` places. When it has more, it is
///   rounded to the nearest only if the discarded part is float noise, under a millionth
///   of a minor unit (`12.299999999999999`, which is 4.1 × 3 in floats, → `12.30`;
///   `0.30000000000000004` → `0.30`); a real extra digit (`12.345`) is refused. The
///   discarded part is never near a half, so the tie rule never decides.
pub fn fit(amount: Read, exponent: u32) -> Result<Decimal, String> {
    let too_many = || format!("{} has more than {exponent} decimal places", amount.value);
    if !amount.float {
        // Text is exact: zeros beyond the places go, and other extra digits are left for
        // the core, which knows the order's currency (a dinar has three places) and
        // refuses an amount finer than it, naming the field.
        return Ok(amount.value.without_trailing_zeros(exponent).unwrap_or(amount.value));
    }
    let exact = amount.value;
    let rounded = exact
        .round_to(exponent, RoundMode::HalfEven)
        .ok_or_else(|| format!("{exact} is too large"))?;
    let scale = exact.scale.max(exponent);
    let moved = rounded
        .widen(scale)
        .zip(exact.widen(scale))
        .and_then(|(r, e)| r.mantissa.checked_sub(e.mantissa))
        .ok_or_else(|| format!("{exact} is too large"))?
        .abs();
    // moved × 10^-scale < 10^-(exponent + 6), i.e. moved × 10^(exponent + 6) < 10^scale.
    let noise = 10_i128
        .checked_pow(exponent + 6)
        .and_then(|p| moved.checked_mul(p))
        .zip(10_i128.checked_pow(scale))
        .is_some_and(|(scaled, one)| scaled < one);
    if noise { Ok(rounded) } else { Err(too_many()) }
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
        fit(read(form, exponent, &value)?, exponent).map(|d| d.to_string())
    }

    fn decimal(text: &str) -> Decimal {
        Decimal::parse(text, false).unwrap()
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
        // Strings are exact already: trailing zeros beyond the places go, other digits stay.
        assert_eq!(d(json!("19.990")).unwrap(), "19.99");
        assert_eq!(d(json!("55.9900")).unwrap(), "55.99");
        assert_eq!(d(json!("5")).unwrap(), "5", "never widened: the core reads 5 as 5.00");
        assert_eq!(
            d(json!("55.995")).unwrap(),
            "55.995",
            "the core judges it by the currency"
        );
        assert_eq!(text(MoneyForm::Decimal, 3, json!("1.2340")).unwrap(), "1.234");
        assert!(d(json!("1.2.3")).is_err());
        assert!(d(json!("1e3")).is_err());
    }

    #[test]
    fn every_rounding_mode_rounds_both_signs_as_documented() {
        use RoundMode::*;
        let cases = [
            ("55.995", HalfUp, "56.00"),
            ("55.994", HalfUp, "55.99"),
            ("-0.125", HalfUp, "-0.13"),
            ("0.125", HalfEven, "0.12"),
            ("0.135", HalfEven, "0.14"),
            ("-0.125", HalfEven, "-0.12"),
            ("0.1251", HalfEven, "0.13"),
            ("55.999", Down, "55.99"),
            ("-55.999", Down, "-55.99"),
            ("55.991", Up, "56.00"),
            ("-55.991", Up, "-56.00"),
            ("55.990", Up, "55.99"),
            ("7", HalfUp, "7.00"),
        ];
        for (value, mode, want) in cases {
            let got = decimal(value).round_to(2, mode).unwrap().to_string();
            assert_eq!(got, want, "{value} {mode:?}");
        }
    }

    #[test]
    fn shifting_moves_the_point_exactly() {
        assert_eq!(decimal("6").shift(-2).unwrap().to_string(), "0.06");
        assert_eq!(decimal("6.25").shift(-2).unwrap().to_string(), "0.0625");
        assert_eq!(decimal("0.06").shift(2).unwrap().to_string(), "6");
        assert_eq!(decimal("1.5").shift(3).unwrap().to_string(), "1500");
        assert!(decimal("1").shift(-31).is_none(), "beyond the places a value may have");
        assert!(decimal("1").shift(40).is_none(), "beyond i128");
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
