//! [`SubscriptionStore`] on SQLite: subscriptions are rare writes on the pool; handing
//! events over (the cursor's compare-and-set and its outbox rows) is one transaction on
//! the writer thread, like every other outbox write.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::Decode;
use ordo_store::delivery::subscriptions::{SUBSCRIPTION_TOPIC, Subscription, SubscriptionStore};
use ordo_store::{MAX_PAGE, NewOutbox, OutboxMessage, OutboxStatus, StoreError, StoreResult};
use rusqlite::params;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::{SqliteStore, from_micros, get, map_err, micros};

const COLUMNS: &str = "tenant_id, id, url, events, secret, description, active, dispatched_seq, created_at";

fn subscription_from_row(row: &SqliteRow) -> StoreResult<Subscription> {
    let events: String = get(row, "events")?;
    Ok(Subscription {
        id: get(row, "id")?,
        url: get(row, "url")?,
        events: serde_json::from_str(&events)
            .map_err(|e| StoreError::Other(format!("stored subscription events unreadable: {e}")))?,
        secret: get(row, "secret")?,
        active: get(row, "active")?,
        description: get(row, "description")?,
        cursor: get(row, "dispatched_seq")?,
        created_at: from_micros(get(row, "created_at")?)?,
    })
}

fn delivery_from_row(row: &SqliteRow) -> StoreResult<OutboxMessage> {
    let status: String = get(row, "status")?;
    let payload: String = get(row, "payload")?;
    Ok(OutboxMessage {
        id: get(row, "id")?,
        tenant: get(row, "tenant_id")?,
        topic: get(row, "topic")?,
        destination: get(row, "destination")?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| StoreError::Other(format!("stored outbox payload unreadable: {e}")))?,
        status: OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Other(format!("unknown outbox status {status:?}")))?,
        attempts: get(row, "attempts")?,
        next_attempt_at: from_micros(get(row, "next_attempt_at")?)?,
        last_error: get(row, "last_error")?,
        created_at: from_micros(get(row, "created_at")?)?,
    })
}

#[async_trait::async_trait]
impl SubscriptionStore for SqliteStore {
    async fn create_subscription(
        &self,
        tenant: &TenantId,
        subscription: &Subscription,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let events = serde_json::to_string(&subscription.events)
            .map_err(|e| StoreError::Other(format!("subscription events: {e}")))?;
        sqlx::query(&format!(
            "INSERT INTO subscriptions ({COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(tenant.as_str())
        .bind(subscription.id)
        .bind(&subscription.url)
        .bind(events)
        .bind(&subscription.secret)
        .bind(&subscription.description)
        .bind(subscription.active)
        .bind(subscription.cursor)
        .bind(micros(subscription.created_at))
        .bind(micros(now))
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_subscriptions(&self, tenant: &TenantId) -> StoreResult<Vec<Subscription>> {
        // Ids are UUIDv7: id order is creation order.
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = ? ORDER BY id"
        ))
        .bind(tenant.as_str())
        .fetch_all(&self.reader)
        .await
        .rows(map_err, subscription_from_row)
    }

    async fn get_subscription(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<Subscription>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .rows(map_err, subscription_from_row)
    }

    async fn deactivate_subscription(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET active = 0, updated_at = ? WHERE tenant_id = ? AND id = ? AND active = 1",
        )
        .bind(micros(now))
        .bind(tenant.as_str())
        .bind(id)
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn active_subscriptions(&self) -> StoreResult<Vec<(TenantId, Subscription)>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE active = 1 ORDER BY tenant_id, id"
        ))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| {
            let tenant = TenantId::parse(get::<String>(row, "tenant_id")?).map_err(StoreError::Other)?;
            Ok((tenant, subscription_from_row(row)?))
        })
        .collect()
    }

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

    async fn list_deliveries(&self, tenant: &TenantId, id: Uuid, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
        // The topic is written out, not bound, so SQLite can use the partial index.
        sqlx::query(&format!(
            "SELECT * FROM outbox WHERE tenant_id = ? AND topic = '{SUBSCRIPTION_TOPIC}' AND destination = ? \
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(tenant.as_str())
        .bind(id.to_string())
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.reader)
        .await
        .rows(map_err, delivery_from_row)
    }
}
