//! What warehouses report back: the events of a fulfilment ([`WmsEvent`]), read from a
//! signed callback ([`parse_callback`]).
//!
//! A callback is believed only when its signature checks out with the warehouse's secret;
//! without a configured secret every callback is refused, since a forged "shipped" would
//! mark an order shipped. Generic warehouses sign the raw body (`X-Ordo-Signature:
//! sha256=<hex>`); ShipBob signs as Standard Webhooks do (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64>` over `{id}.{timestamp}.{body}` with the base64 key after
//! `whsec_`), and its timestamp must be within [`MAX_CALLBACK_AGE_S`] of arrival.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::fields::FieldError;
use super::{WmsKind, generic, shipbob};

/// How far a signed ShipBob timestamp may be from the arrival time: five minutes, as the
/// Standard Webhooks scheme recommends, so a captured callback cannot be replayed later.
pub const MAX_CALLBACK_AGE_S: i64 = 300;

/// The generic kind's signature header.
pub const GENERIC_SIGNATURE_HEADER: &str = "x-ordo-signature";

/// One thing that happened to a fulfilment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmsEvent {
    /// Ordo's request id (ShipBob: the order's `reference_id`), when the warehouse says it.
    pub request_id: Option<String>,
    /// The warehouse's id of the fulfilment (generic `fulfilment_id`, ShipBob order id).
    pub remote_id: Option<String>,
    /// Ordo's order id (generic `order_id`; a ShipBob order: the `ordo_order_id` tag Ordo
    /// sends, else its `order_number`, which is the channel's order id; a ShipBob shipment
    /// carries neither).
    pub order_ref: Option<String>,
    /// What happened.
    pub kind: WmsEventKind,
    /// When, as RFC 3339 in UTC, if the warehouse said.
    pub at: Option<String>,
}

/// What happened to a fulfilment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WmsEventKind {
    /// The warehouse took the request.
    Accepted,
    /// The goods were picked.
    Picked,
    /// The goods were packed.
    Packed,
    /// Parcels left with a carrier.
    Shipped {
        /// One per parcel.
        shipments: Vec<ShipmentInfo>,
    },
    /// The fulfilment was cancelled at the warehouse.
    Cancelled {
        /// Why, if the warehouse said.
        reason: Option<String>,
    },
    /// Some of it shipped and the rest never will (out of stock, damaged).
    ShortShipped {
        /// What did ship.
        shipped: Vec<ShipmentInfo>,
        /// `(sku, quantity)` that will not ship.
        short: Vec<(String, u32)>,
        /// Why, if the warehouse said.
        reason: Option<String>,
    },
    /// Goods came back to the warehouse and were counted, each unit with what was done
    /// with it. Unlike the other events it is about the order after it shipped.
    Returned {
        /// The warehouse's own id of this report (generic `event_id`; ShipBob: the return
        /// order's id): the same report delivered twice is received once.
        event_id: String,
        /// The Ordo warehouse code the goods are counted into, when the warehouse says
        /// (generic `warehouse`); else the connector's own code.
        warehouse: Option<String>,
        /// Ordo's case id (the RMA Ordo gave), when the return was announced with one
        /// (generic `case_id`; ShipBob: the return's `reference_id`).
        case_ref: Option<String>,
        /// What came back.
        lines: Vec<ReturnLine>,
    },
}

/// Units of one SKU that came back, and what the warehouse did with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// The SKU as Ordo sent it.
    pub sku: String,
    /// Units.
    pub quantity: u32,
    /// Restocked, quarantined, written off, or expected and missing.
    pub disposition: ReturnDisposition,
}

/// What a warehouse did with a unit that came back (Ordo's dispositions, by the same
/// names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnDisposition {
    /// Back on the shelf, sellable.
    Restock,
    /// Kept apart, not sellable until someone decides.
    Quarantine,
    /// Damaged or unsellable: disposed of.
    WriteOff,
    /// Expected and not in the parcel.
    Missing,
}

impl ReturnDisposition {
    /// Every value.
    pub const ALL: [Self; 4] = [Self::Restock, Self::Quarantine, Self::WriteOff, Self::Missing];

