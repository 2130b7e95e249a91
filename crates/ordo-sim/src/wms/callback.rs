//! Callbacks: rendering each step as the API's callback, signing it, and delivering it
//! with bounded retries. A dispatcher takes queued batches in order and delivers each in
//! its own tokio task, at most [`MAX_IN_FLIGHT`] at once, so one slow receiver does not
//! hold up every other fulfilment; the callbacks of one batch (the steps one fulfilment
//! took at one moment) go one after another, in order. Every outcome is recorded.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::{Semaphore, mpsc, watch};

use super::book::public_id;
use super::config::WmsKind;
use super::fulfilment::Fulfilment;
use super::shared::Shared;
use super::{FulfilmentState, WmsCallback, shipbob_render};

/// Batches queued beyond this are dropped and recorded as failed.
pub(crate) const QUEUE_CAPACITY: usize = 50_000;
/// Deliveries at once: enough for thousands of callbacks a second to a local receiver.
const MAX_IN_FLIGHT: usize = 256;
/// Outcomes kept; older ones are dropped first. 25 s of four callbacks per order at
/// 1,000 orders a second; [`super::WmsStats`] keeps the totals.
const MAX_RECORDS: usize = 100_000;
/// Waits before the 2nd, 3rd and 4th attempt: exponential, four attempts over about 2 s.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(400),
    Duration::from_millis(1600),
];
/// One attempt's time limit.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// `sha256=<hex HMAC-SHA256(secret, body)>`, the value of `X-Ordo-Signature` on every
/// warehouse callback.
///
/// ```
/// let signature = ordo_sim::wms_callback_signature("secret", br#"{"event":"shipped"}"#);
/// assert!(signature.starts_with("sha256=") && signature.len() == 7 + 64);
/// ```
pub fn wms_callback_signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` of a ShipBob-shaped callback, as Standard Webhooks sign:
/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, the key being the base64
/// after `whsec_` (the secret's own bytes when it is not base64).
///
/// ```
/// let signature = ordo_sim::wms_standard_webhook_signature("whsec_c2VjcmV0", "msg_1", "1700000000", b"{}");
/// assert!(signature.starts_with("v1,"));
/// ```
pub fn wms_standard_webhook_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// One signed callback.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub event: String,
    pub body: Vec<u8>,
    pub signature: String,
    /// ShipBob-shaped callbacks: the delivery's `webhook-id`, the same on every retry.
    pub webhook_id: Option<String>,
}

/// The callbacks of the steps one fulfilment took at one moment.
#[derive(Debug)]
pub(crate) struct Batch {
    pub url: String,
    pub fulfilment_id: String,
    pub request_id: String,
    pub queued_at: DateTime<Utc>,
    pub items: Vec<Outgoing>,
}

/// RFC 3339 in UTC with milliseconds, as every time on the wire is written.
pub(crate) fn wire_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The generic API's event name for entering a state.
pub(crate) fn event_name(state: FulfilmentState) -> &'static str {
    match state {
        FulfilmentState::Received => "received",
        FulfilmentState::Accepted => "accepted",
        FulfilmentState::Picked => "picked",
        FulfilmentState::Packed => "packed",
        FulfilmentState::Shipped => "shipped",
        FulfilmentState::ShortShipped => "short_shipped",
        FulfilmentState::Cancelled => "cancelled",
    }
}

/// The generic callback body for one step.
pub(crate) fn generic_body(fulfilment: &Fulfilment, step: FulfilmentState, at: DateTime<Utc>) -> Value {
    let shipments: Vec<Value> = if step.has_shipped() {
        let shipments = fulfilment.shipments().into_iter().map(|s| {
            json!({
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "tracking_url": s.tracking_url,
                "lines": s.lines,
                "shipped_at": wire_time(s.shipped_at),
            })
        });
        shipments.collect()
    } else {
        Vec::new()
    };
    let short = if step == FulfilmentState::ShortShipped {
        fulfilment.short.clone()
    } else {
        Vec::new()
    };
    let reason = match step {
        FulfilmentState::ShortShipped => Some("insufficient stock at pick"),
        FulfilmentState::Cancelled => Some("cancelled on request"),
        _ => None,
    };
    json!({
        "event": event_name(step),
        "request_id": fulfilment.request.request_id,
        "fulfilment_id": public_id(WmsKind::Generic, fulfilment.seq),
        "order_id": fulfilment.request.order_id,
        "shipments": shipments,
        "short": short,
        "reason": reason,
        "at": wire_time(at),
    })
}

