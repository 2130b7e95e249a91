use ordo_core::input::OrderInput;
use ordo_core::order::{FinancialStatus, OrderStatus};
use serde_json::{Value, json};

use super::*;

const SHOPIFY: &str = include_str!("../mappings/shopify.order.toml");

fn shopify() -> Mapping {
    Mapping::load("shopify.order.toml", SHOPIFY).unwrap()
}

/// A built-in mapping by file name.
pub(crate) fn built_in(file: &str) -> Mapping {
    let (_, text) = BUILT_IN.iter().find(|(f, _)| *f == file).expect("a built-in mapping");
    Mapping::load(file, text).unwrap()
}

pub(crate) fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub(crate) fn canonical(mapping: &Mapping, payload: &Value) -> ordo_core::Order {
    let mapped = mapping.apply(payload).unwrap();
    serde_json::from_value::<OrderInput>(mapped.clone())
        .unwrap()
        .validate()
        .unwrap_or_else(|e| panic!("{e}\n{mapped:#}"))
}

#[test]
fn the_shopify_webhook_example_normalises() {
    let order = canonical(&shopify(), &fixture("shopify_webhook_2026-04_orders_create.json"));
    assert_eq!(order.channel.as_str(), "shopify");
    // The exact id from the GraphQL id, not the float-rounded number.
    assert_eq!(order.external_id.as_str(), "820982911946154508");
    assert_eq!(order.placed_at.to_rfc3339(), "2022-01-01T00:00:00+00:00");
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.financial_status, FinancialStatus::Voided);
    assert!(order.cancelled_at.is_some());
    assert_eq!(OrderStatus::initial(&order), OrderStatus::Cancelled);
    assert_eq!(order.lines.len(), 5);
    assert_eq!(order.lines[0].sku.as_str(), "SKU2006-001");
    assert_eq!(order.lines[0].unit_price, 8999);
    assert_eq!(order.shipping_fee, 1000);
    assert_eq!(order.destination().country, "US");
    assert_eq!(order.buyer.email.as_deref(), Some("jon@example.com"));
}

#[test]
fn the_shopify_rest_order_normalises() {
    let order = canonical(&shopify(), &fixture("shopify_rest_order_single.json")["order"]);
    assert_eq!(order.external_id.as_str(), "450789469");
    assert_eq!(order.financial_status, FinancialStatus::Authorized);
    assert_eq!(order.lines.len(), 3);
    assert!(order.lines.iter().all(|l| l.unit_price == 19900));
    assert_eq!(order.shipping_fee, 0);
    assert_eq!(order.placed_at.to_rfc3339(), "2008-01-10T16:00:00+00:00");
    assert_eq!(order.destination().postal_code.as_deref(), Some("40202"));
}

#[test]
fn a_renamed_field_fails_naming_it_and_an_edit_of_the_mapping_fixes_it() {
    let mut payload = fixture("shopify_rest_order_single.json")["order"].clone();
    let created = payload["created_at"].take();
    payload["created_on"] = created;
    let error = shopify().apply(&payload).unwrap_err();
    assert_eq!(error.field, "placed_at");
    assert!(error.message.contains("created_at is missing"));
    let fixed = Mapping::load(
        "fixed.toml",
        &SHOPIFY.replace("path = \"created_at\"", "path = \"created_on\""),
    )
    .unwrap();
    canonical(&fixed, &payload);
}

#[test]
fn load_errors_name_the_file_the_line_and_the_field() {
    let bad = "name = \"x\"\n[fields]\nplaced_at = { path = \"a\", tme = \"rfc3339\" }\n[lines]\neach = \"l\"\n[lines.fields]\n";
    let error = Mapping::load("bad.toml", bad).unwrap_err();
    assert_eq!((error.file.as_str(), error.line), ("bad.toml", 3));
    assert!(error.message.contains("tme"), "{error}");
    let two = "name = \"x\"\n[fields]\nsku = { path = \"a\", const = 1 }\n[lines]\neach = \"l\"\n[lines.fields]\n";
    let error = Mapping::load("two.toml", two).unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.message.contains("sku"), "{error}");
    let local = "name = \"x\"\n[fields]\nplaced_at = { path = \"t\", time = \"local\" }\n[lines]\neach = \"l\"\n[lines.fields]\n";
    assert!(Mapping::load("z.toml", local).unwrap_err().message.contains("zone"));
}

