//! The outbox and the live feed: messages for outside systems, written in the
//! transaction that caused them, and the per-tenant feed of what happened.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::ingest::OrderState;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::{Columns, Record, named};
use crate::orders::records::page_limit;
use crate::sql::{Param, SqlRun};

/// An event for the live feed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeedEvent {
    /// e.g. `availability.changed`, `order.created`, `stock.low`.
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
}

/// An event of the live feed, numbered per tenant in commit order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedEvent {
    /// Sequence number; resume after it.
    pub seq: i64,
    /// Kind.
    pub kind: String,
    /// Details.
    pub data: serde_json::Value,
    /// Commit time.
    pub at: DateTime<Utc>,
}

/// A message for an outside system, written in the transaction that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbox {
    /// Its id.
    pub id: Uuid,
    /// `channel.stock` (for a channel connector) or `webhook` (for alert subscribers).
    pub topic: String,
    /// Who it is for, e.g. the channel code.
    pub destination: String,
    /// The message.
    pub payload: serde_json::Value,
}

/// Where an outbox message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or retried).
    Pending,
    /// Sent and acknowledged.
    Delivered,
    /// Gave up after the last retry.
    Dead,
    /// Nobody is configured to receive it.
    Dropped,
}

impl OutboxStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Dropped => "dropped",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead, Self::Dropped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A stored outbox message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxMessage {
    /// Its id.
    pub id: Uuid,
    /// Tenant.
    pub tenant: String,
    /// Topic.
    pub topic: String,
    /// Destination.
    pub destination: String,
    /// The message.
    pub payload: serde_json::Value,
    /// Where it is.
    pub status: OutboxStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// Not before this time.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Written at.
    pub created_at: DateTime<Utc>,
}

/// The channel's `channel.cancel` message for a cancellation decided in Ordo.
pub fn cancel_message(order: &OrderState, reason: &str) -> NewOutbox {
    NewOutbox {
        id: Uuid::now_v7(),
        topic: "channel.cancel".into(),
        destination: order.order.channel.as_str().to_owned(),
        payload: json!({
            "type": "cancel",
            "order_id": order.id,
            "external_order_id": order.order.external_id.as_str(),
            "reason": reason,
        }),
    }
}

/// The channel's `channel.status` message for a status a workflow transition reports
/// back (`write_back`), other than a shipment's tracking and a cancellation, which have
/// messages of their own.
pub fn status_message(order: &OrderState, transition: &str) -> NewOutbox {
    NewOutbox {
        id: Uuid::now_v7(),
        topic: "channel.status".into(),
        destination: order.order.channel.as_str().to_owned(),
        payload: json!({
            "type": "status",
            "order_id": order.id,
            "external_order_id": order.order.external_id.as_str(),
            "status": order.status.as_str(),
            "transition": transition,
        }),
    }
}

