//! What an ingestion batch keeps in memory to save round trips while it holds stock locks:
//! the batch's order rows, locked in one statement up front, and the inbox rows and order
//! events it writes, sent as one multi-row statement each at flush.
//!
//! Correct because every cached order row is locked by this transaction (no one else can
//! change it) and every write to it goes through this cache too; rows that did not exist
//! at prefetch are looked up for real after the first miss, in case another node inserted
//! them meanwhile.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use ordo_core::ingest::{NewEvent, OrderState};
use ordo_core::{ChannelId, ExternalOrderId, OrderId, TenantId};
use ordo_store::StoreResult;
use ordo_store::orders::rows::{InboxRow, LockedOrder};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::errors::map;
use crate::orders::ingest_tx::{ORDER_STATE_COLUMNS, order_state_from_row};
use crate::tx::PgTx;

/// An order's key: tenant, channel, external id.
pub(crate) type OrderKey = (String, String, String);

/// The batch's cache and write buffers.
#[derive(Default)]
pub(crate) struct BatchCache {
    orders: HashMap<OrderKey, LockedOrder>,
    absent: HashSet<OrderKey>,
    inbox: Vec<InboxInsert>,
    events: Vec<EventInsert>,
}

pub(crate) struct InboxInsert {
    tenant: String,
    id: Uuid,
    source: String,
    channel: Option<String>,
    external_id: Option<String>,
    received_at: DateTime<Utc>,
    status: &'static str,
    error: Option<serde_json::Value>,
    order_id: Option<Uuid>,
    outcome: Option<&'static str>,
    replay_of: Option<Uuid>,
    body: Vec<u8>,
}

pub(crate) struct EventInsert {
    tenant: String,
    order_id: Uuid,
    seq: i64,
    kind: &'static str,
    at: DateTime<Utc>,
    actor: String,
    data: serde_json::Value,
}

pub(crate) fn key(tenant: &TenantId, channel: &ChannelId, external_id: &ExternalOrderId) -> OrderKey {
    (
        tenant.as_str().to_owned(),
        channel.as_str().to_owned(),
        external_id.as_str().to_owned(),
    )
}

impl BatchCache {
    /// A cached answer to `lock_order`: `Some(Some)` locked row, `Some(None)` known
    /// absent (once), `None` ask the database.
    pub(crate) fn lookup(&mut self, key: &OrderKey) -> Option<Option<LockedOrder>> {
        if let Some(locked) = self.orders.get(key) {
            return Some(Some(locked.clone()));
        }
        self.absent.remove(key).then_some(None)
    }

    /// Records an order row as this transaction now has it.
    pub(crate) fn remember(&mut self, tenant: &TenantId, state: &OrderState, last_event_seq: i64) {
        let key = key(tenant, &state.order.channel, &state.order.external_id);
        let locked = LockedOrder {
            state: state.clone(),
            last_event_seq,
        };
        self.orders.insert(key, locked);
    }

    pub(crate) fn buffer_inbox(&mut self, row: &InboxRow<'_>) {
        let inbox = row.inbox;
        self.inbox.push(InboxInsert {
            tenant: inbox.tenant.as_str().to_owned(),
            id: inbox.id,
            source: inbox.source.clone(),
            channel: inbox.channel.clone(),
            external_id: inbox.external_id.clone(),
            received_at: inbox.received_at,
            status: row.status.as_str(),
            error: row.error.clone(),
            order_id: row.order_id.map(|id| id.0),
            outcome: row.outcome,
            replay_of: row.replay_of,
            body: inbox.body.clone(),
        });
    }

    pub(crate) fn buffer_events(
        &mut self,
        tenant: &TenantId,
        order_id: OrderId,
        first_seq: i64,
        events: &[NewEvent],
        actor: &str,
        now: DateTime<Utc>,
    ) {
        for (event, seq) in events.iter().zip(first_seq..) {
            self.events.push(EventInsert {
                tenant: tenant.as_str().to_owned(),
                order_id: order_id.0,
                seq,
                kind: event.kind.as_str(),
                at: now,
                actor: actor.to_owned(),
                data: event.data.clone(),
            });
        }
    }
}

