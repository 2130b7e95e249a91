//! The mapping engine: a declarative TOML document says how a platform's order payload
//! becomes Ordo's canonical order (the `OrderInput` JSON that `ordo-core` validates).
//! When a platform renames a field, the fix is an edit of the mapping file.
//!
//! ```toml
//! name = "shopify.order"
//!
//! [fields]
//! channel = { const = "shopify" }
//! external_id = { path = "admin_graphql_api_id", after_last = "/" }
//! placed_at = { path = "created_at", time = "rfc3339" }
//! financial_status = { path = "financial_status", map = { paid = "paid", voided = "voided" } }
//! shipping_fee = { path = "total_shipping_price_set.shop_money.amount", money = true, default = "0" }
//! "shipping_address.name" = { concat = ["shipping_address.first_name", "' '", "shipping_address.last_name"] }
//! # Only for cancelled orders: the time of the update that cancelled it.
//! cancelled_at = { path = "update_time", time = "epoch_seconds", when = { order_status = [4] } }
//!
//! [lines]
//! each = "line_items"
//! [lines.fields]
//! sku = { first_of = ["outer_sku_id", "sku_id"] }
//! quantity = { path = "quantity", type = "integer" }
//! unit_price = { path = "price", money = true }
//! # A join: the line names its address by id; the address is in the order's list.
//! city = { path = "$.addresses[id=@.address_id].city", optional = true }
//! ```
//!
//! A target name with dots (`buyer.email`) writes into a nested object. A source path is
//! dot-separated keys with brackets (`addresses[0].city`); line paths are relative to the
//! line and `$.` makes them relative to the order. A bracket is an index `[0]`, a join
//! `[field=operand]` (the first element whose `field` equals the operand: `$.path` from
//! the order, `@.path` from the current line, `'text'` a literal; no match is a missing
//! value, so `default` / `optional` apply), or `[]` (every element, only in `sum`).
//!
//! Money is never a float: `money = true` reads decimal strings as written and JSON
//! numbers as the decimal the platform wrote (float noise such as `12.299999999999999`
//! is rounded off to `exponent` places, default 2; a real extra digit is refused);
//! `money = "minor"` reads whole minor units (`1999` fen → `19.99`); `sum` adds amounts
//! exactly; `divide_by` turns a line total into a unit price, rounding up and handing the
//! remainder to `remainder_to` (a discount) so nothing is invented or lost. See [`Rule`].
//!
//! See [`TestVector`] for the `[[tests]]` a mapping carries, and [`Shape`] / [`Drift`] for
//! noticing that a platform changed its payload. Invariant: nothing here does IO or reads a
//! clock; a mapping is data, and applying it is a pure function of the payload.

mod convert;
mod drift;
mod money;
mod path;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

pub use convert::TimeFormat;
pub use money::MoneyForm;

use crate::money::Decimal;
use crate::path::Scope;

/// The mappings shipped with Ordo, as (file name, text). Shopify stays first: other
/// crates' tests take it as the example mapping.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("shopify.order.toml", include_str!("../mappings/shopify.order.toml")),
    (
        "woocommerce.order.toml",
        include_str!("../mappings/woocommerce.order.toml"),
    ),
    ("amazon.order.toml", include_str!("../mappings/amazon.order.toml")),
    (
        "amazon.order.2026.toml",
        include_str!("../mappings/amazon.order.2026.toml"),
    ),
    ("taobao.order.toml", include_str!("../mappings/taobao.order.toml")),
    ("jd.order.toml", include_str!("../mappings/jd.order.toml")),
    ("douyin.order.toml", include_str!("../mappings/douyin.order.toml")),
    ("pinduoduo.order.toml", include_str!("../mappings/pinduoduo.order.toml")),
    (
        "xiaohongshu.order.toml",
        include_str!("../mappings/xiaohongshu.order.toml"),
    ),
];
pub use drift::{Drift, Shape};

