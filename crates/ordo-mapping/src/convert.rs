//! Evaluating one rule: condition, source, text operations, tables, maps and conversions.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::money::{self, Decimal, MoneyForm, Read};
use crate::path::{self, Scope};
use crate::rule::Tables;
use crate::{MapError, Rule};

/// Decimal places of minor units when a rule gives no `exponent` (fen, cents).
pub(crate) const DEFAULT_EXPONENT: u32 = 2;

/// A value type to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Text; a JSON number becomes its exact decimal text (ids over 2^53 stay exact when
    /// the payload carries them as strings, and are never routed through a float).
    String,
    /// A whole number, from a JSON number or a string of digits; a fraction part of zeros
    /// is allowed (`2.0`, `"2.00"`), any other is refused.
    Integer,
    /// An exact decimal that is not money (a rate), as text with all its places.
    Decimal,
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

fn error(field: &str, message: String) -> MapError {
    MapError {
        field: field.to_owned(),
        message,
        at: None,
    }
}

/// What a rule gave.
enum Outcome {
    /// A `when` condition does not hold.
    Skipped,
    /// No source had a value and there is no default.
    Missing,
    /// The value.
    Value(Value),
}

/// Why a rule has no value: every path it tried (`tried` is in order and may repeat).
pub(crate) fn none_present(tried: &[String]) -> String {
    let mut paths: Vec<&str> = Vec::new();
    for p in tried {
        if !paths.contains(&p.as_str()) {
            paths.push(p);
        }
    }
    match paths[..] {
        [] => "no case applies".into(),
        [one] => format!("{one} is missing"),
        _ => format!("none of {} is present", paths.join(", ")),
    }
}

/// Whether the value at `p` is one of `allowed`, compared as text (so `4` matches `"4"`);
/// a missing or null value matches nothing.
pub(crate) fn holds(p: &str, allowed: &[Value], scope: Scope<'_>) -> bool {
    let actual = path::read(p, scope).filter(|v| !v.is_null()).map(text_of);
    allowed.iter().any(|a| Some(text_of(a)) == actual)
}

impl Rule {
    /// The value for `field`, or `None` when a `when` condition does not hold or an
    /// optional field has no source value. A `divide_by` remainder is pushed onto
    /// `remainders` with the field that takes it. Errors carry where the rule is written.
    pub(crate) fn evaluate(
        &self,
        scope: Scope<'_>,
        tables: &Tables,
        field: &str,
        remainders: &mut Vec<(String, Decimal)>,
    ) -> Result<Option<Value>, MapError> {
        let mut tried = Vec::new();
        let result = match self.outcome(scope, tables, field, remainders, &mut tried) {
            Ok(Outcome::Skipped) => Ok(None),
            Ok(Outcome::Value(value)) => Ok(Some(value)),
            Ok(Outcome::Missing) if self.optional => Ok(None),
            Ok(Outcome::Missing) => Err(error(field, none_present(&tried))),
            Err(e) => Err(e),
        };
        result.map_err(|e| MapError {
            at: e.at.or_else(|| self.at.clone()),
            ..e
        })
    }

    /// `when`, the source and `default`, then the steps that shape the value; the paths
    /// read for the source are added to `tried`.
    fn outcome(
        &self,
        scope: Scope<'_>,
        tables: &Tables,
        field: &str,
        remainders: &mut Vec<(String, Decimal)>,
        tried: &mut Vec<String>,
    ) -> Result<Outcome, MapError> {
        if !self.when.iter().all(|(p, allowed)| holds(p, allowed, scope)) {
            return Ok(Outcome::Skipped);
        }
        let (raw, summed) = self.source(scope, tables, field, remainders, tried)?;
        let Some(value) = raw.or_else(|| self.default.clone()) else {
            return Ok(Outcome::Missing);
        };
        self.shape(value, summed, scope, tables, field, remainders)
            .map(Outcome::Value)
    }

