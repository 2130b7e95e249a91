//! The read side: orders with their history, order search, and the inbox.
//!
//! Every query is scoped by tenant first, which is also what lets a sharded PostgreSQL
//! route it to a single node. Listings page by keyset (a cursor of the last row's sort
//! key), never by offset, so a page costs the same however deep it is and rows inserted
//! meanwhile neither repeat nor vanish.

use ordo_core::ingest::OrderState;
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::SUMMARY_COLUMNS;
use ordo_store::orders::rows;
use ordo_store::{
    InboxEntry, InboxQuery, InboxStatus, MAX_PAGE, OrderEvent, OrderQuery, OrderRecord, OrderSummary, Page, StoreError,
    StoreResult,
};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::errors::map;
use crate::sql::record;

/// Parses a stored order status.
pub(crate) fn parse_order_status(text: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(text).ok_or_else(|| StoreError::Other(format!("unknown stored order status {text:?}")))
}

/// Parses a stored inbox status.
pub(crate) fn parse_inbox_status(text: &str) -> StoreResult<InboxStatus> {
    InboxStatus::parse(text).ok_or_else(|| StoreError::Other(format!("unknown stored inbox status {text:?}")))
}

/// The page size actually used: callers' limits are clamped rather than refused.
fn page_size(limit: u32) -> usize {
    limit.clamp(1, MAX_PAGE) as usize
}

/// An order and its events, oldest first.
pub(crate) async fn get_order(pool: &PgPool, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderRecord>> {
    // The order and its events are read in one REPEATABLE READ transaction so that an
    // ingestion committing in between cannot pair a new order with old history.
    let mut tx = pool.begin().await.map_err(map)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(map)?;
    let row = sqlx::query(
        "SELECT status, version, document::text AS document, created_at, updated_at
         FROM orders WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.as_str())
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(map)?;
    let Some(row) = row else { return Ok(None) };
    let events = sqlx::query(
        "SELECT seq, kind, at, actor, data FROM order_events
         WHERE tenant_id = $1 AND order_id = $2 ORDER BY seq",
    )
    .bind(tenant.as_str())
    .bind(id.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(map)?;
    tx.commit().await.map_err(map)?;

    let status: String = row.try_get("status").map_err(map)?;
    let document: String = row.try_get("document").map_err(map)?;
    Ok(Some(OrderRecord {
        state: OrderState {
            id,
            order: rows::order_from_document(&document)?,
            status: parse_order_status(&status)?,
            version: row.try_get("version").map_err(map)?,
        },
        created_at: row.try_get("created_at").map_err(map)?,
        updated_at: row.try_get("updated_at").map_err(map)?,
        events: events.iter().map(event_from_row).collect::<StoreResult<_>>()?,
    }))
}

fn event_from_row(row: &PgRow) -> StoreResult<OrderEvent> {
    Ok(OrderEvent {
        seq: row.try_get("seq").map_err(map)?,
        kind: row.try_get("kind").map_err(map)?,
        at: row.try_get("at").map_err(map)?,
        actor: row.try_get("actor").map_err(map)?,
        data: row.try_get("data").map_err(map)?,
    })
}

/// Searches orders, newest placed first, by the filters given.
pub(crate) async fn search_orders(
    pool: &PgPool,
    tenant: &TenantId,
    query: &OrderQuery,
) -> StoreResult<Page<OrderSummary>> {
    let limit = page_size(query.limit);
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE tenant_id = "));
    sql.push_bind(tenant.as_str());
    if let Some(channel) = &query.channel {
        sql.push(" AND channel = ").push_bind(channel.as_str());
    }
    if let Some(external_id) = &query.external_id {
        sql.push(" AND external_id = ").push_bind(external_id.as_str());
    }
    if let Some(status) = query.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(buyer) = &query.buyer {
        // Three equalities ORed, each with its own (tenant_id, column) index, which the
        // planner combines with a bitmap OR.
        sql.push(" AND (buyer_id = ").push_bind(buyer.as_str());
        sql.push(" OR buyer_email = ").push_bind(buyer.as_str());
        sql.push(" OR buyer_phone = ").push_bind(buyer.as_str());
        sql.push(")");
    }
    if let Some(from) = query.placed_from {
        sql.push(" AND placed_at >= ").push_bind(from);
    }
    if let Some(to) = query.placed_to {
        sql.push(" AND placed_at < ").push_bind(to);
    }
    if let Some(after) = query.after {
        // A row comparison matches the (placed_at DESC, id DESC) index order exactly, so
        // the next page starts with an index seek.
        sql.push(" AND (placed_at, id) < (").push_bind(after.placed_at);
        sql.push(", ").push_bind(after.id.0).push(")");
    }
    // One row more than the page tells whether another page exists.
    sql.push(" ORDER BY placed_at DESC, id DESC LIMIT ")
        .push_bind(limit as i64 + 1);

    let rows = sql.build().fetch_all(pool).await.map_err(map)?;
    let items = rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, ordo_store::order_cursor))
}

