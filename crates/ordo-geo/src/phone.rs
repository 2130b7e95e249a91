//! Phone numbers in E.164 (`+8613800138000`).
//!
//! Accepts what buyers type: spaces, dashes, dots, brackets, full-width digits, invisible
//! characters, `+86`/`0086`/`86` before a Chinese mobile, `0755-…` Chinese landlines, NANP
//! numbers with or without the leading 1, and `+CC` numbers of any country. A number with a
//! digit too few or too many is an error: digits are never added, dropped or guessed.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{country, text};

/// What kind of line a number is, where the numbering plan tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// A mobile number.
    Mobile,
    /// A landline.
    Fixed,
    /// The plan does not say (NANP numbers, service numbers, countries not modelled).
    Unknown,
}

/// A normalised phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// E.164: `+`, country calling code, national number; digits only.
    pub e164: String,
    /// Mobile or landline, where known.
    pub kind: PhoneKind,
}

/// Why a phone number could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Nothing but whitespace and punctuation.
    #[error("phone number is empty")]
    Empty,
    /// A character that has no place in a phone number.
    #[error("phone number contains {0:?}; expected digits, an optional leading + and separators")]
    InvalidCharacter(char),
    /// A national number and no country to read it in.
    #[error("{0:?} has no country code (+CC) and no default country was given")]
    NeedsCountry(String),
    /// The default country is unknown or has no calling code.
    #[error("{0:?} is not a country with a calling code")]
    UnknownCountry(String),
    /// The digits after `+` start with no country calling code.
    #[error("+{0} does not start with a country calling code")]
    UnknownCallingCode(String),
    /// A Chinese mobile number without exactly 11 digits.
    #[error("a Chinese mobile number has 11 digits starting 13–19, this one has {0}")]
    ChineseMobileLength(usize),
    /// A number whose length or shape the country's numbering plan does not allow.
    #[error("{number:?} is not a valid {country} number: expected {expected}")]
    Invalid {
        /// Calling code the number was read in.
        country: String,
        /// The digits as read.
        number: String,
        /// What the numbering plan expects.
        expected: &'static str,
    },
}

/// Calling codes whose national numbers start with a trunk 0 that is dropped after the
/// country code (`020 7946 0958` is `+44 20 7946 0958`). Italy is absent: its 0 stays.
const TRUNK_ZERO: &[&str] = &[
    "20", "27", "31", "32", "33", "41", "43", "44", "46", "49", "54", "55", "60", "61", "62", "63", "64", "66", "81",
    "82", "84", "86", "90", "91", "92", "98", "234", "353", "358", "880", "886", "966", "971", "972",
];

/// National-number lengths for plans that fix them; others get the E.164 bounds.
const NATIONAL_LENGTHS: &[(&str, usize, usize)] = &[
    ("31", 9, 9),
    ("33", 9, 9),
    ("34", 9, 9),
    ("39", 6, 11),
    ("44", 9, 10),
    ("49", 6, 13),
    ("61", 9, 9),
    ("65", 8, 8),
    ("81", 9, 10),
    ("82", 8, 10),
    ("852", 8, 8),
    ("853", 8, 8),
    ("886", 8, 9),
];

/// Calling codes (up to three digits, as E.164 has) of the countries in the table.
static CALLING_CODES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    country::all()
        .iter()
        .filter(|c| (1..=3).contains(&c.calling_code.len()))
        .map(|c| (c.calling_code, c.iso2))
        .collect()
});

/// Normalises a phone number to E.164. National numbers are read in `default_country_iso2`
/// (the address's country, usually); without it only `+CC`/`00CC` numbers are accepted.
pub fn normalise(text: &str, default_country_iso2: Option<&str>) -> Result<Phone, PhoneError> {
    let digits = strip(text)?;
    if let Some(international) = digits.strip_prefix('+').or_else(|| digits.strip_prefix("00")) {
        return international_number(international);
    }
    let Some(iso2) = default_country_iso2 else {
        return Err(PhoneError::NeedsCountry(digits));
    };
    let code = country::by_iso2(iso2)
        .map(|c| c.calling_code)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| PhoneError::UnknownCountry(iso2.to_owned()))?;
    match code {
        "86" => chinese_national(&digits),
        "1" => {
            let national = digits.strip_prefix("011");
            if let Some(international) = national {
                return international_number(international);
            }
            let nsn = if digits.len() == 11 {
                digits.strip_prefix('1').unwrap_or(&digits)
            } else {
                &digits
            };
            build("1", nsn)
        }
        _ => {
            if TRUNK_ZERO.contains(&code)
                && let Some(nsn) = digits.strip_prefix('0')
            {
                return build(code, nsn);
            }
            // A trunk-zero country's number without its 0 either lost the 0 or carries the
            // country code without "+"; the code reading wins only when it fits the plan.
            if let Some(nsn) = digits.strip_prefix(code)
                && length_fits(code, nsn)
            {
                return build(code, nsn);
            }
            build(code, &digits)
        }
    }
}

/// Removes separators and invisible characters; keeps a leading `+`.
fn strip(text: &str) -> Result<String, PhoneError> {
    let cleaned = text::clean(text);
    let lowered = cleaned.to_ascii_lowercase();
    let mut body = lowered.strip_prefix("tel:").unwrap_or(&lowered).trim().to_owned();
    if body.starts_with('+') || body.starts_with("00") {
        // "+44 (0)20 …": the bracketed trunk 0 is dialled only inside the country.
        body = body.replacen("(0)", "", 1);
    }
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            // "(+86) 138…": the plus may sit inside a bracket, but before any digit.
            '+' if digits.is_empty() => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '‐' | '–' | '—' | '（' | '）' => {}
            _ => return Err(PhoneError::InvalidCharacter(c)),
        }
    }
    if digits.trim_start_matches('+').is_empty() {
        return Err(PhoneError::Empty);
    }
    Ok(digits)
}