    /// The wire name: `restock`, `quarantine`, `write_off`, `missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restock => "restock",
            Self::Quarantine => "quarantine",
            Self::WriteOff => "write_off",
            Self::Missing => "missing",
        }
    }

    /// Reads a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// One parcel handed to a carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentInfo {
    /// The carrier as the warehouse names it (`USPS`, `UPS`, `fedex`…).
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_number: String,
    /// A tracking page, if the warehouse gave one.
    pub tracking_url: Option<String>,
    /// `(sku, quantity)` in the parcel; empty when the warehouse did not say.
    pub lines: Vec<(String, u32)>,
    /// When it left, as RFC 3339 in UTC.
    pub shipped_at: Option<String>,
}

/// What came with a callback besides its body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallbackHeaders<'a> {
    /// `X-Ordo-Signature` (generic) or `webhook-signature` (ShipBob).
    pub signature: Option<&'a str>,
    /// ShipBob's `webhook-id`: the delivery's id, stable across retries.
    pub webhook_id: Option<&'a str>,
    /// ShipBob's `webhook-timestamp`, Unix seconds.
    pub webhook_timestamp: Option<&'a str>,
    /// ShipBob's `x-webhook-topic` (or the legacy `shipbob-topic`).
    pub topic: Option<&'a str>,
    /// When the callback arrived, Unix seconds; when given, ShipBob's signed timestamp must
    /// be within [`MAX_CALLBACK_AGE_S`] of it.
    pub received_at_unix_s: Option<i64>,
}

impl<'a> CallbackHeaders<'a> {
    /// The headers of `kind` out of an HTTP request's.
    pub fn from_header_map(kind: WmsKind, headers: &'a HeaderMap, received_at_unix_s: Option<i64>) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match kind {
            WmsKind::Generic => Self {
                signature: get(GENERIC_SIGNATURE_HEADER),
                received_at_unix_s,
                ..Self::default()
            },
            WmsKind::Shipbob => Self {
                signature: get("webhook-signature"),
                webhook_id: get("webhook-id"),
                webhook_timestamp: get("webhook-timestamp"),
                topic: get("x-webhook-topic").or_else(|| get("shipbob-topic")),
                received_at_unix_s,
            },
        }
    }
}

/// Why a callback was not turned into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The warehouse has no secret configured, so nothing it sends can be believed.
    #[error("no callback secret is configured for this warehouse")]
    NoSecret,
    /// The signature is missing, malformed or does not match.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The signed timestamp is too far from the arrival time.
    #[error("callback timestamp is {age_s} s from its arrival (limit {MAX_CALLBACK_AGE_S} s)")]
    Stale {
        /// Arrival minus signed time, in seconds.
        age_s: i64,
    },
    /// The body is not JSON.
    #[error("body is not JSON: {0}")]
    Json(String),
    /// A field is missing or wrong.
    #[error("{field}: {message}")]
    Field {
        /// The field's path, e.g. `shipments[0].tracking_number`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A genuine callback that changes nothing about a fulfilment (a ShipBob return not
    /// completed yet, a billing event, a shipment on hold); acknowledge it and move on.
    #[error("nothing to record: {0}")]
    Ignored(String),
}

impl CallbackError {
    /// A stable code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSecret => "no_secret",
            Self::BadSignature(_) => "bad_signature",
            Self::Stale { .. } => "stale",
            Self::Json(_) => "bad_json",
            Self::Field { .. } => "bad_field",
            Self::Ignored(_) => "ignored",
        }
    }

    /// Whether the callback should still be acknowledged (2xx) so the warehouse stops
    /// sending it.
    pub fn is_ignorable(&self) -> bool {
        matches!(self, Self::Ignored(_))
    }
}

impl From<FieldError> for CallbackError {
    fn from(error: FieldError) -> Self {
        Self::Field {
            field: error.field,
            message: error.message,
        }
    }
}

