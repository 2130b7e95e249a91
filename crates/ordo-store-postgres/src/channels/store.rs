//! [`ChannelStore`] and [`ChannelTx`] on PostgreSQL: connector cursors, mapping drift,
//! order flags, likely duplicates and merges. Merges lock the orders' rows (in id order,
//! like every other path) so two nodes cannot merge one order twice.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::Decode;
use ordo_store::channels::records::{
    ChannelTx, DriftChange, DriftRecord, DriftSighting, MergeError, MergeGroup, MergeRow, OrderFlag, OrderMatches,
};
use ordo_store::channels::steps::{dissolve_merge, group_runs, merge_orders, record_drift};
use ordo_store::{ChannelStore, MAX_PAGE, OrderSummary, StoreError, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use crate::PgStore;
use crate::columns::record;
use crate::errors::map;
use crate::orders::query::parse_order_status;
use crate::tx::{PgTx, retrying};
use ordo_store::SUMMARY_COLUMNS;

/// Statuses an order may be merged in (see `ordo_core::matching::mergeable`).
const MERGEABLE: &str = "('paid', 'allocated', 'on_hold')";

pub(crate) const MERGE_COLUMNS: &str =
    "id, order_ids::text AS order_ids, merged_by, created_at, dissolved_at, dissolved_by";

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Other(format!("stored JSON is unreadable: {e}"))
}

fn keyed(rows: &[PgRow]) -> StoreResult<Vec<(String, OrderSummary)>> {
    rows.iter()
        .map(|row| Ok((row.try_get::<String, _>("k").map_err(map)?, record(row)?)))
        .collect()
}

#[async_trait]
impl ChannelStore for PgStore {
    async fn get_cursor(&self, tenant: &TenantId, channel: &str) -> StoreResult<Option<serde_json::Value>> {
        let row =
            sqlx::query("SELECT cursor::text AS cursor FROM channel_cursors WHERE tenant_id = $1 AND channel = $2")
                .bind(tenant.as_str())
                .bind(channel)
                .fetch_optional(&self.pool)
                .await
                .map_err(map)?;
        row.map(|r| serde_json::from_str(&r.try_get::<String, _>("cursor").map_err(map)?).map_err(json_err))
            .transpose()
    }

    async fn put_cursor(
        &self,
        tenant: &TenantId,
        channel: &str,
        cursor: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO channel_cursors (tenant_id, channel, cursor, updated_at) VALUES ($1, $2, $3::jsonb, $4)
             ON CONFLICT (tenant_id, channel) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(channel)
        .bind(cursor.to_string())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn record_drift(
        &self,
        tenant: &TenantId,
        sighting: &DriftSighting,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DriftRecord>> {
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let first = record_drift(&mut tx, tenant, sighting, now).await?;
            tx.commit().await?;
            Ok(first)
        })
        .await
    }

