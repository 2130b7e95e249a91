//! EasyPost trackers: a `Tracker` object, a webhook `Event` (`tracker.created`,
//! `tracker.updated`) whose `result` is one, and the trackers inside a bought `Shipment` or
//! `Order` (`shipments[].tracker`).
//!
//! `tracking_code` is the tracking number; `tracking_details[]` are the events (`datetime`,
//! `status`, `message`, `tracking_location {city, state, country, zip}`);
//! `est_delivery_date` is the estimate. EasyPost has no delivery time field, so
//! `delivered_at` is the time of the last `delivered` detail. An `Event` without a tracker in
//! `result` (the events API lists events without their result) carries no tracking and
//! reads as no update.

use serde_json::{Map, Value};

use super::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, TrackingUpdate, finish, json, place};
use crate::wms::{array, join, object, optional_text, optional_time};

/// Every parcel an EasyPost body speaks of.
pub fn parse(body: &[u8]) -> Result<Vec<TrackingUpdate>, TrackingError> {
    parse_value(&json(body)?, "")
}

fn parse_value(value: &Value, path: &str) -> Result<Vec<TrackingUpdate>, TrackingError> {
    let map = object(value, if path.is_empty() { "body" } else { path })?;
    let kind = optional_text(map, "object", path)?.unwrap_or_default();
    match kind.as_str() {
        "Tracker" => Ok(vec![tracker(map, path)?]),
        "Event" => match map.get("result") {
            Some(result @ Value::Object(inner))
                if matches!(
                    inner.get("object").and_then(Value::as_str),
                    Some("Tracker" | "Shipment" | "Order")
                ) =>
            {
                parse_value(result, &join(path, "result"))
            }
            _ => Ok(Vec::new()),
        },
        "Shipment" => match map.get("tracker") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(tracker_value) => {
                let tracker_path = join(path, "tracker");
                Ok(vec![tracker(object(tracker_value, &tracker_path)?, &tracker_path)?])
            }
        },
        "Order" => {
            let mut updates = Vec::new();
            for (i, shipment) in array(map, "shipments", path)?.iter().enumerate() {
                updates.extend(parse_value(shipment, &format!("{}[{i}]", join(path, "shipments")))?);
            }
            Ok(updates)
        }
        other => Err(TrackingError::field(
            join(path, "object"),
            format!("{other:?} is not an EasyPost Tracker, Event, Shipment or Order"),
        )),
    }
}

fn tracker(map: &Map<String, Value>, path: &str) -> Result<TrackingUpdate, TrackingError> {
    let tracking_number = optional_text(map, "tracking_code", path)?
        .ok_or_else(|| TrackingError::field(join(path, "tracking_code"), "missing or empty"))?;
    let raw_status = optional_text(map, "status", path)?.unwrap_or_else(|| "unknown".to_owned());
    let (status, lossy) = ordo_status(&raw_status);
    let detail = optional_text(map, "status_detail", path)?;
    let status_detail = if lossy {
        Some(match detail {
            Some(detail) => format!("{raw_status}: {detail}"),
            None => raw_status,
        })
    } else {
        detail
    };
    let mut events = Vec::new();
    for (i, detail) in array(map, "tracking_details", path)?.iter().enumerate() {
        let at_path = format!("{}[{i}]", join(path, "tracking_details"));
        let detail = object(detail, &at_path)?;
        let at = optional_time(detail, "datetime", &at_path)?
            .ok_or_else(|| TrackingError::field(join(&at_path, "datetime"), "missing"))?;
        let raw = optional_text(detail, "status", &at_path)?.unwrap_or_default();
        let location = match detail.get("tracking_location") {
            Some(Value::Object(loc)) => place(
                ["city", "state", "country", "zip"]
                    .into_iter()
                    .map(|key| loc.get(key).and_then(Value::as_str)),
            ),
            _ => None,
        };
        events.push(TrackingEvent {
            at,
            status: ordo_status(&raw).0,
            message: optional_text(detail, "message", &at_path)?.unwrap_or_default(),
            location,
        });
    }
    Ok(finish(TrackingUpdate {
        tracking_number,
        carrier: optional_text(map, "carrier", path)?,
        status,
        status_detail,
        delivered_at: None,
        estimated_delivery: optional_text(map, "est_delivery_date", path)?,
        events,
        source: TrackingSource::Easypost,
    }))
}

/// EasyPost's status in Ordo's words, and whether the word was lost on the way.
fn ordo_status(raw: &str) -> (TrackingStatus, bool) {
    match raw {
        "pre_transit" => (TrackingStatus::PreTransit, false),
        "in_transit" => (TrackingStatus::InTransit, false),
        "out_for_delivery" => (TrackingStatus::OutForDelivery, false),
        "delivered" => (TrackingStatus::Delivered, false),
        "available_for_pickup" => (TrackingStatus::AvailableForPickup, false),
        "return_to_sender" => (TrackingStatus::ReturnToSender, false),
        "unknown" => (TrackingStatus::Unknown, false),
        "failure" | "cancelled" => (TrackingStatus::Exception, true),
        _ => (TrackingStatus::Unknown, true),
    }
}
