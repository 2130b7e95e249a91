//! [`ChannelStore`] and [`ChannelTx`] on SQLite: connector cursors, mapping drift, order
//! flags, likely duplicates and merges.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::Decode;
use ordo_store::channels::records::{
    ChannelTx, DriftChange, DriftRecord, DriftSighting, MergeError, MergeGroup, MergeRow, OrderFlag, OrderMatches,
};
use ordo_store::channels::steps::{dissolve_merge, group_runs, merge_orders, record_drift};
use ordo_store::{ChannelStore, MAX_PAGE, OrderSummary, StoreError, StoreResult};
use rusqlite::params;
use uuid::Uuid;

use crate::columns::record;
use crate::writer::{WriteTx, run_to_completion, status};
use crate::{SqliteStore, from_micros, get, map_err, micros};
use ordo_store::SUMMARY_COLUMNS;

/// Statuses an order may be merged in (see `ordo_core::matching::mergeable`).
const MERGEABLE: &str = "('paid', 'allocated', 'on_hold')";

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Other(format!("stored JSON is unreadable: {e}"))
}

impl SqliteStore {
    /// Rows selected as `k, {SUMMARY_COLUMNS}` for a tenant (`?1`) and an optional time (`?2`).
    async fn keyed(
        &self,
        sql: &str,
        tenant: &TenantId,
        since: Option<i64>,
    ) -> StoreResult<Vec<(String, OrderSummary)>> {
        let mut query = sqlx::query(sql).bind(tenant.as_str());
        if let Some(since) = since {
            query = query.bind(since);
        }
        query
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| Ok((get::<String>(row, "k")?, record(row)?)))
            .collect()
    }
}

