//! The ingestion transaction: the row operations [`ordo_store::flow`] needs, in SQLite SQL.

use chrono::{DateTime, Utc};
use ordo_core::ingest::{NewEvent, OrderState, Outcome};
use ordo_core::{ChannelId, ExternalOrderId, OrderId, OrderStatus, TenantId};
use ordo_store::flow::{IdempotencyRecord, InboxRow, IngestTx, LockedOrder, order_document, order_from_document};
use ordo_store::{InboxStatus, StoreError, StoreResult};
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;

use crate::{get, map_err, micros};

/// An open write transaction (`BEGIN IMMEDIATE`, so it already holds the write lock and
/// needs no row locks).
pub(crate) struct SqliteIngestTx {
    pub(crate) tx: Transaction<'static, Sqlite>,
}

fn status(text: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(text).ok_or_else(|| StoreError::Other(format!("unknown order status {text:?}")))
}

impl IngestTx for SqliteIngestTx {
    async fn inbox_status(&mut self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxStatus>> {
        let row = sqlx::query("SELECT status FROM inbox WHERE tenant_id = ? AND id = ?")
            .bind(tenant.as_str())
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let text: String = get(&row, "status")?;
                InboxStatus::parse(&text)
                    .map(Some)
                    .ok_or_else(|| StoreError::Other(format!("unknown inbox status {text:?}")))
            }
        }
    }

    async fn find_idempotency(&mut self, tenant: &TenantId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row = sqlx::query("SELECT * FROM idempotency_keys WHERE tenant_id = ? AND key = ?")
            .bind(tenant.as_str())
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        let Some(row) = row else { return Ok(None) };
        let outcome: String = get(&row, "outcome")?;
        Ok(Some(IdempotencyRecord {
            request_hash: get(&row, "request_hash")?,
            order_id: OrderId(get(&row, "order_id")?),
            inbox_id: get(&row, "inbox_id")?,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| StoreError::Other(format!("unknown outcome {outcome:?}")))?,
            status: status(&get::<String>(&row, "status")?)?,
            version: get(&row, "version")?,
        }))
    }

    async fn insert_idempotency(
        &mut self,
        tenant: &TenantId,
        key: &str,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO idempotency_keys \
             (tenant_id, key, request_hash, order_id, inbox_id, outcome, status, version, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(&record.request_hash)
        .bind(record.order_id.0)
        .bind(record.inbox_id)
        .bind(record.outcome.as_str())
        .bind(record.status.as_str())
        .bind(record.version)
        .bind(micros(now))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn lock_order(
        &mut self,
        tenant: &TenantId,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> StoreResult<Option<LockedOrder>> {
        let row = sqlx::query(
            "SELECT id, status, version, last_event_seq, document FROM orders \
             WHERE tenant_id = ? AND channel = ? AND external_id = ?",
        )
        .bind(tenant.as_str())
        .bind(channel.as_str())
        .bind(external_id.as_str())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(map_err)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(LockedOrder {
            state: OrderState {
                id: OrderId(get(&row, "id")?),
                order: order_from_document(&get::<String>(&row, "document")?)?,
                status: status(&get::<String>(&row, "status")?)?,
                version: get(&row, "version")?,
            },
            last_event_seq: get(&row, "last_event_seq")?,
        }))
    }

    async fn insert_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let order = &state.order;
        let done = sqlx::query(
            "INSERT INTO orders (tenant_id, id, channel, external_id, status, version, last_event_seq, placed_at, \
             buyer_id, buyer_email, buyer_phone, buyer_name, currency, total_minor, document, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(state.id.0)
        .bind(order.channel.as_str())
        .bind(order.external_id.as_str())
        .bind(state.status.as_str())
        .bind(state.version)
        .bind(last_event_seq)
        .bind(micros(order.placed_at))
        .bind(order.buyer.id.as_deref())
        .bind(order.buyer.email.as_deref())
        .bind(order.buyer.phone.as_deref())
        .bind(order.buyer.name.as_deref())
        .bind(order.currency.code())
        .bind(order.totals().total)
        .bind(order_document(order))
        .bind(micros(now))
        .bind(micros(now))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let order = &state.order;
        sqlx::query(
            "UPDATE orders SET status = ?, version = ?, last_event_seq = ?, placed_at = ?, buyer_id = ?, \
             buyer_email = ?, buyer_phone = ?, buyer_name = ?, currency = ?, total_minor = ?, document = ?, \
             updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(state.status.as_str())
        .bind(state.version)
        .bind(last_event_seq)
        .bind(micros(order.placed_at))
        .bind(order.buyer.id.as_deref())
        .bind(order.buyer.email.as_deref())
        .bind(order.buyer.phone.as_deref())
        .bind(order.buyer.name.as_deref())
        .bind(order.currency.code())
        .bind(order.totals().total)
        .bind(order_document(order))
        .bind(micros(now))
        .bind(tenant.as_str())
        .bind(state.id.0)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn append_events(
        &mut self,
        tenant: &TenantId,
        order_id: OrderId,
        first_seq: i64,
        events: &[NewEvent],
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (offset, event) in events.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_events (tenant_id, order_id, seq, kind, at, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(tenant.as_str())
            .bind(order_id.0)
            .bind(first_seq + offset as i64)
            .bind(event.kind.as_str())
            .bind(micros(now))
            .bind(actor)
            .bind(event.data.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        }
        Ok(())
    }

    async fn insert_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        let inbox = row.inbox;
        sqlx::query(
            "INSERT INTO inbox (tenant_id, id, source, channel, external_id, received_at, status, error, order_id, \
             outcome, attempts, replay_of, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        )
        .bind(inbox.tenant.as_str())
        .bind(inbox.id)
        .bind(&inbox.source)
        .bind(inbox.channel.as_deref())
        .bind(inbox.external_id.as_deref())
        .bind(micros(inbox.received_at))
        .bind(row.status.as_str())
        .bind(row.error.as_ref().map(|e| e.to_string()))
        .bind(row.order_id.map(|id| id.0))
        .bind(row.outcome)
        .bind(row.replay_of)
        .bind(&inbox.body)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE inbox SET status = ?, error = ?, order_id = ?, outcome = ?, attempts = attempts + 1, \
             channel = COALESCE(?, channel), external_id = COALESCE(?, external_id) WHERE tenant_id = ? AND id = ?",
        )
        .bind(row.status.as_str())
        .bind(row.error.as_ref().map(|e| e.to_string()))
        .bind(row.order_id.map(|id| id.0))
        .bind(row.outcome)
        .bind(row.inbox.channel.as_deref())
        .bind(row.inbox.external_id.as_deref())
        .bind(row.inbox.tenant.as_str())
        .bind(row.inbox.id)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn resolve_inbox(&mut self, tenant: &TenantId, id: Uuid, resolved_by: Uuid) -> StoreResult<()> {
        sqlx::query("UPDATE inbox SET status = 'resolved', resolved_by = ? WHERE tenant_id = ? AND id = ?")
            .bind(resolved_by)
            .bind(tenant.as_str())
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
