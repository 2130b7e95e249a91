//! A warehouse (WMS / 3PL) simulator: the outside system Ordo hands orders to for picking,
//! packing and shipping, on `127.0.0.1:<random port>`.
//!
//! It speaks one of two APIs ([`WmsKind`]):
//!
//! - **Generic** JSON. `POST /fulfilments` with `Authorization: Bearer <token>` and a body
//!   `{"request_id", "order_id", "channel", "external_order_id", "warehouse",
//!   "ship_to": {"name", "phone", "email", "country", "province", "city", "district",
//!   "line1", "line2", "postal_code"}, "carrier", "service",
//!   "lines": [{"line_id", "sku", "quantity"}], "callback_url"}`. `request_id`,
//!   `order_id`, `lines` (1 to 500, each with a `sku` and a `quantity` ≥ 1),
//!   `ship_to.line1` and `ship_to.country` are required; every other field may be null or
//!   absent. A new request answers `201 {"fulfilment_id": "F-00000001"}`; the same
//!   `request_id` again answers `200` with the same id and never makes a second
//!   fulfilment, whatever the second body holds. A refused field answers
//!   `422 {"error", "field"}` with the field's JSON path (`lines[0].quantity`); a body that
//!   is not JSON `400 {"error", "field": null}`; a wrong token `401`. `GET /fulfilments/{id}`
//!   shows one fulfilment as `{"fulfilment_id", "request_id", "order_id", "state",
//!   "carrier", "lines", "shipments", "short", "received_at", "updated_at"}`;
//!   `POST /fulfilments/{id}/cancel` answers `200 {"fulfilment_id", "state"}` until it ships
//!   (again `200` once cancelled, with no second callback) and `409` after; unknown ids `404`.
//!   Callbacks go to the request's `callback_url`, else the configured one, at every step:
//!   `{"event": "accepted|picked|packed|shipped|short_shipped|cancelled", "request_id",
//!   "fulfilment_id", "order_id", "shipments": [{"carrier", "tracking_number",
//!   "tracking_url", "lines": [{"sku", "quantity"}], "shipped_at"}],
//!   "short": [{"sku", "quantity"}], "reason", "at"}` (`shipments` and `short` are always
//!   arrays, empty when they do not apply; `reason` is null except on `short_shipped`
//!   and `cancelled`).
//! - **ShipBob** `2026-01`. `POST /2026-01/order` (Bearer token and a numeric
//!   `shipbob_channel_id` header, else `400`) with ShipBob's create-order body
//!   (`reference_id`, `recipient.name`, `recipient.address.address1` and `.country`, and
//!   `products[].reference_id` with a `quantity` ≥ 1 required) answers `201` with the
//!   order in the shape of ShipBob's `GET /order/{id}` (status `Processing`, one shipment
//!   without tracking). ShipBob's published examples do not say what a second order with a
//!   known `reference_id` gets, so it answers `200` with the existing order and never makes
//!   a second one. `GET /2026-01/order/{id}` shows tracking once shipped;
//!   `POST /2026-01/order/{id}/cancel` (also spelled `…/{id}:cancel`, as the 2026-01
//!   reference does) answers ShipBob's cancel shape, or `422` once shipped. Refusals use
//!   ShipBob's problem-details shape `{"title", "status", "errors": {"<field>": [..]}}`.
//!   Webhooks go to the configured callback URL as `{"topic", "data": <shipment>}`:
//!   `order.shipped` when anything ships, `order.shipment.exception` when a short
//!   shipment leaves nothing to ship, `order.shipment.cancelled` on cancel.
//!
//! Goods come back on request or at a return rate (`returns`): a generic `returned`
//! callback, or ShipBob's `return.completed` with its return order, for units that shipped.
//!
//! Every callback carries `X-Ordo-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed
//! with the configured secret ([`wms_callback_signature`]), and is retried on a non-2xx or
//! a failed connection, four attempts in all over about 2 s; each outcome is recorded.
//! A fulfilment's callbacks are sent in the order of its steps, but a retried one may
//! arrive after a later step's, as with real warehouses; receivers order them by `at`.
//!
//! Each fulfilment moves received → accepted → picked → packed → shipped on the
//! configured delays (in ShipBob mode too, reported only on shipping and cancelling),
//! driven by one ticker over a due-time queue, so a thousand
//! submits a second cost a heap push each rather than a timer each. A seeded share of
//! fulfilments ship short: one line loses one or more units (an order of one unit then
//! ships nothing). Faults (an outage that refuses connections, a 503 rate on submits,
//! latency) are set through the [`WmsSim`] handle or `/_sim/` over HTTP: `GET /_sim`,
//! `POST /_sim/down {"down", "refuse", "for_ms"}`, `POST /_sim/fail-rate {"rate"}`,
//! `POST /_sim/short-ship-rate {"rate"}`, `POST /_sim/latency {"ms"}`, `GET /_sim/stats`,
//! `GET /_sim/fulfilments[/{id}]`, `POST /_sim/fulfilments/{id}/ship`,
//! `POST /_sim/return-rate {"rate"}`, `POST /_sim/fulfilments/{id}/return {"case_id",
//! "lines": [{"sku", "quantity", "disposition"}]}` (lines absent: every unit restocked),
//! `GET /_sim/callbacks`.
//!
//! Layout: `config`, `input` (parsed requests and field readers), `book` and
//! `fulfilment` (the pure state machine, time passed in), `tracking` (carriers' number
//! formats), `shared` (what endpoints, ticker and handle share),
//! `generic` and `shipbob` (the two APIs), `shipbob_render` (ShipBob's JSON shapes),
//! `callback` (signing, delivery, retries), `faults` (outage, failure rate, latency and
//! the listener that stops accepting), `control` (`/_sim/`), `handle` (start, ticker,
//! handle).

