//! Ordo's generic warehouse contract: the JSON any warehouse or 3PL can implement to take
//! fulfilments from Ordo.
//!
//! Create: `POST {base_url}/fulfilments` with `Authorization: Bearer {token}`,
//! `Idempotency-Key: {request_id}` and the [`FulfilmentRequest`] as JSON, field for field
//! (absent options are `null`). The warehouse answers `200` or `201` with
//! `{"fulfilment_id": "…"}`. A second post with the same `request_id` answers the same id,
//! with `200`, or with `409` and the same body; both are success. A consolidated shipment
//! (several orders of one customer in one parcel) adds `order_ids`, `consolidation_id` and
//! an `order_id` on each line; `order_id` is then its lead order, which callbacks name.
//!
//! Cancel: `POST {base_url}/fulfilments/{fulfilment_id}/cancel` with no body; any `2xx` is
//! done (cancelling a cancelled fulfilment answers `200`).
//!
//! Callbacks: `POST` to Ordo with `X-Ordo-Signature: sha256=<hex HMAC-SHA256 of the raw
//! body, keyed with the warehouse secret>` and a body
//! `{"event": "accepted|picked|packed|shipped|cancelled|short_shipped", "request_id",
//! "fulfilment_id", "order_id", "shipments": [{"carrier", "tracking_number", "tracking_url",
//! "lines": [{"sku", "quantity"}], "shipped_at"}], "short": [{"sku", "quantity"}], "reason",
//! "at"}`. At least one of the three ids is required; `shipped` needs a shipment,
//! `short_shipped` a short line; times are RFC 3339.
//!
//! Returns: goods that came back are reported with `{"event": "returned", "event_id",
//! "warehouse", "order_id", "case_id", "lines": [{"sku", "quantity", "disposition"}],
//! "reason", "at"}`, signed the same way. `event_id` is the warehouse's own id of the
//! report (the same report sent again is received once); `warehouse` is the Ordo
//! warehouse code the goods were counted into; `order_id` is the one the fulfilment
//! request carried; `case_id` is Ordo's case id (the RMA) when the return was announced,
//! else absent; `disposition` is one of `restock` (the default), `quarantine`,
//! `write_off` or `missing` (expected and not in the parcel). `request_id` and
//! `fulfilment_id` may be given as well. Every field but `case_id`, `reason` and `at` is
//! required, and `lines` must not be empty.

use std::time::Duration;

use serde_json::Value;

use super::callback::{CallbackError, ReturnDisposition, ReturnLine, ShipmentInfo, WmsEvent, WmsEventKind};
use super::fields::{FieldError, items, join, object, optional_text, optional_time, quantity, required_text, text};
use super::transport::{Reply, send};
use super::{FulfilmentRequest, Submitted, WmsConfig, WmsError};

pub(super) async fn submit(
    http: &reqwest::Client,
    config: &WmsConfig,
    request: &FulfilmentRequest,
) -> Result<Submitted, WmsError> {
    let mut builder = http
        .post(format!("{}/fulfilments", config.root()))
        .header("Idempotency-Key", &request.request_id)
        .json(request);
    if let Some(token) = &config.token {
        builder = builder.bearer_auth(token);
    }
    let reply = send(builder, Duration::from_millis(config.timeout_ms)).await?;
    match reply.status {
        200 | 201 => fulfilment_id(&reply),
        // A duplicate request id: the warehouse already has this fulfilment and says which.
        409 => fulfilment_id(&reply).map_err(|_| reply.failure()),
        _ if reply.is_success() => fulfilment_id(&reply),
        _ => Err(reply.failure()),
    }
}

pub(super) async fn cancel(http: &reqwest::Client, config: &WmsConfig, remote_id: &str) -> Result<(), WmsError> {
    let mut builder = http.post(format!("{}/fulfilments/{remote_id}/cancel", config.root()));
    if let Some(token) = &config.token {
        builder = builder.bearer_auth(token);
    }
    let reply = send(builder, Duration::from_millis(config.timeout_ms)).await?;
    if reply.is_success() {
        Ok(())
    } else {
        Err(reply.failure())
    }
}

fn fulfilment_id(reply: &Reply) -> Result<Submitted, WmsError> {
    let body = reply.json()?;
    text(body.get("fulfilment_id"))
        .map(|remote_id| Submitted { remote_id })
        .ok_or_else(|| WmsError::Permanent {
            status: Some(reply.status),
            message: format!("answer has no fulfilment_id: {}", reply.snippet()),
        })
}

