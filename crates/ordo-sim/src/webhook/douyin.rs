//! Douyin shop (抖店) message push as the simulator sends it: one POST per event to the
//! configured URL, whose body is a JSON array of messages
//! `{"tag": "100", "msg_id": "…", "data": "<JSON text>"}`, with headers `app-id` (the app
//! key) and `event-sign` = `hex(MD5(app_key + body + app_secret))`.
//!
//! From Douyin's documentation as client libraries quote it (see `ordo-app`'s
//! `channel_hooks::douyin`): the batch shape, the headers and signature, the trade tags
//! (created 100, paid 101, address changed 105, cancelled 106) and `data.p_id`. Not
//! found documented, so chosen here: which tags a simulated event sends (a paid order's
//! creation sends 100 and 101 in one batch, as a shop's app sees both), and the retry
//! schedule, which is the simulator's common one (four attempts over about 2.6 s).
//! Refunds send nothing: Douyin reports them as after-sale messages, which Ordo does not
//! take by push; polling brings them.

use chrono::{DateTime, Utc};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::{Ack, Event, Outgoing, delivery_id};
use crate::config::Credentials;
use crate::generate::SimOrder;
use crate::state::Shared;

/// The shop id the simulated Douyin renders on every order.
const SHOP_ID: u64 = 4_463_798;

/// `hex(MD5(app_key + body + app_secret))`.
pub(crate) fn sign(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update(app_key.as_bytes());
    md5.update(body);
    md5.update(app_secret.as_bytes());
    hex::encode(md5.finalize())
}

/// The trade tags an event sends, with their names in Douyin's message list.
fn tags(order: &SimOrder, event: Event) -> Vec<&'static str> {
    match event {
        Event::Created if order.paid_at.is_some() => vec!["100", "101"],
        Event::Created => vec!["100"],
        // An update is a payment when the order was paid at that very change, else the
        // buyer's address changed (the simulator's only other update).
        Event::Updated if order.paid_at == Some(order.updated_at) => vec!["101"],
        Event::Updated => vec!["105"],
        Event::Cancelled => vec!["106"],
        Event::Refunded => Vec::new(),
    }
}

/// The batch Douyin pushes for `event` on `order` (none when the event sends no message).
pub(super) fn outgoing(shared: &Shared, order: &SimOrder, event: Event, n: u64, now: DateTime<Utc>) -> Vec<Outgoing> {
    let tags = tags(order, event);
    if tags.is_empty() {
        return Vec::new();
    }
    let Credentials::AppKey {
        app_key, app_secret, ..
    } = &shared.config.credentials
    else {
        return Vec::new();
    };
    // Douyin's shop order id is a number; the simulator's are numeric text.
    let p_id = order
        .external_id
        .parse::<u64>()
        .map_or_else(|_| Value::from(order.external_id.clone()), Value::from);
    let s_ids: Vec<Value> = order.lines.iter().map(|l| Value::from(l.id)).collect();
    let messages: Vec<Value> = tags
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            let data = json!({
                "p_id": p_id, "s_ids": s_ids, "shop_id": SHOP_ID, "biz": 2, "order_type": 0,
                "order_status": order_status(order), "create_time": order.created_at.timestamp(),
                "update_time": order.updated_at.timestamp(),
            });
            json!({
                "tag": tag,
                "msg_id": format!("{}{:04}", 7_000_000_000_000_000_u64 + n, i),
                "data": data.to_string(),
            })
        })
        .collect();
    let body = serde_json::to_vec(&messages).unwrap_or_default();
    let signature = sign(app_key, app_secret, &body);
    vec![Outgoing {
        id: delivery_id(shared.config.seed, n),
        topic: format!("douyin:{}", tags.join(",")),
        external_id: order.external_id.clone(),
        headers: vec![("app-id", app_key.clone()), ("event-sign", signature)],
        body,
        queued_at: now,
        ack: Ack::DouyinCode,
    }]
}

/// Douyin's order status codes as its messages carry them (1 unpaid, 2 paid awaiting
/// shipment, 3 shipped, 4 cancelled, 5 completed).
fn order_status(order: &SimOrder) -> u8 {
    if order.cancelled_at.is_some() {
        4
    } else if order.completed {
        5
    } else if !order.shipments.is_empty() {
        3
    } else if order.paid_at.is_some() {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn the_simulator_signs_as_douyin_documents() {
        // MD5("The quick brown fox jumps over the lazy dog").
        assert_eq!(
            sign("The quick ", "lazy dog", b"brown fox jumps over the "),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
    }
}
