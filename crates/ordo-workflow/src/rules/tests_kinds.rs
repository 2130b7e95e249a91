//! Each rule kind, once where it fires and once where it does not.

use chrono::Duration;
use serde_json::json;

use super::*;
use crate::test_support::{at, example_order, order_with, plain_order, s, set};

/// Placed 2026-11-22T02:15Z; a day later nothing time-based is pending.
fn later() -> RuleContext {
    RuleContext::at(at("2026-11-23T02:15:00Z"))
}

/// Evaluates one rule (`outcome = "hold"` unless the body says otherwise).
fn hit(body: &str, order: &Order, ctx: &RuleContext) -> Option<Hit> {
    let outcome = if body.contains("outcome") || body.contains("review_window") || body.contains("paid_for") {
        ""
    } else {
        "outcome = \"hold\"\n"
    };
    let text = format!("[[rule]]\nname = \"r\"\n{outcome}{body}\n");
    let rules = RuleSet::from_toml(&text, "rules.toml").unwrap_or_else(|e| panic!("{e}"));
    let verdict = rules.evaluate(order, ctx);
    assert!(verdict.hits.len() <= 1);
    verdict.hits.into_iter().next()
}

#[test]
fn missing_address_fires_for_a_chinese_address_without_province_or_city() {
    let order = order_with(|o| {
        o["shipping_address"].as_object_mut().unwrap().remove("province");
        o["shipping_address"].as_object_mut().unwrap().remove("city");
    });
    let hit = hit("kind = \"missing_address\"", &order, &later()).unwrap();
    assert_eq!(hit.code, "missing_address");
    assert_eq!(hit.field.as_deref(), Some("shipping_address.province"));
    assert_eq!(hit.message, "the shipping address has no province, city");
    assert!(hit.suggestion.is_some());
}

#[test]
fn an_absent_address_is_held_for_goods_that_ship_even_without_a_rule() {
    let order = order_with(|o| {
        o.as_object_mut().unwrap().remove("shipping_address");
    });
    let found = hit("kind = \"missing_address\"", &order, &later()).unwrap();
    assert_eq!(
        (found.code, found.field.as_deref()),
        ("address_missing", Some("shipping_address"))
    );
    // A `pass` rule cannot wave it through: nothing can ship without a destination.
    let rules = RuleSet::from_toml(
        "[[rule]]\nname = \"all\"\nkind = \"remark_present\"\noutcome = \"pass\"\n",
        "r.toml",
    )
    .unwrap();
    let verdict = rules.evaluate(&order, &later());
    assert_eq!(verdict.decision, Decision::Hold);
    assert_eq!(verdict.hits[1].rule, "address-required");
    // Nothing to ship, nothing to hold for.
    let digital = order_with(|o| {
        o.as_object_mut().unwrap().remove("shipping_address");
        for line in o["lines"].as_array_mut().unwrap() {
            line["requires_shipping"] = json!(false);
        }
    });
    assert_eq!(rules.evaluate(&digital, &later()).decision, Decision::Approve);
}

#[test]
fn total_mismatch_names_both_figures() {
    let order = order_with(|o| o["total"] = s("199.00"));
    let found = hit("kind = \"total_mismatch\"", &order, &later()).unwrap();
    assert_eq!(found.code, "total_mismatch");
    assert_eq!(
        found.message,
        "the channel states a total of 199.00 CNY but the order's parts add up to 198.00 CNY (difference 1.00 CNY)"
    );
    let exact = order_with(|o| o["total"] = s("198.00"));
    assert!(hit("kind = \"total_mismatch\"", &exact, &later()).is_none());
    assert!(hit("kind = \"total_mismatch\"", &example_order(), &later()).is_none());
}

#[test]
fn missing_address_does_not_fire_for_a_complete_or_foreign_address() {
    assert!(hit("kind = \"missing_address\"", &example_order(), &later()).is_none());
    let us = order_with(|o| {
        set(o, "/shipping_address/country", s("US"));
        o["shipping_address"].as_object_mut().unwrap().remove("province");
    });
    assert!(hit("kind = \"missing_address\"", &us, &later()).is_none());
}

#[test]
fn unknown_sku_fires_when_the_caller_found_one() {
    let ctx = RuleContext {
        unknown_skus: vec!["MUG-01".into()],
        ..later()
    };
    let hit = hit("kind = \"unknown_sku\"", &example_order(), &ctx).unwrap();
    assert_eq!((hit.code, hit.field.as_deref()), ("unknown_sku", Some("lines[1].sku")));
    assert!(hit.message.contains("MUG-01"));
    assert!(self::hit("kind = \"unknown_sku\"", &example_order(), &later()).is_none());
}

