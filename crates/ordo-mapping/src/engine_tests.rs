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
    assert_eq!(price(json!("12.3400")).unwrap(), "12.34", "trailing zeros are exact");
    assert_eq!(price(json!("12.3")).unwrap(), "12.3", "text is never widened");
    let error = price(json!(12.345)).unwrap_err();
    assert_eq!(error.field, "lines[0].unit_price");
    assert_eq!(error.message, "12.345 has more than 2 decimal places");
    // Text is exact as written: the core judges it by the order's currency.
    assert_eq!(price(json!("12.345")).unwrap(), "12.345");
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

#[test]
fn case_takes_the_first_sub_rule_that_holds_and_has_a_value() {
    let m = mapping(
        "remark = { case = [{ when = { gift = [true] }, path = \"gift_note\" }, { path = \"note\" }], default = \"-\" }\n\
         status = { case = [{ path = \"state\", map = { A = \"paid\" } }, { const = \"pending\" }], map = { paid = \"paid\", pending = \"pending\" } }",
        "",
    )
    .unwrap();
    let out = |payload: Value| m.apply(&payload).unwrap();
    let both = json!({"gift": true, "gift_note": "for mum", "note": "ring twice", "state": "A", "items": []});
    assert_eq!(
        (&out(both)["remark"], &out(json!({"items": []}))["status"]),
        (&json!("for mum"), &json!("pending"))
    );
    // The gift case holds but has no value: the next case answers.
    let no_gift_note = json!({"gift": true, "note": "ring twice", "items": []});
    assert_eq!(out(no_gift_note)["remark"], "ring twice");
    assert_eq!(
        out(json!({"gift": false, "gift_note": "x", "items": []}))["remark"],
        "-",
        "the rule's default"
    );
    // A case that yields a value the sub-rule cannot convert is an error, not passed over.
    let error = m.apply(&json!({"state": "Z", "items": []})).unwrap_err();
    assert_eq!(
        (error.field.as_str(), error.message.as_str()),
        ("status", "\"Z\" is not one of A")
    );
}

#[test]
fn a_required_field_without_a_value_names_every_path_tried() {
    let m = mapping(
        "who = { concat = [\"first\", \"' '\", \"last\"] }\n\
         remark = { case = [{ when = { gift = [true] }, path = \"gift_note\" }, { path = \"note\" }] }\n\
         none = { case = [{ when = { gift = [true] }, path = \"gift_note\" }] }",
        "sku = { first_of = [\"sku\", \"product_id\"] }\n\
         fee = { sum = [\"fees[].amount\", \"-rebate\"], money = true }",
    )
    .unwrap();
    let errors = m.apply_collect(&json!({"gift": true, "items": [{}]})).unwrap_err();
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "none: gift_note is missing".to_owned(),
            "remark: none of gift_note, note is present".into(),
            "who: none of first, last is present".into(),
            "lines[0].fee: none of fees[].amount, rebate is present".into(),
            "lines[0].sku: none of sku, product_id is present".into(),
        ]
    );
    let error = m
        .apply(&json!({"gift": false, "first": "王", "note": "n", "items": []}))
        .unwrap_err();
    assert_eq!(error.to_string(), "none: no case applies");
    // Each error carries the line its rule is written on.
    let lines: Vec<usize> = errors.iter().map(|e| e.at.as_ref().unwrap().line).collect();
    assert_eq!(lines, [5, 4, 3, 10, 9]);
    assert_eq!(errors[0].at.as_ref().unwrap().to_string(), "t.toml:5");
}

#[test]
fn round_and_scale_are_exact_in_every_mode() {
    let m = mapping(
        "up = { path = \"p\", money = true, round = { places = 2, mode = \"half_up\" } }\n\
         even = { path = \"p\", money = true, round = { places = 2, mode = \"half_even\" } }\n\
         down = { path = \"p\", money = true, round = { places = 2, mode = \"down\" } }\n\
         ceil = { path = \"p\", money = true, round = { places = 2, mode = \"up\" } }\n\
         rate = { path = \"percent\", type = \"decimal\", scale = -2 }\n\
         cents = { path = \"cents\", money = true, scale = -2 }\n\
         rounded_rate = { path = \"percent\", type = \"decimal\", scale = -2, round = { places = 3, mode = \"half_even\" } }",
        "",
    )
    .unwrap();
    let at = |p: Value, percent: Value| {
        m.apply(&json!({"p": p, "percent": percent, "cents": 1999, "items": []}))
            .unwrap()
    };
    let out = at(json!("55.9950"), json!("6"));
    let amounts = ["up", "even", "down", "ceil"].map(|k| out[k].as_str().unwrap().to_owned());
    assert_eq!(amounts, ["56.00", "56.00", "55.99", "56.00"]);
    assert_eq!((&out["rate"], &out["cents"]), (&json!("0.06"), &json!("19.99")));
    assert_eq!(out["rounded_rate"], "0.060");
    let out = at(json!(-0.125), json!(6.25));
    let amounts = ["up", "even", "down", "ceil"].map(|k| out[k].as_str().unwrap().to_owned());
    assert_eq!(
        amounts,
        ["-0.13", "-0.12", "-0.12", "-0.13"],
        "a float as written, never as a binary fraction"
    );
    assert_eq!(
        (&out["rate"], &out["rounded_rate"]),
        (&json!("0.0625"), &json!("0.062"))
    );
    let error = m
        .apply(&json!({"p": "1", "percent": "six", "cents": 1, "items": []}))
        .unwrap_err();
    assert_eq!(error.to_string(), "rate: \"six\" is not a decimal number");
}