/// A mapping from one platform payload shape to the canonical order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// A name, e.g. `shopify.order`.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the order is in the payload (e.g. `order` for a REST response); the root when absent.
    #[serde(default)]
    pub root: Option<String>,
    /// Order-level fields by target name.
    pub fields: BTreeMap<String, Rule>,
    /// The order lines.
    pub lines: Lines,
    /// Named lookup tables for `table = "…"` rules.
    #[serde(default)]
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
    /// Test vectors: payload files (relative to the mapping file) and what their
    /// canonical order must contain. Run by `ordo mapping test`.
    #[serde(default)]
    pub tests: Vec<TestVector>,
}

/// A payload and the canonical fields it must map to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestVector {
    /// The payload file, relative to the mapping file.
    pub payload: String,
    /// Where the order is inside that file, when it is wrapped (e.g. `order`).
    #[serde(default)]
    pub root: Option<String>,
    /// Canonical fields and their expected values; dotted names reach into objects and
    /// `lines[0].sku` into lines. Fields not named are not compared.
    pub expect: BTreeMap<String, Value>,
}

impl TestVector {
    /// Maps `payload` with `mapping`, validates it as an order, and compares the expected
    /// fields; every mismatch is named.
    pub fn run(&self, mapping: &Mapping, payload: &Value) -> Result<(), Vec<String>> {
        let payload = match &self.root {
            Some(root) => path::get(payload, root).ok_or_else(|| vec![format!("{root} is not in the payload")])?,
            None => payload,
        };
        let mapped = mapping.apply(payload).map_err(|e| vec![e.to_string()])?;
        let input: ordo_core::input::OrderInput =
            serde_json::from_value(mapped).map_err(|e| vec![format!("mapped order has the wrong shape: {e}")])?;
        let order = input.validate().map_err(|e| vec![format!("not a valid order: {e}")])?;
        let canonical =
            serde_json::to_value(ordo_core::input::OrderInput::from_order(&order)).map_err(|e| vec![e.to_string()])?;
        let problems: Vec<String> = self
            .expect
            .iter()
            .filter_map(|(field, want)| {
                let got = path::get(&canonical, field);
                (got != Some(want)).then(|| format!("{field}: expected {want}, got {}", got.unwrap_or(&Value::Null)))
            })
            .collect();
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

/// How lines are found and mapped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lines {
    /// The array of line objects, relative to the order.
    pub each: String,
    /// Line fields by target name; paths are relative to each line. A path starting with
    /// `$.` is relative to the order instead.
    pub fields: BTreeMap<String, Rule>,
}

/// How one target field gets its value.
///
/// Evaluation order: `when` (all conditions must hold, else the field is left out); the
/// source, exactly one of `path`, `const`, `concat`, `first_of`, `sum`; `default` when the
/// source is missing or null (and `optional` leaves the field out instead of failing);
/// then `after_last`, `table`, `map`, the conversion (`type`, `time`, or `money` with
/// `exponent`), and `divide_by`.
///
/// Paths may join across arrays with `[field=operand]`, e.g.
/// `$.addresses[id=@.address_id].city` (the order's address whose `id` is this line's
/// `address_id`) or `proceeds.breakdowns[type='SHIPPING'].amount`; a join with no match
/// reads as missing.
///
/// Money rules write exact decimal text:
/// - `money = true` (or `"decimal"`): a decimal string is kept as written; a JSON number
///   is the shortest decimal that reads back as the same float, written with `exponent`
///   places (default 2). More places than that are rounded to the nearest only when they
///   are float noise (under a millionth of a minor unit, so `12.299999999999999` →
///   `12.30`); otherwise the amount is refused, as the core refuses `"12.345"`.
/// - `money = "minor"`: a whole number of minor units, shifted by `exponent` places
///   (default 2: fen and cents; say `exponent = 0` for yen).
/// - `sum = ["a[].amount", "-b"]`: the exact sum of every amount the terms read (`[]` is
///   every element; a leading `-` subtracts); missing terms add nothing.
/// - `divide_by = "QuantityOrdered"`: the amount ÷ that whole number (for platforms that
///   send a line total where Ordo wants a unit price), rounded *up* to the amount's own
///   decimal places. An inexact division is an error unless `remainder_to` names a money
///   field of the same line (a discount): the remainder `unit × quantity − total`, less
///   than one minor unit per piece, is added to it, so the line's net is exactly the
///   platform's total.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Only when every path listed has one of the values listed (compared as text, so
    /// `[4]` matches `"4"`); otherwise the field is left out.
    #[serde(default)]
    pub when: BTreeMap<String, Vec<Value>>,
    /// A path into the payload.
    #[serde(default)]
    pub path: Option<String>,
    /// A fixed value.
    #[serde(default, rename = "const")]
    pub constant: Option<Value>,
    /// Paths and `'literal'` strings joined into one string (missing parts are skipped).
    #[serde(default)]
    pub concat: Option<Vec<String>>,
    /// The first of these paths that has a non-empty value.
    #[serde(default)]
    pub first_of: Option<Vec<String>>,
    /// Money paths added exactly (`[]` reads every element, `-path` subtracts); needs `money`.
    #[serde(default)]
    pub sum: Option<Vec<String>>,
    /// Keep only what follows the last occurrence of this text (e.g. a GraphQL id's `/`).
    #[serde(default)]
    pub after_last: Option<String>,
    /// Replace the value through a named table of [`Mapping::tables`].
    #[serde(default)]
    pub table: Option<String>,
    /// Replace the value through this map (platform status → Ordo status); a value not in
    /// it is an error naming the value, unless `map_default` is given.
    #[serde(default)]
    pub map: Option<BTreeMap<String, String>>,
    /// The value for anything `map` does not list.
    #[serde(default)]
    pub map_default: Option<String>,
    /// `string` (numbers become their decimal text, never a float) or `integer`.
    #[serde(default, rename = "type")]
    pub kind: Option<convert::Kind>,
    /// A time format; the result is RFC 3339.
    #[serde(default)]
    pub time: Option<TimeFormat>,
    /// For `time = "local"`: the zone as a fixed offset, e.g. `+08:00`.
    #[serde(default)]
    pub zone: Option<String>,
    /// A money amount, `true` / `"decimal"` or `"minor"`; see the type's documentation.
    #[serde(default, deserialize_with = "money::deserialize_form")]
    pub money: Option<MoneyForm>,
    /// Decimal places of the currency's minor unit for `"minor"` and JSON numbers (default 2).
    #[serde(default)]
    pub exponent: Option<u32>,
    /// Divide the amount by the whole number at this path (rounding up).
    #[serde(default)]
    pub divide_by: Option<String>,
    /// The money field of the same scope that takes an inexact division's remainder.
    #[serde(default)]
    pub remainder_to: Option<String>,
    /// Used when the source is missing or null.
    #[serde(default)]
    pub default: Option<Value>,
    /// A missing source leaves the field out instead of failing.
    #[serde(default)]
    pub optional: bool,
}

