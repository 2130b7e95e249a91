//! What a submitted fulfilment request holds once parsed, whichever API it came through,
//! and the small readers both APIs validate their JSON with. A failed check names the
//! offending field by its JSON path (`lines[2].quantity`), so a client can tell exactly
//! which of its fields the warehouse refused.

use serde_json::Value;

/// Request lines beyond this are refused: a warehouse order is a parcel, not a catalogue,
/// and the bound keeps one request's work small.
pub(crate) const MAX_LINES: usize = 500;

/// Where the parcel goes. `line1` and `country` are required by both APIs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShipTo {
    pub name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub country: String,
    pub province: Option<String>,
    pub city: Option<String>,
    pub district: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
}

/// One requested line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub line_id: Option<String>,
    pub sku: String,
    pub quantity: u32,
}

/// A validated fulfilment request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewFulfilment {
    /// The client's idempotency key: the generic `request_id`, ShipBob's `reference_id`.
    pub request_id: String,
    /// The client's order: the generic `order_id`, ShipBob's `order_number` (or the
    /// `reference_id` when there is none).
    pub order_id: String,
    pub channel: Option<String>,
    pub external_order_id: Option<String>,
    pub warehouse: Option<String>,
    pub ship_to: ShipTo,
    pub carrier: Option<String>,
    pub service: Option<String>,
    pub lines: Vec<Line>,
    pub callback_url: Option<String>,
    /// ShipBob's `shipbob_channel_id` header.
    pub channel_id: Option<u64>,
}

/// A refused field: what is wrong and the field's JSON path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub error: String,
    pub field: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, error: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            error: error.into(),
        }
    }
}

/// `path.key`, or `key` at the top.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// An optional string: absent or `null` is `None`; any other non-string is refused.
pub(crate) fn opt_str(object: &Value, key: &str, path: &str) -> Result<Option<String>, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid::new(join(path, key), "must be a string")),
    }
}

/// A required string that is not blank.
pub(crate) fn req_str(object: &Value, key: &str, path: &str) -> Result<String, Invalid> {
    match opt_str(object, key, path)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(Invalid::new(join(path, key), "is required")),
    }
}

/// An optional object: absent or `null` is `None`.
pub(crate) fn opt_object<'a>(object: &'a Value, key: &str, path: &str) -> Result<Option<&'a Value>, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value @ Value::Object(_)) => Ok(Some(value)),
        Some(_) => Err(Invalid::new(join(path, key), "must be an object")),
    }
}

/// A required, non-empty array of at most [`MAX_LINES`] items.
pub(crate) fn req_lines<'a>(object: &'a Value, key: &str) -> Result<&'a [Value], Invalid> {
    match object.get(key) {
        Some(Value::Array(items)) if items.is_empty() => Err(Invalid::new(key, "must not be empty")),
        Some(Value::Array(items)) if items.len() > MAX_LINES => {
            Err(Invalid::new(key, format!("must have at most {MAX_LINES} items")))
        }
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Err(Invalid::new(key, "is required")),
        Some(_) => Err(Invalid::new(key, "must be an array")),
    }
}

/// A quantity: a whole number of at least 1 that fits in 32 bits.
pub(crate) fn quantity(object: &Value, key: &str, path: &str) -> Result<u32, Invalid> {
    let field = join(path, key);
    match object.get(key) {
        None | Some(Value::Null) => Err(Invalid::new(field, "is required")),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(0) => Err(Invalid::new(field, "must be at least 1")),
            Some(q) => u32::try_from(q).map_err(|_| Invalid::new(field, "is too large")),
            None => Err(Invalid::new(field, "must be a whole number of at least 1")),
        },
        Some(_) => Err(Invalid::new(field, "must be a number")),
    }
}

/// Whether a callback URL is one the simulator can post to.
pub(crate) fn valid_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && reqwest::Url::parse(url).is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn readers_name_the_field_they_refuse() {
        let body = json!({"a": 1, "b": "", "c": null, "q": 0, "lines": []});
        assert_eq!(opt_str(&body, "a", "x").unwrap_err().field, "x.a");
        assert_eq!(req_str(&body, "b", "").unwrap_err().field, "b");
        assert_eq!(opt_str(&body, "c", "").unwrap(), None);
        assert_eq!(quantity(&body, "q", "lines[0]").unwrap_err().field, "lines[0].q");
        assert_eq!(req_lines(&body, "lines").unwrap_err().error, "must not be empty");
        assert_eq!(quantity(&json!({"q": 2}), "q", "").unwrap(), 2);
        assert!(quantity(&json!({"q": 1.5}), "q", "").is_err());
    }

    #[test]
    fn only_http_urls_are_callback_targets() {
        assert!(valid_url("http://127.0.0.1:9/hooks"));
        assert!(!valid_url("ftp://example.com"));
        assert!(!valid_url("http://"));
    }
}
