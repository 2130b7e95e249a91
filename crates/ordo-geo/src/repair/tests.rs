use ordo_core::input::{AddressInput, BuyerInput, LineInput, OrderInput};
use proptest::prelude::*;

use super::*;

fn order(address: AddressInput) -> OrderInput {
    OrderInput {
        channel: Some("taobao".into()),
        external_id: Some("T-1".into()),
        placed_at: Some("2026-11-22T10:15:00+08:00".into()),
        currency: Some("CNY".into()),
        buyer: Some(BuyerInput {
            name: Some("王小明".into()),
            phone: Some("+8613800138000".into()),
            ..BuyerInput::default()
        }),
        shipping_address: Some(address),
        lines: vec![LineInput {
            sku: Some("TEE-RED-M".into()),
            quantity: Some(1),
            unit_price: Some("79.00".into()),
            ..LineInput::default()
        }],
        ..OrderInput::default()
    }
}

fn cn_address(province: Option<&str>, city: Option<&str>, district: Option<&str>, line1: &str) -> AddressInput {
    AddressInput {
        name: Some("王小明".into()),
        phone: Some("+8613800138000".into()),
        country: Some("CN".into()),
        province: province.map(Into::into),
        city: city.map(Into::into),
        district: district.map(Into::into),
        line1: Some(line1.into()),
        ..AddressInput::default()
    }
}

fn fixed(address: AddressInput) -> RepairOutcome {
    repair(&order(address), &RepairOptions::default())
}

fn address_of(outcome: &RepairOutcome) -> &AddressInput {
    outcome.input.shipping_address.as_ref().unwrap()
}

fn regions(outcome: &RepairOutcome) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    let a = address_of(outcome);
    (
        a.province.as_deref(),
        a.city.as_deref(),
        a.district.as_deref(),
        a.line1.as_deref(),
    )
}

fn kinds(outcome: &RepairOutcome) -> Vec<RepairKind> {
    outcome.repairs.iter().map(|r| r.kind).collect()
}

#[test]
fn a_clean_order_is_left_alone() {
    let outcome = fixed(cn_address(
        Some("浙江省"),
        Some("杭州市"),
        Some("西湖区"),
        "文三路100号",
    ));
    assert!(outcome.repairs.is_empty(), "{:?}", outcome.repairs);
    assert!(outcome.unresolved.is_empty(), "{:?}", outcome.unresolved);
}

#[test]
fn a_whole_address_in_line1_is_split() {
    let outcome = fixed(cn_address(None, None, None, "广东深圳南山区科技园路1号"));
    assert_eq!(
        regions(&outcome),
        (Some("广东省"), Some("深圳市"), Some("南山区"), Some("科技园路1号"))
    );
    assert!(outcome.repairs.iter().all(|r| r.kind == RepairKind::AddressSplit));
    assert!(outcome.unresolved.is_empty());
}

#[test]
fn short_names_are_expanded_and_a_missing_city_inferred() {
    let outcome = fixed(cn_address(Some("广西"), Some("桂林"), Some("秀峰区"), "中山中路1号"));
    assert_eq!(regions(&outcome).0, Some("广西壮族自治区"));
    assert_eq!(regions(&outcome).1, Some("桂林市"));
    let outcome = fixed(cn_address(Some("浙江省"), None, Some("西湖区"), "文三路100号"));
    assert_eq!(regions(&outcome).1, Some("杭州市"));
    assert_eq!(kinds(&outcome), [RepairKind::RegionInferred]);
}

#[test]
fn a_wrong_province_is_corrected_from_the_city() {
    let outcome = fixed(cn_address(
        Some("广东省"),
        Some("杭州市"),
        Some("西湖区"),
        "文三路100号",
    ));
    assert_eq!(regions(&outcome).0, Some("浙江省"));
    assert_eq!(kinds(&outcome), [RepairKind::ProvinceMismatch]);
}

