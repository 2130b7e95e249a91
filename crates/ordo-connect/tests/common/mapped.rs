//! A stored document read the way Ordo's ingestion reads it: the channel's built-in
//! mapping, then validation into a canonical order.

use ordo_core::Order;
use ordo_core::input::OrderInput;
use serde_json::Value;

/// The canonical order `mapping` (a built-in's name) makes of `payload`; panics, naming
/// the document, when it does not map or validate.
pub fn canonical(mapping: &str, payload: &Value) -> Order {
    let (file, text) = ordo_mapping::built_in(mapping).unwrap_or_else(|| panic!("no built-in mapping {mapping}"));
    let mapping = ordo_mapping::Mapping::load(file, text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mapped = mapping
        .apply(payload)
        .unwrap_or_else(|e| panic!("{file} does not map the document ({e}): {payload}"));
    let input: OrderInput = serde_json::from_value(mapped).unwrap_or_else(|e| panic!("mapped order: {e}"));
    input
        .validate()
        .unwrap_or_else(|e| panic!("not a valid order ({e}): {payload}"))
}

/// Minor units of a decimal text with up to four places ("96.7400" → 9674).
pub fn minor_units(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let cents: String = fraction.chars().chain("00".chars()).take(2).collect();
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}
