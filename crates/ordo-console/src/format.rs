//! Money and times as a person reads them: amounts in the currency's own minor units with
//! its symbol, times in the tenant's time zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ordo_core::money::Currency;

/// `minor` units of `currency` as text, e.g. `¥1,234.50`; exact, never through a float.
pub fn money(minor: i64, currency: &str) -> String {
    let exponent = Currency::parse(currency).map_or(2, |c| c.exponent());
    let scale = 10_i64.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = group(abs / scale as u64);
    let symbol = match currency {
        "CNY" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "JP¥",
        "HKD" => "HK$",
        _ => "",
    };
    let unit = if symbol.is_empty() {
        format!(" {currency}")
    } else {
        String::new()
    };
    if exponent == 0 {
        format!("{sign}{symbol}{whole}{unit}")
    } else {
        let fraction = abs % scale as u64;
        format!(
            "{sign}{symbol}{whole}.{fraction:0width$}{unit}",
            width = exponent as usize
        )
    }
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A time to the minute in `tz`, e.g. `2026-12-07 14:05`.
pub fn time(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A time to the second in `tz`, for timelines.
pub fn time_exact(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A duration as `3 d 4 h`, `2 h 5 m` or `7 m`.
pub fn age(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    match (minutes / 1440, minutes % 1440 / 60, minutes % 60) {
        (0, 0, m) => format!("{m} m"),
        (0, h, m) => format!("{h} h {m} m"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A latency bucket bound in seconds as `45 s`, `5 m`, `2 h` or `3 d`.
pub fn age_short(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_in_each_currencys_minor_units() {
        assert_eq!(money(123_450, "CNY"), "¥1,234.50");
        assert_eq!(money(-5, "USD"), "-$0.05");
        assert_eq!(money(1_000_000, "JPY"), "JP¥1,000,000");
        assert_eq!(money(1_234_567, "KWD"), "1,234.567 KWD");
        assert_eq!(money(i64::MIN, "CNY"), "-¥92,233,720,368,547,758.08");
    }

    #[test]
    fn times_are_shown_in_the_tenants_zone() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T16:30:00Z").unwrap().to_utc();
        assert_eq!(time(at, chrono_tz::Asia::Shanghai), "2026-12-08 00:30");
        assert_eq!(age(3 * 86_400 + 4 * 3600), "3 d 4 h");
        assert_eq!(age(125 * 60), "2 h 5 m");
    }
}
