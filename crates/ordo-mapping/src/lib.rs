//! The mapping engine: a declarative TOML document says how a platform's order payload
//! becomes Ordo's canonical order (the `OrderInput` JSON that `ordo-core` validates).
//! When a platform renames a field, the fix is an edit of the mapping file.
//!
//! ```toml
//! name = "shopify.order"
//! # The order is the payload itself, or under `order` in a REST response; a list response
//! # holds its orders under `orders` (see `Mapping::apply_all`).
//! root = ["order", "."]
//! each_order = "orders"
//! # Rules shared by several mappings, merged in (this file's own entries win).
//! include = ["shopify.common.toml"]
//!
//! [fields]
//! channel = { const = "shopify" }
//! external_id = { path = "admin_graphql_api_id", after_last = "/" }
//! placed_at = { path = "created_at", time = "rfc3339" }
//! financial_status = { path = "financial_status", map = { paid = "paid", voided = "voided" } }
//! shipping_fee = { path = "total_shipping_price_set.shop_money.amount", money = true, default = "0" }
//! "shipping_address.name" = { concat = ["shipping_address.first_name", "' '", "shipping_address.last_name"] }
//! "shipping_address.phone" = { path = "phone", replace = { from = "-", to = "" }, trim = true, optional = true }
//! # Only for cancelled orders: the time of the update that cancelled it.
//! cancelled_at = { path = "update_time", time = "epoch_seconds", when = { order_status = [4] } }
//! # The first case whose `when` holds and that has a value.
//! remark = { case = [{ when = { gift = [true] }, path = "gift_message" }, { path = "note" }], optional = true }
//! total = { path = "total_price", money = true, round = { places = 2, mode = "half_up" } }
//!
//! [lines]
//! each = "line_items"
//! where_not = { "bundle_role" = ["component"] }
//! [lines.fields]
//! sku = { first_of = ["outer_sku_id", "sku_id"] }
//! quantity = { path = "quantity", type = "integer" }
//! unit_price = { path = "price", money = true }
//! # A join: the line names its address by id; the address is in the order's list.
//! city = { path = "$.addresses[id=@.address_id].city", optional = true }
//!
//! [lists.discounts]
//! each = "discount_codes"
//! [lists.discounts.fields]
//! code = { path = "code" }
//! amount = { path = "amount", money = true }
//!
//! [lists.tax_lines]
//! each = ["tax_lines", "shipping_tax_lines"]
//! where = { "type" = ["vat", "gst"] }
//! [lists.tax_lines.fields]
//! rate = { path = "rate_percent", type = "decimal", scale = -2 }
//! amount = { path = "price", money = true }
//! ```
//!
//! **Fields.** `[fields]` maps order-level targets. A target name with dots
//! (`buyer.email`) writes into a nested object. Each target has a [`Rule`]: a source
//! (`path`, `const`, `concat`, `first_of`, `sum`, `case`), conditions (`when`), text steps
//! (`after_last`, `replace`, `trim`), lookups (`table`, `map`), a conversion (`type`,
//! `time`, `money` with `exponent`, `scale`, `round`) and `divide_by`; see [`Rule`] for
//! each and the order they apply in.
//!
//! **Paths.** A source path is dot-separated keys with brackets (`addresses[0].city`). A
//! bracket is an index `[0]`, a join `[field=operand]` (the first element whose `field`
//! equals the operand: `$.path` from the order, `@.path` from the current element,
//! `'text'` a literal; no match is a missing value, so `default` / `optional` apply), or
//! `[]` (every element, only in `sum`).
//!
//! **Lines and other lists.** `[lines]` (required) and any number of `[lists.<target>]`
//! have the same keys ([`List`]): `each`, the array of elements relative to the order (or
//! a list of arrays, concatenated in order; `"."` is the order itself as one element, for
//! a list the platform states as order-level fields); `where = { path = [values…] }`, keeping only
//! elements where every path has one of its values; `where_not = { … }`, dropping elements
//! where any path has one of its values (both compare as text, like `when`); and
//! `fields`, whose paths are relative to the element (`$.` for the order). A list writes a
//! JSON array of objects at its target (`discounts`, `tax_lines`, `fees`). An absent or
//! null array is an empty list, but the lines are required: no line array is an error
//! (`line_items is missing`). A value that is not an array is always an error
//! (`discount_codes is not an array (found a string)`).
//!
//! **Envelopes.** `root` is where the order is in the payload: one path, or candidates
//! tried in order, `"."` being the payload itself. `each_order`, relative to the root, is
//! an array of orders in a list response (a path an order itself does not have); when the
//! payload has it, [`Mapping::apply_all`] maps each element, and [`Mapping::apply`] takes
//! such a payload only when it holds exactly one order. Without it the root is the order.
//!
//! **Includes.** `include = ["fragment.toml", …]` merges fragments: TOML with `[fields]`,
//! `[lists.*]`, `[tables]` and their own `include`. Entries are merged by target (a whole
//! list or table at a time); a later fragment wins over an earlier one and the including
//! file wins over all. Fragments are found by [`Mapping::load_with`]'s resolver, since a
//! built-in mapping is an embedded string and not a file.
//!
//! **Money** is never a float: see [`Rule`] for `money`, `exponent`, `scale`, `round`,
//! `sum` and `divide_by`. An amount with more places than `exponent` (default 2) keeps its
//! value when the extra digits are zeros (`"55.9900"` is `55.99`) and is refused, naming
//! the field, when they are not (`"55.995"`) unless the rule says `round`. `type =
//! "decimal"` is exact decimal text that is not money (a rate), and `type = "integer"`
//! takes `2.0` as 2 but refuses `1.5`.
//!
//! **Errors** name the target (`lines[2].quantity`), every path a missing value was
//! looked for at (`none of sku, product_id is present`), and where the rule is written
//! ([`MapError::at`]). [`Mapping::apply_collect`] reports every problem instead of the
//! first.
//!
//! See [`TestVector`] for the `[[tests]]` a mapping carries, and [`Shape`] / [`Drift`] for
//! noticing that a platform changed its payload. Invariant: nothing here does IO or reads a
//! clock; a mapping is data, and applying it is a pure function of the payload.