#[test]
fn money_text_drops_zero_places_and_leaves_other_extra_places_to_the_currency() {
    let m = mapping(
        "",
        "unit_price = { path = \"p\", money = true }\n\
         kwd = { path = \"p\", money = true, exponent = 3, optional = true }",
    )
    .unwrap();
    let line = |p: &str| m.apply(&json!({"items": [{"p": p}]})).map(|o| o["lines"][0].clone());
    assert_eq!(
        line("55.9900").unwrap(),
        json!({"unit_price": "55.99", "kwd": "55.990"})
    );
    // A dinar has three places, a dollar two: the core, which knows the order's currency,
    // takes the first and refuses the second naming the field.
    assert_eq!(line("1.234").unwrap(), json!({"unit_price": "1.234", "kwd": "1.234"}));
}

#[test]
fn text_is_replaced_then_trimmed() {
    let m = mapping(
        "phone = { path = \"tel\", replace = [{ from = \"-\", to = \"\" }, { from = \"+86\", to = \"\" }], trim = true }\n\
         sku = { path = \"code\", after_last = \"/\", replace = { from = \"_\", to = \"-\" }, trim = true }\n\
         n = { path = \"num\", trim = true, type = \"integer\" }",
        "",
    )
    .unwrap();
    let payload = json!({"tel": " +86 138-0013-8000 ", "code": "gid://x/TEA_01 ", "num": " 7 ", "items": []});
    let out = m.apply(&payload).unwrap();
    assert_eq!(
        (&out["phone"], &out["sku"], &out["n"]),
        (&json!("13800138000"), &json!("TEA-01"), &json!(7))
    );
}

#[test]
fn whole_number_floats_are_integers_and_fractions_are_refused() {
    let m = mapping("", "quantity = { path = \"q\", type = \"integer\" }").unwrap();
    let quantity = |q: Value| {
        m.apply(&json!({"items": [{"q": q}]}))
            .map(|o| o["lines"][0]["quantity"].clone())
    };
    for (q, want) in [
        (json!(1.0), 1),
        (json!("2.0"), 2),
        (json!("3.00"), 3),
        (json!(4), 4),
        (json!(" 5 "), 5),
    ] {
        assert_eq!(quantity(q.clone()).unwrap(), want, "{q}");
    }
    assert_eq!(quantity(json!(1.5)).unwrap_err().message, "1.5 is not a whole number");
    assert_eq!(
        quantity(json!("2.5")).unwrap_err().message,
        "\"2.5\" is not a whole number"
    );
    assert_eq!(quantity(json!(true)).unwrap_err().message, "true is not a whole number");
}

#[test]
fn the_new_options_are_checked_at_load() {
    let cases = [
        (
            "fee = { path = \"a\", round = { places = 2, mode = \"half_up\" } }",
            "round needs money or type = \"decimal\"",
        ),
        ("fee = { path = \"a\", scale = -2 }", "scale needs money or type"),
        (
            "fee = { path = \"a\", money = true, scale = 99 }",
            "scale must be -30 to 30",
        ),
        (
            "fee = { path = \"a\", money = true, round = { places = 2, mode = \"bankers\" } }",
            "unknown variant `bankers`",
        ),
        (
            "fee = { path = \"a\", money = true, round = { places = 2 } }",
            "missing field `mode`",
        ),
        (
            "fee = { path = \"a\", replace = { from = \"\", to = \"x\" } }",
            "replace needs a non-empty from",
        ),
        (
            "fee = { path = \"a\", replace = { from = \"a\" } }",
            "missing field `to`",
        ),
        ("fee = { case = [] }", "case lists no rules"),
        (
            "fee = { case = [{ path = \"a\", optional = true }] }",
            "case 1: optional means nothing inside case",
        ),
        (
            "fee = { case = [{ path = \"a\" }, { tme = 1 }] }",
            "unknown field `tme`",
        ),
        (
            "fee = { case = [{ path = \"a\" }], path = \"b\" }",
            "needs exactly one of path, const, concat, first_of, sum, case",
        ),
        ("fee = { first_of = [] }", "first_of lists nothing"),
        (
            "fee = { sum = [\"a\"], money = true, trim = true }",
            "sum cannot be combined",
        ),
    ];
    for (rule, message) in cases {
        let error = mapping(&format!("x = {{ const = 1 }}\n{rule}"), "").unwrap_err();
        assert_eq!((error.file.as_str(), error.line), ("t.toml", 4), "{rule}: {error}");
        assert!(error.to_string().contains(message), "{rule}: {error}");
    }
}
