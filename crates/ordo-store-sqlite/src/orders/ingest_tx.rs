//! The order and inbox rows of the single writer's transaction.

use crate::micros;
use crate::writer::{WriteTx, status, to_json};
use chrono::{DateTime, Utc};
use ordo_core::ingest::{NewEvent, OrderState, Outcome};
use ordo_core::matching::OrderKeys;
use ordo_core::{ChannelId, ExternalOrderId, OrderId, TenantId};
use ordo_store::orders::kpis::KpiRows;
use ordo_store::orders::rows::{
    IdempotencyRecord, InboxRow, IngestTx, LockedOrder, order_document, order_from_document,
};
use ordo_store::{InboxStatus, StoreError, StoreResult};
use rusqlite::params;
use uuid::Uuid;

impl IngestTx for WriteTx<'_> {
    async fn inbox_status(&mut self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxStatus>> {
        let text = self.query_one(
            "SELECT status FROM inbox WHERE tenant_id = ?1 AND id = ?2",
            params![tenant.as_str(), id],
            |r| r.get::<_, String>(0),
        )?;
        text.map(|t| InboxStatus::parse(&t).ok_or_else(|| StoreError::Other(format!("unknown inbox status {t:?}"))))
            .transpose()
    }

    async fn find_idempotency(&mut self, tenant: &TenantId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row = self.query_one(
            "SELECT request_hash, order_id, inbox_id, outcome, status, version FROM idempotency_keys \
             WHERE tenant_id = ?1 AND key = ?2",
            params![tenant.as_str(), key],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Uuid>(1)?,
                    r.get::<_, Uuid>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )?;
        let Some((request_hash, order_id, inbox_id, outcome, order_status, version)) = row else {
            return Ok(None);
        };
        Ok(Some(IdempotencyRecord {
            request_hash,
            order_id: OrderId(order_id),
            inbox_id,
            outcome: Outcome::parse(&outcome)
                .ok_or_else(|| StoreError::Other(format!("unknown outcome {outcome:?}")))?,
            status: status(&order_status)?,
            version,
        }))
    }

    async fn insert_idempotency(
        &mut self,
        tenant: &TenantId,
        key: &str,
        record: &IdempotencyRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let inserted = self.execute(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_id, inbox_id, outcome, status, version, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
            params![
                tenant.as_str(),
                key,
                record.request_hash,
                record.order_id.0,
                record.inbox_id,
                record.outcome.as_str(),
                record.status.as_str(),
                record.version,
                micros(now)
            ],
        )?;
        Ok(inserted == 1)
    }

    async fn lock_order(
        &mut self,
        tenant: &TenantId,
        channel: &ChannelId,
        external_id: &ExternalOrderId,
    ) -> StoreResult<Option<LockedOrder>> {
        let row = self.query_one(
            "SELECT id, status, version, last_event_seq, document FROM orders \
             WHERE tenant_id = ?1 AND channel = ?2 AND external_id = ?3",
            params![tenant.as_str(), channel.as_str(), external_id.as_str()],
            |r| {
                Ok((
                    r.get::<_, Uuid>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )?;
        let Some((id, order_status, version, last_event_seq, document)) = row else {
            return Ok(None);
        };
        Ok(Some(LockedOrder {
            state: OrderState {
                id: OrderId(id),
                order: order_from_document(&document)?,
                status: status(&order_status)?,
                version,
            },
            last_event_seq,
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
        let keys = OrderKeys::of(order);
        let inserted = self.execute(
            "INSERT INTO orders (tenant_id, id, channel, external_id, status, version, last_event_seq, placed_at, \
             buyer_id, buyer_email, buyer_phone, buyer_name, currency, total_minor, document, created_at, updated_at, \
             match_key, fingerprint) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17, ?18) \
             ON CONFLICT DO NOTHING",
            params![
                tenant.as_str(),
                state.id.0,
                order.channel.as_str(),
                order.external_id.as_str(),
                state.status.as_str(),
                state.version,
                last_event_seq,
                micros(order.placed_at),
                order.buyer.id,
                order.buyer.email,
                order.buyer.phone,
                order.buyer.name,
                order.currency.code(),
                order.totals().total,
                order_document(order),
                micros(now),
                keys.match_key,
                keys.fingerprint
            ],
        )?;
        Ok(inserted == 1)
    }

    async fn update_order(
        &mut self,
        tenant: &TenantId,
        state: &OrderState,
        last_event_seq: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let order = &state.order;
        let keys = OrderKeys::of(order);
        self.execute(
            "UPDATE orders SET status = ?1, version = ?2, last_event_seq = ?3, placed_at = ?4, buyer_id = ?5, \
             buyer_email = ?6, buyer_phone = ?7, buyer_name = ?8, currency = ?9, total_minor = ?10, document = ?11, \
             updated_at = ?12, match_key = ?15, fingerprint = ?16 WHERE tenant_id = ?13 AND id = ?14",
            params![
                state.status.as_str(),
                state.version,
                last_event_seq,
                micros(order.placed_at),
                order.buyer.id,
                order.buyer.email,
                order.buyer.phone,
                order.buyer.name,
                order.currency.code(),
                order.totals().total,
                order_document(order),
                micros(now),
                tenant.as_str(),
                state.id.0,
                keys.match_key,
                keys.fingerprint
            ],
        )?;
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
            self.execute(
                "INSERT INTO order_events (tenant_id, order_id, seq, kind, at, actor, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    tenant.as_str(),
                    order_id.0,
                    first_seq + offset as i64,
                    event.kind.as_str(),
                    micros(now),
                    actor,
                    event.data.to_string()
                ],
            )?;
        }
        Ok(())
    }

    async fn insert_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        let inbox = row.inbox;
        self.execute(
            "INSERT INTO inbox (tenant_id, id, source, channel, external_id, received_at, status, error, order_id, \
             outcome, attempts, replay_of, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12)",
            params![
                inbox.tenant.as_str(),
                inbox.id,
                inbox.source,
                inbox.channel,
                inbox.external_id,
                micros(inbox.received_at),
                row.status.as_str(),
                to_json(&row.error),
                row.order_id.map(|id| id.0),
                row.outcome,
                row.replay_of,
                inbox.body
            ],
        )?;
        Ok(())
    }

    async fn update_inbox(&mut self, row: &InboxRow<'_>) -> StoreResult<()> {
        self.execute(
            "UPDATE inbox SET status = ?1, error = ?2, order_id = ?3, outcome = ?4, attempts = attempts + 1, \
             channel = COALESCE(?5, channel), external_id = COALESCE(?6, external_id) WHERE tenant_id = ?7 AND id = ?8",
            params![
                row.status.as_str(),
                to_json(&row.error),
                row.order_id.map(|id| id.0),
                row.outcome,
                row.inbox.channel,
                row.inbox.external_id,
                row.inbox.tenant.as_str(),
                row.inbox.id
            ],
        )?;
        Ok(())
    }

    async fn resolve_inbox(&mut self, tenant: &TenantId, id: Uuid, resolved_by: Uuid) -> StoreResult<()> {
        self.execute(
            "UPDATE inbox SET status = 'resolved', resolved_by = ?1 WHERE tenant_id = ?2 AND id = ?3 AND status = 'failed'",
            params![resolved_by, tenant.as_str(), id],
        )?;
        Ok(())
    }

    /// One cached upsert per row: statements on the writer's own connection cost no round
    /// trip, and the single writer cannot deadlock.
    async fn add_kpis(&mut self, rows: KpiRows) -> StoreResult<()> {
        for ((key, metric), n) in &rows.counts {
            self.execute(
                "INSERT INTO kpi_counts (tenant_id, day, channel, warehouse, metric, value) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (tenant_id, day, channel, warehouse, metric) DO UPDATE SET value = value + excluded.value",
                params![
                    key.tenant.as_str(),
                    micros(key.day),
                    key.channel,
                    key.warehouse,
                    metric,
                    n
                ],
            )?;
        }
        for ((key, stage, bucket), n) in &rows.latency {
            self.execute(
                "INSERT INTO kpi_latency (tenant_id, day, channel, warehouse, stage, bucket, n) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT (tenant_id, day, channel, warehouse, stage, bucket) DO UPDATE SET n = n + excluded.n",
                params![
                    key.tenant.as_str(),
                    micros(key.day),
                    key.channel,
                    key.warehouse,
                    stage,
                    bucket,
                    n
                ],
            )?;
        }
        for ((tenant, channel), (changed, seen)) in &rows.sync {
            self.execute(
                "INSERT INTO kpi_sync (tenant_id, channel, changed_at, seen_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (tenant_id, channel) DO UPDATE SET changed_at = excluded.changed_at, \
                 seen_at = excluded.seen_at WHERE excluded.seen_at >= kpi_sync.seen_at",
                params![tenant.as_str(), channel, micros(*changed), micros(*seen)],
            )?;
        }
        Ok(())
    }
}
