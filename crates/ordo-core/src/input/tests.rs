use super::*;

/// The example every Ordo install must accept as is.
pub(crate) const EXAMPLE: &str = super::EXAMPLE_JSON;

fn parse(json: &str) -> OrderInput {
    serde_json::from_str(json).expect("input deserialises")
}

fn errors_of(input: &OrderInput) -> Vec<(String, &'static str)> {
    input
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

#[test]
fn the_reference_example_is_accepted_with_exact_totals() {
    let order = parse(EXAMPLE).validate().unwrap();
    assert_eq!(order.channel.as_str(), "web");
    assert_eq!(order.placed_at.to_rfc3339(), "2026-11-22T02:15:00+00:00");
    assert_eq!(order.lines.len(), 2);
    let totals = order.totals();
    assert_eq!(totals.items, 2 * 7900 + 3550);
    assert_eq!(totals.discount, 550);
    assert_eq!(totals.total, 15800 + 3550 - 550 + 1000);
    assert_eq!(order.financial_status, FinancialStatus::Paid);
}

#[test]
fn the_document_form_round_trips() {
    let order = parse(EXAMPLE).validate().unwrap();
    let document = serde_json::to_string(&OrderInput::from_order(&order)).unwrap();
    assert_eq!(parse(&document).validate().unwrap(), order);
}

#[test]
fn every_missing_required_field_is_named() {
    let errors = errors_of(&parse(r#"{"shipping_address": {}, "lines": [{}]}"#));
    for field in [
        "channel",
        "external_id",
        "placed_at",
        "currency",
        "shipping_address.name",
        "shipping_address.line1",
        "shipping_address.country",
        "lines[0].sku",
        "lines[0].quantity",
        "lines[0].unit_price",
    ] {
        assert!(
            errors.contains(&(field.to_owned(), "required")),
            "{field} not reported in {errors:?}"
        );
    }
}

#[test]
fn bad_values_are_reported_at_their_path() {
    let mut input = parse(EXAMPLE);
    input.lines[1].unit_price = Some("35.505".into());
    input.lines[0].quantity = Some(0);
    input.currency = Some("RMB".into());
    input.placed_at = Some("22/11/2026".into());
    let errors = errors_of(&input);
    assert!(errors.contains(&("lines[0].quantity".into(), "invalid_quantity")));
    assert!(errors.contains(&("currency".into(), "invalid_currency")));
    assert!(errors.contains(&("placed_at".into(), "invalid_time")));

    let mut input = parse(EXAMPLE);
    input.lines[1].unit_price = Some("35.505".into());
    assert_eq!(
        errors_of(&input),
        vec![("lines[1].unit_price".to_owned(), "invalid_money")]
    );
}

#[test]
fn a_claimed_total_must_match_the_computed_one() {
    let mut input = parse(EXAMPLE);
    input.total = Some("198.00".into());
    assert!(input.validate().is_ok());
    input.total = Some("199.00".into());
    assert_eq!(errors_of(&input), vec![("total".to_owned(), "total_mismatch")]);
}

#[test]
fn money_as_a_json_number_is_refused_with_a_reason() {
    let error = serde_json::from_str::<OrderInput>(&EXAMPLE.replace(r#""79.00""#, "79.0")).unwrap_err();
    assert!(error.to_string().contains("decimal string"), "{error}");
}

#[test]
fn unknown_fields_are_refused_so_typos_do_not_vanish() {
    let error =
        serde_json::from_str::<OrderInput>(&EXAMPLE.replace(r#""shipping_fee""#, r#""shiping_fee""#)).unwrap_err();
    assert!(error.to_string().contains("shiping_fee"), "{error}");
}

#[test]
fn integer_ids_beyond_two_to_the_53_are_kept_exactly() {
    let input = parse(&EXAMPLE.replace(r#""W-1001""#, "820982911946154508"));
    assert_eq!(input.validate().unwrap().external_id.as_str(), "820982911946154508");
}

#[test]
fn a_discount_above_the_line_price_is_refused() {
    let mut input = parse(EXAMPLE);
    input.lines[1].discount = Some("36.00".into());
    assert_eq!(
        errors_of(&input),
        vec![("lines[1].discount".to_owned(), "discount_exceeds_price")]
    );
}

#[test]
fn control_characters_in_text_are_refused_but_line_breaks_are_not() {
    let mut input = parse(EXAMPLE);
    input.remark = Some("line one\nline two".into());
    assert!(input.validate().is_ok());
    input.remark = Some("bad\u{0}byte".into());
    assert_eq!(errors_of(&input), vec![("remark".to_owned(), "invalid_character")]);
}

#[test]
fn times_are_kept_to_the_microsecond() {
    let mut input = parse(EXAMPLE);
    input.placed_at = Some("2026-11-22T10:15:00.123456789+08:00".into());
    let order = input.validate().unwrap();
    assert_eq!(order.placed_at.timestamp_subsec_nanos(), 123_456_000);
}
