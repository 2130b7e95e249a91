//! End to end through the public API: a garbled marketplace order is rejected by
//! validation, repaired, and then accepted; an order with a real ambiguity is not.

use ordo_core::input::{AddressInput, BuyerInput, LineInput, OrderInput};
use ordo_geo::{Level, RepairOptions, locate, repair};

fn taobao_order(address: AddressInput) -> OrderInput {
    OrderInput {
        channel: Some("taobao".into()),
        external_id: Some("3620012345678".into()),
        placed_at: Some("2026-11-11T00:00:05+08:00".into()),
        currency: Some("CNY".into()),
        financial_status: Some("paid".into()),
        buyer: Some(BuyerInput {
            name: Some("\u{200B}李 娜 ".into()),
            phone: Some("0086 139-0013-9000".into()),
            ..BuyerInput::default()
        }),
        shipping_address: Some(address),
        lines: vec![LineInput {
            sku: Some("ＭＵＧ－０１".into()),
            quantity: Some(2),
            unit_price: Some("35.50".into()),
            ..LineInput::default()
        }],
        remark: Some("  周末送货，谢谢  ".into()),
        ..OrderInput::default()
    }
}

#[test]
fn a_garbled_taobao_order_is_repaired_until_it_validates() {
    let broken = taobao_order(AddressInput {
        name: Some("李娜".into()),
        phone: Some("139 0013 9000".into()),
        country: Some("中华人民共和国".into()),
        line1: Some("李娜 13900139000 湖北恩施州恩施市舞阳大街８８号".into()),
        postal_code: Some(" 445000 ".into()),
        ..AddressInput::default()
    });
    assert!(broken.validate().is_err(), "a country name is not an ISO code");

    let outcome = repair(&broken, &RepairOptions::default());
    assert!(outcome.unresolved.is_empty(), "{:?}", outcome.unresolved);
    let order = outcome.input.validate().expect("the repaired order validates");
    let a = order.shipping_address.as_ref().expect("an address");
    assert_eq!(a.country, "CN");
    assert_eq!(a.province.as_deref(), Some("湖北省"));
    assert_eq!(a.city.as_deref(), Some("恩施土家族苗族自治州"));
    assert_eq!(a.district.as_deref(), Some("恩施市"));
    assert_eq!(a.line1, "舞阳大街88号");
    assert_eq!(a.phone.as_deref(), Some("+8613900139000"));
    assert_eq!(a.postal_code.as_deref(), Some("445000"));
    assert_eq!(order.buyer.name.as_deref(), Some("李 娜"));
    assert_eq!(order.buyer.phone.as_deref(), Some("+8613900139000"));
    assert_eq!(order.lines[0].sku.to_string(), "MUG-01");

    let located = locate(
        &a.country,
        a.province.as_deref(),
        a.city.as_deref(),
        a.district.as_deref(),
    )
    .unwrap();
    assert_eq!(located.level, Level::District);

    let again = repair(&outcome.input, &RepairOptions::default());
    assert_eq!(again.input, outcome.input);
    assert!(again.repairs.is_empty());
}

#[test]
fn an_ambiguous_district_is_reported_and_left_as_it_came() {
    let broken = taobao_order(AddressInput {
        name: Some("李娜".into()),
        phone: Some("+8613900139000".into()),
        country: Some("CN".into()),
        province: Some("江苏省".into()),
        district: Some("鼓楼区".into()),
        line1: Some("中山北路1号".into()),
        ..AddressInput::default()
    });
    let outcome = repair(&broken, &RepairOptions::default());
    assert_eq!(outcome.input.shipping_address, broken.shipping_address);
    let item = outcome
        .unresolved
        .iter()
        .find(|u| u.code == "ambiguous_region")
        .unwrap();
    assert_eq!(item.field, "shipping_address.city");
    assert_eq!(
        item.suggestion.as_deref(),
        Some("江苏省 南京市 鼓楼区 | 江苏省 徐州市 鼓楼区")
    );
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["unresolved"][0]["code"], "ambiguous_region");
}
