//! Webhook subscriptions: integrators register a URL and the feed events they want; every
//! matching event of their tenant's feed is POSTed to them, signed, retried and, after the
//! last attempt, dead-lettered.
//!
//! Two steps, neither on the ingest path:
//! - [`dispatch_once`] reads each active subscription's feed after its cursor and hands the
//!   matching events to the outbox (topic `subscription`), moving the cursor in the same
//!   transaction and only from the number it read, so two nodes never hand an event over
//!   twice;
//! - [`deliver_due`] POSTs due deliveries: the event as JSON, signed with HMAC-SHA256 of the
//!   exact body under the subscription's secret (`X-Ordo-Signature: sha256=<hex>`), with
//!   `X-Ordo-Event`, `X-Ordo-Delivery` (the delivery id, the same on every retry, so a
//!   receiver can drop duplicates: delivery is at least once) and `X-Ordo-Timestamp` (Unix
//!   seconds of the attempt). A 2xx answer is delivered; anything else is retried with
//!   capped exponential backoff ([`crate::webhooks::backoff`]) until `max_attempts`, then dead.
//!
//! Both take the time as an argument so tests drive them step by step; [`spawn_subscriptions`]
//! runs them on the wall clock.

mod delivery;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::delivery::subscriptions::{SUBSCRIPTION_TOPIC, Subscription, check_pattern};
use ordo_store::{FeedEvent, NewOutbox, Store, StoreError, StoreResult};
use rand::RngCore;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use delivery::{client, deliver_due};

/// Active subscriptions a tenant may have: each costs a feed read per round, so the
/// dispatcher's work stays bounded.
pub const MAX_SUBSCRIPTIONS_PER_TENANT: usize = 50;
/// Patterns per subscription; a handful covers every event family.
pub const MAX_PATTERNS: usize = 20;
/// Longest URL accepted, the common limit of browsers and proxies.
pub const MAX_URL_LEN: usize = 2048;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_LEN: usize = 200;
/// Prefix that makes subscription secrets recognisable to secret scanners.
pub const SECRET_PREFIX: &str = "whsec_";
/// Feed batches one subscription may hand over per round, so that a subscription far
/// behind catches up quickly without starving the others or the deliveries.
const MAX_BATCHES_PER_ROUND: usize = 20;

/// How subscriptions are dispatched and delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSettings {
    /// Attempts before a delivery is marked dead.
    pub max_attempts: u32,
    /// Longest wait for a receiver's answer.
    pub timeout: Duration,
    /// Pause between rounds.
    pub poll_interval: Duration,
    /// Feed events read per subscription and batch (the store caps it at its page size).
    pub feed_batch: u32,
    /// Due deliveries taken per round.
    pub delivery_batch: u32,
    /// Deliveries in flight at once, so one slow receiver does not hold up the others.
    pub max_in_flight: usize,
}

impl Default for SubscriptionSettings {
    fn default() -> Self {
        Self {
            // 2⁰ + … + 2⁸ seconds between the ten attempts: about eight and a half minutes.
            max_attempts: 10,
            timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(500),
            feed_batch: 500,
            delivery_batch: 100,
            max_in_flight: 8,
        }
    }
}

/// Why a subscription request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// A field is invalid.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The tenant has as many active subscriptions as it may.
    #[error("a tenant may have at most {MAX_SUBSCRIPTIONS_PER_TENANT} active subscriptions")]
    TooMany,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an integrator asks for.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Where to POST.
    pub url: String,
    /// Event patterns (`order.created`, `order.*`, `*`).
    pub events: Vec<String>,
    /// A label.
    pub description: Option<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> SubscriptionError {
    SubscriptionError::Invalid {
        field,
        message: message.into(),
    }
}

