//! One target field's rule as written in a mapping, and the checks it must pass at load.
//! Evaluating a rule is `convert.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::Location;
use crate::convert::{self, Kind, TimeFormat};
use crate::money::{self, MoneyForm, RoundMode};
use crate::path;

/// Most decimal places an `exponent` may ask for (ISO 4217 has at most 4).
const MAX_EXPONENT: u32 = 6;
/// Most places `round` may keep and `scale` may shift by: the most a decimal is read with.
const MAX_PLACES: u32 = money::MAX_SCALE;

/// How one target field gets its value.
///
/// Evaluation order:
/// 1. `when`: every condition must hold, else the field is left out;
/// 2. the source, exactly one of `path`, `const`, `concat`, `first_of`, `sum`, `case`;
/// 3. `default` when the source is missing or null; a rule still without a value is left
///    out when `optional`, else it is an error naming every path it tried;
/// 4. text: `after_last`, then each `replace` in order, then `trim`;
/// 5. `table`, then `map`;
/// 6. the conversion: `type`, `time`, or `money` (with `exponent`), where `scale` and
///    `round` apply to `money` and `type = "decimal"`;
/// 7. `divide_by`.
///
/// `case = [{ when = { … }, path = "…" }, { path = "…" }]` takes the first sub-rule whose
/// `when` holds and that yields a value (a sub-rule whose source is missing is passed
/// over); the value then goes through this rule's own steps 3 to 7. Sub-rules are full
/// rules, so each may have its own `map`, `money`, and so on; `optional` means nothing in
/// a sub-rule and is refused there.
///
/// Paths may join across arrays with `[field=operand]`, e.g.
/// `$.addresses[id=@.address_id].city` (the order's address whose `id` is this line's
/// `address_id`) or `proceeds.breakdowns[type='SHIPPING'].amount`; a join with no match
/// reads as missing.
///
/// Money rules write exact decimal text, never through a float:
/// - `money = true` (or `"decimal"`): a decimal string as written, and a JSON number as
///   the shortest decimal that reads back as the same float. Either is then brought to
///   `exponent` places (default 2): digits beyond that which are zeros are dropped
///   (`"55.9900"` → `"55.99"`); other digits are refused, naming the field, unless
///   `round` says how to round them. A JSON number is written with exactly `exponent`
///   places, and float noise beyond them (under a millionth of a minor unit, so
///   `12.299999999999999` → `12.30`) is rounded off.
/// - `money = "minor"`: a whole number of minor units, shifted by `exponent` places
///   (default 2: fen and cents; say `exponent = 0` for yen).
/// - `scale = N`: multiply by 10^N before anything else (`scale = -2` reads a percentage
///   `"6"` as `0.06`).
/// - `round = { places = 2, mode = "half_up" }`: round to that many places; `mode` is
///   `half_up` (ties away from zero), `half_even` (ties to even), `down` (toward zero) or
///   `up` (away from zero). The result has exactly `places` places.
/// - `sum = ["a[].amount", "-b"]`: the exact sum of every amount the terms read (`[]` is
///   every element; a leading `-` subtracts); missing terms add nothing.
/// - `divide_by = "QuantityOrdered"`: the amount ÷ that whole number (for platforms that
///   send a line total where Ordo wants a unit price), rounded *up* to the amount's own
///   decimal places. An inexact division is an error unless `remainder_to` names a money
///   field of the same line (a discount): the remainder `unit × quantity − total`, less
///   than one minor unit per piece, is added to it, so the line's net is exactly the
///   platform's total.
///
/// `type = "decimal"` is an exact decimal that is not money (a tax rate): kept with all
/// its places, after `scale` and `round`.
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
    /// Sub-rules tried in order: the first whose `when` holds and that yields a value.
    #[serde(default)]
    pub case: Option<Vec<Rule>>,
    /// Keep only what follows the last occurrence of this text (e.g. a GraphQL id's `/`).
    #[serde(default)]
    pub after_last: Option<String>,
    /// Text replacements, `{ from = "…", to = "…" }` or a list of them, applied in order.
    #[serde(default, deserialize_with = "one_or_many")]
    pub replace: Vec<Replace>,
    /// Remove leading and trailing white space.
    #[serde(default)]
    pub trim: bool,
    /// Replace the value through a named table of [`crate::Mapping::tables`].
    #[serde(default)]
    pub table: Option<String>,
    /// Replace the value through this map (platform status → Ordo status); a value not in
    /// it is an error naming the value, unless `map_default` is given.
    #[serde(default)]
    pub map: Option<BTreeMap<String, String>>,
    /// The value for anything `map` does not list.
    #[serde(default)]
    pub map_default: Option<String>,
    /// `string` (numbers become their decimal text, never a float), `integer` (a whole
    /// number; `2.0` and `"2.0"` are 2, `1.5` is refused) or `decimal` (exact decimal text).
    #[serde(default, rename = "type")]
    pub kind: Option<Kind>,
    /// A time format; the result is RFC 3339.
    #[serde(default)]
    pub time: Option<TimeFormat>,
    /// For `time = "local"`: the zone as a fixed offset, e.g. `+08:00`.
    #[serde(default)]
    pub zone: Option<String>,
    /// A money amount, `true` / `"decimal"` or `"minor"`; see the type's documentation.
    #[serde(default, deserialize_with = "money::deserialize_form")]
    pub money: Option<MoneyForm>,
    /// Decimal places of the currency's minor unit (default 2): how `"minor"` is shifted,
    /// and the most places a money amount keeps.
    #[serde(default)]
    pub exponent: Option<u32>,
    /// Multiply a money or decimal value by 10^N (`-2` turns a percentage into a rate).
    #[serde(default)]
    pub scale: Option<i32>,
    /// Round a money or decimal value to a number of places, in a stated mode.
    #[serde(default)]
    pub round: Option<Round>,
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
    /// Where the rule is written; set by the loader, and carried by errors.
    #[serde(skip)]
    pub at: Option<Location>,
}