/// Reading the outbox, written once for every SQL store (see [`crate::sql`]).
#[async_trait::async_trait]
pub trait OutboxQueue: Send + Sync {
    /// A tenant's outbox messages, newest first.
    async fn list_outbox(
        &self,
        tenant: &TenantId,
        topic: Option<&str>,
        status: Option<OutboxStatus>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>>;

    /// Pending messages of a topic, over every tenant, due by `now`, oldest first.
    async fn due_outbox(&self, topic: &str, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OutboxMessage>>;

    /// Claims these messages, of those still due at `now`, until `lease_until`; returns
    /// the ones this caller got. However many nodes claim at once, each message goes to one
    /// of them; a claim not finished by `lease_until` is due again, so a node that dies
    /// mid-delivery loses nothing (it is delivered at least once, with the same id).
    async fn claim_outbox(
        &self,
        ids: &[Uuid],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>>;

    /// Puts a tenant's dead message back in the queue, due at `now` with its attempts
    /// counted from zero again (so it gets the whole retry schedule, not one last try);
    /// its last error stays until the next attempt. False when it is not a dead message
    /// of this tenant.
    async fn retry_dead(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Due messages of a topic, claimed until `lease_until` (see [`Self::claim_outbox`]).
    async fn claim_due(
        &self,
        topic: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let due = self.due_outbox(topic, now, limit).await?;
        let ids: Vec<Uuid> = due.iter().map(|m| m.id).collect();
        let claimed: std::collections::BTreeSet<Uuid> =
            self.claim_outbox(&ids, now, lease_until).await?.into_iter().collect();
        Ok(due.into_iter().filter(|m| claimed.contains(&m.id)).collect())
    }
}

#[async_trait::async_trait]
impl<S: SqlRun> OutboxQueue for S {
    async fn list_outbox(
        &self,
        tenant: &TenantId,
        topic: Option<&str>,
        status: Option<OutboxStatus>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxMessage>> {
        // Ids are UUIDv7: newest first is id order, along the primary key.
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE tenant_id = $1 AND (CAST($2 AS TEXT) IS NULL OR topic = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR status = $3) ORDER BY id DESC LIMIT $4"
        );
        let params = [
            tenant.into(),
            topic.into(),
            status.map(OutboxStatus::as_str).into(),
            page_limit(limit).into(),
        ];
        self.rows(&sql, &params, OutboxMessage::read).await
    }

    async fn due_outbox(&self, topic: &str, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OutboxMessage>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE topic = $1 AND status = 'pending' AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at, id LIMIT $3"
        );
        self.rows(
            &sql,
            &[topic.into(), now.into(), page_limit(limit).into()],
            OutboxMessage::read,
        )
        .await
    }
    async fn retry_dead(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
        let sql = "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $3, updated_at = $3 \
                   WHERE tenant_id = $1 AND id = $2 AND status = 'dead'";
        Ok(self.run(sql, &[tenant.into(), id.into(), now.into()]).await? == 1)
    }

    async fn claim_outbox(
        &self,
        ids: &[Uuid],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The lease is the next attempt time: a claimed message is simply not due. Of two
        // nodes updating one row, the second re-checks the condition on the committed row
        // and no longer matches.
        let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
        let due = format!(
            "id IN ({}) AND status = 'pending' AND next_attempt_at <= $2",
            list.join(", ")
        );
        let sql = match self.dialect() {
            // One writer: nothing to wait for.
            crate::sql::Dialect::Sqlite => format!("UPDATE outbox SET next_attempt_at = $1 WHERE {due} RETURNING id"),
            // Several nodes claim at once: rows another node is claiming are skipped, not
            // waited for, and the rest are locked in id order, so two claims never deadlock.
            crate::sql::Dialect::Postgres => format!(
                "UPDATE outbox SET next_attempt_at = $1 WHERE id IN \
                 (SELECT id FROM outbox WHERE {due} ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING id"
            ),
        };
        let params: Vec<Param<'_>> = [lease_until.into(), now.into()]
            .into_iter()
            .chain(ids.iter().map(|id| (*id).into()))
            .collect();
        self.write_rows(&sql, &params, claimed_id).await
    }
}

fn claimed_id(row: &dyn Columns) -> StoreResult<Uuid> {
    row.id("id")
}

/// Recording delivery attempts and reading the feed, which each store tunes (SQLite's
/// writer thread; PostgreSQL's multi-row updates and feed numbering).
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Feed events after `after`, oldest first.
    async fn read_feed(&self, tenant: &TenantId, after: i64, limit: u32) -> StoreResult<Vec<FeedEvent>>;

    /// The number of the tenant's newest feed event (0 when none). Stores override this
    /// paging default with one query.
    async fn feed_head(&self, tenant: &TenantId) -> StoreResult<i64> {
        let mut head = 0;
        loop {
            match self.read_feed(tenant, head, 500).await?.last() {
                Some(event) => head = event.seq,
                None => return Ok(head),
            }
        }
    }

    /// Hints that another node sharing the database appended to a tenant's feed (each
    /// message a tenant id; an empty one or a lag means "re-read everything"). `None` for
    /// a store only one node uses.
    async fn feed_wakeups(&self) -> StoreResult<Option<tokio::sync::broadcast::Receiver<String>>> {
        Ok(None)
    }

    /// Deletes feed events committed before `before` (the feed is for live subscribers
    /// and short outages, not an archive); returns how many went.
    async fn prune_feed(&self, tenant: &TenantId, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Records a delivery attempt.
    async fn finish_outbox(
        &self,
        id: Uuid,
        status: OutboxStatus,
        next_attempt_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> StoreResult<()>;

    /// Records many attempts at once: (id, status, next attempt, error). A store may do it
    /// in one transaction, which is what lets a busy warehouse connector keep up.
    async fn finish_outbox_many(
        &self,
        outcomes: &[(Uuid, OutboxStatus, DateTime<Utc>, Option<String>)],
    ) -> StoreResult<()> {
        for (id, status, next, error) in outcomes {
            self.finish_outbox(*id, *status, *next, error.as_deref()).await?;
        }
        Ok(())
    }
}

/// What an [`OutboxMessage`] reads.
pub const OUTBOX_COLUMNS: &str =
    "tenant_id, id, topic, destination, payload, status, attempts, next_attempt_at, last_error, created_at";

impl Record for OutboxMessage {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            tenant: row.text("tenant_id")?,
            topic: row.text("topic")?,
            destination: row.text("destination")?,
            payload: row.json("payload")?,
            status: named(row, "status", OutboxStatus::parse)?,
            attempts: row.int("attempts")?,
            next_attempt_at: row.time("next_attempt_at")?,
            last_error: row.text_opt("last_error")?,
            created_at: row.time("created_at")?,
        })
    }
}
