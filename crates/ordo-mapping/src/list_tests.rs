//! Lists beside the lines, `where` filters, envelopes of one or many orders, included
//! fragments, and errors that point at the rule's own line.

use serde_json::{Value, json};

use crate::{Mapping, Shape};

const ORDER_LEVEL_LISTS: &str = r#"
name = "t"
[fields]
id = { path = "id", type = "string" }

[lines]
each = "items"
where_not = { bundle_role = ["component"], status = ["cancelled"] }
[lines.fields]
sku = { path = "sku" }

[lists.discounts]
each = "discount_codes"
[lists.discounts.fields]
code = { path = "code" }
amount = { path = "amount", money = true }

[lists.fees]
each = ["shipping_lines", "fee_lines"]
where = { taxable = [true] }
[lists.fees.fields]
title = { path = "title" }
amount = { path = "price", money = true }
currency = { path = "$.currency", optional = true }
"#;

fn lists() -> Mapping {
    Mapping::load("t.toml", ORDER_LEVEL_LISTS).unwrap()
}

fn payload() -> Value {
    json!({
        "id": 7, "currency": "EUR",
        "items": [
            {"sku": "BOX", "bundle_role": "parent"},
            {"sku": "CUP", "bundle_role": "component"},
            {"sku": "TEA", "status": "cancelled"},
            {"sku": "PEN"}
        ],
        "discount_codes": [{"code": "SPRING", "amount": "5.00"}, {"code": "VIP", "amount": 1.5}],
        "shipping_lines": [{"title": "DHL", "price": "4.90", "taxable": true}],
        "fee_lines": [{"title": "Gift wrap", "price": "2.00", "taxable": "true"}, {"title": "Free", "price": "0", "taxable": false}]
    })
}

#[test]
fn named_lists_write_arrays_of_objects_beside_the_lines() {
    let out = lists().apply(&payload()).unwrap();
    assert_eq!(out["id"], "7");
    assert_eq!(
        out["discounts"],
        json!([{"code": "SPRING", "amount": "5.00"}, {"code": "VIP", "amount": "1.50"}])
    );
    // Two arrays concatenated, the untaxed fee filtered out, `$.` read from the order.
    assert_eq!(
        out["fees"],
        json!([
            {"title": "DHL", "amount": "4.90", "currency": "EUR"},
            {"title": "Gift wrap", "amount": "2.00", "currency": "EUR"}
        ])
    );
    // Bundle components and cancelled items are dropped.
    assert_eq!(out["lines"], json!([{"sku": "BOX"}, {"sku": "PEN"}]));
}

#[test]
fn an_absent_list_is_empty_but_absent_lines_and_non_arrays_are_errors() {
    let m = lists();
    let mut bare = json!({"id": 1, "items": [], "discount_codes": null});
    let out = m.apply(&bare).unwrap();
    assert_eq!((&out["discounts"], &out["fees"]), (&json!([]), &json!([])));

    bare["discount_codes"] = json!("SPRING");
    let error = m.apply(&bare).unwrap_err();
    assert_eq!(
        error.to_string(),
        "discounts: discount_codes is not an array (found a string)"
    );
    assert_eq!(error.at.unwrap().line, 12, "the list's table");

    let error = m.apply(&json!({"id": 1})).unwrap_err();
    assert_eq!(error.to_string(), "lines: items is missing");
    let error = m.apply(&json!({"id": 1, "items": {"sku": "A"}})).unwrap_err();
    assert_eq!(error.to_string(), "lines: items is not an array (found an object)");
    let error = m.apply(&json!({"id": 1, "items": [], "fee_lines": 3})).unwrap_err();
    assert_eq!(error.to_string(), "fees: fee_lines is not an array (found a number)");
}