mod book;
mod callback;
mod config;
mod control;
mod faults;
mod fulfilment;
mod generic;
mod handle;
mod input;
mod returns;
mod shared;
mod shipbob;
mod shipbob_render;
mod tracking;

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use callback::{wms_callback_signature, wms_standard_webhook_signature};
pub use config::{WmsKind, WmsSimConfig};
pub use handle::{WmsSim, WmsSimulator};

/// Where a fulfilment is in the warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfilmentState {
    /// Stored, not yet accepted.
    Received,
    /// Accepted; waiting to be picked.
    Accepted,
    /// Picked from the shelves.
    Picked,
    /// Packed and labelled.
    Packed,
    /// Shipped in full.
    Shipped,
    /// Shipped with units missing (possibly none shipped at all).
    ShortShipped,
    /// Cancelled before it shipped.
    Cancelled,
}

impl FulfilmentState {
    /// Whether the parcel has left (in full or short).
    pub fn has_shipped(self) -> bool {
        matches!(self, FulfilmentState::Shipped | FulfilmentState::ShortShipped)
    }

    /// Whether nothing more will happen to it.
    pub fn is_final(self) -> bool {
        self.has_shipped() || self == FulfilmentState::Cancelled
    }
}

/// A SKU and a number of units.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WmsLine {
    /// The SKU as requested.
    pub sku: String,
    /// Units.
    pub quantity: u32,
}

/// One parcel that left the warehouse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmsShipment {
    /// The carrier it left with.
    pub carrier: String,
    /// The carrier's tracking number, in its format.
    pub tracking_number: String,
    /// The carrier's tracking page.
    pub tracking_url: String,
    /// What is in it.
    pub lines: Vec<WmsLine>,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
}

