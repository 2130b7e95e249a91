//! ShipBob's order, shipment and timeline payloads as [`WmsEvent`]s.
//!
//! Webhooks carry the same models as the GET endpoints: `order.shipped` (legacy
//! `order_shipped`) an order, the `order.shipment.*` topics (legacy `shipment_*`) a
//! shipment. Polling answers (`GET /order/{id}`, `GET /shipment/{id}`,
//! `GET /shipment/{id}/timeline`) read the same way.
//!
//! | ShipBob | event |
//! |---|---|
//! | order `status` `Cancelled` | `Cancelled` |
//! | order with a shipment that has a tracking number (not cancelled) | `Shipped`, one [`ShipmentInfo`] per such shipment |
//! | order `Processing` / `ImportReview`, nothing tracked | `Accepted` |
//! | order `Exception`, or fulfilled without tracking yet | ignored |
//! | shipment `status` `Cancelled` | `Cancelled`, reason from `status_details` |
//! | shipment with `tracking.tracking_number` | `Shipped` |
//! | shipment `None` / `Processing` / `ImportReview` / `LabeledCreated`, untracked | `Accepted` |
//! | shipment `Exception` / `OnHold` (and anything else untracked) | ignored |
//! | timeline `log_type_name` Picked / Packed / Cancelled | `Picked` / `Packed` / `Cancelled` |
//!
//! A shipment's lines are its `products`: the SKU is `reference_id` (what Ordo sent),
//! else `sku`; the quantity is the sum of `inventory_items[].quantity`, and products with
//! none are left out. `shipped_at` is `actual_fulfillment_date`, else
//! `tracking.shipping_date`.
//!
//! Returns (`return.completed`, legacy `return_completed`) carry ShipBob's return order
//! ([`event_from_return`]) and become `Returned`; a return not completed yet
//! (`return.created`, `return.updated` before completion) is acknowledged and ignored,
//! since goods are counted only once ShipBob has processed them. A webhook body wrapped
//! as `{"topic", "data"}` is read as its `data` under that topic.

use serde_json::{Map, Value};

use super::super::callback::{CallbackError, ReturnDisposition, ReturnLine, ShipmentInfo, WmsEvent, WmsEventKind};
use super::super::fields::{FieldError, array, join, object, optional_text, optional_time, required_text, text};
use super::ORDER_ID_TAG;

/// A ShipBob webhook body as an event. `topic` (`x-webhook-topic` or `shipbob-topic`)
/// says which model the body is; without one the body's shape decides.
pub fn event_from_callback(topic: Option<&str>, body: &Value) -> Result<WmsEvent, CallbackError> {
    // `{"topic", "data"}`: the model is `data`, the topic the envelope's unless a header
    // named one.
    let (topic, body) = match (body.get("topic").and_then(Value::as_str), body.get("data")) {
        (Some(inner), Some(data)) if data.is_object() => (topic.or(Some(inner)), data),
        _ => (topic, body),
    };
    let topic = topic.map(str::trim).unwrap_or_default();
    if topic.starts_with("return") {
        // The completion topic says the return is done even if its body says no status.
        let completed = matches!(topic, "return.completed" | "return_completed");
        let status = body.get("status").and_then(Value::as_str);
        if completed && status.is_none() || status == Some("Completed") {
            return event_from_return(body, true);
        }
        return Err(CallbackError::Ignored(format!(
            "topic {topic}: the return is {}; goods are counted once it is completed",
            status.unwrap_or("not completed")
        )));
    }
    if ["billing", "wro", "receiving", "product", "inventory"]
        .iter()
        .any(|prefix| topic.starts_with(prefix))
    {
        return Err(CallbackError::Ignored(format!(
            "topic {topic} is not about a fulfilment"
        )));
    }
    let map = object(body, "").map_err(|e| FieldError::new("body", e.message))?;
    if map.contains_key("inventory") && map.contains_key("original_shipment_id") {
        event_from_return(body, false)
    } else if map.contains_key("shipments") {
        event_from_order(body)
    } else if map.contains_key("order_id") || map.contains_key("tracking") {
        event_from_shipment(body)
    } else {
        Err(FieldError::new(
            "body",
            format!("neither a ShipBob order nor a shipment (topic {topic:?})"),
        )
        .into())
    }
}