#[test]
fn an_ambiguous_district_is_left_for_review_with_a_suggestion() {
    let broken = cn_address(None, None, Some("朝阳区"), "建国路88号");
    let outcome = fixed(broken.clone());
    assert_eq!(address_of(&outcome), &broken);
    let item = &outcome.unresolved[0];
    assert_eq!(item.code, "ambiguous_region");
    assert_eq!(
        item.suggestion.as_deref(),
        Some("北京市 北京市 朝阳区 | 吉林省 长春市 朝阳区")
    );

    let outcome = fixed(cn_address(None, None, None, "鼓楼区中山路1号"));
    assert_eq!(regions(&outcome), (None, None, None, Some("鼓楼区中山路1号")));
    assert_eq!(outcome.unresolved[0].code, "ambiguous_region");
}

#[test]
fn an_address_line_without_a_street_is_not_split() {
    let outcome = fixed(cn_address(None, None, None, "广东省深圳市南山区"));
    assert!(outcome.repairs.is_empty());
    assert_eq!(outcome.unresolved[0].code, "missing_street");
}

#[test]
fn a_missing_country_is_inferred_only_from_a_chinese_province() {
    let mut address = cn_address(Some("广东"), Some("深圳"), Some("南山区"), "科技园路1号");
    address.country = None;
    let outcome = fixed(address);
    assert_eq!(address_of(&outcome).country.as_deref(), Some("CN"));
    assert_eq!(outcome.repairs[0].kind, RepairKind::CountryInferred);

    let us = AddressInput {
        name: Some("Jane Doe".into()),
        province: Some("CA".into()),
        city: Some("San Francisco".into()),
        line1: Some("1 Market St".into()),
        postal_code: Some("94103".into()),
        ..AddressInput::default()
    };
    let outcome = fixed(us.clone());
    assert_eq!(address_of(&outcome).country, None);
    assert!(outcome.unresolved.iter().any(|u| u.code == "missing_country"));
}

#[test]
fn phones_postal_codes_countries_and_states_are_canonicalised() {
    let address = AddressInput {
        name: Some(" Jane\u{200B}  Doe ".into()),
        phone: Some("(415) 555-0123".into()),
        country: Some("U.S.A.".into()),
        province: Some("california".into()),
        city: Some("San Francisco".into()),
        line1: Some("１ Market St".into()),
        postal_code: Some(" 94103 ".into()),
        ..AddressInput::default()
    };
    let outcome = fixed(address);
    let a = address_of(&outcome);
    assert_eq!(a.name.as_deref(), Some("Jane Doe"));
    assert_eq!(a.phone.as_deref(), Some("+14155550123"));
    assert_eq!(a.country.as_deref(), Some("US"));
    assert_eq!(a.province.as_deref(), Some("CA"));
    assert_eq!(a.line1.as_deref(), Some("1 Market St"));
    assert_eq!(a.postal_code.as_deref(), Some("94103"));
    let fields: Vec<_> = outcome.repairs.iter().map(|r| (r.field.as_str(), r.kind)).collect();
    assert!(fields.contains(&("shipping_address.name", RepairKind::InvisibleChar)));
    assert!(fields.contains(&("shipping_address.country", RepairKind::CountryCode)));
    assert!(fields.contains(&("shipping_address.province", RepairKind::StateCode)));
}

#[test]
fn truncated_phones_and_zips_without_their_zero_are_left_as_they_came() {
    let mut address = cn_address(Some("广东省"), Some("深圳市"), Some("南山区"), "科技园路1号");
    address.phone = Some("138 0013 800".into());
    let outcome = fixed(address);
    assert_eq!(address_of(&outcome).phone.as_deref(), Some("138 0013 800"));
    assert_eq!(outcome.unresolved[0].code, "invalid_phone");

    let us = AddressInput {
        name: Some("Jane Doe".into()),
        country: Some("US".into()),
        province: Some("MA".into()),
        city: Some("Boston".into()),
        line1: Some("1 Beacon St".into()),
        postal_code: Some("2108".into()),
        ..AddressInput::default()
    };
    let outcome = fixed(us);
    assert_eq!(address_of(&outcome).postal_code.as_deref(), Some("2108"));
    assert_eq!(outcome.unresolved[0].code, "invalid_postal_code");
}