#[test]
fn bad_phone_fires_only_when_the_phone_failed_the_check() {
    let invalid = RuleContext {
        phone_valid: Some(false),
        ..later()
    };
    let hit = hit("kind = \"bad_phone\"", &example_order(), &invalid).unwrap();
    assert_eq!(
        (hit.code, hit.field.as_deref()),
        ("bad_phone", Some("shipping_address.phone"))
    );
    for phone_valid in [Some(true), None] {
        let ctx = RuleContext { phone_valid, ..later() };
        assert!(self::hit("kind = \"bad_phone\"", &example_order(), &ctx).is_none());
    }
}

#[test]
fn sensitive_words_match_ignoring_case_and_full_width_forms() {
    let order = order_with(|o| set(o, "/remark", s("ｃａｓｈ ＢＡＣＫ for a review please")));
    let hit = hit(
        "kind = \"sensitive_words\"\nwords = [\"刷单\", \"Cash Back\"]",
        &order,
        &later(),
    )
    .unwrap();
    assert_eq!((hit.code, hit.field.as_deref()), ("sensitive_word", Some("remark")));
    assert!(hit.message.contains("Cash Back"));
    let chinese = order_with(|o| set(o, "/remark", s("可以刷单吗")));
    assert!(self::hit("kind = \"sensitive_words\"\nwords = [\"刷单\"]", &chinese, &later()).is_some());
}

#[test]
fn sensitive_words_do_not_fire_on_an_innocent_or_missing_remark() {
    let body = "kind = \"sensitive_words\"\nwords = [\"刷单\"]";
    assert!(hit(body, &example_order(), &later()).is_none());
    assert!(hit(body, &plain_order(), &later()).is_none());
}

#[test]
fn remark_present_fires_on_a_remark_and_quotes_it() {
    let hit = hit("kind = \"remark_present\"", &example_order(), &later()).unwrap();
    assert_eq!((hit.code, hit.field.as_deref()), ("remark_present", Some("remark")));
    assert!(hit.message.ends_with("请尽快发货"), "{}", hit.message);
    assert!(self::hit("kind = \"remark_present\"", &plain_order(), &later()).is_none());
}

#[test]
fn order_value_above_compares_the_total_in_minor_units_of_the_same_currency() {
    // The example's total is 2 × 79.00 + 35.50 − 5.50 + 10.00 shipping = 198.00 CNY.
    let body = |amount: &str, currency: &str| {
        format!("kind = \"order_value_above\"\namount = \"{amount}\"\ncurrency = \"{currency}\"")
    };
    let hit = hit(&body("197.99", "CNY"), &example_order(), &later()).unwrap();
    assert_eq!((hit.code, hit.field.as_deref()), ("order_value_above", Some("total")));
    assert_eq!(hit.message, "the order total 198.00 CNY is above 197.99 CNY");
    assert!(
        self::hit(&body("198.00", "CNY"), &example_order(), &later()).is_none(),
        "equal is not above"
    );
    assert!(
        self::hit(&body("1", "USD"), &example_order(), &later()).is_none(),
        "other currencies do not apply"
    );
}

#[test]
fn line_price_below_uses_the_price_after_discount() {
    // MUG-01 is 35.50 with 5.50 off: 30.00 a unit.
    let body = |amount: &str, skus: &str| {
        format!("kind = \"line_price_below\"\namount = \"{amount}\"\ncurrency = \"CNY\"\nskus = {skus}")
    };
    let hit = hit(&body("30.01", "[]"), &example_order(), &later()).unwrap();
    assert_eq!(
        (hit.code, hit.field.as_deref()),
        ("line_price_below", Some("lines[1].unit_price"))
    );
    assert!(
        hit.message.starts_with("MUG-01 sells for 30.00 CNY for 1 units"),
        "{}",
        hit.message
    );
    assert!(self::hit(&body("30.00", "[]"), &example_order(), &later()).is_none());
    assert!(self::hit(&body("30.01", "[\"TEE-RED-M\"]"), &example_order(), &later()).is_none());
    assert!(self::hit(&body("90", "[\"TEE-RED-M\"]"), &example_order(), &later()).is_some());
}

#[test]
fn suspected_duplicate_fires_when_the_caller_found_look_alikes() {
    let ctx = RuleContext {
        possible_duplicates: vec!["W-1000".into()],
        ..later()
    };
    let hit = hit("kind = \"suspected_duplicate\"", &example_order(), &ctx).unwrap();
    assert_eq!(hit.code, "suspected_duplicate");
    assert!(hit.suggestion.unwrap().contains("W-1000"));
    assert!(self::hit("kind = \"suspected_duplicate\"", &example_order(), &later()).is_none());
}