/// Checks a receiver URL: absolute `http` or `https` with a host, no credentials in it
/// (they would be stored and listed in clear), at most [`MAX_URL_LEN`] bytes.
pub fn check_url(text: &str) -> Result<(), SubscriptionError> {
    if text.len() > MAX_URL_LEN {
        return Err(invalid("url", format!("longer than {MAX_URL_LEN} bytes")));
    }
    let url = reqwest::Url::parse(text).map_err(|e| invalid("url", format!("{text:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(
            "url",
            format!("scheme must be http or https, not {:?}", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("url", "must not carry credentials"));
    }
    Ok(())
}

/// Checks a request and returns it tidied: patterns deduplicated in their order, the
/// description trimmed (empty means none).
pub fn check_request(request: NewSubscription) -> Result<NewSubscription, SubscriptionError> {
    check_url(&request.url)?;
    if request.events.is_empty() || request.events.len() > MAX_PATTERNS {
        return Err(invalid("events", format!("give 1..={MAX_PATTERNS} event patterns")));
    }
    let mut events: Vec<String> = Vec::with_capacity(request.events.len());
    for pattern in request.events {
        check_pattern(&pattern).map_err(|m| invalid("events", m))?;
        if !events.contains(&pattern) {
            events.push(pattern);
        }
    }
    let description = request
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LEN)
    {
        return Err(invalid(
            "description",
            format!("at most {MAX_DESCRIPTION_LEN} characters"),
        ));
    }
    Ok(NewSubscription {
        url: request.url,
        events,
        description,
    })
}

/// Creates a subscription with a fresh secret. It receives events committed from now on
/// (its cursor starts at the feed's head), not the feed's past.
pub async fn create(
    store: &dyn Store,
    tenant: &TenantId,
    request: NewSubscription,
    now: DateTime<Utc>,
) -> Result<Subscription, SubscriptionError> {
    let request = check_request(request)?;
    let active = store
        .list_subscriptions(tenant)
        .await?
        .iter()
        .filter(|s| s.active)
        .count();
    if active >= MAX_SUBSCRIPTIONS_PER_TENANT {
        return Err(SubscriptionError::TooMany);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let subscription = Subscription {
        id: Uuid::now_v7(),
        url: request.url,
        events: request.events,
        secret: format!("{SECRET_PREFIX}{}", hex::encode(bytes)),
        active: true,
        description: request.description,
        cursor: store.feed_head(tenant).await?,
        created_at: now,
    };
    store.create_subscription(tenant, &subscription, now).await?;
    Ok(subscription)
}

/// The body a receiver gets for one event.
pub fn delivery_payload(delivery_id: Uuid, tenant: &TenantId, event: &FeedEvent) -> serde_json::Value {
    serde_json::json!({
        "delivery_id": delivery_id,
        "type": event.kind,
        "seq": event.seq,
        "tenant": tenant.as_str(),
        "occurred_at": event.at,
        "data": event.data,
    })
}

/// Hands every active subscription's new matching events to the outbox; returns how many
/// deliveries were written. A subscription that fails is logged and left for the next
/// round; the others go on.
pub async fn dispatch_once(
    store: &dyn Store,
    settings: &SubscriptionSettings,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut handed_over = 0;
    for (tenant, subscription) in store.active_subscriptions().await? {
        match dispatch_subscription(store, &tenant, &subscription, settings, now).await {
            Ok(count) => handed_over += count,
            Err(error) => {
                tracing::warn!(%error, tenant = tenant.as_str(), subscription = %subscription.id, "subscription dispatch failed");
            }
        }
    }
    Ok(handed_over)
}

async fn dispatch_subscription(
    store: &dyn Store,
    tenant: &TenantId,
    subscription: &Subscription,
    settings: &SubscriptionSettings,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let mut cursor = subscription.cursor;
    let mut handed_over = 0;
    for _ in 0..MAX_BATCHES_PER_ROUND {
        let events = store.read_feed(tenant, cursor, settings.feed_batch).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            break;
        };
        let deliveries: Vec<NewOutbox> = events
            .iter()
            .filter(|e| subscription.wants(&e.kind))
            .map(|event| {
                let id = Uuid::now_v7();
                NewOutbox {
                    id,
                    topic: SUBSCRIPTION_TOPIC.into(),
                    destination: subscription.id.to_string(),
                    payload: delivery_payload(id, tenant, event),
                }
            })
            .collect();
        if !store
            .advance_subscription_cursor(tenant, subscription.id, cursor, last, &deliveries, now)
            .await?
        {
            // Another node handed these over (or the subscription was deleted meanwhile).
            break;
        }
        handed_over += deliveries.len();
        cursor = last;
        if events.len() < settings.feed_batch as usize {
            break;
        }
    }
    Ok(handed_over)
}

/// One round: hand new events over, then deliver what is due. Returns (handed over,
/// delivered or retried).
pub async fn run_once(
    store: &dyn Store,
    client: &reqwest::Client,
    settings: &SubscriptionSettings,
    now: DateTime<Utc>,
) -> StoreResult<(usize, usize)> {
    let handed_over = dispatch_once(store, settings, now).await?;
    let handled = deliver_due(store, client, settings, now).await?;
    Ok((handed_over, handled))
}

/// Runs a round every `poll_interval` until `stop` turns true.
pub fn spawn_subscriptions(
    store: Arc<dyn Store>,
    settings: SubscriptionSettings,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = client();
        loop {
            tokio::select! {
                () = tokio::time::sleep(settings.poll_interval) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if let Err(error) = run_once(store.as_ref(), &client, &settings, Utc::now()).await {
                tracing::warn!(%error, "subscription round failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, events: &[&str]) -> NewSubscription {
        NewSubscription {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            description: Some("  ".into()),
        }
    }

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        assert!(check_url("https://hooks.example.com/ordo?x=1").is_ok());
        assert!(check_url("http://127.0.0.1:8080/").is_ok());
        for bad in [
            "ftp://example.com/",
            "example.com/hook",
            "https://user:pw@example.com/",
            "http://",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(&format!("https://example.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn requests_are_tidied_and_checked() {
        let tidy = check_request(request("https://x.example/", &["order.*", "order.*", "*"])).unwrap();
        assert_eq!(
            (tidy.events, tidy.description),
            (vec!["order.*".to_owned(), "*".to_owned()], None)
        );
        assert!(check_request(request("https://x.example/", &[])).is_err());
        assert!(check_request(request("https://x.example/", &["order.*.x"])).is_err());
    }
}