#[test]
fn errors_in_list_elements_name_the_element_and_every_problem_is_collected() {
    let mut broken = payload();
    broken["discount_codes"][1]["amount"] = json!(1.505);
    broken["items"][3] = json!({"name": "no sku"});
    broken["shipping_lines"][0]["price"] = json!("x");
    let errors: Vec<String> = lists()
        .apply_collect(&broken)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "lines[1].sku: sku is missing",
            "discounts[1].amount: 1.505 has more than 2 decimal places",
            "fees[0].amount: \"x\" is not a decimal amount",
        ]
    );
    let first = lists().apply(&broken).unwrap_err();
    assert_eq!(first.to_string(), errors[0], "apply stops at the first");
    // The mapped rest is still there to be validated.
    let (partial, problems) = lists().map_order(&broken);
    assert_eq!(problems.len(), 3);
    assert_eq!(partial["lines"][1], json!({}));
    assert_eq!(partial["discounts"][0]["code"], "SPRING");
}

#[test]
fn list_definitions_are_checked_at_load_at_their_table() {
    let with = |list: &str| {
        let text = format!(
            "name = \"t\"\n[fields]\nid = {{ path = \"id\" }}\n[lines]\neach = \"items\"\n[lines.fields]\nsku = {{ path = \"sku\" }}\n{list}"
        );
        Mapping::load("t.toml", &text).unwrap_err()
    };
    let cases = [
        (
            "[lists.d]\neach = \"a[]\"\nfields = {}",
            8,
            "lists.d: each \"a[]\": [] (every element) is only allowed in sum",
        ),
        ("[lists.d]\neach = []\nfields = {}", 8, "lists.d: each lists no array"),
        (
            "[lists.d]\neach = \"a\"\nwhere = { s = [] }\nfields = {}",
            8,
            "lists.d: where \"s\" lists no values",
        ),
        (
            "[lists.lines]\neach = \"a\"\nfields = {}",
            8,
            "lists.lines: the target is also written by [lines]",
        ),
        (
            "[lists.id]\neach = \"a\"\nfields = {}",
            8,
            "lists.id: the target is also written by [fields] id",
        ),
        (
            "[lists.d]\neach = \"a\"\n[lists.d.fields]\ncode = { path = \"c\", tme = 1 }",
            11,
            "unknown field `tme`",
        ),
        (
            "[lists.d]\neach = \"a\"\n[lists.d.fields]\n# amount\ncode = { path = \"c\" }\namount = { path = \"c\", scale = 2 }",
            13,
            "amount: in [lists.d.fields]: scale needs money",
        ),
        (
            "[lists.d]\neach = \"a\"\nwher = { s = [1] }",
            10,
            "unknown field `wher`",
        ),
    ];
    for (list, line, message) in cases {
        let error = with(list);
        assert_eq!(error.line, line, "{list}: {error}");
        assert!(error.message.contains(message), "{list}: {error}");
    }
}

#[test]
fn root_candidates_take_the_bare_order_and_its_envelope() {
    let text = "name = \"t\"\nroot = [\"order\", \"payload\", \".\"]\n[fields]\nid = { path = \"id\" }\n\
        [lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";
    let m = Mapping::load("t.toml", text).unwrap();
    let order = json!({"id": "A", "items": [{"sku": "X"}]});
    for payload in [order.clone(), json!({"order": order}), json!({"payload": order})] {
        assert_eq!(m.apply(&payload).unwrap()["id"], "A", "{payload}");
    }
    let only = Mapping::load(
        "t.toml",
        &text.replace(
            "root = [\"order\", \"payload\", \".\"]",
            "root = [\"order\", \"payload\"]",
        ),
    )
    .unwrap();
    assert_eq!(
        only.apply(&order).unwrap_err().to_string(),
        "(root): none of order, payload is present"
    );
    let one = Mapping::load("t.toml", &text.replace("[\"order\", \"payload\", \".\"]", "\"order\"")).unwrap();
    assert_eq!(one.apply(&order).unwrap_err().to_string(), "(root): order is missing");
}

