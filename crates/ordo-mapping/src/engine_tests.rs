//! The rule features: joins across arrays, conditions, money from minor units and floats,
//! sums and divisions, and the load-time checks that name file:line:field.

use serde_json::{Value, json};

use crate::Mapping;

/// A mapping of `fields` and `line_fields` over lines in `items`.
fn mapping(fields: &str, line_fields: &str) -> Result<Mapping, crate::LoadError> {
    let text = format!("name = \"t\"\n[fields]\n{fields}\n[lines]\neach = \"items\"\n[lines.fields]\n{line_fields}\n");
    Mapping::load("t.toml", &text)
}

fn order() -> Value {
    json!({
        "shipping_address_id": "A2",
        "addresses": [
            {"id": "A1", "city": "杭州市", "line": "文三路100号"},
            {"id": "A2", "city": "上海市", "line": "南京东路1号"}
        ],
        "items": [
            {"sku": "TEA", "ship_to": "A1", "total": 1795, "qty": 2},
            {"sku": "CUP", "ship_to": "A9", "total": 1200, "qty": 3}
        ]
    })
}

#[test]
fn a_line_joins_an_address_by_id_and_a_missing_match_is_missing() {
    let m = mapping(
        "city = { path = \"addresses[id=$.shipping_address_id].city\" }",
        "city = { path = \"$.addresses[id=@.ship_to].city\", default = \"(none)\" }\n\
         line = { path = \"$.addresses[id=@.ship_to].line\", optional = true }",
    )
    .unwrap();
    let out = m.apply(&order()).unwrap();
    assert_eq!(out["city"], "上海市", "order-level: the address the order names");
    assert_eq!(
        out["lines"][0]["city"], "杭州市",
        "line-level: the address the line names"
    );
    assert_eq!(out["lines"][0]["line"], "文三路100号");
    // A9 is not among the addresses: the default, and an optional field left out.
    assert_eq!(out["lines"][1]["city"], "(none)");
    assert_eq!(out["lines"][1].get("line"), None);

    let strict = mapping("", "city = { path = \"$.addresses[id=@.ship_to].city\" }").unwrap();
    let error = strict.apply(&order()).unwrap_err();
    assert_eq!(error.field, "lines[1].city");
    assert_eq!(error.message, "$.addresses[id=@.ship_to].city is missing");
}

#[test]
fn joins_match_numbers_and_text_alike_and_literals_pick_typed_entries() {
    let m = mapping(
        "fee = { path = \"sums[type='SHIPPING'].amount\", money = true, default = \"0\" }\n\
         tax = { path = \"sums[type='TAX'].amount\", money = true, default = \"0\" }",
        "name = { path = \"$.people[id=@.who].name\" }",
    )
    .unwrap();
    let payload = json!({"sums": [{"type": "SHIPPING", "amount": "5.00"}], "people": [{"id": 7, "name": "王"}],
        "items": [{"who": "7"}]});
    let out = m.apply(&payload).unwrap();
    assert_eq!((&out["fee"], &out["tax"]), (&json!("5.00"), &json!("0")));
    assert_eq!(out["lines"][0]["name"], "王");
}

#[test]
fn minor_units_sums_and_divisions_are_exact() {
    let m = mapping(
        "fee = { path = \"fen\", money = \"minor\" }\n\
         yen = { path = \"fen\", money = \"minor\", exponent = 0 }\n\
         all = { sum = [\"items[].total\", \"-rebate\"], money = \"minor\" }",
        "unit_price = { path = \"total\", money = \"minor\", divide_by = \"qty\", remainder_to = \"discount\" }\n\
         discount = { path = \"off\", money = \"minor\", optional = true }",
    )
    .unwrap();
    let mut payload = order();
    payload["fen"] = json!(1999);
    payload["rebate"] = json!(95);
    payload["items"][1]["off"] = json!(100);
    let out = m.apply(&payload).unwrap();
    assert_eq!(
        (&out["fee"], &out["yen"], &out["all"]),
        (&json!("19.99"), &json!("1999"), &json!("29.00"))
    );
    // 17.95 for 2: 8.98 each and 0.01 back as discount, the only discount of the line.
    assert_eq!(
        (&out["lines"][0]["unit_price"], &out["lines"][0]["discount"]),
        (&json!("8.98"), &json!("0.01"))
    );
    // 12.00 for 3 is exact: the line's own 1.00 discount is untouched.
    assert_eq!(
        (&out["lines"][1]["unit_price"], &out["lines"][1]["discount"]),
        (&json!("4.00"), &json!("1.00"))
    );

    let strict = mapping(
        "",
        "unit_price = { path = \"total\", money = \"minor\", divide_by = \"qty\" }",
    )
    .unwrap();
    let error = strict.apply(&order()).unwrap_err();
    assert_eq!(error.field, "lines[0].unit_price");
    assert!(error.message.contains("17.95 ÷ 2 is not exact"), "{error}");
    let mut zero = order();
    zero["items"][0]["qty"] = json!(0);
    let error = strict.apply(&zero).unwrap_err();
    assert!(error.message.contains("0 is not a positive whole number"), "{error}");
}