/// A ShipBob order (`GET /2026-01/order/{id}`, the `order.shipped` webhook) as an event.
pub fn event_from_order(order: &Value) -> Result<WmsEvent, CallbackError> {
    let map = object(order, "").map_err(|e| FieldError::new("body", e.message))?;
    let id = required_text(map, "id", "")?;
    let request_id = optional_text(map, "reference_id", "")?;
    let order_ref = tag(map, ORDER_ID_TAG)?.or(optional_text(map, "order_number", "")?);
    let status = required_text(map, "status", "")?;
    let event = |kind, at| WmsEvent {
        request_id: request_id.clone(),
        remote_id: Some(id.clone()),
        order_ref: order_ref.clone(),
        kind,
        at,
    };
    if status == "Cancelled" {
        return Ok(event(WmsEventKind::Cancelled { reason: None }, None));
    }
    let mut shipments = Vec::new();
    for (i, shipment) in array(map, "shipments", "")?.iter().enumerate() {
        let path = format!("shipments[{i}]");
        let shipment = object(shipment, &path)?;
        if optional_text(shipment, "status", &path)?.as_deref() == Some("Cancelled") {
            continue;
        }
        if let Some(info) = shipment_info(shipment, &path)? {
            shipments.push(info);
        }
    }
    if !shipments.is_empty() {
        // UTC RFC 3339 text sorts as time does.
        let at = shipments.iter().filter_map(|s| s.shipped_at.clone()).max();
        return Ok(event(WmsEventKind::Shipped { shipments }, at));
    }
    match status.as_str() {
        "Processing" | "ImportReview" => Ok(event(WmsEventKind::Accepted, optional_time(map, "created_date", "")?)),
        "Exception" | "Fulfilled" | "PartiallyFulfilled" => Err(CallbackError::Ignored(format!(
            "order {id} is {status} with no tracked shipment"
        ))),
        other => Err(FieldError::new("status", format!("unknown ShipBob order status {other:?}")).into()),
    }
}

/// A ShipBob shipment (`GET /2026-01/shipment/{id}`, the `order.shipment.*` webhooks) as
/// an event of its order.
pub fn event_from_shipment(shipment: &Value) -> Result<WmsEvent, CallbackError> {
    let map = object(shipment, "").map_err(|e| FieldError::new("body", e.message))?;
    let status = required_text(map, "status", "")?;
    let event = |kind, at| -> Result<WmsEvent, CallbackError> {
        Ok(WmsEvent {
            request_id: optional_text(map, "reference_id", "")?,
            remote_id: optional_text(map, "order_id", "")?,
            order_ref: None,
            kind,
            at,
        })
    };
    if status == "Cancelled" {
        let reason = status_detail(map)?;
        return event(
            WmsEventKind::Cancelled { reason },
            optional_time(map, "last_update_at", "")?,
        );
    }
    if let Some(info) = shipment_info(map, "")? {
        let at = info.shipped_at.clone();
        return event(WmsEventKind::Shipped { shipments: vec![info] }, at);
    }
    match status.as_str() {
        "None" | "Processing" | "ImportReview" | "LabeledCreated" => {
            event(WmsEventKind::Accepted, optional_time(map, "created_date", "")?)
        }
        other => {
            let id = text(map.get("id")).unwrap_or_default();
            let detail = status_detail(map)?.map(|d| format!(": {d}")).unwrap_or_default();
            Err(CallbackError::Ignored(format!("shipment {id} is {other}{detail}")))
        }
    }
}

