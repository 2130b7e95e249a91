//! Postal codes in each country's canonical written form.
//!
//! Only re-expression: case, spaces, hyphens, full-width digits and country prefixes
//! ("D-80331"). A code that is too short is an error, never padded: "2108" may be a
//! Boston ZIP that lost its leading zero, but that zero is not in the data.

use thiserror::Error;

use crate::text;

/// Why a postal code could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PostalError {
    /// Nothing but whitespace.
    #[error("postal code is empty")]
    Empty,
    /// Not in the country's format.
    #[error("{value:?} is not a {country} postal code: expected {expected}")]
    Invalid {
        /// ISO alpha-2 country code.
        country: String,
        /// The code as given (cleaned).
        value: String,
        /// The expected format, with an example.
        expected: &'static str,
    },
}

/// Normalises `text` as a postal code of `country_iso2`: CN 6 digits; US `12345` or
/// `12345-6789`; CA `A1A 1A1`; GB outward and inward code with one space (`SW1A 1AA`);
/// DE, FR, IT, ES 5 digits; JP `123-4567`; AU 4 digits; NL `1234 AB`. Other countries'
/// codes are returned cleaned and trimmed.
pub fn normalise(country_iso2: &str, text: &str) -> Result<String, PostalError> {
    let cleaned = text::clean(text).into_owned();
    if cleaned.is_empty() {
        return Err(PostalError::Empty);
    }
    let country = country_iso2.trim().to_ascii_uppercase();
    // Spaces, hyphens and the Japanese postal mark carry no information in any format here.
    let compact: String = cleaned
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '〒' | '‐' | '–'))
        .collect::<String>()
        .to_ascii_uppercase();
    let invalid = |expected: &'static str| PostalError::Invalid {
        country: country.clone(),
        value: cleaned.clone(),
        expected,
    };
    let digits = |n: usize| compact.len() == n && compact.bytes().all(|b| b.is_ascii_digit());
    match country.as_str() {
        "CN" if digits(6) => Ok(compact),
        "CN" => Err(invalid("6 digits, e.g. 310012")),
        "US" if digits(5) => Ok(compact),
        "US" if digits(9) => Ok(format!("{}-{}", &compact[..5], &compact[5..])),
        "US" => Err(invalid(
            "5 digits or ZIP+4, e.g. 02108 or 02108-1234 (leading zeros are part of the code)",
        )),
        "CA" if is_canadian(&compact) => Ok(format!("{} {}", &compact[..3], &compact[3..])),
        "CA" => Err(invalid("letter-digit-letter digit-letter-digit, e.g. K1A 0B1")),
        "GB" if is_british(&compact) => Ok(format!(
            "{} {}",
            &compact[..compact.len() - 3],
            &compact[compact.len() - 3..]
        )),
        "GB" => Err(invalid("an outward and inward code, e.g. SW1A 1AA")),
        "DE" | "FR" | "IT" | "ES" => {
            let code = strip_country_prefix(&compact, &country);
            if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) {
                Ok(code.to_owned())
            } else {
                Err(invalid("5 digits, e.g. 01067 (leading zeros are part of the code)"))
            }
        }
        "JP" if digits(7) => Ok(format!("{}-{}", &compact[..3], &compact[3..])),
        "JP" => Err(invalid("7 digits written 123-4567, e.g. 100-0001")),
        "AU" if digits(4) => Ok(compact),
        "AU" => Err(invalid("4 digits, e.g. 2000")),
        "NL" if is_dutch(&compact) => Ok(format!("{} {}", &compact[..4], &compact[4..])),
        "NL" => Err(invalid("4 digits and 2 letters, e.g. 1012 AB")),
        _ => Ok(cleaned),
    }
}

/// "D-80331", "DE-80331", "F-75001": country prefixes from European address habits.
fn strip_country_prefix<'a>(compact: &'a str, country: &str) -> &'a str {
    let letter = &country[..1];
    compact
        .strip_prefix(country)
        .or_else(|| compact.strip_prefix(letter).filter(|rest| rest.len() == 5))
        .filter(|rest| rest.len() == 5)
        .unwrap_or(compact)
}