/// Why a mapping could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LoadError {
    /// The file (or name) it came from.
    pub file: String,
    /// Line of the problem (1-based; 0 when unknown).
    pub line: usize,
    /// Character column of the problem on its line (1-based; 0 when unknown).
    pub column: usize,
    /// What is wrong, naming the field.
    pub message: String,
}

/// Why a payload could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MapError {
    /// The target field, e.g. `lines[2].quantity`.
    pub field: String,
    /// What was wrong with the source value.
    pub message: String,
}

impl Mapping {
    /// Parses and checks a mapping; errors name the file, the line and the field.
    pub fn load(file: &str, text: &str) -> Result<Self, LoadError> {
        // 1-based line and character column of a byte offset.
        let position = |offset: usize| {
            let mut offset = offset.min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let before = &text[..offset];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            (
                before.matches('\n').count() + 1,
                before[line_start..].chars().count() + 1,
            )
        };
        let mapping: Mapping = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| position(s.start));
            LoadError {
                file: file.to_owned(),
                line,
                column,
                message: e.message().trim().replace('\n', "; "),
            }
        })?;
        let problem = |field: &str, message: String| {
            let (line, column) = text
                .find(&format!("{field} "))
                .or_else(|| text.find(field))
                .map_or((0, 0), position);
            LoadError {
                file: file.to_owned(),
                line,
                column,
                message: format!("{field}: {message}"),
            }
        };
        for (scope, fields) in [("fields", &mapping.fields), ("lines.fields", &mapping.lines.fields)] {
            for (name, rule) in fields {
                rule.check(&mapping.tables)
                    .map_err(|m| problem(name, format!("in [{scope}]: {m}")))?;
                let Some(target) = &rule.remainder_to else { continue };
                let takes_money = fields.get(target).is_some_and(|t| t.money.is_some());
                if target == name || !takes_money {
                    let message =
                        format!("in [{scope}]: remainder_to {target:?} is not another money field of [{scope}]");
                    return Err(problem(name, message));
                }
            }
        }
        Ok(mapping)
    }

    /// Maps a payload to canonical order JSON (not yet validated: that is `ordo-core`'s
    /// job, so every problem with the order itself is reported the same way as for any
    /// other channel).
    pub fn apply(&self, payload: &Value) -> Result<Value, MapError> {
        let order = match &self.root {
            Some(root) => path::get(payload, root).ok_or_else(|| MapError {
                field: "(root)".into(),
                message: format!("{root} is missing"),
            })?,
            None => payload,
        };
        let mut out = evaluate_all(&self.fields, Scope { order, line: order }, &self.tables, "")?;
        let items = path::get(order, &self.lines.each)
            .and_then(Value::as_array)
            .ok_or_else(|| MapError {
                field: "lines".into(),
                message: format!("{} is not an array", self.lines.each),
            })?;
        let mut lines = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let scope = Scope { order, line: item };
            let line = evaluate_all(&self.lines.fields, scope, &self.tables, &format!("lines[{i}]."))?;
            lines.push(Value::Object(line));
        }
        out.insert("lines".into(), Value::Array(lines));
        Ok(Value::Object(out))
    }
}

