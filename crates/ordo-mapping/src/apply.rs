//! Applying a mapping: finding the orders in a payload (`root`, `each_order`), then
//! evaluating the order's fields, its lines and its other lists.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::convert::{holds, none_present};
use crate::money::Decimal;
use crate::path::{self, Scope};
use crate::rule::Tables;
use crate::{List, MapError, Mapping, Rule};

/// Most problems reported for one order by [`Mapping::apply_collect`]: every broken field
/// of a large order fits, and a payload of thousands of broken lines still gives a report
/// a person reads to the end.
const MAX_ERRORS: usize = 100;

/// The problems found so far, up to a limit; evaluation stops when it is reached.
struct Errors {
    found: Vec<MapError>,
    limit: usize,
}

impl Errors {
    fn new(limit: usize) -> Self {
        Self {
            found: Vec::new(),
            limit,
        }
    }

    fn push(&mut self, error: MapError) {
        if !self.full() {
            self.found.push(error);
        }
    }

    fn full(&self) -> bool {
        self.found.len() >= self.limit
    }
}

fn root_error(message: String) -> MapError {
    MapError {
        field: "(root)".into(),
        message,
        at: None,
    }
}

/// `a string`, `an object`: what a value is, for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Mapping {
    /// Maps a payload holding one order to canonical order JSON (not yet validated: that
    /// is `ordo-core`'s job, so every problem with the order itself is reported the same
    /// way as for any other channel). Stops at the first problem.
    ///
    /// A list response (`each_order`) is taken when it holds exactly one order; use
    /// [`Mapping::apply_all`] for more.
    pub fn apply(&self, payload: &Value) -> Result<Value, MapError> {
        let (value, errors) = self.map(self.single_order(payload)?, 1);
        match errors.into_iter().next() {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }

    /// Like [`Mapping::apply`], but reports every problem (up to 100) instead of the first.
    pub fn apply_collect(&self, payload: &Value) -> Result<Value, Vec<MapError>> {
        let order = self.single_order(payload).map_err(|e| vec![e])?;
        let (value, errors) = self.map_order(order);
        if errors.is_empty() { Ok(value) } else { Err(errors) }
    }

    /// Maps every order of a payload: each element of `each_order` when the payload has
    /// it, else the one order at the root. Each order succeeds or fails on its own.
    pub fn apply_all(&self, payload: &Value) -> Vec<Result<Value, MapError>> {
        let orders = match self.orders(payload) {
            Ok(orders) => orders,
            Err(error) => return vec![Err(error)],
        };
        orders
            .into_iter()
            .map(|order| {
                let (value, errors) = self.map(order, 1);
                errors.into_iter().next().map_or(Ok(value), Err)
            })
            .collect()
    }

    /// The order objects of a payload: the first `root` candidate present (the payload
    /// itself when there is none), then the elements of its `each_order` array when it
    /// has one.
    pub fn orders<'a>(&self, payload: &'a Value) -> Result<Vec<&'a Value>, MapError> {
        let root = if self.root.is_empty() {
            payload
        } else {
            let candidate = |r: &String| match r.as_str() {
                "." => Some(payload),
                r => path::get(payload, r).filter(|v| !v.is_null()),
            };
            self.root
                .iter()
                .find_map(candidate)
                .ok_or_else(|| root_error(none_present(&self.root)))?
        };
        let Some(each) = &self.each_order else {
            return Ok(vec![root]);
        };
        match path::get(root, each) {
            None | Some(Value::Null) => Ok(vec![root]),
            Some(Value::Array(orders)) => Ok(orders.iter().collect()),
            Some(other) => Err(root_error(format!("{each} is not an array (found {})", kind_of(other)))),
        }
    }

    /// Maps one order object (as [`Mapping::orders`] finds it): the canonical JSON of
    /// every field that could be mapped, and every problem (up to 100). With problems,
    /// the JSON lacks the fields at fault, so it can still be validated to learn what
    /// else is wrong.
    pub fn map_order(&self, order: &Value) -> (Value, Vec<MapError>) {
        self.map(order, MAX_ERRORS)
    }

    fn single_order<'a>(&self, payload: &'a Value) -> Result<&'a Value, MapError> {
        let orders = self.orders(payload)?;
        match orders[..] {
            [one] => Ok(one),
            _ => {
                let each = self.each_order.as_deref().unwrap_or("the payload");
                let message = match orders.len() {
                    0 => format!("{each} holds no order"),
                    n => format!("{each} holds {n} orders where one is expected (apply_all maps each)"),
                };
                Err(root_error(message))
            }
        }
    }

    /// The fields, then the lines, then the other lists, stopping after `limit` problems.
    fn map(&self, order: &Value, limit: usize) -> (Value, Vec<MapError>) {
        let mut errors = Errors::new(limit);
        let scope = Scope { order, line: order };
        let mut out = evaluate_all(&self.fields, scope, &self.tables, "", &mut errors);
        let lists = std::iter::once(("lines", &self.lines, true))
            .chain(self.lists.iter().map(|(target, list)| (target.as_str(), list, false)));
        for (target, list, required) in lists {
            if errors.full() {
                break;
            }
            if let Some(items) = map_list(list, target, required, order, &self.tables, &mut errors) {
                insert(&mut out, target, Value::Array(items));
            }
        }
        (Value::Object(out), errors.found)
    }
}

