//! ShipBob Developer API 2026-01: creating and cancelling orders, and reading ShipBob's order,
//! shipment and timeline payloads (webhooks and polling answers) as
//! [`WmsEvent`](super::WmsEvent)s.
//!
//! Create: `POST {base_url}/2026-01/order` with `Authorization: Bearer {token}` and
//! `shipbob_channel_id: {channel_id}`; the body maps a [`FulfilmentRequest`] as
//!
//! | ShipBob field | from |
//! |---|---|
//! | `reference_id` | `request_id` (ShipBob refuses a second order with the same one) |
//! | `order_number` | `external_order_id` |
//! | `type` | `"DTC"` |
//! | `shipping_method` | `service`, else the configured `shipping_method` |
//! | `recipient.name`, `.email`, `.phone_number` | `ship_to.name`, `.email`, `.phone` |
//! | `recipient.address.address1`, `.address2` | `ship_to.line1`, `.line2` then `.district` |
//! | `recipient.address.city`, `.state`, `.country`, `.zip_code` | `ship_to.city`, `.province`, `.country`, `.postal_code` |
//! | `products[].reference_id`, `.quantity` | `lines[].sku`, `.quantity` |
//! | `tags` | `ordo_order_id` = `order_id`, `ordo_channel` = `channel` |
//!
//! ShipBob answers `201` with the order view; its `id` is the remote id. A duplicate
//! `reference_id` is refused (`422`, or `409`); the existing order is then looked up with
//! `GET /2026-01/order?ReferenceIds={request_id}` and its id answered, so a re-submit is
//! idempotent. `carrier` and `callback_url` have no ShipBob field and are not sent: the
//! carrier follows the ship option, and webhooks are subscribed per account.
//!
//! Cancel: `POST {base_url}/2026-01/order/{id}:cancel`; the answer's `status` must be
//! `Success` (`Failure` and `PartialSuccess` are permanent errors carrying ShipBob's
//! reasons).

mod events;

use std::time::Duration;

use serde_json::{Value, json};

pub use events::{event_from_callback, event_from_order, event_from_return, event_from_shipment, events_from_timeline};

use super::transport::{Reply, send};
use super::{FulfilmentRequest, Submitted, WmsConfig, WmsError, text};

/// The API version every path is under.
const VERSION: &str = "2026-01";

/// The tag that carries Ordo's order id through ShipBob, read back by [`event_from_order`].
pub const ORDER_ID_TAG: &str = "ordo_order_id";

/// The tag that carries the sales channel.
pub const CHANNEL_TAG: &str = "ordo_channel";

/// The body of `POST /2026-01/order` for `request`.
pub fn order_body(config: &WmsConfig, request: &FulfilmentRequest) -> Result<Value, WmsError> {
    let to = &request.ship_to;
    let city = to
        .city
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| WmsError::permanent("ship_to.city: ShipBob requires a city"))?;
    // ShipBob's address has no district; it goes on the second line so the label keeps it.
    let address2 = [to.line2.as_deref(), to.district.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let mut address = json!({ "address1": to.line1, "city": city, "country": to.country });
    put(
        &mut address,
        "address2",
        (!address2.is_empty()).then_some(address2.as_str()),
    );
    put(&mut address, "state", to.province.as_deref());
    put(&mut address, "zip_code", to.postal_code.as_deref());
    let mut recipient = json!({ "name": to.name, "address": address });
    put(&mut recipient, "email", to.email.as_deref());
    put(&mut recipient, "phone_number", to.phone.as_deref());
    // One product per SKU: a consolidated shipment can carry a SKU for several orders.
    let mut units: Vec<(&str, u64)> = Vec::new();
    for line in &request.lines {
        let quantity = u64::from(line.quantity);
        match units.iter_mut().find(|(sku, _)| *sku == line.sku) {
            Some((_, total)) => *total += quantity,
            None => units.push((line.sku.as_str(), quantity)),
        }
    }
    let products: Vec<Value> = units
        .into_iter()
        .map(|(sku, quantity)| json!({ "reference_id": sku, "quantity": quantity }))
        .collect();
    let shipping_method = request
        .service
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&config.shipping_method);
    Ok(json!({
        "reference_id": request.request_id,
        "order_number": request.external_order_id,
        "type": "DTC",
        "shipping_method": shipping_method,
        "recipient": recipient,
        "products": products,
        "tags": [
            { "name": ORDER_ID_TAG, "value": request.order_id },
            { "name": CHANNEL_TAG, "value": request.channel },
        ],
    }))
}

