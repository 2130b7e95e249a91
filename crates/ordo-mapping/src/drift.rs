//! Schema drift: which fields of a platform's payload appeared or vanished since a
//! baseline, and which fields a mapping reads that a payload no longer has.
//!
//! A payload's shape is its [`Shape`]: the dotted paths of every object key, with arrays
//! folded into `[]` (so `line_items[].sku` stands for the SKU of every line). A connector
//! keeps the shape of the payloads it has seen as the baseline; a payload whose shape
//! differs is reported, and a read path that vanished breaks the mapping the same day.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::{Mapping, Rule, path};

/// Deepest nesting recorded: deeper structure (e.g. free-form metadata) is not a schema.
const MAX_DEPTH: usize = 4;

/// The set of field paths a payload has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shape(pub BTreeSet<String>);

impl Shape {
    /// The shape of one payload.
    pub fn of(payload: &Value) -> Self {
        let mut paths = BTreeSet::new();
        walk(payload, String::new(), 0, &mut paths);
        Self(paths)
    }

    /// Adds another payload's fields (optional fields appear in some payloads only).
    pub fn merge(&mut self, other: &Shape) {
        self.0.extend(other.0.iter().cloned());
    }
}

fn walk(value: &Value, prefix: String, depth: usize, out: &mut BTreeSet<String>) {
    if depth >= MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                out.insert(path.clone());
                walk(inner, path, depth + 1, out);
            }
        }
        Value::Array(items) => {
            let path = format!("{prefix}[]");
            for item in items {
                walk(item, path.clone(), depth, out);
            }
        }
        _ => {}
    }
}

/// What changed between a baseline shape and a payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// Paths the payload has that the baseline did not.
    pub appeared: Vec<String>,
    /// Paths of the baseline the payload lacks (only those the mapping reads: optional
    /// platform fields come and go all the time).
    pub vanished: Vec<String>,
}

impl Drift {
    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.vanished.is_empty()
    }
}

impl Mapping {
    /// The paths this mapping reads, in shape form (`line_items[].sku`), under every
    /// place an order may be: each `root` candidate, and each element of `each_order`.
    pub fn read_shape(&self) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        for rule in self.fields.values() {
            paths.extend(rule.sources().into_iter().flat_map(|p| path::shape_paths(p, "")));
        }
        // Element paths are under the folded array; `$.` paths and `$.` join operands
        // are order-level, `@.` operands are the element's.
        for list in std::iter::once(&self.lines).chain(self.lists.values()) {
            for each in &list.each {
                let element = match each.as_str() {
                    "." => String::new(),
                    each => match path::shape_paths(each, "").pop() {
                        Some(array) => format!("{array}[]"),
                        None => continue,
                    },
                };
                let conditions = list.keep_where.keys().chain(list.drop_where.keys());
                let rules = list.fields.values().flat_map(Rule::sources);
                for p in conditions.map(String::as_str).chain(rules) {
                    paths.extend(path::shape_paths(p, &element));
                }
            }
        }
        let mut roots: Vec<String> = self
            .root
            .iter()
            .map(|r| if r == "." { String::new() } else { format!("{r}.") })
            .collect();
        if roots.is_empty() {
            roots.push(String::new());
        }
        if let Some(each) = &self.each_order {
            let listed: Vec<String> = roots.iter().map(|r| format!("{r}{each}[].")).collect();
            roots.extend(listed);
        }
        roots
            .iter()
            .flat_map(|r| paths.iter().map(move |p| format!("{r}{p}")))
            .collect()
    }

    /// Compares a payload with a baseline shape: every new path, and every path the
    /// mapping reads that was in the baseline and is gone.
    pub fn drift(&self, baseline: &Shape, payload: &Value) -> Drift {
        let now = Shape::of(payload);
        let appeared = now.0.difference(&baseline.0).cloned().collect();
        let vanished = self
            .read_shape()
            .into_iter()
            .filter(|p| baseline.0.contains(p) && !now.0.contains(p))
            .collect();
        Drift { appeared, vanished }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_rename_shows_as_one_field_appearing_and_one_read_field_vanishing() {
        let text = include_str!("../mappings/shopify.order.toml");
        let mapping = Mapping::load("shopify.order.toml", text).unwrap();
        let before = json!({"created_at": "2026-11-22T10:00:00Z", "currency": "USD",
            "line_items": [{"sku": "A", "price": "1.00", "quantity": 1}], "note": null});
        let baseline = Shape::of(&before);
        assert!(mapping.drift(&baseline, &before).is_empty());
        let after = json!({"created_on": "2026-11-22T10:00:00Z", "currency": "USD",
            "line_items": [{"sku": "A", "price": "1.00", "quantity": 1, "grams": 5}], "note": null});
        let drift = mapping.drift(&baseline, &after);
        assert_eq!(drift.appeared, ["created_on", "line_items[].grams"]);
        assert_eq!(drift.vanished, ["created_at"]);
    }

    #[test]
    fn read_paths_fold_indexes_and_follow_lines() {
        let text = include_str!("../mappings/shopify.order.toml");
        let shape = Mapping::load("shopify.order.toml", text).unwrap().read_shape();
        assert!(shape.contains("shipping_lines[].price"));
        assert!(shape.contains("line_items[].sku"));
        assert!(shape.contains("total_shipping_price_set.shop_money.amount"));
    }
    #[test]
    fn joined_and_summed_paths_fold_to_every_field_they_read() {
        let text = "name = \"j\"\nroot = \"order\"\n[fields]\n\
            city = { path = \"addresses[id=$.shipping_address_id].city\" }\n\
            fee = { sum = [\"items[].fee\", \"-items[].off\"], money = true }\n\
            [lines]\neach = \"items\"\n[lines.fields]\n\
            line_city = { path = \"$.addresses[id=@.address_id].city\" }\n\
            tax = { path = \"sums[type='TAX'].v\", money = true, when = { \"$.state\" = [\"ok\"] } }\n";
        let mapping = Mapping::load("j.toml", text).unwrap();
        let shape: Vec<String> = mapping.read_shape().into_iter().collect();
        let want = [
            "order.addresses[].city",
            "order.addresses[].id",
            "order.items[].address_id",
            "order.items[].fee",
            "order.items[].off",
            "order.items[].sums[].type",
            "order.items[].sums[].v",
            "order.shipping_address_id",
            "order.state",
        ];
        assert_eq!(shape, want);
        // The platform renames the address id: the join's key is reported as vanished.
        let before = json!({"order": {"shipping_address_id": 1, "addresses": [{"id": 1, "city": "x"}],
            "items": [{"address_id": 1}]}});
        let after = json!({"order": {"shipping_address_id": 1, "addresses": [{"address_id": 1, "city": "x"}],
            "items": [{"address_id": 1}]}});
        let drift = mapping.drift(&Shape::of(&before), &after);
        assert_eq!(drift.appeared, ["order.addresses[].address_id"]);
        assert_eq!(drift.vanished, ["order.addresses[].id"]);
    }
}