    async fn list_drift(&self, tenant: &TenantId) -> StoreResult<Vec<DriftRecord>> {
        sqlx::query(
            "SELECT * FROM mapping_drift WHERE tenant_id = $1 ORDER BY last_seen DESC, mapping, field LIMIT 1000",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }

    async fn order_flags(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<OrderFlag>> {
        sqlx::query(
            "SELECT kind, detail::text AS detail, at FROM order_flags WHERE tenant_id = $1 AND order_id = $2
             ORDER BY at, kind",
        )
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map)?
        .iter()
        .map(|row| {
            let detail: String = row.try_get("detail").map_err(map)?;
            Ok(OrderFlag {
                kind: row.try_get("kind").map_err(map)?,
                detail: serde_json::from_str(&detail).map_err(json_err)?,
                at: row.try_get("at").map_err(map)?,
            })
        })
        .collect()
    }

    async fn order_matches(
        &self,
        tenant: &TenantId,
        order: OrderId,
        window: chrono::Duration,
    ) -> StoreResult<OrderMatches> {
        let same = |column: &str, extra: &str| {
            format!(
                "SELECT {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = $1 AND id <> $2 AND {column} =
                 (SELECT {column} FROM orders WHERE tenant_id = $1 AND id = $2)
                 AND placed_at BETWEEN (SELECT placed_at FROM orders WHERE tenant_id = $1 AND id = $2) - $3
                 AND (SELECT placed_at FROM orders WHERE tenant_id = $1 AND id = $2) + $3 {extra}
                 ORDER BY placed_at, id LIMIT 50"
            )
        };
        let mut found = Vec::with_capacity(2);
        let not_merged = format!(
            "AND status IN {MERGEABLE} AND NOT EXISTS (SELECT 1 FROM merge_members m
             WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id)"
        );
        for sql in [same("fingerprint", ""), same("match_key", &not_merged)] {
            let rows = sqlx::query(&sql)
                .bind(tenant.as_str())
                .bind(order.0)
                .bind(window)
                .fetch_all(&self.pool)
                .await
                .map_err(map)?;
            found.push(rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?);
        }
        let merge_group = sqlx::query(&format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 AND id =
             (SELECT merge_id FROM merge_members WHERE tenant_id = $1 AND order_id = $2)"
        ))
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?
        .map(|row| record(&row))
        .transpose()?;
        let merge_candidates = found.pop().unwrap_or_default();
        let possible_duplicates = found.pop().unwrap_or_default();
        Ok(OrderMatches {
            possible_duplicates,
            merge_candidates,
            merge_group,
        })
    }

    async fn merge_candidates(
        &self,
        tenant: &TenantId,
        window: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<Vec<OrderSummary>>> {
        let rows = sqlx::query(&format!(
            "SELECT match_key AS k, {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = $1 AND status IN {MERGEABLE}
             AND NOT EXISTS (SELECT 1 FROM merge_members m WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id)
             AND match_key IN (SELECT match_key FROM orders WHERE tenant_id = $1 AND status IN {MERGEABLE}
                 AND match_key IS NOT NULL GROUP BY match_key HAVING count(*) > 1)
             ORDER BY match_key, placed_at, id"
        ))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        let mut groups = group_runs(keyed(&rows)?, window);
        groups.truncate(limit.clamp(1, MAX_PAGE) as usize);
        Ok(groups)
    }

    async fn duplicate_groups(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Vec<OrderSummary>>> {
        let rows = sqlx::query(&format!(
            "SELECT fingerprint AS k, {SUMMARY_COLUMNS} FROM orders WHERE tenant_id = $1 AND placed_at >= $2
             AND fingerprint IN (SELECT fingerprint FROM orders WHERE tenant_id = $1 AND placed_at >= $2
                 AND fingerprint IS NOT NULL GROUP BY fingerprint HAVING count(*) > 1)
             ORDER BY fingerprint, placed_at, id"
        ))
        .bind(tenant.as_str())
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        let mut groups = group_runs(keyed(&rows)?, chrono::Duration::MAX);
        groups.sort_by_key(|g| std::cmp::Reverse(g.iter().map(|o| o.placed_at).max()));
        groups.truncate(limit.clamp(1, MAX_PAGE) as usize);
        Ok(groups)
    }

    async fn merge_orders(
        &self,
        tenant: &TenantId,
        orders: &[OrderId],
        window: chrono::Duration,
        merged_by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<MergeGroup, MergeError>> {
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let outcome = merge_orders(&mut tx, tenant, orders, window, merged_by, now).await?;
            match outcome {
                Ok(_) => tx.commit().await?,
                Err(_) => tx.rollback().await?,
            }
            Ok(outcome)
        })
        .await
    }

    async fn dissolve_merge(
        &self,
        tenant: &TenantId,
        group: Uuid,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Result<MergeGroup, MergeError>>> {
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let outcome = dissolve_merge(&mut tx, tenant, group, by, now).await?;
            match outcome {
                Some(Ok(_)) => tx.commit().await?,
                _ => tx.rollback().await?,
            }
            Ok(outcome)
        })
        .await
    }

    async fn list_merges(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<MergeGroup>> {
        sqlx::query(&format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(tenant.as_str())
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.pool)
        .await
        .rows(map, record)
    }
}