#[test]
fn a_list_response_maps_each_order_and_apply_takes_only_one() {
    let text = "name = \"t\"\nroot = [\"payload\", \".\"]\neach_order = \"Orders\"\n[fields]\nid = { path = \"id\" }\n\
        [lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";
    let m = Mapping::load("t.toml", text).unwrap();
    let a = json!({"id": "A", "items": [{"sku": "X"}]});
    let b = json!({"id": "B", "items": [{}]});
    let list = json!({"payload": {"Orders": [a, b]}});
    let all = m.apply_all(&list);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].as_ref().unwrap()["id"], "A");
    assert_eq!(all[1].as_ref().unwrap_err().to_string(), "lines[0].sku: sku is missing");
    assert_eq!(
        m.apply(&list).unwrap_err().to_string(),
        "(root): Orders holds 2 orders where one is expected (apply_all maps each)"
    );
    assert_eq!(m.apply(&json!({"Orders": [a]})).unwrap()["id"], "A", "a list of one");
    assert_eq!(
        m.apply(&json!({"Orders": []})).unwrap_err().message,
        "Orders holds no order"
    );
    assert!(m.apply_all(&json!({"Orders": []})).is_empty());
    // The single-order response of the same API: the root is the order.
    assert_eq!(m.apply(&json!({"payload": a})).unwrap()["id"], "A");
    assert_eq!(m.apply_all(&a).len(), 1);
    let error = m.apply(&json!({"Orders": {"id": "A"}})).unwrap_err();
    assert_eq!(error.message, "Orders is not an array (found an object)");
}

const SHARED: &str = "[fields]\nchannel = { const = \"shop\" }\ncurrency = { path = \"currency\" }\n\
    [tables]\nstate = { A = \"paid\" }\n[lists.fees]\neach = \"fees\"\n[lists.fees.fields]\namount = { path = \"a\", money = true }\n";

fn resolve(name: &str) -> Option<String> {
    match name {
        "shared.toml" => Some(SHARED.to_owned()),
        "later.toml" => Some("[fields]\ncurrency = { const = \"JPY\" }\nnote = { path = \"n\" }\n".to_owned()),
        "broken.toml" => Some("[fields]\n\n# a comment\nx = { path = \"a\", tme = 1 }\n".to_owned()),
        "loop.toml" => Some("include = [\"loop.toml\"]\n".to_owned()),
        "lines.toml" => Some("[lines]\neach = \"x\"\n".to_owned()),
        _ => None,
    }
}

const INCLUDING: &str = "name = \"t\"\ninclude = [\"shared.toml\", \"later.toml\"]\n[fields]\n\
    note = { const = \"own\" }\nfinancial_status = { path = \"s\", table = \"state\" }\n\
    [lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";

#[test]
fn included_fragments_are_merged_and_the_including_file_wins() {
    let m = Mapping::load_with("t.toml", INCLUDING, resolve).unwrap();
    assert_eq!(m.include, ["shared.toml", "later.toml"]);
    let out = m
        .apply(&json!({"currency": "EUR", "s": "A", "n": "theirs", "fees": [{"a": "1"}], "items": []}))
        .unwrap();
    // A later fragment wins over an earlier one, the file itself over both.
    assert_eq!(
        (&out["channel"], &out["currency"], &out["note"]),
        (&json!("shop"), &json!("JPY"), &json!("own"))
    );
    assert_eq!(
        (&out["financial_status"], &out["fees"]),
        (&json!("paid"), &json!([{"amount": "1"}]))
    );
    // An included rule's errors point into the fragment.
    let error = m
        .apply(&json!({"items": [], "s": "A", "fees": [{"a": "x"}]}))
        .unwrap_err();
    assert_eq!(error.field, "fees[0].amount");
    let at = error.at.unwrap();
    assert_eq!((at.file.as_str(), at.line), ("shared.toml", 9));
}