/// A shipment's timeline (`GET /2026-01/shipment/{id}/timeline`) as events of the order
/// `remote_id`, oldest first. Entries that are not picking, packing or cancelling are
/// left out; shipping is read from the shipment itself, which carries the tracking.
pub fn events_from_timeline(remote_id: Option<&str>, timeline: &Value) -> Result<Vec<WmsEvent>, CallbackError> {
    let entries = timeline
        .as_array()
        .ok_or_else(|| FieldError::new("body", "a timeline is an array"))?;
    let mut events = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("[{i}]");
        let entry = object(entry, &path)?;
        let name = optional_text(entry, "log_type_name", &path)?.unwrap_or_default();
        let normalised: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let kind = match normalised.as_str() {
            "picked" | "pickingcompleted" => WmsEventKind::Picked,
            "packed" | "packingcompleted" => WmsEventKind::Packed,
            "cancelled" | "canceled" => WmsEventKind::Cancelled {
                reason: optional_text(entry, "log_type_text", &path)?,
            },
            _ => continue,
        };
        events.push(WmsEvent {
            request_id: None,
            remote_id: remote_id.map(str::to_owned),
            order_ref: None,
            kind,
            at: optional_time(entry, "timestamp", &path)?,
        });
    }
    events.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(events)
}

/// A ShipBob return order (`GET /2026-01/return/{id}`, the `return.*` webhooks) as the
/// goods that came back. The payload is written from ShipBob's documentation of the
/// return order model (`id`, `reference_id`, `status`, `store_order_id`,
/// `original_shipment_id`, `completed_date`, `inventory[]` with `id`, `name`, `quantity`,
/// `action_requested` and `action_taken[]` of `action`, `action_reason`,
/// `quantity_processed`); no delivery of it has been seen.
///
/// | ShipBob | event |
/// |---|---|
/// | `status` `Completed` | `Returned`, `event_id` `return:<id>` |
/// | any other `status` | ignored (nothing counted yet) |
/// | `action_taken[].action` `Restock` / `Default` | `restock` |
/// | `Quarantine` | `quarantine` |
/// | `Dispose` | `write_off` |
/// | units expected (`quantity`) beyond those processed | `missing` |
/// | `reference_id` | the case reference (Ordo's case id when Ordo gave the RMA) |
/// | `store_order_id` | the order reference (Ordo's order id, or the channel's order id ShipBob knows as `order_number`) |
///
/// The SKU is the item's `sku` when given, else its `name` (the inventory name, which for
/// products Ordo created is the SKU). Where the goods are counted is the connector's
/// warehouse: ShipBob's fulfillment centre is not an Ordo code.
/// `completed`: the webhook's topic said the return is completed, so a body without a
/// `status` is taken as completed.
pub fn event_from_return(ret: &Value, completed: bool) -> Result<WmsEvent, CallbackError> {
    let map = object(ret, "").map_err(|e| FieldError::new("body", e.message))?;
    let id = required_text(map, "id", "")?;
    let status = match optional_text(map, "status", "")? {
        Some(status) => status,
        None if completed => "Completed".to_owned(),
        None => return Err(FieldError::new("status", "missing or empty").into()),
    };
    if status != "Completed" {
        return Err(CallbackError::Ignored(format!(
            "return {id} is {status}; goods are counted once it is completed"
        )));
    }
    let mut lines = Vec::new();
    for (i, item) in array(map, "inventory", "")?.iter().enumerate() {
        let path = format!("inventory[{i}]");
        let item = object(item, &path)?;
        let sku = match optional_text(item, "sku", &path)? {
            Some(sku) => sku,
            None => required_text(item, "name", &path)?,
        };
        let expected = item.get("quantity").and_then(Value::as_u64).unwrap_or(0);
        let mut processed: u64 = 0;
        for (j, taken) in array(item, "action_taken", &path)?.iter().enumerate() {
            let taken_path = format!("{}[{j}]", join(&path, "action_taken"));
            let taken = object(taken, &taken_path)?;
            let units = taken.get("quantity_processed").and_then(Value::as_u64).unwrap_or(0);
            if units == 0 {
                continue;
            }
            let action = required_text(taken, "action", &taken_path)?;
            let disposition = shipbob_disposition(&action).ok_or_else(|| {
                FieldError::new(
                    join(&taken_path, "action"),
                    format!("{action:?} is not one of Default, Restock, Quarantine, Dispose"),
                )
            })?;
            processed += units;
            lines.push(ReturnLine {
                sku: sku.clone(),
                quantity: u32::try_from(units).unwrap_or(u32::MAX),
                disposition,
            });
        }
        if expected > processed {
            lines.push(ReturnLine {
                sku,
                quantity: u32::try_from(expected - processed).unwrap_or(u32::MAX),
                disposition: ReturnDisposition::Missing,
            });
        }
    }
    if lines.is_empty() {
        return Err(FieldError::new("inventory", "a completed return needs at least one unit").into());
    }
    let at = match optional_time(map, "completed_date", "")? {
        Some(at) => Some(at),
        None => optional_time(map, "insert_date", "")?,
    };
    Ok(WmsEvent {
        request_id: None,
        remote_id: None,
        order_ref: optional_text(map, "store_order_id", "")?,
        kind: WmsEventKind::Returned {
            event_id: format!("return:{id}"),
            warehouse: None,
            case_ref: optional_text(map, "reference_id", "")?,
            lines,
        },
        at,
    })
}

