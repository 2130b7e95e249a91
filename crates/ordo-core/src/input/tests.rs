use super::*;
use crate::order::TaxRounding;

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
    let errors = errors_of(&parse(
        r#"{"financial_status": "paid", "shipping_address": {}, "lines": [{}]}"#,
    ));
    for field in [
        "channel",
        "external_id",
        "placed_at",
        "currency",
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
fn a_stated_total_is_kept_and_a_difference_is_reported_with_both_figures() {
    let mut input = parse(EXAMPLE);
    input.total = Some("198.00".into());
    let order = input.validate().unwrap();
    assert_eq!((order.stated_total, order.total_mismatch()), (Some(19800), None));
    input.total = Some("199.00".into());
    let order = input.validate().unwrap();
    assert_eq!(order.total_mismatch(), Some((19900, 19800)));
    // The stated figure survives the document form, so the difference stays visible.
    let again = OrderInput::from_order(&order).validate().unwrap();
    assert_eq!(again.total_mismatch(), Some((19900, 19800)));
}

#[test]
fn order_level_discounts_taxes_fees_and_tips_add_up_to_the_total() {
    let mut input = parse(EXAMPLE);
    input.discounts = vec![DiscountInput {
        code: Some("WELCOME10".into()),
        title: None,
        amount: Some("10.00".into()),
    }];
    input.fees = vec![
        FeeInput {
            kind: Some("cod".into()),
            title: Some("货到付款".into()),
            amount: Some("5.00".into()),
        },
        FeeInput {
            kind: None,
            title: Some("goodwill".into()),
            amount: Some("-1.00".into()),
        },
    ];
    input.tip = Some("2.50".into());
    input.total = Some("194.50".into());
    let order = input.validate().unwrap();
    let totals = order.totals();
    assert_eq!((totals.order_discount, totals.fees, totals.tip), (1000, 400, 250));
    assert_eq!(totals.total, 19800 - 1000 + 400 + 250);
    assert_eq!(order.total_mismatch(), None);
    let document = serde_json::to_string(&OrderInput::from_order(&order)).unwrap();
    assert_eq!(parse(&document).validate().unwrap(), order);
}

#[test]
fn tax_rounded_per_order_comes_from_the_order_tax_lines() {
    // Three lines of 1.19 at 19 % are 0.2261 each: 0.23 × 3 = 0.69 rounded per line,
    // 0.6783 → 0.68 rounded once per order.
    let mut input = parse(EXAMPLE);
    input.currency = Some("EUR".into());
    input.shipping_fee = None;
    input.lines.truncate(1);
    input.lines[0].unit_price = Some("1.19".into());
    input.lines[0].quantity = Some(3);
    input.lines[0].tax = Some("0.69".into());
    input.tax_lines = vec![TaxLineInput {
        title: Some("MwSt".into()),
        rate: Some("0.19".into()),
        amount: Some("0.68".into()),
    }];
    input.total = Some("4.25".into());
    let order = input.validate().unwrap();
    assert_eq!(order.tax_rounding, TaxRounding::PerOrder);
    assert_eq!(order.totals().tax, 68);
    assert_eq!(order.total_mismatch(), None);
    input.tax_rounding = Some("per_line".into());
    let order = input.validate().unwrap();
    assert_eq!(order.total_mismatch(), Some((425, 426)));
    input.tax_rounding = Some("per_item".into());
    assert_eq!(errors_of(&input), vec![("tax_rounding".to_owned(), "invalid_enum")]);
}

#[test]
fn a_stated_rounding_mode_survives_the_document_form_with_or_without_tax_lines() {
    for (mode, tax_lines) in [("per_order", 0), ("per_line", 1), ("per_order", 1), ("per_line", 0)] {
        let mut input = parse(EXAMPLE);
        input.tax_rounding = Some(mode.into());
        input.tax_lines = (0..tax_lines)
            .map(|_| TaxLineInput {
                amount: Some("1.00".into()),
                ..Default::default()
            })
            .collect();
        let order = input.validate().unwrap();
        let document = serde_json::to_string(&OrderInput::from_order(&order)).unwrap();
        assert_eq!(
            parse(&document).validate().unwrap(),
            order,
            "{mode} with {tax_lines} tax lines"
        );
    }
}

#[test]
fn discounts_beyond_the_goods_are_refused() {
    let mut input = parse(EXAMPLE);
    input.discounts = vec![DiscountInput {
        amount: Some("500.00".into()),
        ..Default::default()
    }];
    assert_eq!(errors_of(&input), vec![("discounts".to_owned(), "negative_total")]);
    input.discounts[0].amount = None;
    assert_eq!(errors_of(&input), vec![("discounts[0].amount".to_owned(), "required")]);
}

#[test]
fn extra_decimal_places_are_taken_when_exact_and_refused_naming_the_field_when_not() {
    let mut input = parse(EXAMPLE);
    input.lines[1].unit_price = Some("35.5000".into());
    assert_eq!(input.validate().unwrap().lines[1].unit_price, 3550);
    input.lines[1].unit_price = Some("35.505".into());
    let errors = input.validate().unwrap_err();
    assert_eq!(errors.0[0].field, "lines[1].unit_price");
    assert!(errors.0[0].message.contains("not zero"), "{}", errors.0[0].message);
}

#[test]
fn a_pending_order_may_come_without_prices_and_a_paid_one_may_not() {
    let mut input = parse(EXAMPLE);
    input.financial_status = Some("pending".into());
    input.shipping_fee = None;
    input.lines.iter_mut().for_each(|l| {
        l.unit_price = None;
        l.discount = None;
    });
    let order = input.validate().unwrap();
    assert_eq!(order.totals().total, 0);
    input.financial_status = Some("paid".into());
    assert_eq!(
        errors_of(&input),
        vec![
            ("lines[0].unit_price".to_owned(), "required"),
            ("lines[1].unit_price".to_owned(), "required")
        ]
    );
}

#[test]
fn an_order_without_an_address_is_valid_and_keeps_none() {
    let mut input = parse(EXAMPLE);
    input.shipping_address = None;
    let order = input.validate().unwrap();
    assert!(order.shipping_address.is_none() && order.ships());
    input.lines.iter_mut().for_each(|l| l.requires_shipping = Some(false));
    let order = input.validate().unwrap();
    assert!(!order.ships());
    let document = serde_json::to_string(&OrderInput::from_order(&order)).unwrap();
    assert_eq!(parse(&document).validate().unwrap(), order);
    // A partial address is kept as far as it goes; what is there must still be well-formed.
    let mut input = parse(EXAMPLE);
    let address = input.shipping_address.as_mut().unwrap();
    address.line1 = None;
    address.country = Some("C1".into());
    assert_eq!(
        errors_of(&input),
        vec![("shipping_address.country".to_owned(), "invalid_country")]
    );
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