#[test]
fn mojibake_and_full_width_in_names_skus_and_remarks() {
    let province = crate::text::to_mojibake("广东省");
    let mut input = order(cn_address(
        Some(&province),
        Some("深圳市"),
        Some("南山区"),
        "科技园路１号",
    ));
    input.lines[0].sku = Some(" ＴＥＥ－ＲＥＤ－Ｍ\u{200B}".into());
    input.remark = Some(" 请尽快发货 \n\n\n谢谢".into());
    let outcome = repair(&input, &RepairOptions::default());
    assert_eq!(
        regions(&outcome),
        (Some("广东省"), Some("深圳市"), Some("南山区"), Some("科技园路1号"))
    );
    assert_eq!(outcome.input.lines[0].sku.as_deref(), Some("TEE-RED-M"));
    assert_eq!(outcome.input.remark.as_deref(), Some("请尽快发货\n\n谢谢"));
    assert!(kinds(&outcome).contains(&RepairKind::Encoding));
}

#[test]
fn a_pasted_contact_card_is_removed_from_the_address_line() {
    for line in [
        "王小明 13800138000 广东省深圳市南山区科技园路1号",
        "王小明，138-0013-8000，广东省深圳市南山区科技园路1号",
        "广东省深圳市南山区科技园路1号 王小明 138 0013 8000",
        "+86-13800138000 王小明 广东省深圳市南山区科技园路1号",
    ] {
        let outcome = fixed(cn_address(None, None, None, line));
        assert_eq!(
            regions(&outcome),
            (Some("广东省"), Some("深圳市"), Some("南山区"), Some("科技园路1号")),
            "{line}"
        );
        assert_eq!(outcome.repairs[0].kind, RepairKind::DuplicateContact);
    }
    // Another person's name or number is not the recipient's: it stays.
    let outcome = fixed(cn_address(
        Some("广东省"),
        Some("深圳市"),
        Some("南山区"),
        "李雷 13900139000 科技园路1号",
    ));
    assert_eq!(regions(&outcome).3, Some("李雷 13900139000 科技园路1号"));
}

#[test]
fn repair_kinds_serialise_in_snake_case() {
    let json = serde_json::to_string(&RepairKind::ProvinceMismatch).unwrap();
    assert_eq!(json, "\"province_mismatch\"");
}

fn field_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        "[ a-zA-Z0-9１２Ａ＋()\\-\u{3000}\u{200B}广东省深圳市南山区朝阳北京鼓楼西湖杭州浙江路号Ã¼å¹¿ä¸œ]{0,16}",
    )
}

proptest! {
    #[test]
    fn repair_is_idempotent(
        country in proptest::option::of("(CN|cn|China|中国|US|USA|GB|uk|Germany|DEU|JP|CA|XX| cn )"),
        province in field_text(),
        city in field_text(),
        district in field_text(),
        line1 in field_text(),
        phone in proptest::option::of("[+0-9 ()\\-１]{0,16}"),
        postal in proptest::option::of("[0-9A-Za-z \\-]{0,9}"),
        name in field_text(),
    ) {
        let address = AddressInput { name, phone, country, province, city, district, line1, postal_code: postal, ..AddressInput::default() };
        let once = repair(&order(address), &RepairOptions { default_country: Some("CN".into()) });
        let twice = repair(&once.input, &RepairOptions { default_country: Some("CN".into()) });
        prop_assert_eq!(&twice.input, &once.input);
        prop_assert!(twice.repairs.is_empty(), "{:?}", twice.repairs);
    }
}