fn put(object: &mut Value, key: &str, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
        object[key] = Value::String(value.to_owned());
    }
}

pub(in crate::wms) async fn submit(
    http: &reqwest::Client,
    config: &WmsConfig,
    request: &FulfilmentRequest,
) -> Result<Submitted, WmsError> {
    let body = order_body(config, request)?;
    let builder = authorised(http.post(format!("{}/{VERSION}/order", config.root())), config).json(&body);
    let reply = send(builder, timeout(config)).await?;
    if reply.is_success() {
        return order_id(&reply, &reply.json()?);
    }
    if is_duplicate(&reply) {
        return existing_order(http, config, &request.request_id)
            .await?
            .ok_or_else(|| reply.failure());
    }
    Err(reply.failure())
}

pub(in crate::wms) async fn cancel(
    http: &reqwest::Client,
    config: &WmsConfig,
    remote_id: &str,
) -> Result<(), WmsError> {
    let url = format!("{}/{VERSION}/order/{remote_id}:cancel", config.root());
    let reply = send(authorised(http.post(url), config), timeout(config)).await?;
    if !reply.is_success() {
        return Err(reply.failure());
    }
    // A success without a readable body is still a success: the status is ShipBob's word.
    let Ok(body) = reply.json() else { return Ok(()) };
    match body.get("status").and_then(Value::as_str) {
        None | Some("Success") => Ok(()),
        Some(status) => {
            let reasons: Vec<String> = body
                .get("canceled_shipment_results")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|r| r.get("is_success") != Some(&Value::Bool(true)))
                .filter_map(|r| text(r.get("reason")))
                .collect();
            Err(WmsError::Permanent {
                status: Some(reply.status),
                message: format!("cancellation {status}: {}", reasons.join("; ")),
            })
        }
    }
}

/// Whether a refusal is ShipBob saying the `reference_id` is taken. ShipBob answers that
/// with a 422 ("Cannot insert order with existing ReferenceId"); a 409 is taken the same way.
fn is_duplicate(reply: &Reply) -> bool {
    let body = reply.snippet().to_ascii_lowercase();
    reply.status == 409
        || (reply.status == 422
            && (body.contains("referenceid") || body.contains("reference_id") || body.contains("reference id"))
            && (body.contains("exist") || body.contains("duplicate")))
}

/// The id of the order created with `reference_id`, if ShipBob has one.
async fn existing_order(
    http: &reqwest::Client,
    config: &WmsConfig,
    reference_id: &str,
) -> Result<Option<Submitted>, WmsError> {
    let builder = authorised(http.get(format!("{}/{VERSION}/order", config.root())), config)
        .query(&[("ReferenceIds", reference_id)]);
    let reply = send(builder, timeout(config)).await?;
    if !reply.is_success() {
        return Err(reply.failure());
    }
    let orders = reply.json()?;
    let found = orders
        .as_array()
        .into_iter()
        .flatten()
        .find(|order| text(order.get("reference_id")).as_deref() == Some(reference_id));
    found.map(|order| order_id(&reply, order)).transpose()
}

fn order_id(reply: &Reply, order: &Value) -> Result<Submitted, WmsError> {
    text(order.get("id"))
        .map(|remote_id| Submitted { remote_id })
        .ok_or_else(|| WmsError::Permanent {
            status: Some(reply.status),
            message: format!("order has no id: {}", reply.snippet()),
        })
}

fn authorised(builder: reqwest::RequestBuilder, config: &WmsConfig) -> reqwest::RequestBuilder {
    // `validate` made both present for ShipBob.
    let builder = builder.header("shipbob_channel_id", config.channel_id.as_deref().unwrap_or_default());
    match &config.token {
        Some(token) => builder.bearer_auth(token),
        None => builder,
    }
}

fn timeout(config: &WmsConfig) -> Duration {
    Duration::from_millis(config.timeout_ms)
}
