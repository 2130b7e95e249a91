//! Money: integer minor units plus an ISO 4217 currency. Never a float.
//!
//! Amounts travel as decimal strings (`"79.00"`) and are parsed exactly; a string with more
//! fractional digits than the currency has (`"1.005"` in CNY) is an error, not a rounding,
//! because silently rounding a price is how ledgers drift.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Active ISO 4217 codes. Exponents other than 2 are listed in [`Currency::exponent`].
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLF", "CLP", "CNY", "COP",
    "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
    "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD",
    "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN",
    "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC",
    "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "CNY"))]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses an ISO 4217 code; lower case is accepted and upper-cased.
    pub fn parse(code: &str) -> Result<Self, String> {
        let upper = code.trim().to_ascii_uppercase();
        match ISO_4217.binary_search(&upper.as_str()) {
            Ok(_) => {
                let bytes = upper.as_bytes();
                Ok(Self([bytes[0], bytes[1], bytes[2]]))
            }
            Err(_) => Err(format!("{code:?} is not an ISO 4217 currency code")),
        }
    }

    /// The code, e.g. `"CNY"`.
    pub fn code(&self) -> &str {
        // Built only from ASCII codes of the table above.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in this currency's minor unit.
    pub fn exponent(&self) -> u32 {
        match self.code() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV"
            | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            "CLF" => 4,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> String {
        value.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money in integer minor units (fen, cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// Amount in minor units.
    pub minor: i64,
    /// Its currency.
    pub currency: Currency,
}

/// Largest absolute amount accepted from outside, in minor units. One trillion major units
/// at exponent 4 stays far from `i64` overflow even when summed over many lines.
const MAX_ABS_MINOR: i64 = 10_i64.pow(16);

impl Money {
    /// Zero in a currency.
    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// Parses a decimal string such as `"79.00"`, `"79"`, `"-5.5"` exactly.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, String> {
        let exponent = currency.exponent();
        let trimmed = text.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(format!("{text:?} is not a decimal amount such as \"79.00\""));
        }
        // "55.9900" is exact at two places (platforms such as BigCommerce pad to four);
        // only a non-zero digit beyond the currency's precision would be lost.
        let fraction = if fraction.len() > exponent as usize && fraction[exponent as usize..].bytes().all(|b| b == b'0')
        {
            &fraction[..exponent as usize]
        } else {
            fraction
        };
        if fraction.len() > exponent as usize {
            return Err(format!(
                "{text:?} has {} decimal places but {} has {exponent}, and the extra digits are not zero",
                fraction.len(),
                currency.code()
            ));
        }
        let too_large = || format!("{text:?} is too large");
        let scale = 10_i64.pow(exponent);
        let whole_value: i64 = whole.parse().map_err(|_| too_large())?;
        let mut fraction_value: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().map_err(|_| too_large())?
        };
        fraction_value *= 10_i64.pow(exponent - fraction.len() as u32);
        let magnitude = whole_value
            .checked_mul(scale)
            .and_then(|v| v.checked_add(fraction_value))
            .filter(|v| *v <= MAX_ABS_MINOR)
            .ok_or_else(too_large)?;
        Ok(Self {
            minor: if negative { -magnitude } else { magnitude },
            currency,
        })
    }

    /// Adds two amounts of the same currency. Amounts inside an order share its currency, so
    /// a mismatch is a programming error and reported as `None` rather than a panic.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Money {
                minor,
                currency: self.currency,
            })
    }

    /// Multiplies by a count.
    pub fn checked_mul(self, count: u32) -> Option<Money> {
        self.minor.checked_mul(i64::from(count)).map(|minor| Money {
            minor,
            currency: self.currency,
        })
    }

    /// Subtracts an amount of the same currency.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.checked_add(Money {
            minor: other.minor.checked_neg()?,
            currency: other.currency,
        })
    }

    /// The exact decimal text, e.g. `"79.00"`.
    pub fn to_decimal_string(&self) -> String {
        let exponent = self.currency.exponent();
        if exponent == 0 {
            return self.minor.to_string();
        }
        let scale = 10_u64.pow(exponent);
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exponent as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cny() -> Currency {
        Currency::parse("CNY").unwrap()
    }

    #[test]
    fn the_currency_table_is_sorted_so_binary_search_works() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn decimal_strings_parse_exactly() {
        assert_eq!(Money::parse("79.00", cny()).unwrap().minor, 7900);
        assert_eq!(Money::parse("35.5", cny()).unwrap().minor, 3550);
        assert_eq!(Money::parse("10", cny()).unwrap().minor, 1000);
        assert_eq!(Money::parse("-5.50", cny()).unwrap().minor, -550);
        assert_eq!(
            Money::parse("1200", Currency::parse("jpy").unwrap()).unwrap().minor,
            1200
        );
        assert_eq!(
            Money::parse("1.234", Currency::parse("KWD").unwrap()).unwrap().minor,
            1234
        );
    }

    #[test]
    fn malformed_or_over_precise_amounts_are_rejected() {
        for bad in ["", "abc", "1.2.3", "1,00", "1e3", ".5", "5.", "1.005", "NaN", "--1"] {
            assert!(Money::parse(bad, cny()).is_err(), "{bad:?} should be rejected");
        }
        assert!(
            Money::parse("1.5", Currency::parse("JPY").unwrap())
                .unwrap_err()
                .contains("JPY has 0")
        );
        assert!(Money::parse("99999999999999999999", cny()).is_err());
    }

    #[test]
    fn unknown_currencies_are_rejected() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("RMB").is_err());
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_is_the_identity(minor in -MAX_ABS_MINOR..=MAX_ABS_MINOR, code in prop::sample::select(vec!["CNY", "JPY", "KWD", "USD", "CLF"])) {
            let money = Money { minor, currency: Currency::parse(code).unwrap() };
            prop_assert_eq!(Money::parse(&money.to_decimal_string(), money.currency).unwrap(), money);
        }
    }
}
