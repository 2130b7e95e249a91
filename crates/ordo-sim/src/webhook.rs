//! Webhook push for Shopify and WooCommerce, and Douyin's message push (消息推送).
//!
//! Events are rendered and signed when they happen, queued, and delivered by one worker
//! task in the order they happened (so a receiver sees `create` before `cancelled`), each
//! with a few retries. The caller that caused the event never waits for the receiver.
//! Every delivery's outcome is kept so a test or the demo can see what was pushed.
//!
//! Douyin's batches are built in [`douyin`]; they are signed with the app's own
//! key and secret (not the target's secret) and count as delivered only when the
//! receiver answers `{"code":0,…}`, as Douyin reads the answer body.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use crate::config::WebhookTarget;
use crate::generate::{self, SimOrder};
use crate::sign::webhook_signature;
use crate::state::Shared;
use crate::{Platform, generate::rfc3339_at};

mod douyin;

/// Events queued beyond this are dropped and counted as failed: a receiver that is down
/// for long must not make the simulator grow without bound.
pub(crate) const QUEUE_CAPACITY: usize = 10_000;
/// Delivery outcomes kept; older ones are dropped first.
const MAX_DELIVERIES: usize = 10_000;
/// Waits before the 2nd, 3rd and 4th attempt: four attempts over about 2.6 s.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];
/// One attempt's time limit, as platforms give receivers a few seconds.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// What happened to an order, as far as webhooks are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Created,
    Updated,
    Cancelled,
    Refunded,
}

/// One webhook ready to send.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub id: String,
    pub topic: String,
    pub external_id: String,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
    pub queued_at: DateTime<Utc>,
    /// What answer counts as received.
    pub ack: Ack,
}

/// What answer counts as a webhook received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ack {
    /// Any 2xx (Shopify, WooCommerce).
    Status,
    /// A 2xx whose JSON body has `"code": 0` (Douyin's `{"code":0,"msg":"success"}`).
    DouyinCode,
}

/// The outcome of one webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// `X-Shopify-Webhook-Id` / `X-WC-Webhook-Delivery-ID`.
    pub id: String,
    /// `orders/create`, `refunds/create`, `order.updated` …
    pub topic: String,
    /// The order it was about.
    pub external_id: String,
    /// Attempts made (0 when dropped before any).
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    pub status: Option<u16>,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
    /// The last error when not delivered.
    pub error: Option<String>,
    /// When the event happened.
    pub queued_at: DateTime<Utc>,
}