#[test]
fn include_problems_are_named_where_they_are() {
    let error = Mapping::load("t.toml", INCLUDING).unwrap_err();
    assert_eq!((error.file.as_str(), error.line), ("t.toml", 2));
    assert!(error.message.contains("include needs a resolver"), "{error}");
    let with = |names: &str| {
        Mapping::load_with(
            "t.toml",
            &INCLUDING.replace("\"shared.toml\", \"later.toml\"", names),
            resolve,
        )
    };
    let error = with("\"nope.toml\"").unwrap_err();
    assert_eq!(error.message, "include \"nope.toml\": no such fragment");
    let error = with("\"broken.toml\"").unwrap_err();
    assert_eq!((error.file.as_str(), error.line), ("broken.toml", 4), "{error}");
    assert!(error.message.contains("unknown field `tme`"), "{error}");
    let error = with("\"loop.toml\"").unwrap_err();
    assert_eq!(error.file, "loop.toml");
    assert!(
        error.message.contains("includes itself (through t.toml → loop.toml)"),
        "{error}"
    );
    let error = with("\"lines.toml\"").unwrap_err();
    assert!(
        error.message.contains("unknown field `lines`"),
        "fragments hold no lines: {error}"
    );
}

#[test]
fn check_points_at_the_rule_not_at_a_comment_naming_the_field() {
    let text = "name = \"t\"\n# sku comes from the variant; quantity is an integer\n[fields]\n\
        id = { path = \"id\" }\n[lines]\neach = \"items\"\n[lines.fields]\n# quantity: see above\n\
        quantity = { path = \"q\", type = \"integer\", exponent = 2 }\nsku = { path = \"sku\" }\n";
    let error = Mapping::load("t.toml", text).unwrap_err();
    assert_eq!((error.line, error.column), (9, 1), "{error}");
    assert!(
        error
            .message
            .starts_with("quantity: in [lines.fields]: exponent needs money"),
        "{error}"
    );
    // A rule written as its own table is found at its header.
    let table = text.replace(
        "quantity = { path = \"q\", type = \"integer\", exponent = 2 }\nsku = { path = \"sku\" }\n",
        "sku = { path = \"sku\" }\n\n[lines.fields.quantity]\npath = \"q\"\nexponent = 2\n",
    );
    let error = Mapping::load("t.toml", &table).unwrap_err();
    assert_eq!(error.line, 11, "{error}");
}

#[test]
fn the_read_shape_covers_lists_filters_and_every_envelope() {
    let text = ORDER_LEVEL_LISTS.replace(
        "name = \"t\"\n",
        "name = \"t\"\nroot = [\"order\", \".\"]\neach_order = \"orders\"\n",
    );
    let shape = Mapping::load("t.toml", &text).unwrap().read_shape();
    for path in [
        "id",
        "order.id",
        "orders[].id",
        "order.orders[].items[].bundle_role",
        "items[].status",
        "discount_codes[].amount",
        "fee_lines[].taxable",
        "shipping_lines[].price",
        "currency",
    ] {
        assert!(shape.contains(path), "{path}: {shape:?}");
    }
    let m = lists();
    let mut renamed = payload();
    for code in renamed["discount_codes"].as_array_mut().unwrap() {
        let amount = code.as_object_mut().unwrap().remove("amount").unwrap();
        code["value"] = amount;
    }
    let drift = m.drift(&Shape::of(&payload()), &renamed);
    assert_eq!(drift.vanished, ["discount_codes[].amount"]);
}

#[test]
fn each_dot_is_the_order_itself_as_the_one_element() {
    let text = "name = \"t\"\n[fields]\n[lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n\
        [lists.discounts]\neach = \".\"\n[lists.discounts.fields]\ncode = { path = \"codes[0]\", optional = true }\n\
        amount = { path = \"total_discounts\", money = true }\n";
    let m = Mapping::load("t.toml", text).unwrap();
    let out = m
        .apply(&json!({"items": [], "codes": ["SPRING"], "total_discounts": "3.00"}))
        .unwrap();
    assert_eq!(out["discounts"], json!([{"code": "SPRING", "amount": "3.00"}]));
    assert!(m.read_shape().contains("total_discounts"));
}
