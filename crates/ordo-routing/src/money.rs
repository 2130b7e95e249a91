//! Decimal amounts from the config ("8.00") turned into integer minor units, so no cost
//! is ever a float.

/// Digits after the decimal point for a currency (ISO 4217). Currencies not listed use 2,
/// which is right for almost all of them.
pub(crate) fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "PYG" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// Whether `code` looks like an ISO 4217 code (three upper-case letters).
pub(crate) fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Parses a non-negative decimal amount into minor units of `currency`, refusing more
/// decimals than the currency has: a silent rounding of a tariff would be a wrong price.
pub(crate) fn parse_minor(text: &str, currency: &str) -> Result<i64, String> {
    let digits = minor_digits(currency);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || (text.contains('.') && fraction.is_empty()) {
        return Err(format!("{text:?} is not an amount like \"8.00\""));
    }
    if fraction.len() > digits as usize {
        return Err(format!(
            "{text:?} has more than {digits} decimals, which {currency} does not have"
        ));
    }
    let scale = 10_i64.pow(digits);
    let padded = format!("{fraction:0<width$}", width = digits as usize);
    let whole: i64 = whole.parse().map_err(|_| format!("{text:?} is too large"))?;
    let fraction: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().map_err(|_| format!("{text:?} is invalid"))?
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_minor_units() {
        assert_eq!(parse_minor("8.00", "CNY"), Ok(800));
        assert_eq!(parse_minor("8.5", "CNY"), Ok(850));
        assert_eq!(parse_minor("12", "USD"), Ok(1200));
        assert_eq!(parse_minor("800", "JPY"), Ok(800));
        assert_eq!(parse_minor("1.250", "KWD"), Ok(1250));
    }

    #[test]
    fn malformed_or_overprecise_amounts_are_refused() {
        assert!(
            parse_minor("8.001", "CNY")
                .unwrap_err()
                .contains("more than 2 decimals")
        );
        assert!(parse_minor("8.5", "JPY").is_err());
        for bad in ["", ".5", "8.", "-1", "1e3", "8,00", "99999999999999999999"] {
            assert!(parse_minor(bad, "CNY").is_err(), "{bad}");
        }
    }
}