    /// The source's value, and for `sum` the exact total it came from.
    fn source(
        &self,
        scope: Scope<'_>,
        tables: &Tables,
        field: &str,
        remainders: &mut Vec<(String, Decimal)>,
        tried: &mut Vec<String>,
    ) -> Result<(Option<Value>, Option<Read>), MapError> {
        let read = |p: &str| path::read(p, scope).filter(|v| !v.is_null()).cloned();
        let mut paths = |list: &[String]| tried.extend(list.iter().filter(|p| !is_literal(p)).cloned());
        if let Some(p) = &self.path {
            paths(std::slice::from_ref(p));
            return Ok((read(p), None));
        }
        if let Some(c) = &self.constant {
            return Ok((Some(c.clone()), None));
        }
        if let Some(parts) = &self.concat {
            paths(parts);
            let text: Vec<String> = parts
                .iter()
                .filter_map(|p| match literal(p) {
                    Some(l) => Some(l.to_owned()),
                    None => read(p).map(|v| text_of(&v)),
                })
                .collect();
            let joined = text.concat();
            return Ok((
                (!joined.trim().is_empty()).then(|| Value::String(joined.trim().to_owned())),
                None,
            ));
        }
        if let Some(list) = &self.first_of {
            paths(list);
            let found = list
                .iter()
                .filter_map(|p| read(p))
                .find(|v| !text_of(v).trim().is_empty());
            return Ok((found, None));
        }
        if let Some(cases) = &self.case {
            for sub in cases {
                if let Outcome::Value(value) = sub.outcome(scope, tables, field, remainders, tried)? {
                    return Ok((Some(value), None));
                }
            }
            return Ok((None, None));
        }
        let terms: Vec<String> = self.sum.iter().flatten().map(|t| sum_term(t).1.to_owned()).collect();
        paths(&terms);
        let form = self.money.unwrap_or(MoneyForm::Decimal);
        let summed = self.sum_of(scope, form, self.exponent()).map_err(|m| error(field, m))?;
        Ok((summed.map(|d| Value::String(d.value.to_string())), summed))
    }

    fn exponent(&self) -> u32 {
        self.exponent.unwrap_or(DEFAULT_EXPONENT)
    }

    /// Text steps, `table`, `map`, the conversion and `divide_by`.
    fn shape(
        &self,
        mut value: Value,
        summed: Option<Read>,
        scope: Scope<'_>,
        tables: &Tables,
        field: &str,
        remainders: &mut Vec<(String, Decimal)>,
    ) -> Result<Value, MapError> {
        let fail = |m: String| error(field, m);
        if self.after_last.is_some() || !self.replace.is_empty() || self.trim {
            value = Value::String(self.edit_text(text_of(&value)));
        }
        if let Some(table) = &self.table {
            let key = text_of(&value);
            let found = tables.get(table).and_then(|t| t.get(&key));
            let found = found.ok_or_else(|| fail(format!("{key:?} is not in table {table:?}")))?;
            value = Value::String(found.clone());
        }
        if let Some(map) = &self.map {
            let key = text_of(&value);
            let mapped = map.get(&key).or(self.map_default.as_ref()).ok_or_else(|| {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                fail(format!("{key:?} is not one of {}", known.join(", ")))
            })?;
            value = Value::String(mapped.clone());
        }
        match self.kind {
            Some(Kind::Decimal) => {
                let exact = decimal_of(&value).map_err(fail)?;
                value = Value::String(self.adjust(exact, None).map_err(fail)?.to_string());
            }
            Some(kind) => value = convert_kind(kind, &value).map_err(fail)?,
            None => {}
        }
        if let Some(format) = self.time {
            value = Value::String(convert_time(format, self.zone.as_deref(), &value).map_err(fail)?);
        }
        if let Some(form) = self.money {
            let exponent = self.exponent();
            let amount = match summed {
                Some(amount) => amount,
                None => money::read(form, exponent, &value).map_err(fail)?,
            };
            let mut amount = self.adjust(amount, Some(exponent)).map_err(fail)?;
            if let Some(by) = &self.divide_by {
                let count = path::read(by, scope).filter(|v| !v.is_null()).cloned();
                amount = self.divide(amount, by, count, field, remainders)?;
            }
            value = Value::String(amount.to_string());
        }
        Ok(value)
    }