/// ShipBob's return action as Ordo's disposition.
fn shipbob_disposition(action: &str) -> Option<ReturnDisposition> {
    match action.trim().to_ascii_lowercase().as_str() {
        // `Default` is the merchant's standing instruction, which ShipBob applies as a
        // restock unless told otherwise.
        "restock" | "default" => Some(ReturnDisposition::Restock),
        "quarantine" => Some(ReturnDisposition::Quarantine),
        "dispose" => Some(ReturnDisposition::WriteOff),
        _ => None,
    }
}

/// The parcel of a shipment, if it has a tracking number yet.
fn shipment_info(shipment: &Map<String, Value>, path: &str) -> Result<Option<ShipmentInfo>, FieldError> {
    let tracking_path = join(path, "tracking");
    let tracking = match shipment.get("tracking") {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => object(value, &tracking_path)?,
    };
    let Some(tracking_number) = optional_text(tracking, "tracking_number", &tracking_path)? else {
        return Ok(None);
    };
    let carrier = match optional_text(tracking, "carrier", &tracking_path)? {
        Some(carrier) => carrier,
        None => required_text(tracking, "scac", &tracking_path)
            .map_err(|_| FieldError::new(join(&tracking_path, "carrier"), "a tracked shipment needs a carrier"))?,
    };
    let mut lines = Vec::new();
    for (i, product) in array(shipment, "products", path)?.iter().enumerate() {
        let product_path = format!("{}[{i}]", join(path, "products"));
        let product = object(product, &product_path)?;
        let sku = match optional_text(product, "reference_id", &product_path)? {
            Some(sku) => sku,
            None => required_text(product, "sku", &product_path)?,
        };
        let mut quantity: u32 = 0;
        for (j, item) in array(product, "inventory_items", &product_path)?.iter().enumerate() {
            let item_path = format!("{}[{j}]", join(&product_path, "inventory_items"));
            let units = object(item, &item_path)?
                .get("quantity")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            quantity = quantity.saturating_add(u32::try_from(units).unwrap_or(u32::MAX));
        }
        if quantity > 0 {
            lines.push((sku, quantity));
        }
    }
    let shipped_at = match optional_time(shipment, "actual_fulfillment_date", path)? {
        Some(at) => Some(at),
        None => optional_time(tracking, "shipping_date", &tracking_path)?,
    };
    Ok(Some(ShipmentInfo {
        carrier,
        tracking_number,
        tracking_url: optional_text(tracking, "tracking_url", &tracking_path)?,
        lines,
        shipped_at,
    }))
}

/// The value of the order tag `name`.
fn tag(order: &Map<String, Value>, name: &str) -> Result<Option<String>, FieldError> {
    for (i, tag) in array(order, "tags", "")?.iter().enumerate() {
        let path = format!("tags[{i}]");
        let tag = object(tag, &path)?;
        if optional_text(tag, "name", &path)?.as_deref() == Some(name) {
            return optional_text(tag, "value", &path);
        }
    }
    Ok(None)
}

/// The first status detail's description (else its name).
fn status_detail(shipment: &Map<String, Value>) -> Result<Option<String>, FieldError> {
    let Some(first) = array(shipment, "status_details", "")?.first() else {
        return Ok(None);
    };
    let detail = object(first, "status_details[0]")?;
    Ok(
        optional_text(detail, "description", "status_details[0]")?.or(optional_text(
            detail,
            "name",
            "status_details[0]",
        )?),
    )
}