impl ChannelTx for PgTx {
    async fn upsert_drift(
        &mut self,
        tenant: &TenantId,
        mapping: &str,
        field: &str,
        change: DriftChange,
        order: Option<OrderId>,
        inbox: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO mapping_drift (tenant_id, mapping, field, change, first_seen, last_seen, seen_count,
                 last_order_id, last_inbox_id) VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7)
             ON CONFLICT (tenant_id, mapping, field, change) DO UPDATE SET last_seen = excluded.last_seen,
                 seen_count = mapping_drift.seen_count + 1,
                 last_order_id = coalesce(excluded.last_order_id, mapping_drift.last_order_id),
                 last_inbox_id = excluded.last_inbox_id
             RETURNING seen_count",
        )
        .bind(tenant.as_str())
        .bind(mapping)
        .bind(field)
        .bind(change.as_str())
        .bind(now)
        .bind(order.map(|o| o.0))
        .bind(inbox)
        .fetch_one(self.conn())
        .await
        .map_err(map)?;
        Ok(count == 1)
    }

    async fn put_flag(&mut self, tenant: &TenantId, order: OrderId, flag: &OrderFlag) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO order_flags (tenant_id, order_id, kind, detail, at) VALUES ($1, $2, $3, $4::jsonb, $5)
             ON CONFLICT (tenant_id, order_id, kind) DO UPDATE SET detail = excluded.detail, at = excluded.at",
        )
        .bind(tenant.as_str())
        .bind(order.0)
        .bind(&flag.kind)
        .bind(flag.detail.to_string())
        .bind(flag.at)
        .execute(self.conn())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn merge_rows(&mut self, tenant: &TenantId, orders: &[OrderId]) -> StoreResult<Vec<MergeRow>> {
        let ids: Vec<Uuid> = orders.iter().map(|o| o.0).collect();
        let rows = sqlx::query(
            "SELECT o.id, o.status, o.match_key, o.placed_at, m.merge_id FROM orders o
             LEFT JOIN merge_members m ON m.tenant_id = o.tenant_id AND m.order_id = o.id
             WHERE o.tenant_id = $1 AND o.id = ANY($2) ORDER BY o.id FOR UPDATE OF o",
        )
        .bind(tenant.as_str())
        .bind(&ids)
        .fetch_all(self.conn())
        .await
        .map_err(map)?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status").map_err(map)?;
                Ok(MergeRow {
                    id: OrderId(row.try_get("id").map_err(map)?),
                    status: parse_order_status(&status)?,
                    match_key: row.try_get("match_key").map_err(map)?,
                    placed_at: row.try_get("placed_at").map_err(map)?,
                    group: row.try_get("merge_id").map_err(map)?,
                })
            })
            .collect()
    }

    async fn insert_merge(&mut self, tenant: &TenantId, group: &MergeGroup) -> StoreResult<()> {
        let ids = serde_json::to_string(&group.order_ids).map_err(json_err)?;
        sqlx::query(
            "INSERT INTO merges (tenant_id, id, order_ids, merged_by, created_at) VALUES ($1, $2, $3::jsonb, $4, $5)",
        )
        .bind(tenant.as_str())
        .bind(group.id)
        .bind(ids)
        .bind(&group.merged_by)
        .bind(group.created_at)
        .execute(self.conn())
        .await
        .map_err(map)?;
        let members: Vec<Uuid> = group.order_ids.iter().map(|o| o.0).collect();
        sqlx::query("INSERT INTO merge_members (tenant_id, order_id, merge_id) SELECT $1, unnest($2::uuid[]), $3")
            .bind(tenant.as_str())
            .bind(&members)
            .bind(group.id)
            .execute(self.conn())
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn merge_group(&mut self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<MergeGroup>> {
        sqlx::query(&format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
        ))
        .bind(tenant.as_str())
        .bind(group)
        .fetch_optional(self.conn())
        .await
        .map_err(map)?
        .map(|row| record(&row))
        .transpose()
    }

    async fn dissolve(&mut self, tenant: &TenantId, group: &MergeGroup) -> StoreResult<()> {
        sqlx::query("UPDATE merges SET dissolved_at = $3, dissolved_by = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(group.id)
            .bind(group.dissolved_at)
            .bind(&group.dissolved_by)
            .execute(self.conn())
            .await
            .map_err(map)?;
        sqlx::query("DELETE FROM merge_members WHERE tenant_id = $1 AND merge_id = $2")
            .bind(tenant.as_str())
            .bind(group.id)
            .execute(self.conn())
            .await
            .map_err(map)?;
        Ok(())
    }
}