/// `round = { places = 2, mode = "half_up" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round {
    /// Decimal places of the result.
    pub places: u32,
    /// What happens to the digits beyond them.
    pub mode: RoundMode,
}

/// `replace = { from = "…", to = "…" }`: every occurrence of `from` becomes `to`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replace {
    /// The text to find (not empty).
    pub from: String,
    /// What it becomes (may be empty, to delete it).
    pub to: String,
}

/// Reads one item or a list of them as a list (`replace = {…}` or `replace = [{…}, {…}]`,
/// `each = "a"` or `each = ["a", "b"]`). Read through a JSON value rather than an
/// untagged enum so that a mistake inside an item is reported as itself.
pub(crate) fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    items
        .into_iter()
        .map(|item| serde_json::from_value(item).map_err(serde::de::Error::custom))
        .collect()
}

/// Named lookup tables of a mapping.
pub(crate) type Tables = BTreeMap<String, BTreeMap<String, String>>;

impl Rule {
    /// Checks the rule on its own (at load); `nested` is true inside `case`.
    pub(crate) fn check(&self, tables: &Tables, nested: bool) -> Result<(), String> {
        let sources = [
            self.path.is_some(),
            self.constant.is_some(),
            self.concat.is_some(),
            self.first_of.is_some(),
            self.sum.is_some(),
            self.case.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err("needs exactly one of path, const, concat, first_of, sum, case".into());
        }
        let lists = [
            (&self.concat, "concat"),
            (&self.first_of, "first_of"),
            (&self.sum, "sum"),
        ];
        if let Some((_, what)) = lists.iter().find(|(list, _)| list.as_ref().is_some_and(Vec::is_empty)) {
            return Err(format!("{what} lists nothing"));
        }
        for p in self.plain_paths() {
            path::check(p, false)?;
        }
        for term in self.sum.iter().flatten() {
            path::check(convert::sum_term(term).1, true)?;
        }
        if nested && self.optional {
            return Err("optional means nothing inside case (a case without a value is passed over)".into());
        }
        if let Some(cases) = &self.case {
            if cases.is_empty() {
                return Err("case lists no rules".into());
            }
            for (i, sub) in cases.iter().enumerate() {
                sub.check(tables, true).map_err(|m| format!("case {}: {m}", i + 1))?;
            }
        }
        if let Some(table) = &self.table
            && !tables.contains_key(table)
        {
            return Err(format!("table {table:?} is not defined under [tables]"));
        }
        if self.replace.iter().any(|r| r.from.is_empty()) {
            return Err("replace needs a non-empty from".into());
        }
        if self.time == Some(TimeFormat::Local) {
            let zone = self
                .zone
                .as_deref()
                .ok_or("time = \"local\" needs zone, e.g. \"+08:00\"")?;
            convert::parse_zone(zone)?;
        }
        self.check_numbers()?;
        if let Some((p, _)) = self.when.iter().find(|(_, values)| values.is_empty()) {
            return Err(format!("when {p:?} lists no values"));
        }
        Ok(())
    }

