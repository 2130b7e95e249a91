//! Carrier tracking: what tracking services and warehouses say about parcels, read into one
//! shape ([`TrackingUpdate`]) with one status vocabulary ([`TrackingStatus`]).
//!
//! Parsers are pure functions of a body: [`easypost::parse`], [`aftership::parse`],
//! [`shipbob::parse`] and [`generic::parse`]. Each answers every parcel the body speaks of
//! (an EasyPost order holds several). Times are normalised to RFC 3339 in UTC and events
//! are ordered oldest first, so updates from any source compare and merge the same way.
//!
//! Status normalisation:
//!
//! | Ordo | EasyPost `status` | AfterShip `tag` | ShipBob `status` (`substatus`) | generic |
//! |---|---|---|---|---|
//! | `pre_transit` | `pre_transit` | `InfoReceived` | `PreTransit` | `pre_transit`, `info_received` |
//! | `in_transit` | `in_transit` | `InTransit` | `InTransit` | `in_transit` |
//! | `out_for_delivery` | `out_for_delivery` | `OutForDelivery` | `InTransit` (`OutForDelivery`) | `out_for_delivery` |
//! | `delivered` | `delivered` | `Delivered` | `Delivered` | `delivered` |
//! | `available_for_pickup` | `available_for_pickup` | `AvailableForPickup` | `Available for Pickup` | `available_for_pickup` |
//! | `exception` | `failure`, `cancelled` | `Exception` | `Exception`, `DeliveryException`, `Failed`, `Cancelled` | `exception` |
//! | `failed_attempt` | — | `AttemptFail` | `Delivery attempt Failed` | `failed_attempt` |
//! | `return_to_sender` | `return_to_sender` | any tag with `return_to_sender: true` | `Return to sender` | `return_to_sender` |
//! | `expired` | — | `Expired` | — | `expired` |
//! | `unknown` | `unknown`, `error`, anything new | `Pending`, anything new | anything new | `unknown` |
//!
//! AfterShip's `Pending` (no carrier information yet) and EasyPost's `unknown` (the state of
//! a tracker just created) both mean "nothing known yet", so both are `unknown`. Where the
//! mapping loses information (`failure`, `cancelled`, `error`, an unknown word) the source's
//! own word is kept in [`TrackingUpdate::status_detail`].

pub mod aftership;
pub mod easypost;
pub mod generic;
pub mod shipbob;

use serde::{Deserialize, Serialize};

use crate::wms::FieldError;

/// What is known about one parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingUpdate {
    /// The carrier's tracking number.
    pub tracking_number: String,
    /// The carrier as the source names it (`USPS`, `fedex`…).
    pub carrier: Option<String>,
    /// Where the parcel is, in Ordo's words.
    pub status: TrackingStatus,
    /// The source's finer status (EasyPost `status_detail`, AfterShip `subtag`, ShipBob
    /// `substatus`), or its own status word when the mapping lost information.
    pub status_detail: Option<String>,
    /// When it was delivered to the customer (RFC 3339, UTC): the time of the last
    /// delivering event; `None` unless `status` is `delivered`.
    pub delivered_at: Option<String>,
    /// The expected delivery, as the source wrote it (a date or a time).
    pub estimated_delivery: Option<String>,
    /// Checkpoints, oldest first.
    pub events: Vec<TrackingEvent>,
    /// Who said so.
    pub source: TrackingSource,
}

/// One checkpoint of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The status at that checkpoint.
    pub status: TrackingStatus,
    /// The carrier's message.
    pub message: String,
    /// Where, as text (`SAN FRANCISCO, CA, US`), if the carrier said.
    pub location: Option<String>,
}

/// Where a parcel is, in one vocabulary for every source (the table in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    /// The carrier knows of the parcel but has not scanned it.
    #[serde(alias = "info_received")]
    PreTransit,
    /// On its way.
    InTransit,
    /// With the courier for delivery today.
    OutForDelivery,
    /// Delivered.
    Delivered,
    /// Waiting at a pickup point.
    AvailableForPickup,
    /// Something went wrong (damage, customs, address problem, cancelled label).
    Exception,
    /// Delivery was attempted and failed.
    FailedAttempt,
    /// Going (or gone) back to the sender.
    ReturnToSender,
    /// The tracking service stopped tracking without an outcome.
    Expired,
    /// Nothing known yet, or a status this version does not know.
    Unknown,
}

impl TrackingStatus {
    /// The snake_case name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreTransit => "pre_transit",
            Self::InTransit => "in_transit",
            Self::OutForDelivery => "out_for_delivery",
            Self::Delivered => "delivered",
            Self::AvailableForPickup => "available_for_pickup",
            Self::Exception => "exception",
            Self::FailedAttempt => "failed_attempt",
            Self::ReturnToSender => "return_to_sender",
            Self::Expired => "expired",
            Self::Unknown => "unknown",
        }
    }
}

/// Who a tracking update came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingSource {
    /// EasyPost trackers.
    Easypost,
    /// AfterShip trackings.
    Aftership,
    /// ShipBob's shipment tracking.
    Shipbob,
    /// Ordo's generic tracking JSON.
    Generic,
}

/// Why a body could not be read as tracking.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingError {
    /// The body is not JSON.
    #[error("body is not JSON: {0}")]
    Json(String),
    /// A field is missing or wrong.
    #[error("{field}: {message}")]
    Field {
        /// The field's path, e.g. `result.tracking_details[2].datetime`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl From<FieldError> for TrackingError {
    fn from(error: FieldError) -> Self {
        Self::Field {
            field: error.field,
            message: error.message,
        }
    }
}

impl TrackingError {
    fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Field {
            field: field.into(),
            message: message.into(),
        }
    }
}

fn json(body: &[u8]) -> Result<serde_json::Value, TrackingError> {
    serde_json::from_slice(body).map_err(|e| TrackingError::Json(e.to_string()))
}

/// Orders `events` oldest first (stable, so same-time checkpoints keep the source's order)
/// and, for a delivered parcel, reads `delivered_at` from the last delivering event. A
/// parcel delivered back to its sender is `return_to_sender` and has no `delivered_at`:
/// the field means the customer has it.
fn finish(mut update: TrackingUpdate) -> TrackingUpdate {
    // UTC text to the second sorts as time does.
    update.events.sort_by(|a, b| a.at.cmp(&b.at));
    if update.status != TrackingStatus::Delivered {
        update.delivered_at = None;
    } else if update.delivered_at.is_none() {
        update.delivered_at = update
            .events
            .iter()
            .rev()
            .find(|e| e.status == TrackingStatus::Delivered)
            .map(|e| e.at.clone());
    }
    update
}

/// Non-empty parts joined with `, `; `None` when all are empty.
fn place<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    let parts: Vec<&str> = parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}