/// The mapped elements of a list, `None` when its array is not there (a problem only
/// when it is `required`) or is not an array.
fn map_list(
    list: &List,
    target: &str,
    required: bool,
    order: &Value,
    tables: &Tables,
    errors: &mut Errors,
) -> Option<Vec<Value>> {
    let fail = |message: String| MapError {
        field: target.to_owned(),
        message,
        at: list.at.clone(),
    };
    let mut elements = Vec::new();
    let mut present = false;
    for each in &list.each {
        if each == "." {
            // The order itself, as the one element: for a list the platform states as
            // order-level fields rather than as an array.
            present = true;
            elements.push(order);
            continue;
        }
        match path::read(each, Scope { order, line: order }) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                present = true;
                elements.extend(items);
            }
            Some(other) => {
                errors.push(fail(format!("{each} is not an array (found {})", kind_of(other))));
                return None;
            }
        }
    }
    if !present && required {
        errors.push(fail(none_present(&list.each)));
        return None;
    }
    let kept = elements.into_iter().filter(|element| {
        let scope = Scope { order, line: element };
        list.keep_where.iter().all(|(p, values)| holds(p, values, scope))
            && !list.drop_where.iter().any(|(p, values)| holds(p, values, scope))
    });
    let mut out = Vec::new();
    for (i, element) in kept.enumerate() {
        if errors.full() {
            break;
        }
        let scope = Scope { order, line: element };
        let fields = evaluate_all(&list.fields, scope, tables, &format!("{target}[{i}]."), errors);
        out.push(Value::Object(fields));
    }
    Some(out)
}

/// Evaluates the rules of one scope (the order, or one element; `prefix` names it in
/// errors), then adds each division's remainder to the field named to take it. A rule
/// that fails is left out and its problem recorded.
fn evaluate_all(
    rules: &BTreeMap<String, Rule>,
    scope: Scope<'_>,
    tables: &Tables,
    prefix: &str,
    errors: &mut Errors,
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut remainders: Vec<(String, Decimal)> = Vec::new();
    for (target, rule) in rules {
        if errors.full() {
            return out;
        }
        match rule.evaluate(scope, tables, &format!("{prefix}{target}"), &mut remainders) {
            Ok(Some(value)) => insert(&mut out, target, value),
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    for (target, remainder) in remainders {
        let current = lookup(&out, &target).cloned();
        let total = match current.as_ref().and_then(Value::as_str) {
            None => Some(remainder),
            Some(text) => Decimal::parse(text, false).and_then(|d| d.checked_add(remainder)),
        };
        match total {
            Some(total) => insert(&mut out, &target, Value::String(total.to_string())),
            None => errors.push(MapError {
                field: format!("{prefix}{target}"),
                message: format!(
                    "cannot add the remainder {remainder} to {}",
                    current.unwrap_or(Value::Null)
                ),
                at: rules.get(&target).and_then(|r| r.at.clone()),
            }),
        }
    }
    out
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