/// A stable, unique-looking id (UUID layout) from the simulator's seed and a counter.
pub(crate) fn delivery_id(seed: u64, n: u64) -> String {
    let mut x = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// The webhooks a platform sends for an event (none for the polled platforms).
pub(crate) fn outgoing(shared: &Shared, order: &SimOrder, event: Event) -> Vec<Outgoing> {
    let Some(target) = &shared.config.webhook else {
        return Vec::new();
    };
    let n = shared.webhook_seq.fetch_add(1, Ordering::Relaxed);
    let now = Utc::now();
    let (topic, body, id, mut headers) = match shared.platform() {
        Platform::Shopify => {
            let topic = match event {
                Event::Created => "orders/create",
                Event::Updated => "orders/updated",
                Event::Cancelled => "orders/cancelled",
                Event::Refunded => "refunds/create",
            };
            let body = if event == Event::Refunded {
                generate::shopify::refund(&shared.ctx, order)
            } else {
                shared.document(order)
            };
            let id = delivery_id(shared.config.seed, n);
            let headers = vec![
                ("X-Shopify-Topic", topic.to_owned()),
                ("X-Shopify-Shop-Domain", shared.config.shop_domain.clone()),
                ("X-Shopify-Webhook-Id", id.clone()),
                ("X-Shopify-Event-Id", delivery_id(!shared.config.seed, n)),
                ("X-Shopify-Triggered-At", rfc3339_at(now, 0)),
                ("X-Shopify-API-Version", "2024-10".to_owned()),
            ];
            (topic, body, id, headers)
        }
        Platform::WooCommerce => {
            let (topic, event_name) = match event {
                Event::Created => ("order.created", "created"),
                _ => ("order.updated", "updated"),
            };
            let id = n.to_string();
            let headers = vec![
                ("X-WC-Webhook-Topic", topic.to_owned()),
                ("X-WC-Webhook-Resource", "order".to_owned()),
                ("X-WC-Webhook-Event", event_name.to_owned()),
                ("X-WC-Webhook-ID", "1".to_owned()),
                ("X-WC-Webhook-Delivery-ID", id.clone()),
                ("X-WC-Webhook-Source", format!("{}/", shared.ctx.base_url)),
            ];
            (topic, shared.document(order), id, headers)
        }
        Platform::Douyin => return douyin::outgoing(shared, order, event, n, now),
        _ => return Vec::new(),
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let signature = webhook_signature(&target.secret, &body);
    headers.push(match shared.platform() {
        Platform::Shopify => ("X-Shopify-Hmac-Sha256", signature),
        _ => ("X-WC-Webhook-Signature", signature),
    });
    vec![Outgoing {
        id,
        topic: topic.to_owned(),
        external_id: order.external_id.clone(),
        body,
        headers,
        queued_at: now,
        ack: Ack::Status,
    }]
}

fn log(shared: &Shared, delivery: WebhookDelivery) {
    let counter = if delivery.delivered {
        &shared.stats.webhooks_sent
    } else {
        &shared.stats.webhooks_failed
    };
    counter.fetch_add(1, Ordering::Relaxed);
    let mut log = shared.deliveries.lock().expect("deliveries lock");
    if log.len() >= MAX_DELIVERIES {
        log.pop_front();
    }
    log.push_back(delivery);
}

/// Records a webhook that did not fit in the queue.
pub(crate) fn record_dropped(shared: &Shared, topic: &str, external_id: &str) {
    log(
        shared,
        WebhookDelivery {
            id: String::new(),
            topic: topic.to_owned(),
            external_id: external_id.to_owned(),
            attempts: 0,
            status: None,
            delivered: false,
            error: Some("queue full".into()),
            queued_at: Utc::now(),
        },
    );
}

/// Delivers queued webhooks one by one until the simulator stops.
pub(crate) async fn run_worker(
    shared: Arc<Shared>,
    target: WebhookTarget,
    mut queue: mpsc::Receiver<Outgoing>,
    mut stop: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder().no_proxy().timeout(ATTEMPT_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook client cannot be built; webhooks are off");
            return;
        }
    };
    loop {
        let outgoing = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            next = queue.recv() => match next {
                Some(outgoing) => outgoing,
                None => return,
            },
        };
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            delivery = deliver(&client, &target.url, outgoing) => log(&shared, delivery),
        }
    }
}

async fn deliver(client: &reqwest::Client, url: &str, outgoing: Outgoing) -> WebhookDelivery {
    let mut delivery = WebhookDelivery {
        id: outgoing.id.clone(),
        topic: outgoing.topic.clone(),
        external_id: outgoing.external_id.clone(),
        attempts: 0,
        status: None,
        delivered: false,
        error: None,
        queued_at: outgoing.queued_at,
    };
    for attempt in 0..=RETRY_DELAYS.len() {
        if attempt > 0 {
            tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
        }
        delivery.attempts += 1;
        let mut request = client
            .post(url)
            .header("Content-Type", "application/json")
            .body(outgoing.body.clone());
        for (name, value) in &outgoing.headers {
            request = request.header(*name, value);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                delivery.status = Some(status.as_u16());
                let acknowledged = match outgoing.ack {
                    Ack::Status => status.is_success(),
                    Ack::DouyinCode => {
                        let answer: serde_json::Value = response.json().await.unwrap_or_default();
                        status.is_success() && answer.get("code").and_then(serde_json::Value::as_i64) == Some(0)
                    }
                };
                if acknowledged {
                    delivery.delivered = true;
                    delivery.error = None;
                    return delivery;
                }
                delivery.error = Some(if status.is_success() {
                    format!("HTTP {status} without the expected answer")
                } else {
                    format!("HTTP {status}")
                });
            }
            Err(error) => delivery.error = Some(error.to_string()),
        }
    }
    delivery
}

#[cfg(test)]
mod tests {
    use super::delivery_id;

    #[test]
    fn delivery_ids_look_like_uuids_and_differ() {
        let a = delivery_id(7, 1);
        assert_eq!(a.len(), 36);
        assert_ne!(a, delivery_id(7, 2));
        assert_eq!(a, delivery_id(7, 1));
    }
}