fn international_number(digits: &str) -> Result<Phone, PhoneError> {
    let code = (1..=3)
        .filter(|&n| n <= digits.len())
        .map(|n| &digits[..n])
        .find(|prefix| CALLING_CODES.contains_key(prefix))
        .ok_or_else(|| PhoneError::UnknownCallingCode(digits.to_owned()))?;
    let nsn = &digits[code.len()..];
    if code == "86" {
        // "+86 0755 …" keeps the trunk 0 by mistake; the number is the same without it.
        return chinese_nsn(nsn.strip_prefix('0').unwrap_or(nsn));
    }
    let nsn = if TRUNK_ZERO.contains(&code) {
        nsn.strip_prefix('0').unwrap_or(nsn)
    } else {
        nsn
    };
    build(code, nsn)
}

fn chinese_national(digits: &str) -> Result<Phone, PhoneError> {
    if let Some(nsn) = digits.strip_prefix('0') {
        return chinese_nsn(nsn);
    }
    // "86 138 0013 8000": the country code without "+" (a national number never starts 86
    // with 12 or 13 digits, since landlines are dialled with their 0).
    if let Some(nsn) = digits.strip_prefix("86").filter(|n| n.len() >= 10) {
        return chinese_nsn(nsn);
    }
    if digits.starts_with("400") || digits.starts_with("800") || digits.starts_with('1') {
        return chinese_nsn(digits);
    }
    Err(PhoneError::Invalid {
        country: "86".into(),
        number: digits.to_owned(),
        expected: "a mobile (1[3-9] and 9 digits) or a landline with its area code (0xx-xxxxxxxx)",
    })
}

/// A Chinese national significant number (no trunk 0).
fn chinese_nsn(nsn: &str) -> Result<Phone, PhoneError> {
    let e164 = format!("+86{nsn}");
    let b = nsn.as_bytes();
    let kind = match b {
        [b'1', b'3'..=b'9', ..] if nsn.len() == 11 => PhoneKind::Mobile,
        [b'1', b'3'..=b'9', ..] => return Err(PhoneError::ChineseMobileLength(nsn.len())),
        [b'4' | b'8', b'0', b'0', ..] if nsn.len() == 10 => PhoneKind::Unknown,
        // Two-digit area codes (10 Beijing, 2x) with 8-digit numbers; 3-digit with 7 or 8.
        [b'1', b'0', ..] | [b'2', ..] if nsn.len() == 10 => PhoneKind::Fixed,
        [b'3'..=b'9', ..] if (10..=11).contains(&nsn.len()) => PhoneKind::Fixed,
        _ => {
            return Err(PhoneError::Invalid {
                country: "86".into(),
                number: nsn.to_owned(),
                expected: "a mobile (1[3-9] and 9 digits) or an area code and 7–8 digits",
            });
        }
    };
    Ok(Phone { e164, kind })
}

fn length_fits(code: &str, nsn: &str) -> bool {
    if code == "1" {
        return nsn.len() == 10;
    }
    match NATIONAL_LENGTHS.iter().find(|(c, _, _)| *c == code) {
        Some((_, min, max)) => (*min..=*max).contains(&nsn.len()),
        None => nsn.len() >= 4 && (8..=15).contains(&(code.len() + nsn.len())),
    }
}

fn build(code: &str, nsn: &str) -> Result<Phone, PhoneError> {
    let invalid = |expected| PhoneError::Invalid {
        country: code.to_owned(),
        number: nsn.to_owned(),
        expected,
    };
    if code == "86" {
        return chinese_nsn(nsn);
    }
    if code == "1" {
        let b = nsn.as_bytes();
        // NANP: area code and exchange both start 2–9.
        let valid = b.len() == 10 && (b'2'..=b'9').contains(&b[0]) && (b'2'..=b'9').contains(&b[3]);
        if !valid {
            return Err(invalid(
                "10 digits (area code and number, e.g. 212 555 0123), optionally after 1",
            ));
        }
        return Ok(Phone {
            e164: format!("+1{nsn}"),
            kind: PhoneKind::Unknown,
        });
    }
    if !length_fits(code, nsn) || nsn.starts_with('0') && TRUNK_ZERO.contains(&code) {
        return Err(invalid("a national number of the length the country's plan allows"));
    }
    Ok(Phone {
        e164: format!("+{code}{nsn}"),
        kind: kind_of(code, nsn),
    })
}

/// Mobile ranges of the plans modelled here; everything else is `Unknown`.
fn kind_of(code: &str, nsn: &str) -> PhoneKind {
    let mobile = match code {
        "44" => Some(nsn.starts_with('7')),
        "49" => Some(["15", "16", "17"].iter().any(|p| nsn.starts_with(p))),
        "81" => Some(["70", "80", "90"].iter().any(|p| nsn.starts_with(p))),
        "33" => Some(nsn.starts_with('6') || nsn.starts_with('7')),
        _ => None,
    };
    match mobile {
        Some(true) => PhoneKind::Mobile,
        Some(false) => PhoneKind::Fixed,
        None => PhoneKind::Unknown,
    }
}

#[cfg(test)]
mod tests;
