use super::*;

fn e164(text: &str, country: Option<&str>) -> String {
    normalise(text, country).unwrap_or_else(|e| panic!("{text}: {e}")).e164
}

#[test]
fn chinese_mobiles_in_every_common_spelling() {
    for text in [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "0086 13800138000",
        "86 13800138000",
        "8613800138000",
        "(+86) 138.0013.8000",
        "１３８００１３８０００",
        "138\u{200B}0013\u{FEFF}8000",
        "tel:+8613800138000",
    ] {
        assert_eq!(e164(text, Some("CN")), "+8613800138000", "{text}");
    }
    assert_eq!(normalise("13800138000", Some("CN")).unwrap().kind, PhoneKind::Mobile);
}

#[test]
fn chinese_mobiles_with_a_digit_missing_or_extra_are_errors() {
    for text in [
        "1380013800",
        "+86 138 0013 800",
        "138001380001",
        "86 1380013800",
        "0086138001380",
    ] {
        assert!(
            matches!(normalise(text, Some("CN")), Err(PhoneError::ChineseMobileLength(_))),
            "{text}: {:?}",
            normalise(text, Some("CN"))
        );
    }
}

#[test]
fn chinese_landlines_drop_the_trunk_zero() {
    let p = normalise("0755-86013388", Some("CN")).unwrap();
    assert_eq!((p.e164.as_str(), p.kind), ("+8675586013388", PhoneKind::Fixed));
    assert_eq!(e164("010-6552 9988", Some("CN")), "+861065529988");
    assert_eq!(e164("(021) 6321 8888", Some("CN")), "+862163218888");
    assert_eq!(e164("+86 (0)571 8888 8888", None), "+8657188888888");
    assert_eq!(e164("0871-6312345", Some("CN")), "+868716312345");
    assert!(
        normalise("63218888", Some("CN")).is_err(),
        "a landline needs its area code"
    );
}

#[test]
fn nanp_numbers_with_or_without_the_leading_one() {
    for text in [
        "(212) 555-0123",
        "212.555.0123",
        "1-212-555-0123",
        "+1 212 555 0123",
        "001 212 555 0123",
    ] {
        assert_eq!(e164(text, Some("US")), "+12125550123", "{text}");
    }
    assert_eq!(e164("416-555-0199", Some("CA")), "+14165550199");
    assert!(normalise("212 555 012", Some("US")).is_err());
    assert!(normalise("(012) 555-0123", Some("US")).is_err(), "area codes start 2-9");
}

#[test]
fn other_countries_drop_the_trunk_zero_but_italy_keeps_it() {
    let p = normalise("020 7946 0958", Some("GB")).unwrap();
    assert_eq!((p.e164.as_str(), p.kind), ("+442079460958", PhoneKind::Fixed));
    assert_eq!(e164("+44 (0)20 7946 0958", None), "+442079460958");
    assert_eq!(normalise("07700 900123", Some("GB")).unwrap().kind, PhoneKind::Mobile);
    assert_eq!(e164("030 1234567", Some("DE")), "+49301234567");
    assert_eq!(e164("03-1234-5678", Some("JP")), "+81312345678");
    assert_eq!(e164("090-1234-5678", Some("JP")), "+819012345678");
    assert_eq!(e164("06 1234 5678", Some("IT")), "+390612345678");
    assert_eq!(e164("+33 1 23 45 67 89", None), "+33123456789");
}

#[test]
fn generic_international_numbers_are_kept_within_e164_length() {
    assert_eq!(e164("+7 495 123-45-67", None), "+74951234567");
    assert_eq!(e164("+55 11 91234-5678", None), "+5511912345678");
    assert!(normalise("+1234", None).is_err());
    assert!(normalise("+49 30 1234567890123456", None).is_err());
}

#[test]
fn national_numbers_need_a_country_and_junk_is_refused() {
    assert!(matches!(
        normalise("13800138000", None),
        Err(PhoneError::NeedsCountry(_))
    ));
    assert!(matches!(
        normalise("138 0013 8000 ext 12", Some("CN")),
        Err(PhoneError::InvalidCharacter('e'))
    ));
    assert_eq!(normalise(" - ", Some("CN")), Err(PhoneError::Empty));
    assert!(matches!(
        normalise("+999 1234 5678", None),
        Err(PhoneError::UnknownCallingCode(_))
    ));
}
