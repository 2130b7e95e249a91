//! The row operations of one ingestion transaction ([`rows::IngestTx`]) in PostgreSQL,
//! over [`PgTx`].
//!
//! Transactions run at READ COMMITTED. That is enough because every decision is taken on a
//! row this transaction has locked (`SELECT … FOR UPDATE`) or on a unique constraint that
//! the database enforces (`INSERT … ON CONFLICT DO NOTHING`): each statement sees what
//! other nodes committed before it, and a lost insert race shows up as "no row inserted"
//! rather than as an error.

use chrono::{DateTime, Utc};
use ordo_core::ingest::{NewEvent, OrderState, Outcome};
use ordo_core::{ChannelId, ExternalOrderId, OrderId, TenantId};
use ordo_store::orders::kpis::KpiRows;
use ordo_store::orders::rows::{self, IdempotencyRecord, InboxRow, IngestTx, LockedOrder};
use ordo_store::{InboxStatus, StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::orders::batch;
use ordo_core::matching::OrderKeys;

use crate::errors::map;
use crate::orders::query::{parse_inbox_status, parse_order_status};
use crate::tx::PgTx;

/// The columns an order row stores, derived from its state.
struct OrderColumns {
    placed_at: DateTime<Utc>,
    currency: String,
    total_minor: i64,
    document: String,
    keys: OrderKeys,
}

impl OrderColumns {
    fn of(state: &OrderState) -> Self {
        let order = &state.order;
        Self {
            placed_at: order.placed_at,
            currency: order.currency.code().to_owned(),
            total_minor: order.totals().total,
            document: rows::order_document(order),
            keys: OrderKeys::of(order),
        }
    }
}

/// The columns [`order_state_from_row`] reads.
pub(crate) const ORDER_STATE_COLUMNS: &str = "id, status, version, document::text AS document";

/// An order's state from a row with [`ORDER_STATE_COLUMNS`].
pub(crate) fn order_state_from_row(row: &PgRow) -> StoreResult<OrderState> {
    let status: String = row.try_get("status").map_err(map)?;
    let document: String = row.try_get("document").map_err(map)?;
    Ok(OrderState {
        id: OrderId(row.try_get("id").map_err(map)?),
        order: rows::order_from_document(&document)?,
        status: parse_order_status(&status)?,
        version: row.try_get("version").map_err(map)?,
    })
}

impl IngestTx for PgTx {
    async fn prefetch_orders(&mut self, keys: &[(&TenantId, &ChannelId, &ExternalOrderId)]) -> StoreResult<()> {
        self.prefetch(keys).await
    }

    async fn flush(&mut self) -> StoreResult<()> {
        self.flush_buffers().await
    }

    async fn inbox_status(&mut self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxStatus>> {
        // FOR UPDATE: two nodes replaying the same failed entry at once must not both see
        // it as failed. The second waits here, then reads the committed `resolved` or
        // `processed` status and is refused.
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM inbox WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
                .bind(tenant.as_str())
                .bind(id)
                .fetch_optional(self.conn())
                .await
                .map_err(map)?;
        status.as_deref().map(parse_inbox_status).transpose()
    }

    async fn find_idempotency(&mut self, tenant: &TenantId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT request_hash, order_id, inbox_id, outcome, status, version
             FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
        )
        .bind(tenant.as_str())
        .bind(key)
        .fetch_optional(self.conn())
        .await
        .map_err(map)?;
        let Some(row) = row else { return Ok(None) };
        let outcome: String = row.try_get("outcome").map_err(map)?;
        let status: String = row.try_get("status").map_err(map)?;
        Ok(Some(IdempotencyRecord {
            request_hash: row.try_get("request_hash").map_err(map)?,
            order_id: OrderId(row.try_get("order_id").map_err(map)?),
            inbox_id: row.try_get("inbox_id").map_err(map)?,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| StoreError::Other(format!("unknown stored outcome {outcome:?}")))?,
            status: parse_order_status(&status)?,
            version: row.try_get("version").map_err(map)?,
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
            "INSERT INTO idempotency_keys
                 (tenant_id, key, request_hash, order_id, inbox_id, outcome, status, version, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (tenant_id, key) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(key)
        .bind(&record.request_hash)
        .bind(record.order_id.0)
        .bind(record.inbox_id)
        .bind(record.outcome.as_str())
        .bind(record.status.as_str())
        .bind(record.version)
        .bind(now)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(done.rows_affected() == 1)
    }

    async fn lock_order(
        &mut self,
        tenant: &TenantId,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> StoreResult<Option<LockedOrder>> {
        if let Some(cached) = self.batch.lookup(&batch::key(tenant, channel, external_id)) {
            return Ok(cached);
        }
        let row = sqlx::query(&format!(
            "SELECT {ORDER_STATE_COLUMNS}, last_event_seq
             FROM orders WHERE tenant_id = $1 AND channel = $2 AND external_id = $3
             FOR UPDATE"
        ))
        .bind(tenant.as_str())
        .bind(channel.as_str())
        .bind(external_id.as_str())
        .fetch_optional(self.conn())
        .await
        .map_err(map)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(LockedOrder {
            state: order_state_from_row(&row)?,
            last_event_seq: row.try_get("last_event_seq").map_err(map)?,
        }))
    }

    async fn insert_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let columns = OrderColumns::of(state);
        let buyer = &state.order.buyer;
        // ON CONFLICT on the (channel, external id) key only: if another node inserted the
        // same order first, this waits for it to commit and then inserts nothing, and the
        // flow locks and updates that row instead. Any other conflict is a real error.
        let done = sqlx::query(
            "INSERT INTO orders
                 (tenant_id, id, channel, external_id, status, version, last_event_seq, placed_at,
                  buyer_id, buyer_email, buyer_phone, buyer_name, currency, total_minor, document,
                  created_at, updated_at, match_key, fingerprint)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $16, $17, $18)
             ON CONFLICT (tenant_id, channel, external_id) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(state.id.0)
        .bind(state.order.channel.as_str())
        .bind(state.order.external_id.as_str())
        .bind(state.status.as_str())
        .bind(state.version)
        .bind(last_event_seq)
        .bind(columns.placed_at)
        .bind(buyer.id.as_deref())
        .bind(buyer.email.as_deref())
        .bind(buyer.phone.as_deref())
        .bind(buyer.name.as_deref())
        .bind(&columns.currency)
        .bind(columns.total_minor)
        .bind(&columns.document)
        .bind(now)
        .bind(&columns.keys.match_key)
        .bind(&columns.keys.fingerprint)
        .execute(self.conn())
        .await
        .map_err(map)?;
        let inserted = done.rows_affected() == 1;
        if inserted {
            self.batch.remember(tenant, state, last_event_seq);
        }
        Ok(inserted)
    }

    async fn update_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let columns = OrderColumns::of(state);
        let buyer = &state.order.buyer;
        let done = sqlx::query(
            "UPDATE orders SET status = $3, version = $4, last_event_seq = $5, placed_at = $6,
                 buyer_id = $7, buyer_email = $8, buyer_phone = $9, buyer_name = $10,
                 currency = $11, total_minor = $12, document = $13::jsonb, updated_at = $14,
                 match_key = $15, fingerprint = $16
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(state.id.0)
        .bind(state.status.as_str())
        .bind(state.version)
        .bind(last_event_seq)
        .bind(columns.placed_at)
        .bind(buyer.id.as_deref())
        .bind(buyer.email.as_deref())
        .bind(buyer.phone.as_deref())
        .bind(buyer.name.as_deref())
        .bind(&columns.currency)
        .bind(columns.total_minor)
        .bind(&columns.document)
        .bind(now)
        .bind(&columns.keys.match_key)
        .bind(&columns.keys.fingerprint)
        .execute(self.conn())
        .await
        .map_err(map)?;
        if done.rows_affected() != 1 {
            // The flow only updates rows it locked in this transaction, so this is a bug.
            return Err(StoreError::Other(format!("order {} to update is missing", state.id)));
        }
        self.batch.remember(tenant, state, last_event_seq);
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
        if events.is_empty() {
            return Ok(());
        }
        // Written with the rest of the batch's events in one statement at flush.
        self.batch
            .buffer_events(tenant, order_id, first_seq, events, actor, now);
        Ok(())
    }

    async fn insert_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        // Written with the rest of the batch's inbox rows in one statement at flush.
        self.batch.buffer_inbox(row);
        Ok(())
    }

    async fn update_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        let inbox = row.inbox;
        // The body is never rewritten: an entry keeps exactly what was received. Channel and
        // external id are filled in if this attempt could read them and the first could not.
        let done = sqlx::query(
            "UPDATE inbox SET status = $3, error = $4, order_id = $5, outcome = $6,
                 channel = COALESCE(channel, $7), external_id = COALESCE(external_id, $8),
                 attempts = attempts + 1
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(inbox.tenant.as_str())
        .bind(inbox.id)
        .bind(row.status.as_str())
        .bind(row.error.as_ref())
        .bind(row.order_id.map(|id| id.0))
        .bind(row.outcome)
        .bind(inbox.channel.as_deref())
        .bind(inbox.external_id.as_deref())
        .execute(self.conn())
        .await
        .map_err(map)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("inbox entry {}", inbox.id)));
        }
        Ok(())
    }

    async fn resolve_inbox(&mut self, tenant: &TenantId, id: Uuid, resolved_by: Uuid) -> StoreResult<()> {
        // Guarded on `failed`: the row was locked as failed by `inbox_status` in this same
        // transaction, so anything else here means the flow broke its own rule.
        let done = sqlx::query(
            "UPDATE inbox SET status = $3, resolved_by = $4
             WHERE tenant_id = $1 AND id = $2 AND status = $5",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(InboxStatus::Resolved.as_str())
        .bind(resolved_by)
        .bind(InboxStatus::Failed.as_str())
        .execute(self.conn())
        .await
        .map_err(map)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("inbox entry {id} is no longer failed")));
        }
        Ok(())
    }

    async fn add_kpis(&mut self, rows: KpiRows) -> StoreResult<()> {
        self.kpis.merge(rows);
        Ok(())
    }
}