    /// `after_last`, then each `replace` in order, then `trim`.
    fn edit_text(&self, mut text: String) -> String {
        if let Some(separator) = &self.after_last
            && let Some((_, tail)) = text.rsplit_once(separator.as_str())
        {
            text = tail.to_owned();
        }
        for pair in &self.replace {
            text = text.replace(&pair.from, &pair.to);
        }
        if self.trim {
            text = text.trim().to_owned();
        }
        text
    }

    /// `scale`, then `round`; without `round`, a money amount is fitted to `exponent`
    /// places (see [`money::fit`]) and a plain decimal is kept as it is.
    fn adjust(&self, amount: Read, exponent: Option<u32>) -> Result<Decimal, String> {
        let amount = match self.scale {
            Some(n) => Read {
                value: amount
                    .value
                    .shift(n)
                    .ok_or_else(|| format!("{} × 10^{n} is out of range", amount.value))?,
                ..amount
            },
            None => amount,
        };
        match (self.round, exponent) {
            (Some(round), _) => amount
                .value
                .round_to(round.places, round.mode)
                .ok_or_else(|| format!("{} is too large to round", amount.value)),
            (None, Some(exponent)) => money::fit(amount, exponent),
            (None, None) => Ok(amount.value),
        }
    }

    /// The exact sum of every amount the `sum` terms read; `None` when none is present.
    fn sum_of(&self, scope: Scope<'_>, form: MoneyForm, exponent: u32) -> Result<Option<Read>, String> {
        let mut total: Option<Read> = None;
        for term in self.sum.iter().flatten() {
            let (negative, p) = sum_term(term);
            for value in path::read_all(p, scope).into_iter().filter(|v| !v.is_null()) {
                let amount = money::read(form, exponent, value).map_err(|m| format!("{p}: {m}"))?;
                let value = if negative { amount.value.negate() } else { amount.value };
                total = Some(match total {
                    None => Read { value, ..amount },
                    Some(t) => Read {
                        value: t.value.checked_add(value).ok_or("the sum is too large")?,
                        float: t.float || amount.float,
                    },
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
            .ok_or_else(|| error(field, format!("divide_by {by}: {text} is not a positive whole number")))?;
        let (quotient, remainder) = amount
            .div_ceil(i128::from(n))
            .ok_or_else(|| error(field, format!("{amount} ÷ {n} is too large")))?;
        if remainder.mantissa != 0 {
            let Some(target) = &self.remainder_to else {
                return Err(error(
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
pub(crate) fn sum_term(term: &str) -> (bool, &str) {
    match term.trim().strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, term.trim()),
    }
}

fn literal(part: &str) -> Option<&str> {
    part.strip_prefix('\'').and_then(|p| p.strip_suffix('\''))
}

pub(crate) fn is_literal(part: &str) -> bool {
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
            Value::Number(n) => whole(&n.to_string(), true).ok_or_else(|| format!("{n} is not a whole number")),
            Value::String(s) => whole(s, false).ok_or_else(|| format!("{s:?} is not a whole number")),
            other => Err(format!("{other} is not a whole number")),
        },
        Kind::Decimal => decimal_of(value).map(|d| Value::String(d.value.to_string())),
    }
}

/// A whole number from its text, also when written with a fraction of zeros (`2.0`, as
/// platforms that hold counts in floats send them); `1e3` only when `exponent_allowed`.
fn whole(text: &str, exponent_allowed: bool) -> Option<Value> {
    if let Ok(n) = text.trim().parse::<i64>() {
        return Some(Value::from(n));
    }
    let exact = Decimal::parse(text, exponent_allowed)?;
    let unit = 10_i128.checked_pow(exact.scale)?;
    if exact.mantissa % unit != 0 {
        return None;
    }
    i64::try_from(exact.mantissa / unit).ok().map(Value::from)
}

/// An exact decimal from decimal text or a JSON number (its shortest decimal form).
fn decimal_of(value: &Value) -> Result<Read, String> {
    let parsed = match value {
        Value::String(s) => Decimal::parse(s, false).map(|value| Read { value, float: false }),
        Value::Number(n) => Decimal::parse(&n.to_string(), true).map(|value| Read { value, float: true }),
        _ => None,
    };
    parsed.ok_or_else(|| format!("{value} is not a decimal number"))
}

pub(crate) fn parse_zone(zone: &str) -> Result<FixedOffset, String> {
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