#[test]
fn unpaid_too_long_fires_after_the_limit_for_unpaid_orders_only() {
    let pending = order_with(|o| set(o, "/financial_status", s("pending")));
    let placed = pending.placed_at;
    let body = "kind = \"unpaid_too_long\"\nminutes = 60";
    let late = RuleContext::at(placed + Duration::minutes(61));
    let hit = hit(body, &pending, &late).unwrap();
    assert_eq!(
        (hit.code, hit.field.as_deref()),
        ("unpaid_too_long", Some("financial_status"))
    );
    assert_eq!(hit.message, "unpaid for 61 minutes (limit 60)");
    let early = RuleContext::at(placed + Duration::minutes(59));
    assert!(self::hit(body, &pending, &early).is_none());
    assert!(
        self::hit(body, &example_order(), &late).is_none(),
        "a paid order is not unpaid"
    );
}

#[test]
fn blocked_matches_buyers_phones_addresses_and_names() {
    let order = example_order();
    let cases = [
        ("buyers = [\"u-42\"]", "blocked_buyer", "buyer.id"),
        ("buyers = [\"XM@example.com\"]", "blocked_buyer", "buyer.email"),
        ("phones = [\"13800138000\"]", "blocked_phone", "buyer.phone"),
        (
            "addresses = [\"西湖区 文三路100号\"]",
            "blocked_address",
            "shipping_address",
        ),
        ("names = [\"王 小明\"]", "blocked_name", "buyer.name"),
    ];
    for (list, code, field) in cases {
        let body = format!("kind = \"blocked\"\noutcome = \"reject\"\n{list}");
        let hit = hit(&body, &order, &later()).unwrap_or_else(|| panic!("{list}"));
        assert_eq!((hit.code, hit.field.as_deref()), (code, Some(field)), "{list}");
    }
}

#[test]
fn blocked_does_not_match_other_people() {
    let body =
        "kind = \"blocked\"\noutcome = \"reject\"\nphones = [\"13900000000\"]\nnames = [\"李四\"]\nbuyers = [\"u-4\"]";
    assert!(hit(body, &example_order(), &later()).is_none());
}

#[test]
fn buyer_list_matches_a_listed_buyer_by_phone() {
    let body = "kind = \"buyer_list\"\noutcome = \"pass\"\nbuyers = [\"13800138000\"]";
    let hit = hit(body, &example_order(), &later()).unwrap();
    assert_eq!((hit.code, hit.field.as_deref()), ("listed_buyer", Some("buyer.phone")));
    let other = order_with(|o| {
        set(o, "/buyer/phone", s("13900000000"));
    });
    assert!(self::hit(body, &other, &later()).is_none());
}

#[test]
fn sku_excluded_fires_for_a_listed_sku_with_its_case() {
    let hit = hit(
        "kind = \"sku_excluded\"\nskus = [\"MUG-01\"]",
        &example_order(),
        &later(),
    )
    .unwrap();
    assert_eq!((hit.code, hit.field.as_deref()), ("sku_excluded", Some("lines[1].sku")));
    assert!(
        self::hit(
            "kind = \"sku_excluded\"\nskus = [\"mug-01\"]",
            &example_order(),
            &later()
        )
        .is_none()
    );
}

fn window(start: &str, end: &str, offset: &str, now: &str) -> Option<Hit> {
    let body = format!("kind = \"review_window\"\nstart = \"{start}\"\nend = \"{end}\"\nutc_offset = \"{offset}\"");
    hit(&body, &example_order(), &RuleContext::at(at(now)))
}

#[test]
fn review_window_defers_an_evening_order_to_the_next_morning() {
    // 22:00 in Beijing: wait for 09:00 tomorrow.
    let hit = window("09:00", "21:00", "+08:00", "2026-11-22T14:00:00Z").unwrap();
    assert_eq!((hit.code, hit.outcome), ("outside_review_window", Outcome::Hold));
    assert_eq!(hit.until, Some(at("2026-11-23T01:00:00Z")));
    assert!(
        hit.message.ends_with("review resumes at 2026-11-23 09:00 +08:00"),
        "{}",
        hit.message
    );
    // 08:30 in Beijing: wait for 09:00 today.
    let early = window("09:00", "21:00", "+08:00", "2026-11-22T00:30:00Z").unwrap();
    assert_eq!(early.until, Some(at("2026-11-22T01:00:00Z")));
}

#[test]
fn review_window_does_not_fire_inside_the_window() {
    assert!(window("09:00", "21:00", "+08:00", "2026-11-22T03:00:00Z").is_none());
    assert!(
        window("09:00", "21:00", "+08:00", "2026-11-22T01:00:00Z").is_none(),
        "start is inside"
    );
    assert!(
        window("09:00", "21:00", "+08:00", "2026-11-22T13:00:00Z").is_some(),
        "end is outside"
    );
}

