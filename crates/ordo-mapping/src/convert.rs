//! Evaluating one rule: condition, source, text operations, tables, maps and type conversion.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::money::{self, Decimal, MoneyForm};
use crate::path::{self, Scope};
use crate::{MapError, Rule};

/// Decimal places of minor units when a rule gives no `exponent` (fen, cents).
pub(crate) const DEFAULT_EXPONENT: u32 = 2;
/// Most decimal places an `exponent` may ask for (ISO 4217 has at most 4).
const MAX_EXPONENT: u32 = 6;

/// A value type to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Text; a JSON number becomes its exact decimal text (ids over 2^53 stay exact when
    /// the payload carries them as strings, and are never routed through a float).
    String,
    /// A whole number, from a JSON integer or a string of digits.
    Integer,
}

/// How a time is written in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// `2026-11-22T10:15:00+08:00`.
    Rfc3339,
    /// `Sun, 22 Nov 2026 10:15:00 +0800`.
    Rfc2822,
    /// Seconds since 1970 (number or digits).
    EpochSeconds,
    /// Milliseconds since 1970.
    EpochMillis,
    /// `2026-11-22 10:15:00` (or with a `T`) in the zone given by `zone` (a fixed offset such as `+08:00`,
    /// which is how Chinese platforms' Beijing time is meant).
    Local,
}

fn missing(field: &str, what: String) -> MapError {
    MapError {
        field: field.to_owned(),
        message: what,
    }
}

/// Named lookup tables of a mapping.
type Tables = BTreeMap<String, BTreeMap<String, String>>;

impl Rule {
    /// Checks the rule on its own (at load).
    pub(crate) fn check(&self, tables: &Tables) -> Result<(), String> {
        let sources = [
            self.path.is_some(),
            self.constant.is_some(),
            self.concat.is_some(),
            self.first_of.is_some(),
            self.sum.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err("needs exactly one of path, const, concat, first_of, sum".into());
        }
        for p in self.plain_paths() {
            path::check(p, false)?;
        }
        for term in self.sum.iter().flatten() {
            path::check(sum_term(term).1, true)?;
        }
        if let Some(table) = &self.table
            && !tables.contains_key(table)
        {
            return Err(format!("table {table:?} is not defined under [tables]"));
        }
        if self.time == Some(TimeFormat::Local) {
            let zone = self
                .zone
                .as_deref()
                .ok_or("time = \"local\" needs zone, e.g. \"+08:00\"")?;
            parse_zone(zone)?;
        }
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
        if self.exponent.is_some_and(|e| e > MAX_EXPONENT) {
            return Err(format!("exponent must be 0 to {MAX_EXPONENT}"));
        }
        if self.remainder_to.is_some() && self.divide_by.is_none() {
            return Err("remainder_to needs divide_by".into());
        }
        if self.sum.is_some() && (self.after_last.is_some() || self.table.is_some() || self.map.is_some()) {
            return Err("sum cannot be combined with after_last, table or map".into());
        }
        if let Some((p, _)) = self.when.iter().find(|(_, values)| values.is_empty()) {
            return Err(format!("when {p:?} lists no values"));
        }
        Ok(())
    }

    /// Paths read other than `sum` terms: the source, `when` conditions and `divide_by`.
    fn plain_paths(&self) -> impl Iterator<Item = &str> {
        let lists = self.concat.iter().chain(self.first_of.iter()).flatten();
        self.path
            .iter()
            .chain(lists)
            .map(String::as_str)
            .filter(|p| !is_literal(p))
            .chain(self.when.keys().map(String::as_str))
            .chain(self.divide_by.as_deref())
    }

    /// Every path the rule reads (not literals), `sum` terms without their sign.
    pub(crate) fn sources(&self) -> impl Iterator<Item = &str> {
        let sums = self.sum.iter().flatten().map(|t| sum_term(t).1);
        self.plain_paths().chain(sums)
    }

