//! Recording delivery attempts, and reading and pruning the feed ([`OutboxStore`]); the
//! outbox listings are written once in `ordo_store::delivery`.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::{FeedEvent, OutboxStatus, OutboxStore, StoreError, StoreResult, page_limit as limit};
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::{SqliteStore, from_micros, get, map_err, micros};

fn json_column(row: &SqliteRow, column: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(&get::<String>(row, column)?).map_err(|e| StoreError::Other(format!("column {column}: {e}")))
}

#[async_trait::async_trait]
impl OutboxStore for SqliteStore {
    async fn read_feed(&self, tenant: &TenantId, after: i64, limit_: u32) -> StoreResult<Vec<FeedEvent>> {
        sqlx::query("SELECT seq, kind, data, at FROM feed WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?")
            .bind(tenant.as_str())
            .bind(after)
            .bind(limit(limit_))
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(FeedEvent {
                    seq: get(row, "seq")?,
                    kind: get(row, "kind")?,
                    data: json_column(row, "data")?,
                    at: from_micros(get(row, "at")?)?,
                })
            })
            .collect()
    }

    async fn feed_head(&self, tenant: &TenantId) -> StoreResult<i64> {
        let head: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM feed_heads WHERE tenant_id = ?")
            .bind(tenant.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        Ok(head.unwrap_or(0))
    }

    async fn prune_feed(&self, tenant: &TenantId, before: DateTime<Utc>) -> StoreResult<u64> {
        let tenant = tenant.as_str().to_owned();
        let cutoff = micros(before);
        // Numbers follow commit order and so does `at`: everything up to the newest old
        // event goes, along the primary key.
        let deleted = self
            .rw
            .transaction(move |tx| {
                tx.execute(
                    "DELETE FROM feed WHERE tenant_id = ?1 AND seq <= \
                     (SELECT COALESCE(MAX(seq), 0) FROM feed WHERE tenant_id = ?1 AND at < ?2)",
                    rusqlite::params![tenant, cutoff],
                )
            })
            .await?;
        Ok(deleted as u64)
    }

    async fn finish_outbox(
        &self,
        id: Uuid,
        status: OutboxStatus,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<()> {
        let error = error.map(str::to_owned);
        // The port passes no clock here; updated_at is bookkeeping only, so wall time.
        let updated = micros(Utc::now());
        let changed = self
            .rw
            .transaction(move |tx| {
                tx.execute(
                    "UPDATE outbox SET status = ?1, next_attempt_at = ?2, last_error = ?3, attempts = attempts + 1, \
                     updated_at = ?4 WHERE id = ?5",
                    rusqlite::params![status.as_str(), micros(next_attempt_at), error, updated, id],
                )
            })
            .await?;
        if changed == 0 {
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
        let outcomes = outcomes.to_vec();
        let updated = micros(Utc::now());
        self.rw
            .transaction(move |tx| {
                for (id, status, next, error) in &outcomes {
                    tx.execute(
                        "UPDATE outbox SET status = ?1, next_attempt_at = ?2, last_error = ?3, \
                         attempts = attempts + 1, updated_at = ?4 WHERE id = ?5",
                        rusqlite::params![status.as_str(), micros(*next), error, updated, id],
                    )?;
                }
                Ok(())
            })
            .await
    }
}