/// Checks a callback's signature with `secret` and reads it as an event.
pub fn parse_callback(
    kind: WmsKind,
    headers: &CallbackHeaders<'_>,
    secret: Option<&str>,
    body: &[u8],
) -> Result<WmsEvent, CallbackError> {
    let secret = secret.filter(|s| !s.trim().is_empty()).ok_or(CallbackError::NoSecret)?;
    match kind {
        WmsKind::Generic => verify_generic(headers, secret, body)?,
        WmsKind::Shipbob => verify_standard_webhook(headers, secret, body)?,
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| CallbackError::Json(e.to_string()))?;
    match kind {
        WmsKind::Generic => generic::parse_event(&value),
        WmsKind::Shipbob => shipbob::event_from_callback(headers.topic, &value),
    }
}

/// The `X-Ordo-Signature` value for `body`: `sha256=<hex>`. For warehouses and simulators
/// that post generic callbacks.
pub fn sign_generic(secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret.as_bytes()).chain_update(body).finalize().into_bytes())
    )
}

/// The `webhook-signature` value ShipBob sends for a delivery: `v1,<base64>`. Fails when the
/// secret's key is not base64.
pub fn sign_standard_webhook(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> Result<String, CallbackError> {
    let key = standard_webhook_key(secret)?;
    let signature = signed_content(mac(&key), id, timestamp, body).finalize().into_bytes();
    Ok(format!("v1,{}", BASE64.encode(signature)))
}

fn verify_generic(headers: &CallbackHeaders<'_>, secret: &str, body: &[u8]) -> Result<(), CallbackError> {
    let header = headers
        .signature
        .ok_or_else(|| CallbackError::BadSignature(format!("no {GENERIC_SIGNATURE_HEADER} header")))?;
    let hex_digest = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or_else(|| CallbackError::BadSignature("expected sha256=<hex>".into()))?;
    let expected = hex::decode(hex_digest).map_err(|_| CallbackError::BadSignature("not hex".into()))?;
    mac(secret.as_bytes())
        .chain_update(body)
        .verify_slice(&expected)
        .map_err(|_| CallbackError::BadSignature("does not match the body".into()))
}

fn verify_standard_webhook(headers: &CallbackHeaders<'_>, secret: &str, body: &[u8]) -> Result<(), CallbackError> {
    let missing = |name: &str| CallbackError::BadSignature(format!("no {name} header"));
    let id = headers.webhook_id.ok_or_else(|| missing("webhook-id"))?;
    let timestamp = headers.webhook_timestamp.ok_or_else(|| missing("webhook-timestamp"))?;
    let signatures = headers.signature.ok_or_else(|| missing("webhook-signature"))?;
    let signed_at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| CallbackError::BadSignature("webhook-timestamp is not Unix seconds".into()))?;
    let key = standard_webhook_key(secret)?;
    // The header lists signatures separated by spaces, one per active secret during a
    // rotation; any `v1` one that matches will do.
    let matched = signatures.split_whitespace().any(|entry| {
        entry
            .strip_prefix("v1,")
            .and_then(|b64| BASE64.decode(b64).ok())
            .is_some_and(|expected| {
                signed_content(mac(&key), id, timestamp, body)
                    .verify_slice(&expected)
                    .is_ok()
            })
    });
    if !matched {
        return Err(CallbackError::BadSignature("no v1 signature matches the body".into()));
    }
    // Checked after the signature so an attacker learns nothing from the answer.
    if let Some(now) = headers.received_at_unix_s {
        let age_s = now - signed_at;
        if age_s.abs() > MAX_CALLBACK_AGE_S {
            return Err(CallbackError::Stale { age_s });
        }
    }
    Ok(())
}

/// The HMAC key of a `whsec_<base64>` secret.
fn standard_webhook_key(secret: &str) -> Result<Vec<u8>, CallbackError> {
    let encoded = secret.trim();
    let encoded = encoded.strip_prefix("whsec_").unwrap_or(encoded);
    BASE64
        .decode(encoded)
        .map_err(|_| CallbackError::BadSignature("the configured secret is not whsec_<base64>".into()))
}

fn signed_content(mac: Hmac<Sha256>, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    mac.chain_update(id.as_bytes())
        .chain_update(b".")
        .chain_update(timestamp.as_bytes())
        .chain_update(b".")
        .chain_update(body)
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}