    /// The value for `field`, or `None` when a `when` condition does not hold or an
    /// optional field has no source value. A `divide_by` remainder is pushed onto
    /// `remainders` with the field that takes it.
    pub(crate) fn evaluate(
        &self,
        scope: Scope<'_>,
        tables: &Tables,
        field: &str,
        remainders: &mut Vec<(String, Decimal)>,
    ) -> Result<Option<Value>, MapError> {
        let read = |p: &str| path::read(p, scope).filter(|v| !v.is_null()).cloned();
        for (p, allowed) in &self.when {
            let actual = read(p).map(|v| text_of(&v));
            if !allowed.iter().any(|a| Some(text_of(a)) == actual) {
                return Ok(None);
            }
        }
        let exponent = self.exponent.unwrap_or(DEFAULT_EXPONENT);
        let mut summed = None;
        let raw = if let Some(p) = &self.path {
            read(p)
        } else if let Some(c) = &self.constant {
            Some(c.clone())
        } else if let Some(parts) = &self.concat {
            let text: Vec<String> = parts
                .iter()
                .filter_map(|p| match literal(p) {
                    Some(l) => Some(l.to_owned()),
                    None => read(p).map(|v| text_of(&v)),
                })
                .collect();
            let joined = text.concat();
            (!joined.trim().is_empty()).then(|| Value::String(joined.trim().to_owned()))
        } else if let Some(paths) = &self.first_of {
            paths
                .iter()
                .filter_map(|p| read(p))
                .find(|v| !text_of(v).trim().is_empty())
        } else {
            let form = self.money.unwrap_or(MoneyForm::Decimal);
            summed = self.sum_of(scope, form, exponent).map_err(|m| missing(field, m))?;
            summed.map(|d| Value::String(d.to_string()))
        };
        let Some(mut value) = raw.or_else(|| self.default.clone()) else {
            if self.optional {
                return Ok(None);
            }
            let source = self.path.clone().unwrap_or_else(|| "its sources".into());
            return Err(missing(field, format!("{source} is missing")));
        };
        if let Some(separator) = &self.after_last {
            let text = text_of(&value);
            let tail = text.rsplit_once(separator.as_str()).map_or(text.as_str(), |(_, t)| t);
            value = Value::String(tail.to_owned());
        }
        if let Some(table) = &self.table {
            let key = text_of(&value);
            let found = tables.get(table).and_then(|t| t.get(&key));
            value = Value::String(
                found
                    .ok_or_else(|| missing(field, format!("{key:?} is not in table {table:?}")))?
                    .clone(),
            );
        }
        if let Some(map) = &self.map {
            let key = text_of(&value);
            let mapped = map.get(&key).or(self.map_default.as_ref()).ok_or_else(|| {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                missing(field, format!("{key:?} is not one of {}", known.join(", ")))
            })?;
            value = Value::String(mapped.clone());
        }
        if let Some(kind) = self.kind {
            value = convert_kind(kind, &value).map_err(|m| missing(field, m))?;
        }
        if let Some(format) = self.time {
            value = Value::String(convert_time(format, self.zone.as_deref(), &value).map_err(|m| missing(field, m))?);
        }
        if let Some(form) = self.money {
            let mut amount = match summed {
                Some(amount) => amount,
                None => money::from_json(form, exponent, &value).map_err(|m| missing(field, m))?,
            };
            if let Some(by) = &self.divide_by {
                amount = self.divide(amount, by, read(by), field, remainders)?;
            }
            value = Value::String(amount.to_string());
        }
        Ok(Some(value))
    }

    /// The exact sum of every amount the `sum` terms read; `None` when none is present.
    fn sum_of(&self, scope: Scope<'_>, form: MoneyForm, exponent: u32) -> Result<Option<Decimal>, String> {
        let mut total: Option<Decimal> = None;
        for term in self.sum.iter().flatten() {
            let (negative, p) = sum_term(term);
            for value in path::read_all(p, scope).into_iter().filter(|v| !v.is_null()) {
                let amount = money::from_json(form, exponent, value).map_err(|m| format!("{p}: {m}"))?;
                let amount = if negative { amount.negate() } else { amount };
                total = Some(match total {
                    None => amount,
                    Some(t) => t.checked_add(amount).ok_or("the sum is too large")?,
                });
            }
        }
        Ok(total)
    }