/// The first receipt of one request id that was stored (requests refused or failed on
/// purpose are not, so a retried request counts from the attempt that got through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WmsReceived {
    /// The generic `request_id`, or ShipBob's `reference_id`.
    pub request_id: String,
    /// The generic `order_id`, or ShipBob's `order_number` (its `reference_id` if none).
    pub order_id: String,
    /// When the request reached the simulator, before any injected latency: compare with
    /// an [`Instant`] taken in the same process to measure delivery latency.
    pub at: Instant,
    /// The same moment on the wall clock.
    pub at_utc: DateTime<Utc>,
    /// The requested lines.
    pub lines: Vec<WmsLine>,
}

/// One submit that reached a generic warehouse, the first or a repeat: what a client
/// delivering at least once sends again after a crash shows up here as a second arrival
/// of the same key, whereas [`WmsReceived`] keeps only the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WmsArrival {
    /// The `Idempotency-Key` header, or the `request_id` when the header is absent.
    pub key: String,
    /// The body's `request_id`.
    pub request_id: String,
    /// When it reached the simulator, before any injected latency: compare with an
    /// [`Instant`] taken in the same process.
    pub at: Instant,
}

/// A fulfilment as the warehouse sees it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmsFulfilment {
    /// `F-00000001` (generic) or ShipBob's numeric order id, as text.
    pub id: String,
    /// The client's request id (ShipBob: `reference_id`).
    pub request_id: String,
    /// The client's order id (ShipBob: `order_number`).
    pub order_id: String,
    /// Where it is.
    pub state: FulfilmentState,
    /// The carrier it ships (or shipped) with.
    pub carrier: String,
    /// The requested lines.
    pub lines: Vec<WmsLine>,
    /// Parcels sent (empty until shipped, and when a short shipment left nothing).
    pub shipments: Vec<WmsShipment>,
    /// Units that could not be shipped.
    pub short: Vec<WmsLine>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// The outcome of one callback.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmsCallback {
    /// The generic `event` (`accepted`, `shipped` …) or the ShipBob `topic`.
    pub event: String,
    /// The fulfilment it is about (see [`WmsFulfilment::id`]).
    pub fulfilment_id: String,
    /// The client's request id.
    pub request_id: String,
    /// Where it was sent.
    pub url: String,
    /// Attempts made (0 when dropped before any).
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    pub status: Option<u16>,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
    /// The last error when not delivered.
    pub error: Option<String>,
    /// When the step happened.
    pub queued_at: DateTime<Utc>,
}

/// Counters of what the warehouse did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmsStats {
    /// Requests on the warehouse endpoints (not `/_sim/`), whatever the answer.
    pub requests: u64,
    /// Fulfilments created.
    pub created: u64,
    /// Submits answered with an existing fulfilment.
    pub duplicates: u64,
    /// Submits refused for their content (`400`, `422`).
    pub rejected: u64,
    /// Requests refused for their token (`401`).
    pub unauthorized: u64,
    /// Answers replaced by an injected failure (outage or failure rate).
    pub failures_injected: u64,
    /// Fulfilments cancelled.
    pub cancelled: u64,
    /// Fulfilments shipped in full.
    pub shipped: u64,
    /// Fulfilments shipped short.
    pub short_shipped: u64,
    /// Callbacks the receiver accepted with a 2xx.
    pub callbacks_sent: u64,
    /// Callbacks given up on after every attempt, or dropped on a full queue.
    pub callbacks_failed: u64,
    /// Returns reported (`returned` / `return.completed` callbacks queued).
    pub returned: u64,
}

/// Why a warehouse simulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WmsSimError {
    /// The configuration cannot be served.
    #[error("invalid warehouse simulator configuration: {0}")]
    InvalidConfig(String),
    /// Binding the listener failed.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// No fulfilment has that id.
    #[error("no fulfilment {0:?}")]
    UnknownFulfilment(String),
    /// The fulfilment was cancelled, so it cannot ship.
    #[error("fulfilment {0:?} is cancelled")]
    Cancelled(String),
    /// Nothing of the fulfilment has shipped, so nothing can come back.
    #[error("fulfilment {0:?} has shipped nothing to return")]
    NotShipped(String),
}
