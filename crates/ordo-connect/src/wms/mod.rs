//! Warehouse (WMS / 3PL) clients: handing a fulfilment request to the warehouse that will
//! pick, pack and ship it, cancelling it, and reading what the warehouse reports back.
//!
//! Two kinds of warehouse are spoken to ([`WmsKind`]): Ordo's own generic JSON contract
//! ([`generic`]) and ShipBob's Developer API 2026-01 ([`shipbob`]). The wire formats of both
//! are described in their modules. A [`WmsClient`] sends exactly one HTTP request per call and
//! says, through [`WmsError`], whether sending the same request again may help; retrying,
//! backing off and tripping a [`crate::breaker::Breaker`] are the caller's (the outbox's).
//!
//! Invariants: a fulfilment is created at most once per [`FulfilmentRequest::request_id`]
//! (both kinds deduplicate on it, and a duplicate answers the existing id); callbacks are
//! believed only when signed with the warehouse's secret ([`parse_callback`]); tokens and
//! secrets never reach logs or error messages.

mod callback;
mod fields;
pub mod generic;
pub mod shipbob;
mod transport;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use callback::{
    CallbackError, CallbackHeaders, GENERIC_SIGNATURE_HEADER, MAX_CALLBACK_AGE_S, ReturnDisposition, ReturnLine,
    ShipmentInfo, WmsEvent, WmsEventKind, parse_callback, sign_generic, sign_standard_webhook,
};
pub(crate) use fields::{FieldError, array, join, object, optional_text, optional_time, text};

/// What Ordo asks a warehouse to ship: one order's lines (or some of them) to one address,
/// or, for a consolidated shipment, the lines of several orders of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentRequest {
    /// The idempotency key (a UUID as text): the same request sent twice creates one
    /// fulfilment.
    pub request_id: String,
    /// Ordo's order id (of a consolidated shipment: its lead order, which callbacks name).
    pub order_id: String,
    /// A consolidated shipment's orders, the lead first; absent for a single order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_ids: Vec<String>,
    /// A consolidated shipment's id (Ordo's merge id); absent for a single order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consolidation_id: Option<String>,
    /// The sales channel the order came from.
    pub channel: String,
    /// The channel's own order id (shown to warehouse staff and on packing slips).
    pub external_order_id: String,
    /// The warehouse code the request is for.
    pub warehouse: String,
    /// Where the parcel goes.
    pub ship_to: ShipTo,
    /// The carrier asked for, if any.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The service level asked for, if any.
    #[serde(default)]
    pub service: Option<String>,
    /// What to ship.
    pub lines: Vec<FulfilmentLine>,
    /// Where the warehouse should post its callbacks, if it takes one per request.
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// A delivery address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipTo {
    /// The recipient's name.
    pub name: String,
    /// A phone number for the carrier.
    #[serde(default)]
    pub phone: Option<String>,
    /// An email for delivery notices.
    #[serde(default)]
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// State, province or prefecture.
    #[serde(default)]
    pub province: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// District (China: 区/县).
    #[serde(default)]
    pub district: Option<String>,
    /// First address line.
    pub line1: String,
    /// Second address line.
    #[serde(default)]
    pub line2: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
}

/// One line to ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentLine {
    /// The order line this comes from, if the order has line ids.
    #[serde(default)]
    pub line_id: Option<String>,
    /// The order it belongs to, in a consolidated shipment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The SKU as the warehouse knows it.
    pub sku: String,
    /// Units to ship.
    pub quantity: u32,
}

/// Which API a warehouse speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WmsKind {
    /// Ordo's generic JSON contract ([`generic`]).
    Generic,
    /// ShipBob Developer API 2026-01 ([`shipbob`]).
    Shipbob,
}

/// How to reach one warehouse.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WmsConfig {
    /// The warehouse code requests name ([`FulfilmentRequest::warehouse`]).
    pub code: String,
    /// Which API it speaks.
    pub kind: WmsKind,
    /// The API root, e.g. `https://api.shipbob.com`.
    pub base_url: String,
    /// Bearer token.
    #[serde(default)]
    pub token: Option<String>,
    /// The key callbacks are signed with (ShipBob: the subscription's `whsec_…` secret).
    #[serde(default)]
    pub secret: Option<String>,
    /// How long one request may take, answer included.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// ShipBob's `shipbob_channel_id` header; required for `shipbob`.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// ShipBob's `shipping_method` when the request names no service: it must match a ship
    /// option mapped in the merchant's ShipBob account.
    #[serde(default = "default_shipping_method")]
    pub shipping_method: String,
}

/// Five seconds: a create or cancel is one small write on the warehouse side; a slower
/// answer is better retried from the outbox than waited for.
fn default_timeout_ms() -> u64 {
    5_000
}

fn default_shipping_method() -> String {
    "Standard".to_owned()
}