/// Rows per multi-row INSERT: 14 columns × 2,000 stays under PostgreSQL's 65,535 binds.
const ROWS_PER_INSERT: usize = 2000;

impl PgTx {
    /// Locks every existing order of the batch in one statement (key order, the order
    /// every batch uses) and caches them.
    pub(crate) async fn prefetch(&mut self, keys: &[(&TenantId, &ChannelId, &ExternalOrderId)]) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let tenants: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let channels: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let external: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_STATE_COLUMNS}, o.tenant_id, o.channel, o.external_id, o.last_event_seq
             FROM orders o
             JOIN (SELECT DISTINCT * FROM UNNEST($1::text[], $2::text[], $3::text[])) AS k(t, c, e)
               ON o.tenant_id = k.t AND o.channel = k.c AND o.external_id = k.e
             ORDER BY o.tenant_id, o.channel, o.external_id
             FOR UPDATE OF o"
        ))
        .bind(tenants)
        .bind(channels)
        .bind(external)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        let mut cache = BatchCache::default();
        for row in &rows {
            let key: OrderKey = (
                row.try_get("tenant_id").map_err(map)?,
                row.try_get("channel").map_err(map)?,
                row.try_get("external_id").map_err(map)?,
            );
            let locked = LockedOrder {
                state: order_state_from_row(row)?,
                last_event_seq: row.try_get("last_event_seq").map_err(map)?,
            };
            cache.orders.insert(key, locked);
        }
        for (t, c, e) in keys {
            let key = key(t, c, e);
            if !cache.orders.contains_key(&key) {
                cache.absent.insert(key);
            }
        }
        let old = std::mem::replace(&mut self.batch, cache);
        self.batch.inbox = old.inbox;
        self.batch.events = old.events;
        Ok(())
    }

    /// Writes buffered inbox rows and order events.
    pub(crate) async fn flush_batch(&mut self) -> StoreResult<()> {
        let inbox = std::mem::take(&mut self.batch.inbox);
        for chunk in inbox.chunks(ROWS_PER_INSERT) {
            let mut insert = QueryBuilder::<Postgres>::new(
                "INSERT INTO inbox (tenant_id, id, source, channel, external_id, received_at, status, error,
                     order_id, outcome, attempts, replay_of, resolved_by, body) ",
            );
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(&r.tenant)
                    .push_bind(r.id)
                    .push_bind(&r.source)
                    .push_bind(r.channel.as_deref())
                    .push_bind(r.external_id.as_deref())
                    .push_bind(r.received_at)
                    .push_bind(r.status)
                    .push_bind(r.error.as_ref())
                    .push_bind(r.order_id)
                    .push_bind(r.outcome)
                    .push_bind(1_i32)
                    .push_bind(r.replay_of)
                    .push_bind(Option::<Uuid>::None)
                    .push_bind(&r.body);
            });
            insert.build().execute(self.conn()).await.map_err(map)?;
        }
        let events = std::mem::take(&mut self.batch.events);
        for chunk in events.chunks(ROWS_PER_INSERT) {
            let mut insert = QueryBuilder::<Postgres>::new(
                "INSERT INTO order_events (tenant_id, order_id, seq, kind, at, actor, data) ",
            );
            insert.push_values(chunk, |mut row, e| {
                row.push_bind(&e.tenant)
                    .push_bind(e.order_id)
                    .push_bind(e.seq)
                    .push_bind(e.kind)
                    .push_bind(e.at)
                    .push_bind(&e.actor)
                    .push_bind(&e.data);
            });
            insert.build().execute(self.conn()).await.map_err(map)?;
        }
        Ok(())
    }
}
