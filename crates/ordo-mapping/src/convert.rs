//! Evaluating one rule: source, text operations, tables, maps and type conversion.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::path;
use crate::{MapError, Rule};

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

impl Rule {
    /// Checks the rule on its own (at load).
    pub(crate) fn check(&self, tables: &BTreeMap<String, BTreeMap<String, String>>) -> Result<(), String> {
        let sources = [
            self.path.is_some(),
            self.constant.is_some(),
            self.concat.is_some(),
            self.first_of.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err("needs exactly one of path, const, concat, first_of".into());
        }
        for p in self.sources() {
            path::check(p.strip_prefix("$.").unwrap_or(p))?;
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
        if self.money && (self.kind.is_some() || self.time.is_some()) {
            return Err("money cannot be combined with type or time".into());
        }
        Ok(())
    }

    /// The source paths the rule reads (not literals).
    pub(crate) fn sources(&self) -> impl Iterator<Item = &str> {
        let lists = self.concat.iter().chain(self.first_of.iter()).flatten();
        self.path
            .iter()
            .chain(lists)
            .map(String::as_str)
            .filter(|p| !is_literal(p))
    }

    /// The value for `field`, or `None` for an optional field with no source value.
    pub(crate) fn evaluate(
        &self,
        item: &Value,
        order: &Value,
        tables: &BTreeMap<String, BTreeMap<String, String>>,
        field: &str,
    ) -> Result<Option<Value>, MapError> {
        let read = |p: &str| -> Option<Value> {
            match p.strip_prefix("$.") {
                Some(rest) => path::get(order, rest).cloned(),
                None => path::get(item, p).cloned(),
            }
            .filter(|v| !v.is_null())
        };
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
        } else {
            self.first_of
                .iter()
                .flatten()
                .filter_map(|p| read(p))
                .find(|v| !text_of(v).trim().is_empty())
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
        if self.money {
            value = Value::String(money_text(&value).map_err(|m| missing(field, m))?);
        }
        Ok(Some(value))
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

/// Money as decimal text. A decimal string is kept as written (the core checks its
/// digits against the currency); a JSON number is written in its shortest exact decimal
/// form, which for prices sent as floats (`89.99`) is the price the platform meant.
fn money_text(value: &Value) -> Result<String, String> {
    let text = text_of(value);
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(format!("{text:?} is not a decimal amount"))
    }
}