impl WmsConfig {
    /// A configuration with defaults and no credentials.
    pub fn new(code: impl Into<String>, kind: WmsKind, base_url: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            kind,
            base_url: base_url.into(),
            token: None,
            secret: None,
            timeout_ms: default_timeout_ms(),
            channel_id: None,
            shipping_method: default_shipping_method(),
        }
    }

    /// Whether this configuration can work; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.code.trim().is_empty() {
            return Err("code: empty".into());
        }
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| format!("base_url: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("base_url: scheme {} is not http(s)", url.scheme()));
        }
        if self.timeout_ms == 0 {
            return Err("timeout_ms: must be above zero".into());
        }
        if self.kind == WmsKind::Shipbob {
            if self.token.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err("token: ShipBob needs a personal access token or OAuth token".into());
            }
            if self.channel_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err("channel_id: ShipBob needs the shipbob_channel_id of the channel with write scope".into());
            }
            if self.shipping_method.trim().is_empty() {
                return Err("shipping_method: empty".into());
            }
        }
        Ok(())
    }

    /// `base_url` without a trailing slash, so paths can be appended.
    fn root(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }
}

impl fmt::Debug for WmsConfig {
    // Written by hand so that tokens and secrets never reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("WmsConfig")
            .field("code", &self.code)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("token", &redact(&self.token))
            .field("secret", &redact(&self.secret))
            .field("timeout_ms", &self.timeout_ms)
            .field("channel_id", &self.channel_id)
            .field("shipping_method", &self.shipping_method)
            .finish()
    }
}

/// A fulfilment the warehouse accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    /// The warehouse's id for it (generic `fulfilment_id`, ShipBob order `id`); cancels and
    /// callbacks use it.
    pub remote_id: String,
}

/// Why a warehouse call failed, and whether sending it again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WmsError {
    /// The warehouse was unreachable, slow, overloaded or failing (timeouts, connection
    /// errors, 408, 429, 5xx): send the same request again later.
    #[error("warehouse unavailable{}: {message}", status_text(*status))]
    Retryable {
        /// The HTTP status, when an answer came.
        status: Option<u16>,
        /// What happened.
        message: String,
        /// How long the warehouse asked to wait (`Retry-After`), capped at
        /// [`crate::budget::MAX_RETRY_AFTER`].
        retry_after: Option<Duration>,
    },
    /// The warehouse refused the request (4xx), its answer made no sense, or the request or
    /// configuration cannot work: sending it again gives the same result.
    #[error("refused by the warehouse{}: {message}", status_text(*status))]
    Permanent {
        /// The HTTP status, when an answer came.
        status: Option<u16>,
        /// What the warehouse said, or what is wrong.
        message: String,
    },
}

fn status_text(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

impl WmsError {
    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            status: None,
            message: message.into(),
        }
    }
}

/// One warehouse's client.
#[derive(Debug, Clone)]
pub struct WmsClient {
    config: WmsConfig,
    http: reqwest::Client,
}

impl WmsClient {
    /// A client for `config`, sending through `http` (shared connection pool). Fails, naming
    /// the field, when the configuration cannot work.
    pub fn new(config: WmsConfig, http: reqwest::Client) -> Result<Self, WmsError> {
        config
            .validate()
            .map_err(|e| WmsError::permanent(format!("configuration of warehouse {}: {e}", config.code)))?;
        Ok(Self { config, http })
    }

    /// The configuration.
    pub fn config(&self) -> &WmsConfig {
        &self.config
    }

    /// Hands a fulfilment to the warehouse. Sending the same request again (same
    /// `request_id`) answers the id of the fulfilment already created.
    pub async fn submit(&self, request: &FulfilmentRequest) -> Result<Submitted, WmsError> {
        check_request(request).map_err(WmsError::permanent)?;
        match self.config.kind {
            WmsKind::Generic => generic::submit(&self.http, &self.config, request).await,
            WmsKind::Shipbob => shipbob::submit(&self.http, &self.config, request).await,
        }
    }

    /// Cancels a fulfilment by the warehouse's id.
    pub async fn cancel(&self, remote_id: &str) -> Result<(), WmsError> {
        if remote_id.trim().is_empty() || remote_id.contains('/') {
            return Err(WmsError::permanent(format!(
                "remote_id: not a warehouse id: {remote_id:?}"
            )));
        }
        match self.config.kind {
            WmsKind::Generic => generic::cancel(&self.http, &self.config, remote_id).await,
            WmsKind::Shipbob => shipbob::cancel(&self.http, &self.config, remote_id).await,
        }
    }
}

/// What no warehouse would accept, caught before anything is sent.
fn check_request(request: &FulfilmentRequest) -> Result<(), String> {
    if request.request_id.trim().is_empty() {
        return Err("request_id: empty".into());
    }
    if request.lines.is_empty() {
        return Err("lines: nothing to ship".into());
    }
    for (i, line) in request.lines.iter().enumerate() {
        if line.sku.trim().is_empty() {
            return Err(format!("lines[{i}].sku: empty"));
        }
        if line.quantity == 0 {
            return Err(format!("lines[{i}].quantity: zero"));
        }
    }
    if request.ship_to.country.len() != 2 || !request.ship_to.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "ship_to.country: {:?} is not an ISO 3166-1 alpha-2 code",
            request.ship_to.country
        ));
    }
    Ok(())
}
