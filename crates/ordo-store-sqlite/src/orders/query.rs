//! Read queries: orders with history, order search and the inbox.

use ordo_core::ingest::OrderState;
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::SUMMARY_COLUMNS;
use ordo_store::orders::rows::order_from_document;
use ordo_store::{
    InboxEntry, InboxQuery, InboxStatus, MAX_PAGE, OrderEvent, OrderQuery, OrderRecord, OrderSummary, Page, StoreError,
    StoreResult,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::sql::record;
use crate::{from_micros, get, map_err, micros};

fn order_status(text: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(text).ok_or_else(|| StoreError::Other(format!("unknown order status {text:?}")))
}

fn json_column(row: &SqliteRow, column: &str) -> StoreResult<Option<serde_json::Value>> {
    get::<Option<String>>(row, column)?
        .map(|text| serde_json::from_str(&text).map_err(|e| StoreError::Other(format!("column {column}: {e}"))))
        .transpose()
}

pub(crate) async fn get_order(pool: &SqlitePool, tenant: &TenantId, id: OrderId) -> StoreResult<Option<OrderRecord>> {
    let row = sqlx::query("SELECT * FROM orders WHERE tenant_id = ? AND id = ?")
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(map_err)?;
    let Some(row) = row else { return Ok(None) };
    let events = sqlx::query("SELECT * FROM order_events WHERE tenant_id = ? AND order_id = ? ORDER BY seq")
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_all(pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|e| {
            Ok(OrderEvent {
                seq: get(e, "seq")?,
                kind: get(e, "kind")?,
                at: from_micros(get(e, "at")?)?,
                actor: get(e, "actor")?,
                data: json_column(e, "data")?.unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(OrderRecord {
        state: OrderState {
            id,
            order: order_from_document(&get::<String>(&row, "document")?)?,
            status: order_status(&get::<String>(&row, "status")?)?,
            version: get(&row, "version")?,
        },
        created_at: from_micros(get(&row, "created_at")?)?,
        updated_at: from_micros(get(&row, "updated_at")?)?,
        events,
    }))
}

fn clamp(limit: u32) -> u32 {
    limit.clamp(1, MAX_PAGE)
}

pub(crate) async fn search_orders(
    pool: &SqlitePool,
    tenant: &TenantId,
    query: &OrderQuery,
) -> StoreResult<Page<OrderSummary>> {
    let limit = clamp(query.limit);
    let mut sql: QueryBuilder<Sqlite> =
        QueryBuilder::new(format!("SELECT {SUMMARY_COLUMNS} FROM orders WHERE tenant_id = "));
    sql.push_bind(tenant.as_str());
    if let Some(channel) = &query.channel {
        sql.push(" AND channel = ").push_bind(channel.as_str());
    }
    if let Some(external_id) = &query.external_id {
        sql.push(" AND external_id = ").push_bind(external_id.clone());
    }
    if let Some(status) = query.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(buyer) = &query.buyer {
        sql.push(" AND (buyer_id = ").push_bind(buyer.clone());
        sql.push(" OR buyer_email = ").push_bind(buyer.clone());
        sql.push(" OR buyer_phone = ").push_bind(buyer.clone()).push(")");
    }
    if let Some(from) = query.placed_from {
        sql.push(" AND placed_at >= ").push_bind(micros(from));
    }
    if let Some(to) = query.placed_to {
        sql.push(" AND placed_at < ").push_bind(micros(to));
    }
    if let Some(after) = query.after {
        sql.push(" AND (placed_at, id) < (").push_bind(micros(after.placed_at));
        sql.push(", ").push_bind(after.id.0).push(")");
    }
    sql.push(" ORDER BY placed_at DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit) + 1);
    let rows = sql.build().fetch_all(pool).await.map_err(map_err)?;
    let items = rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit as usize, ordo_store::order_cursor))
}

fn inbox_from_row(row: &SqliteRow, with_body: bool) -> StoreResult<InboxEntry> {
    let status: String = get(row, "status")?;
    Ok(InboxEntry {
        id: get(row, "id")?,
        source: get(row, "source")?,
        channel: get(row, "channel")?,
        external_id: get(row, "external_id")?,
        received_at: from_micros(get(row, "received_at")?)?,
        status: InboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Other(format!("unknown inbox status {status:?}")))?,
        error: json_column(row, "error")?,
        order_id: get::<Option<Uuid>>(row, "order_id")?.map(OrderId),
        outcome: get(row, "outcome")?,
        attempts: get(row, "attempts")?,
        replay_of: get(row, "replay_of")?,
        resolved_by: get(row, "resolved_by")?,
        body: if with_body { get(row, "body")? } else { Vec::new() },
    })
}

const INBOX_COLUMNS: &str =
    "id, source, channel, external_id, received_at, status, error, order_id, outcome, attempts, replay_of, resolved_by";

pub(crate) async fn list_inbox(
    pool: &SqlitePool,
    tenant: &TenantId,
    query: &InboxQuery,
) -> StoreResult<Page<InboxEntry, Uuid>> {
    let limit = clamp(query.limit);
    let mut sql: QueryBuilder<Sqlite> =
        QueryBuilder::new(format!("SELECT {INBOX_COLUMNS} FROM inbox WHERE tenant_id = "));
    sql.push_bind(tenant.as_str());
    if let Some(status) = query.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(after) = query.after {
        sql.push(" AND id < ").push_bind(after);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(limit) + 1);
    let rows = sql.build().fetch_all(pool).await.map_err(map_err)?;
    let items = rows
        .iter()
        .map(|row| inbox_from_row(row, false))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, limit as usize, |last| last.id))
}

pub(crate) async fn get_inbox(pool: &SqlitePool, tenant: &TenantId, id: Uuid) -> StoreResult<Option<InboxEntry>> {
    let row = sqlx::query(&format!(
        "SELECT {INBOX_COLUMNS}, body FROM inbox WHERE tenant_id = ? AND id = ?"
    ))
    .bind(tenant.as_str())
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(map_err)?;
    row.as_ref().map(|row| inbox_from_row(row, true)).transpose()
}
