//! [`SubscriptionHandover`] on SQLite: handing events over (the cursor's compare-and-set
//! and its outbox rows) is one transaction on the writer thread, like every other outbox
//! write. The rest of the subscriptions is written once in `ordo_store::delivery`.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::delivery::subscriptions::SubscriptionHandover;
use ordo_store::{NewOutbox, StoreResult};
use rusqlite::params;
use uuid::Uuid;

use crate::{SqliteStore, micros};

#[async_trait::async_trait]
impl SubscriptionHandover for SqliteStore {
    async fn advance_subscription_cursor(
        &self,
        tenant: &TenantId,
        id: Uuid,
        from: i64,
        to: i64,
        deliveries: &[NewOutbox],
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let tenant = tenant.as_str().to_owned();
        let deliveries = deliveries.to_vec();
        let at = micros(now);
        self.rw
            .transaction(move |tx| {
                let moved = tx.execute(
                    "UPDATE subscriptions SET dispatched_seq = ?4, updated_at = ?5 \
                     WHERE tenant_id = ?1 AND id = ?2 AND dispatched_seq = ?3 AND active = 1",
                    params![tenant, id, from, to, at],
                )?;
                if moved == 0 {
                    return Ok(false);
                }
                for message in &deliveries {
                    // Due at once: pending, no attempt yet, next attempt now.
                    tx.execute(
                        "INSERT INTO outbox (tenant_id, id, topic, destination, payload, status, attempts, \
                         next_attempt_at, last_error, created_at, updated_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, NULL, ?6, ?6)",
                        params![
                            tenant,
                            message.id,
                            message.topic,
                            message.destination,
                            message.payload.to_string(),
                            at
                        ],
                    )?;
                }
                Ok(true)
            })
            .await
    }
}