/// The callbacks for steps just taken, or `None` when there is no target or no step the
/// API reports.
pub(crate) fn batch(
    shared: &Shared,
    fulfilment: &Fulfilment,
    steps: &[FulfilmentState],
    at: DateTime<Utc>,
) -> Option<Batch> {
    let kind = shared.kind();
    let url = match kind {
        WmsKind::Generic => fulfilment.request.callback_url.as_ref(),
        WmsKind::ShipBob => None,
    }
    .or(shared.config.callback_url.as_ref())?;
    let items: Vec<Outgoing> = steps
        .iter()
        .filter_map(|&step| {
            let (event, body) = match kind {
                WmsKind::Generic => (event_name(step).to_owned(), generic_body(fulfilment, step, at)),
                WmsKind::ShipBob => {
                    let (topic, data) = shipbob_render::webhook(&shared.config, fulfilment, step)?;
                    (topic.to_owned(), json!({"topic": topic, "data": data}))
                }
            };
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let signature = wms_callback_signature(&shared.config.secret, &body);
            let webhook_id =
                (kind == WmsKind::ShipBob).then(|| format!("msg_{}_{}", public_id(kind, fulfilment.seq), event));
            Some(Outgoing {
                event,
                body,
                signature,
                webhook_id,
            })
        })
        .collect();
    (!items.is_empty()).then(|| Batch {
        url: url.clone(),
        fulfilment_id: public_id(kind, fulfilment.seq),
        request_id: fulfilment.request.request_id.clone(),
        queued_at: at,
        items,
    })
}

fn record(shared: &Shared, outcome: WmsCallback) {
    let counter = if outcome.delivered {
        &shared.stats.callbacks_sent
    } else {
        &shared.stats.callbacks_failed
    };
    counter.fetch_add(1, Ordering::Relaxed);
    let mut records = shared.callbacks.lock().expect("callbacks lock");
    if records.len() >= MAX_RECORDS {
        records.pop_front();
    }
    records.push_back(outcome);
}

fn outcome(batch: &Batch, item: &Outgoing) -> WmsCallback {
    WmsCallback {
        event: item.event.clone(),
        fulfilment_id: batch.fulfilment_id.clone(),
        request_id: batch.request_id.clone(),
        url: batch.url.clone(),
        attempts: 0,
        status: None,
        delivered: false,
        error: None,
        queued_at: batch.queued_at,
    }
}

/// Records every callback of a batch that did not fit in the queue.
pub(crate) fn record_dropped(shared: &Shared, batch: Batch) {
    for item in &batch.items {
        let mut dropped = outcome(&batch, item);
        dropped.error = Some("callback queue full".into());
        record(shared, dropped);
    }
}

/// Delivers queued batches until the simulator stops.
pub(crate) async fn run_dispatcher(
    shared: Arc<Shared>,
    mut queue: mpsc::Receiver<Batch>,
    mut stop: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "callback client cannot be built; callbacks are off");
            return;
        }
    };
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    loop {
        let batch = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            next = queue.recv() => match next {
                Some(batch) => batch,
                None => return,
            },
        };
        let permit = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let (client, shared, mut stop) = (client.clone(), shared.clone(), stop.clone());
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => {}
                () = deliver(&client, &shared, batch) => {}
            }
        });
    }
}

/// Sends each callback of a batch in turn, each with its retries.
async fn deliver(client: &reqwest::Client, shared: &Shared, batch: Batch) {
    for item in &batch.items {
        let mut result = outcome(&batch, item);
        for attempt in 0..=RETRY_DELAYS.len() {
            if attempt > 0 {
                tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
            }
            result.attempts += 1;
            let mut request = client
                .post(&batch.url)
                .header("Content-Type", "application/json")
                .body(item.body.clone());
            request = match &item.webhook_id {
                // ShipBob signs as Standard Webhooks do, fresh timestamp on each attempt.
                Some(id) => {
                    let timestamp = Utc::now().timestamp().to_string();
                    let signature = wms_standard_webhook_signature(&shared.config.secret, id, &timestamp, &item.body);
                    request
                        .header("webhook-id", id)
                        .header("webhook-timestamp", timestamp)
                        .header("webhook-signature", signature)
                }
                None => request.header("X-Ordo-Signature", &item.signature),
            };
            match request.send().await {
                Ok(response) => {
                    result.status = Some(response.status().as_u16());
                    if response.status().is_success() {
                        result.delivered = true;
                        result.error = None;
                        break;
                    }
                    result.error = Some(format!("HTTP {}", response.status()));
                }
                Err(error) => result.error = Some(error.to_string()),
            }
        }
        record(shared, result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hex_hmac_sha256_with_a_prefix() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            wms_callback_signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