#[test]
fn a_window_crossing_midnight_is_open_on_both_sides_of_it() {
    // A night shift 22:00–06:00 Beijing time.
    assert!(
        window("22:00", "06:00", "+08:00", "2026-11-22T15:00:00Z").is_none(),
        "23:00"
    );
    assert!(
        window("22:00", "06:00", "+08:00", "2026-11-22T21:00:00Z").is_none(),
        "05:00"
    );
    let noon = window("22:00", "06:00", "+08:00", "2026-11-22T04:00:00Z").unwrap();
    assert_eq!(noon.until, Some(at("2026-11-22T14:00:00Z")), "22:00 the same day");
    let closing = window("22:00", "06:00", "+08:00", "2026-11-22T22:00:00Z").unwrap();
    assert_eq!(closing.until, Some(at("2026-11-23T14:00:00Z")), "06:00 local is closed");
}

#[test]
fn review_window_uses_the_local_date_not_the_utc_date() {
    // 03:00Z on the 23rd is 22:00 on the 22nd in New York (-05:00): open at 09:00 on the 23rd.
    let hit = window("09:00", "17:00", "-05:00", "2026-11-23T03:00:00Z").unwrap();
    assert_eq!(hit.until, Some(at("2026-11-23T14:00:00Z")));
}

#[test]
fn paid_for_defers_until_minutes_after_payment() {
    let now = at("2026-11-22T03:00:00Z");
    let ctx = RuleContext {
        paid_at: Some(now - Duration::minutes(3)),
        ..RuleContext::at(now)
    };
    let hit = hit("kind = \"paid_for\"\nminutes = 10", &example_order(), &ctx).unwrap();
    assert_eq!((hit.code, hit.outcome), ("paid_too_recently", Outcome::Hold));
    assert_eq!(hit.until, Some(now + Duration::minutes(7)));
    assert_eq!(hit.message, "paid 3 minutes ago; orders wait 10 minutes after payment");
}

#[test]
fn paid_for_does_not_fire_once_the_time_passed_or_before_payment() {
    let now = at("2026-11-22T03:00:00Z");
    let body = "kind = \"paid_for\"\nminutes = 10";
    let ctx = RuleContext {
        paid_at: Some(now - Duration::minutes(11)),
        ..RuleContext::at(now)
    };
    assert!(hit(body, &example_order(), &ctx).is_none());
    let unpaid = order_with(|o| set(o, "/financial_status", s("pending")));
    assert!(hit(body, &unpaid, &RuleContext::at(unpaid.placed_at)).is_none());
    // Without paid_at a paid order counts from when it was placed.
    let placed = example_order().placed_at;
    let fresh = hit(body, &example_order(), &RuleContext::at(placed + Duration::minutes(1))).unwrap();
    assert_eq!(fresh.until, Some(placed + Duration::minutes(10)));
}

#[test]
fn channels_limit_a_rule_to_those_channels() {
    let body = |channels: &str| format!("kind = \"remark_present\"\nchannels = {channels}");
    assert!(hit(&body("[\"taobao\"]"), &example_order(), &later()).is_none());
    assert!(hit(&body("[\"Taobao\", \"WEB\"]"), &example_order(), &later()).is_some());
}

#[test]
fn disabled_rules_are_skipped() {
    assert!(hit("kind = \"remark_present\"\nenabled = false", &example_order(), &later()).is_none());
    assert!(hit("kind = \"remark_present\"\nenabled = true", &example_order(), &later()).is_some());
}

#[test]
fn every_listed_kind_loads_with_its_fields() {
    let fields = json!({
        "words": ["x"], "amount": "1.00", "currency": "CNY", "skus": ["A"], "minutes": 5,
        "buyers": ["b"], "phones": ["13800138000"], "addresses": ["路"], "names": ["n"],
        "start": "09:00", "end": "18:00", "utc_offset": "+08:00",
    });
    for info in RuleSet::rule_kinds() {
        let mut body = format!("kind = \"{}\"\n", info.kind);
        for field in info.fields {
            let key = field.trim_end_matches('?');
            body.push_str(&format!("{key} = {}\n", fields[key]));
        }
        if !matches!(info.kind, "review_window" | "paid_for") {
            body.push_str("outcome = \"flag\"\n");
        }
        let text = format!("[[rule]]\nname = \"r\"\n{body}");
        let rules = RuleSet::from_toml(&text, "rules.toml").unwrap_or_else(|e| panic!("{}: {e}", info.kind));
        assert_eq!(rules.rules()[0].kind.name(), info.kind);
        assert!(!info.description.is_empty());
    }
    assert_eq!(RuleSet::rule_kinds().len(), 15);
}
