//! Parsing inbound bodies. The same function serves the API and inbox replay, so a payload
//! that failed once fails or succeeds again for the same reasons.

use ordo_core::input::OrderInput;
use ordo_core::{FieldError, Order};
use serde::Serialize;
use serde_json::json;

/// Why a payload could not become an order. Stored with the failed inbox entry and
/// returned to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayloadError {
    /// Stable code: `invalid_json`, `invalid_field`, `validation_failed` or
    /// `mapping_failed`.
    pub code: &'static str,
    /// One-line summary naming the first field at fault.
    pub message: String,
    /// Every problem, each naming its field.
    pub details: Vec<FieldError>,
}

impl PayloadError {
    /// The JSON kept in the inbox.
    pub fn to_json(&self) -> serde_json::Value {
        json!({ "code": self.code, "message": self.message, "details": self.details })
    }
}

/// Parses a platform payload through a mapping (`POST /api/v1/ingest/{mapping}`): JSON,
/// then the mapping (`mapping_failed` names the canonical field and the source path),
/// then the same validation as a canonical body.
pub fn parse_mapped(mapping: &ordo_mapping::Mapping, body: &[u8]) -> Result<Order, PayloadError> {
    validate(mapped_input(mapping, body)?)
}

/// A platform payload through a mapping, before validation.
pub fn mapped_input(mapping: &ordo_mapping::Mapping, body: &[u8]) -> Result<OrderInput, PayloadError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| PayloadError {
        code: "invalid_json",
        message: e.to_string(),
        details: vec![FieldError::new("", "invalid_json", e.to_string())],
    })?;
    let mapped = mapping.apply(&value).map_err(|e| PayloadError {
        code: "mapping_failed",
        message: format!("mapping {}: {e}", mapping.name),
        details: vec![FieldError::new(e.field.clone(), "mapping_failed", e.message.clone())],
    })?;
    let canonical = serde_json::to_vec(&mapped).map_err(|e| PayloadError {
        code: "mapping_failed",
        message: e.to_string(),
        details: Vec::new(),
    })?;
    canonical_input(&canonical)
}

/// Parses a canonical-order body (`POST /api/v1/orders`).
pub fn parse_canonical(body: &[u8]) -> Result<Order, PayloadError> {
    validate(canonical_input(body)?)
}

/// A canonical-order body, before validation.
pub fn canonical_input(body: &[u8]) -> Result<OrderInput, PayloadError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let input: OrderInput = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(input) => input,
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            // Syntax errors have no meaningful path; type errors do.
            let (code, field) = if inner.is_syntax() || inner.is_eof() || path == "." {
                ("invalid_json", String::new())
            } else {
                ("invalid_field", path)
            };
            let message = if field.is_empty() {
                inner.to_string()
            } else {
                format!("{field}: {inner}")
            };
            return Err(PayloadError {
                code,
                message,
                details: vec![FieldError::new(field, code, inner.to_string())],
            });
        }
    };
    Ok(input)
}

/// Validates an order input into an order, naming every field at fault.
pub fn validate(input: OrderInput) -> Result<Order, PayloadError> {
    input.validate().map_err(|errors| PayloadError {
        code: "validation_failed",
        message: errors.to_string(),
        details: errors.0,
    })
}

/// Best-effort channel and external id of a body that may not parse, for the inbox listing.
pub fn peek_keys(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, None);
    };
    let text = |key: &str| match &value[key] {
        serde_json::Value::String(s) => Some(s.chars().take(128).collect()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    (text("channel"), text("external_id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordo_core::input::EXAMPLE_JSON;

    #[test]
    fn the_example_parses() {
        assert!(parse_canonical(EXAMPLE_JSON.as_bytes()).is_ok());
    }

    #[test]
    fn broken_json_is_invalid_json() {
        let error = parse_canonical(b"{\"channel\": ").unwrap_err();
        assert_eq!(error.code, "invalid_json");
    }

    #[test]
    fn a_wrongly_typed_field_is_named_by_its_path() {
        let body = EXAMPLE_JSON.replace("\"quantity\": 2", "\"quantity\": \"two\"");
        let error = parse_canonical(body.as_bytes()).unwrap_err();
        assert_eq!(error.code, "invalid_field");
        assert_eq!(error.details[0].field, "lines[0].quantity");
    }

    #[test]
    fn validation_errors_list_every_field() {
        let error = parse_canonical(br#"{"channel": "web"}"#).unwrap_err();
        assert_eq!(error.code, "validation_failed");
        assert!(error.details.iter().any(|d| d.field == "external_id"));
        assert!(error.details.iter().any(|d| d.field == "lines"));
        // An order without an address is stored and held for it, not refused.
        assert!(!error.details.iter().any(|d| d.field == "shipping_address"));
    }

    #[test]
    fn keys_are_peeked_from_invalid_orders() {
        assert_eq!(
            peek_keys(br#"{"channel":"web","external_id":42}"#),
            (Some("web".into()), Some("42".into()))
        );
        assert_eq!(peek_keys(b"nope"), (None, None));
    }
}