/// A generic callback body as a [`WmsEvent`] (the signature is already checked).
pub(super) fn parse_event(body: &Value) -> Result<WmsEvent, CallbackError> {
    let map = object(body, "").map_err(|e| FieldError::new("body", e.message))?;
    let event = required_text(map, "event", "")?;
    let request_id = optional_text(map, "request_id", "")?;
    let remote_id = optional_text(map, "fulfilment_id", "")?;
    let order_ref = optional_text(map, "order_id", "")?;
    if request_id.is_none() && remote_id.is_none() && order_ref.is_none() {
        return Err(FieldError::new("request_id", "none of request_id, fulfilment_id, order_id is given").into());
    }
    let reason = optional_text(map, "reason", "")?;
    let kind = match event.as_str() {
        "accepted" => WmsEventKind::Accepted,
        "picked" => WmsEventKind::Picked,
        "packed" => WmsEventKind::Packed,
        "shipped" => {
            let shipments = shipments(map.get("shipments"))?;
            if shipments.is_empty() {
                return Err(FieldError::new("shipments", "a shipped event needs at least one shipment").into());
            }
            WmsEventKind::Shipped { shipments }
        }
        "cancelled" => WmsEventKind::Cancelled { reason },
        "short_shipped" => {
            let short = lines(map.get("short"), "short")?;
            if short.is_empty() {
                return Err(FieldError::new("short", "a short_shipped event needs at least one short line").into());
            }
            WmsEventKind::ShortShipped {
                shipped: shipments(map.get("shipments"))?,
                short,
                reason,
            }
        }
        "returned" => {
            if order_ref.is_none() {
                return Err(FieldError::new(
                    "order_id",
                    "a returned event needs the order_id its fulfilment request carried",
                )
                .into());
            }
            let lines = returned_lines(map.get("lines"))?;
            if lines.is_empty() {
                return Err(FieldError::new("lines", "a returned event needs at least one line").into());
            }
            WmsEventKind::Returned {
                event_id: required_text(map, "event_id", "")?,
                warehouse: Some(required_text(map, "warehouse", "")?),
                case_ref: optional_text(map, "case_id", "")?,
                lines,
            }
        }
        other => {
            return Err(FieldError::new(
                "event",
                format!(
                    "{other:?} is not one of accepted, picked, packed, shipped, cancelled, short_shipped, returned"
                ),
            )
            .into());
        }
    };
    Ok(WmsEvent {
        request_id,
        remote_id,
        order_ref,
        kind,
        at: optional_time(map, "at", "")?,
    })
}

fn shipments(value: Option<&Value>) -> Result<Vec<ShipmentInfo>, FieldError> {
    items(value, "shipments")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("shipments[{i}]");
            let shipment = object(item, &path)?;
            Ok(ShipmentInfo {
                carrier: required_text(shipment, "carrier", &path)?,
                tracking_number: required_text(shipment, "tracking_number", &path)?,
                tracking_url: optional_text(shipment, "tracking_url", &path)?,
                lines: lines(shipment.get("lines"), &join(&path, "lines"))?,
                shipped_at: optional_time(shipment, "shipped_at", &path)?,
            })
        })
        .collect()
}

fn lines(value: Option<&Value>, path: &str) -> Result<Vec<(String, u32)>, FieldError> {
    items(value, path)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("{path}[{i}]");
            let line = object(item, &at)?;
            Ok((required_text(line, "sku", &at)?, quantity(line, "quantity", &at)?))
        })
        .collect()
}

/// The lines of a `returned` event; a line without a disposition was restocked.
fn returned_lines(value: Option<&Value>) -> Result<Vec<ReturnLine>, FieldError> {
    items(value, "lines")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("lines[{i}]");
            let line = object(item, &at)?;
            let disposition = match optional_text(line, "disposition", &at)? {
                None => ReturnDisposition::Restock,
                Some(text) => ReturnDisposition::parse(&text).ok_or_else(|| {
                    FieldError::new(
                        join(&at, "disposition"),
                        format!("{text:?} is not one of restock, quarantine, write_off, missing"),
                    )
                })?,
            };
            Ok(ReturnLine {
                sku: required_text(line, "sku", &at)?,
                quantity: quantity(line, "quantity", &at)?,
                disposition,
            })
        })
        .collect()
}
