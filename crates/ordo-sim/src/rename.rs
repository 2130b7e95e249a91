//! Field renames: the simulator's way of playing a platform that changed its payload.
//!
//! A rename moves the value at one dotted path to another in every order the simulator
//! serves or pushes from then on. A segment ending in `[]` is an array whose elements the
//! rest of the path applies to, so `line_items[].sku` → `line_items[].seller_sku` renames
//! the field in every line. Both paths must share that array prefix: a rename changes a
//! name, it does not move data between lines and the order.

use serde_json::{Map, Value};

use crate::SimError;

/// One registered rename, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rename {
    pub from: String,
    pub to: String,
    /// Segments up to and including the last array segment (without the `[]` marks),
    /// each flagged as an array or not.
    prefix: Vec<(String, bool)>,
    from_rest: Vec<String>,
    to_rest: Vec<String>,
}

fn segments(path: &str) -> Result<Vec<(String, bool)>, SimError> {
    path.split('.')
        .map(|seg| {
            let (name, array) = match seg.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (seg, false),
            };
            if name.is_empty() || name.contains(['[', ']']) {
                Err(SimError::InvalidRename(format!("bad segment {seg:?} in {path:?}")))
            } else {
                Ok((name.to_owned(), array))
            }
        })
        .collect()
}

fn split_at_last_array(segs: Vec<(String, bool)>) -> (Vec<(String, bool)>, Vec<String>) {
    let cut = segs.iter().rposition(|(_, array)| *array).map_or(0, |i| i + 1);
    let mut prefix = segs;
    let rest = prefix.split_off(cut).into_iter().map(|(name, _)| name).collect();
    (prefix, rest)
}

impl Rename {
    /// Parses and checks a rename of `from` to `to`.
    pub fn parse(from: &str, to: &str) -> Result<Self, SimError> {
        let (prefix, from_rest) = split_at_last_array(segments(from)?);
        let (to_prefix, to_rest) = split_at_last_array(segments(to)?);
        if prefix != to_prefix {
            return Err(SimError::InvalidRename(format!(
                "{from:?} and {to:?} must share their array prefix"
            )));
        }
        if from_rest.is_empty() || to_rest.is_empty() {
            return Err(SimError::InvalidRename(format!(
                "{from:?} → {to:?} must name a field, not a whole array element"
            )));
        }
        Ok(Rename {
            from: from.to_owned(),
            to: to.to_owned(),
            prefix,
            from_rest,
            to_rest,
        })
    }

    /// The same rename seen from inside the array `array` of the order (e.g. Amazon's
    /// items, served apart from their order, see `OrderItems[].SellerSKU` as `SellerSKU`).
    /// `None` when the rename is not about that array's elements.
    pub fn within(&self, array: &str) -> Option<Rename> {
        let ((first, is_array), rest) = self.prefix.split_first()?;
        (first == array && *is_array).then(|| Rename {
            prefix: rest.to_vec(),
            ..self.clone()
        })
    }

    /// The same rename seen from inside the object field `field` (e.g. Xiaohongshu's
    /// `receiver.receiverName`, served by its own method, as `receiverName`).
    pub fn within_object(&self, field: &str) -> Option<Rename> {
        if !self.prefix.is_empty() || self.from_rest.first().map(String::as_str) != Some(field) {
            return None;
        }
        if self.to_rest.first() != self.from_rest.first() || self.from_rest.len() < 2 {
            return None;
        }
        Some(Rename {
            from_rest: self.from_rest[1..].to_vec(),
            to_rest: self.to_rest[1..].to_vec(),
            ..self.clone()
        })
    }

    /// Applies the rename to one order object.
    pub fn apply(&self, value: &mut Value) {
        descend(value, &self.prefix, &mut |element| {
            if let Some(moved) = take(element, &self.from_rest) {
                put(element, &self.to_rest, moved);
            }
        });
    }
}

/// Applies every rename, in the order they were registered.
pub(crate) fn apply_all(renames: &[Rename], value: &mut Value) {
    for rename in renames {
        rename.apply(value);
    }
}

fn descend(value: &mut Value, prefix: &[(String, bool)], at_end: &mut dyn FnMut(&mut Value)) {
    let Some(((name, is_array), rest)) = prefix.split_first() else {
        at_end(value);
        return;
    };
    let Some(child) = value.as_object_mut().and_then(|o| o.get_mut(name)) else {
        return;
    };
    if *is_array {
        if let Some(items) = child.as_array_mut() {
            for item in items {
                descend(item, rest, at_end);
            }
        }
    } else {
        descend(child, rest, at_end);
    }
}

fn take(value: &mut Value, path: &[String]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let mut current = value;
    for name in parents {
        current = current.as_object_mut()?.get_mut(name)?;
    }
    current.as_object_mut()?.remove(last)
}

fn put(value: &mut Value, path: &[String], moved: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = value;
    for name in parents {
        let Some(object) = current.as_object_mut() else {
            return;
        };
        current = object.entry(name.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(object) = current.as_object_mut() {
        object.insert(last.clone(), moved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renames_reach_into_arrays_and_nested_objects() {
        let mut order = json!({
            "id": 1,
            "customer": {"email": "a@b"},
            "line_items": [{"sku": "A"}, {"sku": "B"}, {"title": "no sku"}]
        });
        Rename::parse("line_items[].sku", "line_items[].seller_sku")
            .unwrap()
            .apply(&mut order);
        Rename::parse("customer.email", "contact.email_address")
            .unwrap()
            .apply(&mut order);
        assert_eq!(
            order,
            json!({
                "id": 1,
                "customer": {},
                "contact": {"email_address": "a@b"},
                "line_items": [{"seller_sku": "A"}, {"seller_sku": "B"}, {"title": "no sku"}]
            })
        );
    }

    #[test]
    fn renames_that_move_data_between_levels_are_refused() {
        assert!(Rename::parse("line_items[].sku", "sku").is_err());
        assert!(Rename::parse("a..b", "c").is_err());
        assert!(Rename::parse("items[]", "items[]").is_err());
    }

    #[test]
    fn a_rename_can_be_seen_from_inside_an_array_or_object() {
        let rename = Rename::parse("OrderItems[].SellerSKU", "OrderItems[].Sku").unwrap();
        let mut item = json!({"SellerSKU": "X"});
        rename.within("OrderItems").unwrap().apply(&mut item);
        assert_eq!(item, json!({"Sku": "X"}));
        let rename = Rename::parse("receiver.receiverName", "receiver.name").unwrap();
        let mut receiver = json!({"receiverName": "王伟"});
        rename.within_object("receiver").unwrap().apply(&mut receiver);
        assert_eq!(receiver, json!({"name": "王伟"}));
    }
}
