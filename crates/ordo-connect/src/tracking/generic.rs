//! Ordo's generic tracking JSON, for carriers and warehouses without a tracking service:
//! one checkpoint `{"tracking_number", "carrier", "status", "at", "message", "location"}`
//! or an array of them.
//!
//! `status` is one of Ordo's words ([`TrackingStatus`], `info_received` taken as
//! `pre_transit`); `at` is RFC 3339. Checkpoints of the same tracking number make one
//! update, whose status is that of its latest checkpoint; updates come in the order their
//! numbers first appear.

use serde_json::{Map, Value};

use super::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, TrackingUpdate, finish, json};
use crate::wms::{object, optional_text, optional_time};

/// Every parcel a generic body speaks of.
pub fn parse(body: &[u8]) -> Result<Vec<TrackingUpdate>, TrackingError> {
    let value = json(body)?;
    let checkpoints: Vec<(String, &Value)> = match &value {
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v)).collect(),
        single => vec![(String::new(), single)],
    };
    let mut updates: Vec<TrackingUpdate> = Vec::new();
    for (path, checkpoint) in checkpoints {
        let map = object(checkpoint, if path.is_empty() { "body" } else { &path })?;
        let (number, carrier, event) = self::checkpoint(map, &path)?;
        match updates.iter_mut().find(|u| u.tracking_number == number) {
            Some(update) => {
                update.carrier = update.carrier.take().or(carrier);
                update.events.push(event);
            }
            None => updates.push(TrackingUpdate {
                tracking_number: number,
                carrier,
                status: event.status,
                status_detail: None,
                delivered_at: None,
                estimated_delivery: None,
                events: vec![event],
                source: TrackingSource::Generic,
            }),
        }
    }
    Ok(updates
        .into_iter()
        .map(|mut update| {
            update.events.sort_by(|a, b| a.at.cmp(&b.at));
            update.status = update.events.last().map_or(TrackingStatus::Unknown, |e| e.status);
            finish(update)
        })
        .collect())
}

fn checkpoint(map: &Map<String, Value>, path: &str) -> Result<(String, Option<String>, TrackingEvent), TrackingError> {
    let field = |key: &str| crate::wms::join(path, key);
    let number = optional_text(map, "tracking_number", path)?
        .ok_or_else(|| TrackingError::field(field("tracking_number"), "missing or empty"))?;
    let raw_status =
        optional_text(map, "status", path)?.ok_or_else(|| TrackingError::field(field("status"), "missing or empty"))?;
    let status: TrackingStatus = serde_json::from_value(Value::String(raw_status.clone()))
        .map_err(|_| TrackingError::field(field("status"), format!("{raw_status:?} is not a tracking status")))?;
    let at = optional_time(map, "at", path)?.ok_or_else(|| TrackingError::field(field("at"), "missing"))?;
    let event = TrackingEvent {
        at,
        status,
        message: optional_text(map, "message", path)?.unwrap_or_default(),
        location: optional_text(map, "location", path)?,
    };
    Ok((number, optional_text(map, "carrier", path)?, event))
}