/// Evaluates the rules of one scope (the order, or one line; `prefix` names it in errors),
/// then adds each division's remainder to the field named to take it.
fn evaluate_all(
    rules: &BTreeMap<String, Rule>,
    scope: Scope<'_>,
    tables: &BTreeMap<String, BTreeMap<String, String>>,
    prefix: &str,
) -> Result<Map<String, Value>, MapError> {
    let mut out = Map::new();
    let mut remainders: Vec<(String, Decimal)> = Vec::new();
    for (target, rule) in rules {
        if let Some(value) = rule.evaluate(scope, tables, &format!("{prefix}{target}"), &mut remainders)? {
            insert(&mut out, target, value);
        }
    }
    for (target, remainder) in remainders {
        let current = lookup(&out, &target).cloned();
        let total = match current.as_ref().and_then(Value::as_str) {
            None => Some(remainder),
            Some(text) => Decimal::parse(text, false).and_then(|d| d.checked_add(remainder)),
        };
        let total = total.ok_or_else(|| MapError {
            field: format!("{prefix}{target}"),
            message: format!(
                "cannot add the remainder {remainder} to {}",
                current.unwrap_or(Value::Null)
            ),
        })?;
        insert(&mut out, &target, Value::String(total.to_string()));
    }
    Ok(out)
}

/// The value at a dotted target name.
fn lookup<'a>(out: &'a Map<String, Value>, target: &str) -> Option<&'a Value> {
    match target.split_once('.') {
        None => out.get(target),
        Some((head, rest)) => lookup(out.get(head)?.as_object()?, rest),
    }
}

/// Writes `value` at a dotted target name, creating nested objects.
fn insert(out: &mut Map<String, Value>, target: &str, value: Value) {
    match target.split_once('.') {
        None => {
            out.insert(target.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = out.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = inner {
                insert(map, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod platform_tests;
#[cfg(test)]
mod tests;
