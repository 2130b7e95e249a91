//! Reading fields out of a warehouse's or carrier's JSON, so that a wrong payload is
//! reported by the path of the field that was wrong (`shipments[0].tracking_number`) rather
//! than by a line and column. Shared by the warehouse callbacks and the tracking parsers.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// A field that is missing or has the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// The path of the field, `a.b[0].c`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `parent.key`, or `key` at the top.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The value as an object.
pub(crate) fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, FieldError> {
    value
        .as_object()
        .ok_or_else(|| FieldError::new(path, format!("expected an object, found {}", kind(value))))
}

/// A string or number as text; null, absent and blank are `None`. Ids arrive as either
/// (ShipBob sends integers, most others strings), and Ordo keeps ids as text.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An optional text field that, when present, must be a string or a number.
pub(crate) fn optional_text(map: &Map<String, Value>, key: &str, parent: &str) -> Result<Option<String>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value @ (Value::String(_) | Value::Number(_))) => Ok(text(Some(value))),
        Some(other) => Err(FieldError::new(
            join(parent, key),
            format!("expected text, found {}", kind(other)),
        )),
    }
}

/// A text field that must be present and not blank.
pub(crate) fn required_text(map: &Map<String, Value>, key: &str, parent: &str) -> Result<String, FieldError> {
    optional_text(map, key, parent)?.ok_or_else(|| FieldError::new(join(parent, key), "missing or empty"))
}

/// An optional array field; absent and null are empty.
pub(crate) fn array<'a>(map: &'a Map<String, Value>, key: &str, parent: &str) -> Result<&'a [Value], FieldError> {
    items(map.get(key), &join(parent, key))
}

/// An optional array at `path`; absent and null are empty.
pub(crate) fn items<'a>(value: Option<&'a Value>, path: &str) -> Result<&'a [Value], FieldError> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(FieldError::new(
            path,
            format!("expected an array, found {}", kind(other)),
        )),
    }
}

/// A positive whole quantity.
pub(crate) fn quantity(map: &Map<String, Value>, key: &str, parent: &str) -> Result<u32, FieldError> {
    let field = join(parent, key);
    let value = map.get(key).ok_or_else(|| FieldError::new(&field, "missing"))?;
    match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(FieldError::new(
            field,
            format!("expected a whole number above zero, found {value}"),
        )),
    }
}

/// An optional time, normalised to RFC 3339 in UTC to the second (`2018-07-25T01:10:00Z`),
/// so that times from carriers in different zones compare as text; no carrier scan needs a
/// finer grain. A time without an offset is taken as
/// UTC: AfterShip's `shipment_delivery_date` is written that way and agrees with the UTC
/// instant of its own checkpoints.
pub(crate) fn optional_time(map: &Map<String, Value>, key: &str, parent: &str) -> Result<Option<String>, FieldError> {
    let Some(raw) = optional_text(map, key, parent)? else {
        return Ok(None);
    };
    normalise_time(&raw)
        .map(Some)
        .ok_or_else(|| FieldError::new(join(parent, key), format!("not an RFC 3339 time: {raw}")))
}

/// A time as RFC 3339 in UTC, or `None` when it is not a time.
pub(crate) fn normalise_time(raw: &str) -> Option<String> {
    let utc = if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        at.with_timezone(&Utc)
    } else {
        let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        naive.and_utc()
    };
    Some(utc.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// What kind of JSON value this is, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_normalised_to_utc() {
        assert_eq!(
            normalise_time("2018-07-25T10:10:00+09:00").unwrap(),
            "2018-07-25T01:10:00Z"
        );
        assert_eq!(normalise_time("2018-07-25T01:10:00").unwrap(), "2018-07-25T01:10:00Z");
        assert_eq!(
            normalise_time("2025-05-09T20:39:17.000Z").unwrap(),
            "2025-05-09T20:39:17Z"
        );
        assert_eq!(
            normalise_time("2025-05-09T20:39:17.250Z").unwrap(),
            "2025-05-09T20:39:17Z"
        );
        assert_eq!(normalise_time("yesterday"), None);
    }

    #[test]
    fn errors_name_the_field_path() {
        let value = json!({"line": {"quantity": 0, "sku": 7, "tags": "x"}});
        let line = object(&value["line"], "line").unwrap();
        assert_eq!(quantity(line, "quantity", "line").unwrap_err().field, "line.quantity");
        assert_eq!(required_text(line, "sku", "line").unwrap(), "7");
        assert_eq!(required_text(line, "name", "line").unwrap_err().field, "line.name");
        assert_eq!(array(line, "tags", "line").unwrap_err().field, "line.tags");
        assert_eq!(
            object(&json!([]), "x").unwrap_err().message,
            "expected an object, found an array"
        );
    }
}