/// Inbox columns without the body, which listings leave out to stay small.
const INBOX_COLUMNS: &str =
    "id, source, channel, external_id, received_at, status, error, order_id, outcome, attempts, replay_of, resolved_by";

/// Lists inbox entries newest first (UUIDv7 ids sort by arrival), without bodies.
pub(crate) async fn list_inbox(
    pool: &PgPool,
    tenant: &TenantId,
    query: &InboxQuery,
) -> StoreResult<Page<InboxEntry, Uuid>> {
    let limit = page_size(query.limit);
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {INBOX_COLUMNS} FROM inbox WHERE tenant_id = "));
    sql.push_bind(tenant.as_str());
    if let Some(status) = query.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(after) = query.after {
        sql.push(" AND id < ").push_bind(after);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit as i64 + 1);

    let rows = sql.build().fetch_all(pool).await.map_err(map)?;
    let items = rows
        .iter()
        .map(|row| inbox_from_row(row, Vec::new()))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit, |last| last.id))
}

/// One inbox entry, with its body.
pub(crate) async fn get_inbox(pool: &PgPool, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxEntry>> {
    let row = sqlx::query(&format!(
        "SELECT {INBOX_COLUMNS}, body FROM inbox WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(map)?;
    let Some(row) = row else { return Ok(None) };
    let body: Vec<u8> = row.try_get("body").map_err(map)?;
    inbox_from_row(&row, body).map(Some)
}

/// How many entries of a tenant have this status.
pub(crate) async fn count_inbox(pool: &PgPool, tenant: &TenantId, status: InboxStatus) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT count(*) FROM inbox WHERE tenant_id = $1 AND status = $2")
        .bind(tenant.as_str())
        .bind(status.as_str())
        .fetch_one(pool)
        .await
        .map_err(map)
}

fn inbox_from_row(row: &PgRow, body: Vec<u8>) -> StoreResult<InboxEntry> {
    let status: String = row.try_get("status").map_err(map)?;
    let order_id: Option<Uuid> = row.try_get("order_id").map_err(map)?;
    Ok(InboxEntry {
        id: row.try_get("id").map_err(map)?,
        source: row.try_get("source").map_err(map)?,
        channel: row.try_get("channel").map_err(map)?,
        external_id: row.try_get("external_id").map_err(map)?,
        received_at: row.try_get("received_at").map_err(map)?,
        status: parse_inbox_status(&status)?,
        error: row.try_get("error").map_err(map)?,
        order_id: order_id.map(OrderId),
        outcome: row.try_get("outcome").map_err(map)?,
        attempts: row.try_get("attempts").map_err(map)?,
        replay_of: row.try_get("replay_of").map_err(map)?,
        resolved_by: row.try_get("resolved_by").map_err(map)?,
        body,
    })
}