mod apply;
mod convert;
mod drift;
mod load;
mod money;
mod path;
mod rule;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

pub use convert::{Kind, TimeFormat};
pub use drift::{Drift, Shape};
pub use money::{MoneyForm, RoundMode};
pub use rule::{Replace, Round, Rule};

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
    ("magento.order.toml", include_str!("../mappings/magento.order.toml")),
    (
        "bigcommerce.order.toml",
        include_str!("../mappings/bigcommerce.order.toml"),
    ),
    ("wechat.order.toml", include_str!("../mappings/wechat.order.toml")),
    ("kuaishou.order.toml", include_str!("../mappings/kuaishou.order.toml")),
];
/// The text of a built-in mapping by name (`shopify.order`) or file name
/// (`shopify.order.toml`), with its file name.
pub fn built_in(name: &str) -> Option<(&'static str, &'static str)> {
    BUILT_IN
        .iter()
        .find(|(file, _)| *file == name || file.strip_suffix(".toml") == Some(name))
        .copied()
}

/// A mapping from one platform payload shape to the canonical order. Made by
/// [`Mapping::load`] / [`Mapping::load_with`], applied by [`Mapping::apply`] and its
/// siblings.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// A name, e.g. `shopify.order`.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Where the order is in the payload: candidate paths tried in order, `"."` being the
    /// payload itself; empty means the payload itself.
    pub root: Vec<String>,
    /// In a list response, the array of orders under the root.
    pub each_order: Option<String>,
    /// The fragments merged in, as named.
    pub include: Vec<String>,
    /// Order-level fields by target name (own and included).
    pub fields: BTreeMap<String, Rule>,
    /// The order lines.
    pub lines: List,
    /// Other lists of the order (`discounts`, `tax_lines`, `fees`) by target name.
    pub lists: BTreeMap<String, List>,
    /// Named lookup tables for `table = "…"` rules.
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
    /// Test vectors: payload files (relative to the mapping file) and what their
    /// canonical order must contain. Run by `ordo mapping test`.
    pub tests: Vec<TestVector>,
}

/// How the elements of a list (`[lines]`, `[lists.<target>]`) are found and mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    /// The arrays of elements, relative to the order, concatenated in order; `"."` is the
    /// order itself as one element.
    pub each: Vec<String>,
    /// `where`: only elements where every path has one of the values listed.
    pub keep_where: BTreeMap<String, Vec<Value>>,
    /// `where_not`: not the elements where any path has one of the values listed.
    pub drop_where: BTreeMap<String, Vec<Value>>,
    /// Element fields by target name; paths are relative to each element. A path starting
    /// with `$.` is relative to the order instead.
    pub fields: BTreeMap<String, Rule>,
    /// Where the list's table is written.
    pub at: Option<Location>,
}

/// Where something is written in a mapping file (or in a fragment it includes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file (or name) it came from.
    pub file: String,
    /// Line (1-based).
    pub line: usize,
    /// Character column (1-based).
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
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

/// Why a mapping could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LoadError {
    /// The file (or name) it came from; an included fragment's own name when the problem
    /// is there.
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
    /// The target field, e.g. `lines[2].quantity`; `(root)` when the order itself is not
    /// found.
    pub field: String,
    /// What was wrong with the source value.
    pub message: String,
    /// Where the rule (or list) at fault is written, when known.
    pub at: Option<Location>,
}

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod new_platform_tests;
#[cfg(test)]
mod platform_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod total_tests;
