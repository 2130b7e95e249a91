//! Orders and times for tests, built the way production builds them: from `OrderInput`
//! JSON through `validate()`.

use chrono::{DateTime, Utc};
use ordo_core::Order;
use ordo_core::input::{EXAMPLE_JSON, OrderInput};
use serde_json::{Value, json};

/// The reference order (`web`, CNY, paid, placed 2026-11-22T02:15Z, total 198.00, with a
/// remark), after `edit` changes its JSON.
pub(crate) fn order_with(edit: impl FnOnce(&mut Value)) -> Order {
    let mut value: Value = serde_json::from_str(EXAMPLE_JSON).expect("example JSON parses");
    edit(&mut value);
    let input: OrderInput = serde_json::from_value(value).expect("edited JSON is an OrderInput");
    input.validate().expect("edited order is valid")
}

/// The reference order without its remark, which the default rules would hold.
pub(crate) fn plain_order() -> Order {
    order_with(|o| {
        o.as_object_mut().expect("object").remove("remark");
    })
}

/// The reference order unchanged.
pub(crate) fn example_order() -> Order {
    order_with(|_| {})
}

/// Sets a field of the order's JSON by a `/`-separated pointer.
pub(crate) fn set(order: &mut Value, pointer: &str, value: Value) {
    *order.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} exists")) = value;
}

/// A UTC time from RFC 3339 text.
pub(crate) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("valid time")
        .with_timezone(&Utc)
}

/// A JSON string, for `set`.
pub(crate) fn s(text: &str) -> Value {
    json!(text)
}