#[test]
fn floats_are_read_as_written_and_noise_is_rounded_off() {
    let m = mapping("", "unit_price = { path = \"p\", money = true }").unwrap();
    let price = |p: Value| {
        m.apply(&json!({"items": [{"p": p}]}))
            .map(|o| o["lines"][0]["unit_price"].clone())
    };
    assert_eq!(price(json!(12.3)).unwrap(), "12.30");
    assert_eq!(price(json!(4.1 * 3.0)).unwrap(), "12.30", "12.299999999999999");
    assert_eq!(price(json!(0.1 + 0.2)).unwrap(), "0.30", "0.30000000000000004");
    assert_eq!(
        price(json!("12.345")).unwrap(),
        "12.345",
        "strings stay as written; the core judges places"
    );
    let error = price(json!(12.345)).unwrap_err();
    assert_eq!(error.message, "12.345 has more than 2 decimal places");
}

#[test]
fn when_leaves_a_field_out_unless_every_condition_holds() {
    let m = mapping(
        "cancelled_at = { path = \"t\", time = \"epoch_seconds\", when = { status = [4, \"CLOSED\"], paid = [true] } }",
        "",
    )
    .unwrap();
    let at = |status: Value, paid: bool| {
        m.apply(&json!({"t": 1779325200, "status": status, "paid": paid, "items": []}))
            .unwrap()["cancelled_at"]
            .clone()
    };
    assert_eq!(at(json!(4), true), "2026-05-21T01:00:00+00:00");
    assert_eq!(at(json!("4"), true), "2026-05-21T01:00:00+00:00", "compared as text");
    assert_eq!(at(json!("CLOSED"), true), "2026-05-21T01:00:00+00:00");
    assert_eq!(at(json!(2), true), Value::Null);
    assert_eq!(at(json!(4), false), Value::Null);
}

#[test]
fn new_rule_errors_name_the_file_the_line_and_the_field() {
    let cases = [
        ("city = { path = \"a[id=b].c\" }", "$.path, @.path or 'text'"),
        ("city = { path = \"a[id=$.b.c\" }", "unclosed"),
        ("city = { path = \"a[].c\" }", "only allowed in sum"),
        ("fee = { sum = [\"a[].b\"] }", "sum needs money"),
        ("fee = { path = \"a\", exponent = 2 }", "exponent needs money"),
        (
            "fee = { path = \"a\", money = \"minor\", exponent = 9 }",
            "exponent must be 0 to 6",
        ),
        (
            "fee = { path = \"a\", money = true, remainder_to = \"b\" }",
            "remainder_to needs divide_by",
        ),
        (
            "fee = { path = \"a\", money = true, divide_by = \"n\", remainder_to = \"nope\" }",
            "not another money field",
        ),
        (
            "fee = { path = \"a\", money = \"cents\" }",
            "expected true, \"decimal\" or \"minor\"",
        ),
        ("fee = { path = \"a\", when = { s = [] } }", "lists no values"),
        (
            "fee = { sum = [\"a\"], money = true, map = { x = \"y\" } }",
            "sum cannot be combined",
        ),
    ];
    for (rule, message) in cases {
        let error = mapping(&format!("x = {{ const = 1 }}\n{rule}"), "").unwrap_err();
        assert_eq!((error.file.as_str(), error.line), ("t.toml", 4), "{rule}: {error}");
        assert!(error.to_string().contains(message), "{rule}: {error}");
    }
    let error = mapping("", "sku = { path = \"$.x[k=@.]\" }").unwrap_err();
    assert_eq!(error.line, 7, "{error}");
    assert!(error.message.starts_with("sku: in [lines.fields]"), "{error}");
}