#[async_trait::async_trait]
impl ChannelStore for SqliteStore {
    async fn get_cursor(&self, tenant: &TenantId, channel: &str) -> StoreResult<Option<serde_json::Value>> {
        sqlx::query("SELECT cursor FROM channel_cursors WHERE tenant_id = ? AND channel = ?")
            .bind(tenant.as_str())
            .bind(channel)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?
            .map(|row| serde_json::from_str(&get::<String>(&row, "cursor")?).map_err(json_err))
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
            "INSERT INTO channel_cursors (tenant_id, channel, cursor, updated_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant_id, channel) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        )
        .bind(tenant.as_str())
        .bind(channel)
        .bind(cursor.to_string())
        .bind(micros(now))
        .execute(&self.writer)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn record_drift(
        &self,
        tenant: &TenantId,
        sighting: &DriftSighting,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DriftRecord>> {
        let (tenant, sighting) = (tenant.clone(), sighting.clone());
        self.rw
            .transaction(move |tx| run_to_completion(record_drift(tx, &tenant, &sighting, now)))
            .await
    }

    async fn list_drift(&self, tenant: &TenantId) -> StoreResult<Vec<DriftRecord>> {
        sqlx::query(
            "SELECT * FROM mapping_drift WHERE tenant_id = ? ORDER BY last_seen DESC, mapping, field LIMIT 1000",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.reader)
        .await
        .rows(map_err, record)
    }

    async fn order_flags(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<OrderFlag>> {
        sqlx::query("SELECT kind, detail, at FROM order_flags WHERE tenant_id = ? AND order_id = ? ORDER BY at, kind")
            .bind(tenant.as_str())
            .bind(order.0)
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(OrderFlag {
                    kind: get(row, "kind")?,
                    detail: serde_json::from_str(&get::<String>(row, "detail")?).map_err(json_err)?,
                    at: from_micros(get(row, "at")?)?,
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
        let micros_window = window.num_microseconds().unwrap_or(i64::MAX / 4);
        let same = |column: &str, extra: &str| {
            format!(
                "SELECT {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = ?1 AND id != ?2 AND {column} = \
                 (SELECT {column} FROM orders WHERE tenant_id = ?1 AND id = ?2) \
                 AND placed_at BETWEEN (SELECT placed_at FROM orders WHERE tenant_id = ?1 AND id = ?2) - ?3 \
                 AND (SELECT placed_at FROM orders WHERE tenant_id = ?1 AND id = ?2) + ?3 {extra} \
                 ORDER BY placed_at, id LIMIT 50"
            )
        };
        let query = |sql: String| {
            let pool = self.reader.clone();
            let tenant = tenant.as_str().to_owned();
            async move {
                sqlx::query(&sql)
                    .bind(tenant)
                    .bind(order.0)
                    .bind(micros_window)
                    .fetch_all(&pool)
                    .await
                    .map_err(map_err)?
                    .iter()
                    .map(record)
                    .collect::<StoreResult<Vec<_>>>()
            }
        };
        let possible_duplicates = query(same("fingerprint", "")).await?;
        let merge_candidates = query(same(
            "match_key",
            &format!(
                "AND status IN {MERGEABLE} AND NOT EXISTS (SELECT 1 FROM merge_members m \
                 WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id)"
            ),
        ))
        .await?;
        let merge_group = sqlx::query(
            "SELECT g.* FROM merge_members m JOIN merges g ON g.tenant_id = m.tenant_id AND g.id = m.merge_id \
             WHERE m.tenant_id = ? AND m.order_id = ?",
        )
        .bind(tenant.as_str())
        .bind(order.0)
        .fetch_optional(&self.reader)
        .await
        .map_err(map_err)?
        .map(|row| record(&row))
        .transpose()?;
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
        let sql = format!(
            "SELECT match_key AS k, {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = ?1 AND status IN {MERGEABLE} \
             AND NOT EXISTS (SELECT 1 FROM merge_members m WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id) \
             AND match_key IN (SELECT match_key FROM orders WHERE tenant_id = ?1 AND status IN {MERGEABLE} \
             AND match_key IS NOT NULL GROUP BY match_key HAVING count(*) > 1)             ORDER BY match_key, placed_at, id"
        );
        let rows = self.keyed(&sql, tenant, None).await?;
        let mut groups = group_runs(rows, window);
        groups.truncate(limit.clamp(1, MAX_PAGE) as usize);
        Ok(groups)
    }

    async fn duplicate_groups(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Vec<OrderSummary>>> {
        let sql = format!(
            "SELECT fingerprint AS k, {SUMMARY_COLUMNS} FROM orders WHERE tenant_id = ?1 AND placed_at >= ?2 \
             AND fingerprint IN (SELECT fingerprint FROM orders WHERE tenant_id = ?1 AND placed_at >= ?2 \
             AND fingerprint IS NOT NULL GROUP BY fingerprint HAVING count(*) > 1) ORDER BY fingerprint, placed_at, id"
        );
        let rows = self.keyed(&sql, tenant, Some(micros(since))).await?;
        let mut groups = group_runs(rows, chrono::Duration::MAX);
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
        let (tenant, orders, by) = (tenant.clone(), orders.to_vec(), merged_by.to_owned());
        self.rw
            .transaction(move |tx| run_to_completion(merge_orders(tx, &tenant, &orders, window, &by, now)))
            .await
    }

    async fn dissolve_merge(
        &self,
        tenant: &TenantId,
        group: Uuid,
        by: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Result<MergeGroup, MergeError>>> {
        let (tenant, by) = (tenant.clone(), by.to_owned());
        self.rw
            .transaction(move |tx| run_to_completion(dissolve_merge(tx, &tenant, group, &by, now)))
            .await
    }

    async fn list_merges(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<MergeGroup>> {
        sqlx::query("SELECT * FROM merges WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
            .bind(tenant.as_str())
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.reader)
            .await
            .rows(map_err, record)
    }
}

impl ChannelTx for WriteTx<'_> {
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
        let count = self.query_one(
            "INSERT INTO mapping_drift (tenant_id, mapping, field, change, first_seen, last_seen, seen_count, \
             last_order_id, last_inbox_id) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1, ?6, ?7) \
             ON CONFLICT (tenant_id, mapping, field, change) DO UPDATE SET last_seen = excluded.last_seen, \
             seen_count = seen_count + 1, last_order_id = coalesce(excluded.last_order_id, last_order_id), \
             last_inbox_id = excluded.last_inbox_id RETURNING seen_count",
            params![
                tenant.as_str(),
                mapping,
                field,
                change.as_str(),
                micros(now),
                order.map(|o| o.0),
                inbox
            ],
            |r| r.get::<_, i64>(0),
        )?;
        Ok(count == Some(1))
    }

    async fn put_flag(&mut self, tenant: &TenantId, order: OrderId, flag: &OrderFlag) -> StoreResult<()> {
        self.execute(
            "INSERT INTO order_flags (tenant_id, order_id, kind, detail, at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (tenant_id, order_id, kind) DO UPDATE SET detail = excluded.detail, at = excluded.at",
            params![
                tenant.as_str(),
                order.0,
                flag.kind,
                flag.detail.to_string(),
                micros(flag.at)
            ],
        )?;
        Ok(())
    }

    async fn merge_rows(&mut self, tenant: &TenantId, orders: &[OrderId]) -> StoreResult<Vec<MergeRow>> {
        let mut rows = Vec::with_capacity(orders.len());
        for id in orders {
            let row = self.query_one(
                "SELECT o.status, o.match_key, o.placed_at, m.merge_id FROM orders o LEFT JOIN merge_members m \
                 ON m.tenant_id = o.tenant_id AND m.order_id = o.id WHERE o.tenant_id = ?1 AND o.id = ?2",
                params![tenant.as_str(), id.0],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<Uuid>>(3)?,
                    ))
                },
            )?;
            if let Some((state, match_key, placed_at, group)) = row {
                rows.push(MergeRow {
                    id: *id,
                    status: status(&state)?,
                    match_key,
                    placed_at: from_micros(placed_at)?,
                    group,
                });
            }
        }
        Ok(rows)
    }

    async fn insert_merge(&mut self, tenant: &TenantId, group: &MergeGroup) -> StoreResult<()> {
        let ids = serde_json::to_string(&group.order_ids).map_err(json_err)?;
        self.execute(
            "INSERT INTO merges (tenant_id, id, order_ids, merged_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                tenant.as_str(),
                group.id,
                ids,
                group.merged_by,
                micros(group.created_at)
            ],
        )?;
        for order in &group.order_ids {
            self.execute(
                "INSERT INTO merge_members (tenant_id, order_id, merge_id) VALUES (?1, ?2, ?3)",
                params![tenant.as_str(), order.0, group.id],
            )?;
        }
        Ok(())
    }

    async fn merge_group(&mut self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<MergeGroup>> {
        let row = self.query_one(
            "SELECT order_ids, merged_by, created_at, dissolved_at, dissolved_by FROM merges \
             WHERE tenant_id = ?1 AND id = ?2",
            params![tenant.as_str(), group],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )?;
        row.map(|(ids, merged_by, created_at, dissolved_at, dissolved_by)| {
            Ok(MergeGroup {
                id: group,
                order_ids: serde_json::from_str(&ids).map_err(json_err)?,
                merged_by,
                created_at: from_micros(created_at)?,
                dissolved_at: dissolved_at.map(from_micros).transpose()?,
                dissolved_by,
            })
        })
        .transpose()
    }

    async fn dissolve(&mut self, tenant: &TenantId, group: &MergeGroup) -> StoreResult<()> {
        self.execute(
            "UPDATE merges SET dissolved_at = ?3, dissolved_by = ?4 WHERE tenant_id = ?1 AND id = ?2",
            params![
                tenant.as_str(),
                group.id,
                group.dissolved_at.map(micros),
                group.dissolved_by
            ],
        )?;
        self.execute(
            "DELETE FROM merge_members WHERE tenant_id = ?1 AND merge_id = ?2",
            params![tenant.as_str(), group.id],
        )?;
        Ok(())
    }
}
