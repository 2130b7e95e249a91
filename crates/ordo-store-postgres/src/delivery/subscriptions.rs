//! [`SubscriptionHandover`] on PostgreSQL (the rest of the subscriptions is written once in
//! `ordo_store::delivery`). Handing events over is a compare-and-set on the
//! subscription's `dispatched_seq` and the outbox rows in one transaction: a second node
//! racing from the same number waits on the row lock, then finds the number moved and
//! writes nothing.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::delivery::subscriptions::SubscriptionHandover;
use ordo_store::{NewOutbox, StoreResult};
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;

#[async_trait::async_trait]
impl SubscriptionHandover for PgStore {
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
}
