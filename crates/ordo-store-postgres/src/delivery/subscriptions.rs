//! [`SubscriptionStore`] on PostgreSQL. Handing events over is a compare-and-set on the
//! subscription's `dispatched_seq` and the outbox rows in one transaction: a second node
//! racing from the same number waits on the row lock, then finds the number moved and
//! writes nothing.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::Decode;
use ordo_store::delivery::subscriptions::{SUBSCRIPTION_TOPIC, Subscription, SubscriptionStore};
use ordo_store::{MAX_PAGE, NewOutbox, OutboxMessage, OutboxStatus, StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;

const COLUMNS: &str = "tenant_id, id, url, events, secret, description, active, dispatched_seq, created_at";

const OUTBOX_COLUMNS: &str =
    "tenant_id, id, topic, destination, payload, status, attempts, next_attempt_at, last_error, created_at";

fn subscription_from_row(row: &PgRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: row.try_get("id").map_err(map)?,
        url: row.try_get("url").map_err(map)?,
        events: row.try_get("events").map_err(map)?,
        secret: row.try_get("secret").map_err(map)?,
        active: row.try_get("active").map_err(map)?,
        description: row.try_get("description").map_err(map)?,
        cursor: row.try_get("dispatched_seq").map_err(map)?,
        created_at: row.try_get("created_at").map_err(map)?,
    })
}

fn delivery_from_row(row: &PgRow) -> StoreResult<OutboxMessage> {
    let status: String = row.try_get("status").map_err(map)?;
    Ok(OutboxMessage {
        id: row.try_get("id").map_err(map)?,
        tenant: row.try_get("tenant_id").map_err(map)?,
        topic: row.try_get("topic").map_err(map)?,
        destination: row.try_get("destination").map_err(map)?,
        payload: row.try_get("payload").map_err(map)?,
        status: OutboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Other(format!("unknown stored outbox status {status:?}")))?,
        attempts: row.try_get("attempts").map_err(map)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(map)?,
        last_error: row.try_get("last_error").map_err(map)?,
        created_at: row.try_get("created_at").map_err(map)?,
    })
}

#[async_trait::async_trait]
impl SubscriptionStore for PgStore {
    async fn create_subscription(
        &self,
        tenant: &TenantId,
        subscription: &Subscription,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(&format!(
            "INSERT INTO subscriptions ({COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(tenant.as_str())
        .bind(subscription.id)
        .bind(&subscription.url)
        .bind(&subscription.events)
        .bind(&subscription.secret)
        .bind(&subscription.description)
        .bind(subscription.active)
        .bind(subscription.cursor)
        .bind(subscription.created_at)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn list_subscriptions(&self, tenant: &TenantId) -> StoreResult<Vec<Subscription>> {
        // Ids are UUIDv7: id order is creation order.
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .rows(map, subscription_from_row)
    }

    async fn get_subscription(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<Subscription>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .rows(map, subscription_from_row)
    }

    async fn deactivate_subscription(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET active = false, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND active",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(done.rows_affected() == 1)
    }

    async fn active_subscriptions(&self) -> StoreResult<Vec<(TenantId, Subscription)>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE active ORDER BY tenant_id, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?
        .iter()
        .map(|row| {
            let tenant: String = row.try_get("tenant_id").map_err(map)?;
            Ok((
                TenantId::parse(tenant).map_err(StoreError::Other)?,
                subscription_from_row(row)?,
            ))
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
        let mut tx = self.pool.begin().await.map_err(map)?;
        // Under READ COMMITTED a racing UPDATE waits for this row's lock, then re-checks
        // the WHERE against the committed row: the loser matches nothing.
        let moved = sqlx::query(
            "UPDATE subscriptions SET dispatched_seq = $4, updated_at = $5
             WHERE tenant_id = $1 AND id = $2 AND dispatched_seq = $3 AND active",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map)?
        .rows_affected();
        if moved == 0 {
            tx.rollback().await.map_err(map)?;
            return Ok(false);
        }
        if !deliveries.is_empty() {
            let ids: Vec<Uuid> = deliveries.iter().map(|m| m.id).collect();
            let topics: Vec<&str> = deliveries.iter().map(|m| m.topic.as_str()).collect();
            let destinations: Vec<&str> = deliveries.iter().map(|m| m.destination.as_str()).collect();
            let payloads: Vec<&serde_json::Value> = deliveries.iter().map(|m| &m.payload).collect();
            // One statement for the whole batch: round trips are what cost here. Due at
            // once: pending, no attempt yet, next attempt now.
            sqlx::query(
                "INSERT INTO outbox (tenant_id, id, topic, destination, payload, status, attempts, next_attempt_at,
                     last_error, created_at, updated_at)
                 SELECT $1, i, tp, d, p, 'pending', 0, $5, NULL, $5, $5
                 FROM UNNEST($2::uuid[], $3::text[], $4::text[], $6::jsonb[]) AS m(i, tp, d, p)",
            )
            .bind(tenant.as_str())
            .bind(ids)
            .bind(topics)
            .bind(destinations)
            .bind(now)
            .bind(payloads)
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        }
        tx.commit().await.map_err(map)?;
        Ok(true)
    }

    async fn list_deliveries(&self, tenant: &TenantId, id: Uuid, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
        sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
             WHERE tenant_id = $1 AND topic = '{SUBSCRIPTION_TOPIC}' AND destination = $2
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(tenant.as_str())
        .bind(id.to_string())
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.pool)
        .await
        .rows(map, delivery_from_row)
    }
}