    /// `amount ÷ count`, rounded up; an inexact division's remainder goes to
    /// `remainder_to`, or is an error when there is none.
    fn divide(
        &self,
        amount: Decimal,
        by: &str,
        count: Option<Value>,
        field: &str,
        remainders: &mut Vec<(String, Decimal)>,
    ) -> Result<Decimal, MapError> {
        let text = count.as_ref().map_or_else(|| "missing".to_owned(), text_of);
        let n = count
            .and_then(|v| convert_kind(Kind::Integer, &v).ok())
            .and_then(|v| v.as_i64())
            .filter(|n| *n > 0)
            .ok_or_else(|| missing(field, format!("divide_by {by}: {text} is not a positive whole number")))?;
        let (quotient, remainder) = amount
            .div_ceil(i128::from(n))
            .ok_or_else(|| missing(field, format!("{amount} ÷ {n} is too large")))?;
        if remainder.mantissa != 0 {
            let Some(target) = &self.remainder_to else {
                return Err(missing(
                    field,
                    format!(
                        "{amount} ÷ {n} is not exact in {} decimal places (remainder_to names a field for the remainder)",
                        amount.scale
                    ),
                ));
            };
            remainders.push((target.clone(), remainder));
        }
        Ok(quotient)
    }
}

/// `-path` subtracts; the sign and the path.
fn sum_term(term: &str) -> (bool, &str) {
    match term.trim().strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, term.trim()),
    }
}

fn literal(part: &str) -> Option<&str> {
    part.strip_prefix('\'').and_then(|p| p.strip_suffix('\''))
}

fn is_literal(part: &str) -> bool {
    literal(part).is_some()
}

/// A value as text: strings as they are, numbers in their exact JSON form.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn convert_kind(kind: Kind, value: &Value) -> Result<Value, String> {
    match kind {
        Kind::String => Ok(Value::String(text_of(value))),
        Kind::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{s:?} is not a whole number")),
            other => Err(format!("{other} is not a whole number")),
        },
    }
}

fn parse_zone(zone: &str) -> Result<FixedOffset, String> {
    DateTime::parse_from_str(&format!("2000-01-01 00:00:00 {zone}"), "%Y-%m-%d %H:%M:%S %:z")
        .map(|t| *t.offset())
        .map_err(|_| format!("zone {zone:?} is not a fixed offset such as +08:00"))
}

fn convert_time(format: TimeFormat, zone: Option<&str>, value: &Value) -> Result<String, String> {
    let text = text_of(value);
    let bad = |what: &str| format!("{text:?} is not {what}");
    let time: DateTime<FixedOffset> = match format {
        TimeFormat::Rfc3339 => DateTime::parse_from_rfc3339(text.trim()).map_err(|_| bad("an RFC 3339 time"))?,
        TimeFormat::Rfc2822 => DateTime::parse_from_rfc2822(text.trim()).map_err(|_| bad("an RFC 2822 time"))?,
        TimeFormat::EpochSeconds | TimeFormat::EpochMillis => {
            let n: i64 = text.trim().parse().map_err(|_| bad("a whole number of seconds"))?;
            let utc = if format == TimeFormat::EpochSeconds {
                Utc.timestamp_opt(n, 0).single()
            } else {
                Utc.timestamp_millis_opt(n).single()
            };
            utc.ok_or_else(|| bad("a time in range"))?.fixed_offset()
        }
        TimeFormat::Local => {
            let offset = parse_zone(zone.unwrap_or("+00:00"))?;
            let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| bad("a local time like 2026-11-22 10:15:00 or 2026-11-22T10:15:00"))?;
            offset
                .from_local_datetime(&naive)
                .single()
                .ok_or_else(|| bad("a valid local time"))?
        }
    };
    Ok(time.to_rfc3339_opts(SecondsFormat::AutoSi, false))
}