    /// The money and decimal options go together.
    fn check_numbers(&self) -> Result<(), String> {
        let money = self.money.is_some();
        if money && (self.kind.is_some() || self.time.is_some()) {
            return Err("money cannot be combined with type or time".into());
        }
        let needs_money = [
            (self.exponent.is_some(), "exponent"),
            (self.divide_by.is_some(), "divide_by"),
            (self.sum.is_some(), "sum"),
        ];
        if let Some((_, what)) = needs_money.iter().find(|(used, _)| *used && !money) {
            return Err(format!("{what} needs money = true or \"minor\""));
        }
        let decimal = money || self.kind == Some(Kind::Decimal);
        let needs_decimal = [(self.scale.is_some(), "scale"), (self.round.is_some(), "round")];
        if let Some((_, what)) = needs_decimal.iter().find(|(used, _)| *used && !decimal) {
            return Err(format!("{what} needs money or type = \"decimal\""));
        }
        if self.exponent.is_some_and(|e| e > MAX_EXPONENT) {
            return Err(format!("exponent must be 0 to {MAX_EXPONENT}"));
        }
        if self.scale.is_some_and(|s| s.unsigned_abs() > MAX_PLACES) {
            return Err(format!("scale must be -{MAX_PLACES} to {MAX_PLACES}"));
        }
        if self.round.is_some_and(|r| r.places > MAX_PLACES) {
            return Err(format!("round places must be 0 to {MAX_PLACES}"));
        }
        if self.remainder_to.is_some() && self.divide_by.is_none() {
            return Err("remainder_to needs divide_by".into());
        }
        let text_steps = self.after_last.is_some() || !self.replace.is_empty() || self.trim;
        if self.sum.is_some() && (text_steps || self.table.is_some() || self.map.is_some()) {
            return Err("sum cannot be combined with after_last, replace, trim, table or map".into());
        }
        Ok(())
    }

    /// Paths read other than `sum` terms and sub-rules: the source, `when` conditions and
    /// `divide_by`.
    fn plain_paths(&self) -> impl Iterator<Item = &str> {
        let lists = self.concat.iter().chain(self.first_of.iter()).flatten();
        self.path
            .iter()
            .chain(lists)
            .map(String::as_str)
            .filter(|p| !convert::is_literal(p))
            .chain(self.when.keys().map(String::as_str))
            .chain(self.divide_by.as_deref())
    }

    /// Every path the rule and its sub-rules read (not literals), `sum` terms without their sign.
    pub(crate) fn sources(&self) -> Vec<&str> {
        let sums = self.sum.iter().flatten().map(|t| convert::sum_term(t).1);
        let cases = self.case.iter().flatten().flat_map(Rule::sources);
        self.plain_paths().chain(sums).chain(cases).collect()
    }

    /// The fields of the same scope named to take a division's remainder, from this rule
    /// and its sub-rules.
    pub(crate) fn remainder_targets(&self) -> Vec<&str> {
        let cases = self.case.iter().flatten().flat_map(Rule::remainder_targets);
        self.remainder_to.as_deref().into_iter().chain(cases).collect()
    }

    /// Sets where the rule is written, on it and its sub-rules.
    pub(crate) fn locate(&mut self, at: &Location) {
        self.at = Some(at.clone());
        for sub in self.case.iter_mut().flatten() {
            sub.locate(at);
        }
    }
}
