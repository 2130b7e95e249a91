//! AfterShip trackings: the answer of `GET /trackings/{slug}/{number}` (`data.tracking`),
//! of `GET /trackings` (`data.trackings`), of `GET /last_checkpoint/…` (`data` with one
//! `checkpoint`), a webhook (`msg` is the tracking), or a bare tracking object.
//!
//! `slug` is the carrier, `tag` the status and `subtag` its detail; `checkpoints[]` are the
//! events (`checkpoint_time`, `tag`, `message`, `location` or `city`/`state`/`country`/`zip`).
//! Checkpoint times carry the local offset of each scan; they are turned into UTC, so a
//! parcel crossing time zones still reads in order. `delivered_at` is the last `Delivered`
//! checkpoint, else `shipment_delivery_date`. The estimate is `expected_delivery`, else the
//! `datetime` of `latest_estimated_delivery`, `custom_estimated_delivery_date` or
//! `first_estimated_delivery`, as AfterShip wrote it.

use serde_json::{Map, Value};

use super::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, TrackingUpdate, finish, json, place};
use crate::wms::{array, join, object, optional_text, optional_time};

/// Every parcel an AfterShip body speaks of.
pub fn parse(body: &[u8]) -> Result<Vec<TrackingUpdate>, TrackingError> {
    let value = json(body)?;
    let map = object(&value, "body")?;
    if let Some(data) = map.get("data") {
        let data = object(data, "data")?;
        if let Some(tracking) = data.get("tracking") {
            return Ok(vec![self::tracking(
                object(tracking, "data.tracking")?,
                "data.tracking",
            )?]);
        }
        if data.contains_key("trackings") {
            let mut updates = Vec::new();
            for (i, item) in array(data, "trackings", "data")?.iter().enumerate() {
                let path = format!("data.trackings[{i}]");
                updates.push(tracking(object(item, &path)?, &path)?);
            }
            return Ok(updates);
        }
        if data.contains_key("checkpoint") {
            return Ok(vec![last_checkpoint(data)?]);
        }
        return Err(TrackingError::field("data", "has no tracking, trackings or checkpoint"));
    }
    if let Some(msg) = map.get("msg") {
        return Ok(vec![tracking(object(msg, "msg")?, "msg")?]);
    }
    if map.contains_key("tracking_number") {
        return Ok(vec![tracking(map, "")?]);
    }
    Err(TrackingError::field(
        "body",
        "not an AfterShip tracking, list, checkpoint or webhook",
    ))
}

fn tracking(map: &Map<String, Value>, path: &str) -> Result<TrackingUpdate, TrackingError> {
    let tag = optional_text(map, "tag", path)?.unwrap_or_default();
    let status = if map.get("return_to_sender") == Some(&Value::Bool(true)) {
        TrackingStatus::ReturnToSender
    } else {
        ordo_status(&tag)
    };
    let mut events = Vec::new();
    for (i, checkpoint) in array(map, "checkpoints", path)?.iter().enumerate() {
        let at = format!("{}[{i}]", join(path, "checkpoints"));
        events.push(self::checkpoint(object(checkpoint, &at)?, &at)?);
    }
    let mut update = finish(TrackingUpdate {
        tracking_number: required(map, "tracking_number", path)?,
        carrier: optional_text(map, "slug", path)?,
        status,
        status_detail: detail(map, &tag, path)?,
        delivered_at: None,
        estimated_delivery: estimate(map, path)?,
        events,
        source: TrackingSource::Aftership,
    });
    if update.status == TrackingStatus::Delivered && update.delivered_at.is_none() {
        update.delivered_at = optional_time(map, "shipment_delivery_date", path)?;
    }
    Ok(update)
}

fn last_checkpoint(data: &Map<String, Value>) -> Result<TrackingUpdate, TrackingError> {
    let tag = optional_text(data, "tag", "data")?.unwrap_or_default();
    let checkpoint = checkpoint(object(&data["checkpoint"], "data.checkpoint")?, "data.checkpoint")?;
    Ok(finish(TrackingUpdate {
        tracking_number: required(data, "tracking_number", "data")?,
        carrier: optional_text(data, "slug", "data")?,
        status: ordo_status(&tag),
        status_detail: detail(data, &tag, "data")?,
        delivered_at: None,
        estimated_delivery: None,
        events: vec![checkpoint],
        source: TrackingSource::Aftership,
    }))
}

fn checkpoint(map: &Map<String, Value>, path: &str) -> Result<TrackingEvent, TrackingError> {
    let at = optional_time(map, "checkpoint_time", path)?
        .ok_or_else(|| TrackingError::field(join(path, "checkpoint_time"), "missing"))?;
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let location = optional_text(map, "location", path)?.or_else(|| {
        place([
            text("city"),
            text("state"),
            text("country_name").or(text("country_iso3")),
            text("zip"),
        ])
    });
    Ok(TrackingEvent {
        at,
        status: ordo_status(text("tag").unwrap_or_default()),
        message: optional_text(map, "message", path)?.unwrap_or_default(),
        location,
    })
}

/// `subtag`, or the tag itself when it had no place in the vocabulary.
fn detail(map: &Map<String, Value>, tag: &str, path: &str) -> Result<Option<String>, TrackingError> {
    let subtag = optional_text(map, "subtag", path)?;
    Ok(if ordo_status(tag) == TrackingStatus::Unknown && tag != "Pending" {
        Some(subtag.map_or_else(|| tag.to_owned(), |s| format!("{tag}: {s}")))
    } else {
        subtag
    })
}

fn estimate(map: &Map<String, Value>, path: &str) -> Result<Option<String>, TrackingError> {
    if let Some(expected) = optional_text(map, "expected_delivery", path)? {
        return Ok(Some(expected));
    }
    for key in [
        "latest_estimated_delivery",
        "custom_estimated_delivery_date",
        "first_estimated_delivery",
    ] {
        if let Some(Value::Object(estimate)) = map.get(key)
            && let Some(at) = optional_text(estimate, "datetime", &join(path, key))?
        {
            return Ok(Some(at));
        }
    }
    Ok(None)
}

fn required(map: &Map<String, Value>, key: &str, path: &str) -> Result<String, TrackingError> {
    optional_text(map, key, path)?.ok_or_else(|| TrackingError::field(join(path, key), "missing or empty"))
}

/// AfterShip's tag in Ordo's words.
fn ordo_status(tag: &str) -> TrackingStatus {
    match tag {
        "InfoReceived" => TrackingStatus::PreTransit,
        "InTransit" => TrackingStatus::InTransit,
        "OutForDelivery" => TrackingStatus::OutForDelivery,
        "AttemptFail" => TrackingStatus::FailedAttempt,
        "Delivered" => TrackingStatus::Delivered,
        "AvailableForPickup" => TrackingStatus::AvailableForPickup,
        "Exception" => TrackingStatus::Exception,
        "Expired" => TrackingStatus::Expired,
        // `Pending`: AfterShip has heard nothing from the carrier yet.
        _ => TrackingStatus::Unknown,
    }
}
