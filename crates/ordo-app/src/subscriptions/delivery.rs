//! Delivery of `subscription` outbox messages: a signed POST of the event to the
//! subscription's URL; a 2xx answer is delivered, anything else is retried with capped
//! exponential backoff until `max_attempts`, then dead. A delivery whose subscription was
//! deleted is dropped.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use ordo_core::TenantId;
use ordo_store::delivery::subscriptions::{SUBSCRIPTION_TOPIC, Subscription};
use ordo_store::{OutboxMessage, OutboxStatus, Store, StoreResult};
use uuid::Uuid;

use super::SubscriptionSettings;
use crate::webhooks;

/// A client for receivers: redirects are not followed, so a delivery goes only to the
/// registered URL.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Delivers every due delivery once (at most `delivery_batch`, `max_in_flight` at a time);
/// returns how many were handled.
pub async fn deliver_due(
    store: &dyn Store,
    client: &reqwest::Client,
    settings: &SubscriptionSettings,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let due = store
        .claim_due(
            SUBSCRIPTION_TOPIC,
            now,
            now + crate::DELIVERY_LEASE,
            settings.delivery_batch,
        )
        .await?;
    // Each delivery is checked against its own tenant's subscription: an id alone never
    // reaches another tenant's receiver.
    let mut receivers: HashMap<(String, String), Option<Subscription>> = HashMap::new();
    for message in &due {
        let key = (message.tenant.clone(), message.destination.clone());
        if let Entry::Vacant(slot) = receivers.entry(key) {
            let found = match (TenantId::parse(&message.tenant), Uuid::parse_str(&message.destination)) {
                (Ok(tenant), Ok(id)) => store.get_subscription(&tenant, id).await?,
                _ => None,
            };
            slot.insert(found.filter(|s| s.active));
        }
    }
    let handled = due.len();
    let results: Vec<StoreResult<()>> = futures_util::stream::iter(due)
        .map(|message| {
            let receiver = receivers
                .get(&(message.tenant.clone(), message.destination.clone()))
                .cloned()
                .flatten();
            deliver_one(store, client, settings, now, message, receiver)
        })
        .buffer_unordered(settings.max_in_flight.max(1))
        .collect()
        .await;
    results.into_iter().collect::<StoreResult<Vec<()>>>()?;
    Ok(handled)
}

async fn deliver_one(
    store: &dyn Store,
    client: &reqwest::Client,
    settings: &SubscriptionSettings,
    now: DateTime<Utc>,
    message: OutboxMessage,
    receiver: Option<Subscription>,
) -> StoreResult<()> {
    let (status, error) = match &receiver {
        None => (OutboxStatus::Dropped, Some("the subscription was deleted".to_owned())),
        Some(subscription) => match post(client, settings, subscription, &message, now).await {
            Ok(()) => (OutboxStatus::Delivered, None),
            Err(e) if message.attempts + 1 >= i64::from(settings.max_attempts) => (OutboxStatus::Dead, Some(e)),
            Err(e) => (OutboxStatus::Pending, Some(e)),
        },
    };
    metrics::counter!("ordo_subscription_deliveries_total", "status" => status.as_str()).increment(1);
    let next = now + webhooks::backoff(message.attempts);
    store.finish_outbox(message.id, status, next, error.as_deref()).await
}

async fn post(
    client: &reqwest::Client,
    settings: &SubscriptionSettings,
    subscription: &Subscription,
    message: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let body = serde_json::to_vec(&message.payload).map_err(|e| e.to_string())?;
    let event = message.payload["type"].as_str().unwrap_or_default();
    let response = client
        .post(&subscription.url)
        .timeout(settings.timeout)
        .header("content-type", "application/json")
        .header("x-ordo-event", event)
        .header("x-ordo-delivery", message.id.to_string())
        .header("x-ordo-timestamp", now.timestamp().to_string())
        .header("x-ordo-signature", webhooks::sign(&subscription.secret, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("receiver answered {}", response.status()))
    }
}
