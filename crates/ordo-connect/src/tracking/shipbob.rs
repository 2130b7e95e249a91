//! ShipBob's carrier tracking: the answer of `GET /2026-01/shipments-tracking` (one entry
//! per shipment) or `GET /2026-01/tracking`, or one entry of either.
//!
//! `carrier_tracking_number` (else `tracking_id`) is the tracking number; `status` with
//! `substatus` the status (`InTransit` with `OutForDelivery` is out for delivery);
//! `history[]` the events (`timestamp`, `status`, `substatus`, `message`, `location`),
//! which ShipBob lists newest first; `eta` the estimate. When ShipBob says `Delivered` but
//! no history entry does, `last_updated` is taken as the delivery time.

use serde_json::{Map, Value};

use super::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, TrackingUpdate, finish, json};
use crate::wms::{join, object, optional_text, optional_time};

/// Every parcel a ShipBob tracking body speaks of.
pub fn parse(body: &[u8]) -> Result<Vec<TrackingUpdate>, TrackingError> {
    let value = json(body)?;
    match &value {
        Value::Array(entries) => entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let path = format!("[{i}]");
                entry_update(object(entry, &path)?, &path)
            })
            .collect(),
        _ => Ok(vec![entry_update(object(&value, "body")?, "")?]),
    }
}

fn entry_update(map: &Map<String, Value>, path: &str) -> Result<TrackingUpdate, TrackingError> {
    let tracking_number = match optional_text(map, "carrier_tracking_number", path)? {
        Some(number) => number,
        None => optional_text(map, "tracking_id", path)?
            .ok_or_else(|| TrackingError::field(join(path, "carrier_tracking_number"), "missing or empty"))?,
    };
    let raw_status = optional_text(map, "status", path)?.unwrap_or_default();
    let substatus = optional_text(map, "substatus", path)?;
    let (status, lossy) = ordo_status(&raw_status, substatus.as_deref());
    let status_detail = if lossy {
        Some(substatus.map_or_else(|| raw_status.clone(), |s| format!("{raw_status}: {s}")))
    } else {
        substatus
    };
    let mut events = Vec::new();
    let history = crate::wms::array(map, "history", path)?;
    for (i, item) in history.iter().enumerate() {
        let at_path = format!("{}[{i}]", join(path, "history"));
        let item = object(item, &at_path)?;
        let at = optional_time(item, "timestamp", &at_path)?
            .ok_or_else(|| TrackingError::field(join(&at_path, "timestamp"), "missing"))?;
        let raw = optional_text(item, "status", &at_path)?.unwrap_or_default();
        let sub = optional_text(item, "substatus", &at_path)?;
        let message = match optional_text(item, "message", &at_path)? {
            Some(message) => message,
            None => optional_text(item, "carrier_message", &at_path)?.unwrap_or_default(),
        };
        events.push(TrackingEvent {
            at,
            status: ordo_status(&raw, sub.as_deref()).0,
            message,
            location: optional_text(item, "location", &at_path)?,
        });
    }
    let mut update = finish(TrackingUpdate {
        tracking_number,
        carrier: optional_text(map, "carrier", path)?,
        status,
        status_detail,
        delivered_at: None,
        estimated_delivery: optional_text(map, "eta", path)?,
        events,
        source: TrackingSource::Shipbob,
    });
    if update.status == TrackingStatus::Delivered && update.delivered_at.is_none() {
        update.delivered_at = optional_time(map, "last_updated", path)?;
    }
    Ok(update)
}

/// ShipBob's status (and substatus) in Ordo's words, and whether the word was lost.
fn ordo_status(raw: &str, substatus: Option<&str>) -> (TrackingStatus, bool) {
    let key = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    match key(raw).as_str() {
        "pretransit" => (TrackingStatus::PreTransit, false),
        "intransit" if substatus.map(key).as_deref() == Some("outfordelivery") => {
            (TrackingStatus::OutForDelivery, false)
        }
        "intransit" => (TrackingStatus::InTransit, false),
        "delivered" => (TrackingStatus::Delivered, false),
        "availableforpickup" => (TrackingStatus::AvailableForPickup, false),
        "deliveryattemptfailed" => (TrackingStatus::FailedAttempt, false),
        "returntosender" => (TrackingStatus::ReturnToSender, false),
        "exception" => (TrackingStatus::Exception, false),
        "deliveryexception" | "failed" | "cancelled" => (TrackingStatus::Exception, true),
        _ => (TrackingStatus::Unknown, true),
    }
}
