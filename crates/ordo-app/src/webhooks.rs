//! Delivers `webhook` outbox messages (low-stock alerts) to the receiver of their
//! tenant's alert policy.
//!
//! Each delivery is a POST of the message as JSON, signed with HMAC-SHA256 over the exact
//! body (`X-Ordo-Signature: sha256=<hex>`), with the message id as `X-Ordo-Delivery` so a
//! receiver can drop duplicates: delivery is at least once. A failure is retried with
//! capped exponential backoff; after `max_attempts` the message is marked dead and stays
//! listed. With no receiver configured for the tenant, messages are marked dropped.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hmac::Mac;
use ordo_store::{OutboxMessage, OutboxStatus, Store, StoreResult};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::policies::Policies;
use crate::policies::kinds::AlertPolicy;

/// How alerts are delivered (where to, and with which secret, is each tenant's policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Longest wait for a receiver.
    pub timeout: Duration,
    /// Pause between outbox polls.
    pub poll_interval: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// Attempts before a message is dead when the tenant's alert policy does not say.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// The signature header value for a body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let digest = crate::channel_hooks::mac(secret, body).finalize().into_bytes();
    format!("sha256={}", hex::encode(digest))
}

/// Waits before attempt `n + 1` after `n` failures: 2ⁿ seconds, at most ten minutes.
pub fn backoff(failures: i64) -> chrono::Duration {
    chrono::Duration::seconds(1_i64 << failures.clamp(0, 20)).min(chrono::Duration::minutes(10))
}

/// Delivers every due message once; returns how many were handled.
pub async fn deliver_due(
    store: &dyn Store,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    policies: &Policies,
) -> StoreResult<usize> {
    let now = Utc::now();
    let due = store
        .claim_due("webhook", now, now + crate::DELIVERY_LEASE, 100)
        .await?;
    for message in &due {
        // Each tenant's alerts go to its own receiver only (see `Policies::for_tenant`).
        let alerts = match ordo_core::TenantId::parse(&message.tenant) {
            Ok(tenant) => policies.for_tenant(&tenant).alerts.clone(),
            Err(_) => AlertPolicy::default(),
        };
        let max_attempts = alerts.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1);
        let (status, error) = match &alerts.url {
            None => (
                OutboxStatus::Dropped,
                Some(format!("no alert receiver configured for tenant {}", message.tenant)),
            ),
            Some(url) => match post(client, url, alerts.secret.as_deref(), settings, message).await {
                Ok(()) => (OutboxStatus::Delivered, None),
                Err(e) if message.attempts + 1 >= i64::from(max_attempts) => (OutboxStatus::Dead, Some(e)),
                Err(e) => (OutboxStatus::Pending, Some(e)),
            },
        };
        metrics::counter!("ordo_webhook_deliveries_total", "status" => status.as_str()).increment(1);
        let next = Utc::now() + backoff(message.attempts);
        store.finish_outbox(message.id, status, next, error.as_deref()).await?;
    }
    Ok(due.len())
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    settings: &WebhookSettings,
    message: &OutboxMessage,
) -> Result<(), String> {
    let body = serde_json::to_vec(&message.payload).map_err(|e| e.to_string())?;
    let mut request = client
        .post(url)
        .timeout(settings.timeout)
        .header("content-type", "application/json")
        .header("x-ordo-delivery", message.id.to_string())
        .header("x-ordo-event", message.destination.as_str());
    if let Some(secret) = secret {
        request = request.header("x-ordo-signature", sign(secret, &body));
    }
    let response = request.body(body).send().await.map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("receiver answered {}", response.status()))
    }
}

/// Polls and delivers until `stop` turns true.
pub fn spawn_webhooks(
    store: Arc<dyn Store>,
    settings: WebhookSettings,
    policies: Policies,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        loop {
            tokio::select! {
                () = tokio::time::sleep(settings.poll_interval) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if let Err(error) = deliver_due(store.as_ref(), &client, &settings, &policies).await {
                tracing::warn!(%error, "webhook delivery round failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), chrono::Duration::seconds(1));
        assert_eq!(backoff(3), chrono::Duration::seconds(8));
        assert_eq!(backoff(30), chrono::Duration::minutes(10));
    }
}