fn is_canadian(code: &str) -> bool {
    // D, F, I, O, Q and U are never used (they read like digits); W and Z never start one.
    let letter =
        |c: u8, first: bool| c.is_ascii_uppercase() && !b"DFIOQU".contains(&c) && !(first && b"WZ".contains(&c));
    let b = code.as_bytes();
    b.len() == 6
        && letter(b[0], true)
        && b[1].is_ascii_digit()
        && letter(b[2], false)
        && b[3].is_ascii_digit()
        && letter(b[4], false)
        && b[5].is_ascii_digit()
}

fn is_british(code: &str) -> bool {
    if code == "GIR0AA" {
        return true;
    }
    let shape: String = code
        .chars()
        .map(|c| match c {
            'A'..='Z' => 'A',
            '0'..='9' => '9',
            _ => '?',
        })
        .collect();
    let Some(outward) = shape.strip_suffix("9AA") else {
        return false;
    };
    matches!(outward, "A9" | "A99" | "A9A" | "AA9" | "AA99" | "AA9A")
}

fn is_dutch(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 6 && b[0] != b'0' && b[..4].iter().all(u8::is_ascii_digit) && b[4..].iter().all(u8::is_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(country: &str, text: &str) -> String {
        normalise(country, text).unwrap_or_else(|e| panic!("{country} {text}: {e}"))
    }

    #[test]
    fn each_country_gets_its_canonical_form() {
        assert_eq!(ok("CN", " 310012 "), "310012");
        assert_eq!(ok("CN", "３１００１２"), "310012");
        assert_eq!(ok("US", "02108"), "02108");
        assert_eq!(ok("US", "02108-1234"), "02108-1234");
        assert_eq!(ok("US", "021081234"), "02108-1234");
        assert_eq!(ok("CA", "k1a0b1"), "K1A 0B1");
        assert_eq!(ok("CA", "M5V  3L9"), "M5V 3L9");
        assert_eq!(ok("GB", "sw1a1aa"), "SW1A 1AA");
        assert_eq!(ok("GB", "M1 1AE"), "M1 1AE");
        assert_eq!(ok("GB", "b338th"), "B33 8TH");
        assert_eq!(ok("GB", "W1A 0AX"), "W1A 0AX");
        assert_eq!(ok("GB", "dn551pt"), "DN55 1PT");
        assert_eq!(ok("GB", "EC1A 1BB"), "EC1A 1BB");
        assert_eq!(ok("DE", "01067"), "01067");
        assert_eq!(ok("DE", "D-80331"), "80331");
        assert_eq!(ok("FR", "75001"), "75001");
        assert_eq!(ok("JP", "1000001"), "100-0001");
        assert_eq!(ok("JP", "〒100-0001"), "100-0001");
        assert_eq!(ok("AU", "2000"), "2000");
        assert_eq!(ok("NL", "1012ab"), "1012 AB");
        assert_eq!(ok("BR", "  01310-100 "), "01310-100");
    }

    #[test]
    fn missing_digits_are_errors_never_padded() {
        let err = normalise("US", "2108").unwrap_err();
        assert!(err.to_string().contains("5 digits"), "{err}");
        assert!(normalise("DE", "1067").is_err());
        assert!(normalise("CN", "31001").is_err());
        assert!(normalise("JP", "100-001").is_err());
    }

    #[test]
    fn wrong_shapes_say_what_was_expected() {
        let err = normalise("CA", "K1A 0BI").unwrap_err();
        assert!(err.to_string().contains("K1A 0B1"), "{err}");
        assert!(normalise("GB", "SW1A").is_err());
        assert!(normalise("GB", "1AA SW1").is_err());
        assert!(normalise("NL", "0123 AB").is_err());
        assert_eq!(normalise("US", "   "), Err(PostalError::Empty));
    }
}