#[test]
fn times_numbers_maps_tables_and_joins_convert_as_stated() {
    let text = r#"
name = "t"
[tables]
status = { "WAIT_SELLER_SEND_GOODS" = "paid", "TRADE_CLOSED" = "voided" }
[fields]
a = { path = "local", time = "local", zone = "+08:00" }
b = { path = "secs", time = "epoch_seconds" }
c = { path = "millis", time = "epoch_millis" }
d = { path = "mail", time = "rfc2822" }
e = { path = "state", table = "status" }
f = { path = "big", type = "string" }
g = { path = "qty", type = "integer" }
h = { path = "price", money = true }
i = { concat = ["first", "' '", "missing", "last"] }
j = { path = "kind", map = { a = "x" }, map_default = "other" }
[lines]
each = "items"
[lines.fields]
order_state = { path = "$.state", table = "status" }
"#;
    let mapping = Mapping::load("t.toml", text).unwrap();
    let payload = json!({
        "local": "2026-11-22 10:15:00", "secs": 1795313700, "millis": "1795313700000",
        "mail": "Sun, 22 Nov 2026 10:15:00 +0800", "state": "WAIT_SELLER_SEND_GOODS",
        "big": 12345678901234567890u64, "qty": "3", "price": 89.99, "first": "王", "last": "小明",
        "kind": "zzz", "items": [{}]
    });
    let out = mapping.apply(&payload).unwrap();
    assert_eq!(out["a"], "2026-11-22T10:15:00+08:00");
    assert_eq!(out["b"], "2026-11-22T02:15:00+00:00");
    assert_eq!(out["c"], out["b"]);
    assert_eq!(out["d"], "2026-11-22T10:15:00+08:00");
    assert_eq!(out["e"], "paid");
    assert_eq!(out["f"], "12345678901234567890");
    assert_eq!(out["g"], 3);
    assert_eq!(out["h"], "89.99");
    assert_eq!(out["i"], "王 小明");
    assert_eq!(out["j"], "other");
    assert_eq!(out["lines"][0]["order_state"], "paid");
    let mut unknown = payload.clone();
    unknown["state"] = json!("NOPE");
    let error = mapping.apply(&unknown).unwrap_err();
    assert_eq!(error.field, "e");
    assert!(error.message.contains("\"NOPE\" is not in table \"status\""), "{error}");
}

const WOOCOMMERCE: &str = include_str!("../mappings/woocommerce.order.toml");

#[test]
fn the_woocommerce_examples_normalise() {
    let woo = Mapping::load("woocommerce.order.toml", WOOCOMMERCE).unwrap();
    let order = canonical(&woo, &fixture("woocommerce_rest_v3_order_retrieve.json"));
    assert_eq!(order.external_id.as_str(), "727");
    assert_eq!(order.placed_at.to_rfc3339(), "2017-03-22T19:28:02+00:00");
    assert_eq!(order.financial_status, FinancialStatus::Paid);
    assert_eq!(order.shipping_fee, 1000);
    assert_eq!(order.lines[0].unit_price, 300);
    assert_eq!(order.lines[0].quantity.get(), 2);
    // No SKU in the example: the product id stands in until SKU mapping.
    assert_eq!(order.lines[0].sku.as_str(), "93");
    assert_eq!(order.destination().city.as_deref(), Some("San Francisco"));
    let list = fixture("woocommerce_rest_v3_orders_list.json");
    for payload in list.as_array().unwrap() {
        canonical(&woo, payload);
    }
}

#[test]
fn every_built_in_mapping_loads_and_passes_its_own_test_vectors() {
    assert_eq!(
        BUILT_IN[0].0, "shopify.order.toml",
        "other crates take the first as the example"
    );
    let mut names = std::collections::BTreeSet::new();
    for (file, text) in BUILT_IN {
        let mapping = Mapping::load(file, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            format!("{}.toml", mapping.name),
            *file,
            "a mapping's file is named after it"
        );
        assert!(names.insert(mapping.name.clone()), "{file}: duplicate name");
        assert!(!mapping.tests.is_empty(), "{file} has test vectors");
        for vector in &mapping.tests {
            let payload = vector
                .payload
                .strip_prefix("../tests/fixtures/")
                .expect("vectors use the fixtures");
            if let Err(problems) = vector.run(&mapping, &fixture(payload)) {
                panic!("{file}: {}: {problems:?}", vector.payload);
            }
        }
    }
    assert_eq!(names.len(), 13);
}

#[test]
fn a_test_vector_names_every_mismatch() {
    let mapping = shopify();
    let mut vector = mapping.tests[0].clone();
    vector.expect.insert("currency".into(), json!("EUR"));
    let problems = vector
        .run(&mapping, &fixture("shopify_webhook_2026-04_orders_create.json"))
        .unwrap_err();
    assert_eq!(problems, vec!["currency: expected \"EUR\", got \"USD\"".to_owned()]);
}

#[test]
fn built_in_mappings_are_found_by_name_or_file_name() {
    let (file, text) = crate::built_in("shopify.order").unwrap();
    assert_eq!((file, text), (BUILT_IN[0].0, SHOPIFY));
    assert_eq!(
        crate::built_in("woocommerce.order.toml").unwrap().0,
        "woocommerce.order.toml"
    );
    assert!(crate::built_in("shopify").is_none());
}
