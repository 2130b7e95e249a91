//! Recording delivery attempts, and reading and pruning the feed ([`OutboxStore`]); the
//! outbox listings are written once in `ordo_store::delivery`.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::{FeedEvent, OutboxStatus, OutboxStore, StoreError, StoreResult, page_limit as page};
use sqlx::Row;
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;

#[async_trait::async_trait]
impl OutboxStore for PgStore {
    async fn read_feed(&self, tenant: &TenantId, after: i64, limit: u32) -> StoreResult<Vec<FeedEvent>> {
        self.number_staged_feed(tenant).await?;
        sqlx::query("SELECT seq, kind, data, at FROM feed WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .bind(tenant.as_str())
            .bind(after)
            .bind(page(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map)?
            .iter()
            .map(|row| {
                Ok(FeedEvent {
                    seq: row.try_get("seq").map_err(map)?,
                    kind: row.try_get("kind").map_err(map)?,
                    data: row.try_get("data").map_err(map)?,
                    at: row.try_get("at").map_err(map)?,
                })
            })
            .collect()
    }

    async fn feed_head(&self, tenant: &TenantId) -> StoreResult<i64> {
        // The counter commits with the events it numbers, so it is never ahead of them.
        self.number_staged_feed(tenant).await?;
        let head: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM feed_heads WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?;
        Ok(head.unwrap_or(0))
    }

    async fn feed_wakeups(&self) -> StoreResult<Option<tokio::sync::broadcast::Receiver<String>>> {
        self.listen_feed().await.map(Some)
    }

    async fn prune_feed(&self, tenant: &TenantId, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM feed WHERE tenant_id = $1 AND at < $2")
            .bind(tenant.as_str())
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(map)?;
        Ok(done.rows_affected())
    }

    async fn finish_outbox(
        &self,
        id: Uuid,
        status: OutboxStatus,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE outbox SET status = $2, next_attempt_at = $3, last_error = $4, attempts = attempts + 1,
                 updated_at = now()
             WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(next_attempt_at)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("outbox message {id}")));
        }
        Ok(())
    }

    async fn finish_outbox_many(
        &self,
        outcomes: &[(Uuid, OutboxStatus, DateTime<Utc>, Option<String>)],
    ) -> StoreResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = outcomes.iter().map(|o| o.0).collect();
        let statuses: Vec<&str> = outcomes.iter().map(|o| o.1.as_str()).collect();
        let next: Vec<DateTime<Utc>> = outcomes.iter().map(|o| o.2).collect();
        let errors: Vec<Option<String>> = outcomes.iter().map(|o| o.3.clone()).collect();
        sqlx::query(
            "UPDATE outbox o SET status = n.status, next_attempt_at = n.next, last_error = n.error,
                 attempts = o.attempts + 1, updated_at = now()
             FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS n(id, status, next, error)
             WHERE o.id = n.id",
        )
        .bind(ids)
        .bind(statuses)
        .bind(next)
        .bind(errors)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(())
    }
}
