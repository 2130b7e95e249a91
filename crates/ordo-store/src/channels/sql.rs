//! The channel-side store operations, written once for every SQL store (see
//! [`crate::sql`]): cursors, drift, flags, matching and merges.

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, OrderStatus, TenantId};
use uuid::Uuid;

use crate::channels::records::{
    ChannelStore, ChannelTx, DriftChange, DriftRecord, DriftSighting, MergeError, MergeGroup, MergeRow, OrderFlag,
    OrderMatches,
};
use crate::channels::steps::{dissolve_merge, group_runs, merge_orders, record_drift};
use crate::columns::{Columns, Record, named};
use crate::orders::records::{MAX_PAGE, OrderSummary, SUMMARY_COLUMNS, page_limit};
use crate::sql::{Param, SqlRun, SqlTx, TxRunner};
use crate::stock::allocate::AllocTx;
use crate::{StoreError, StoreResult};

/// Statuses an order may be merged in (see `ordo_core::matching::mergeable`).
const MERGEABLE: &str = "('paid', 'allocated', 'on_hold')";

/// An order `o` that is in no active merge.
pub const NOT_MERGED: &str =
    "NOT EXISTS (SELECT 1 FROM merge_members m WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id)";

/// What a [`MergeGroup`] reads.
pub const MERGE_COLUMNS: &str = "id, order_ids, merged_by, created_at, dissolved_at, dissolved_by";

impl Record for OrderFlag {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            kind: row.text("kind")?,
            detail: row.json("detail")?,
            at: row.time("at")?,
        })
    }
}

impl Record for MergeRow {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: OrderId(row.id("id")?),
            status: named(row, "status", OrderStatus::parse)?,
            match_key: row.text_opt("match_key")?,
            placed_at: row.time("placed_at")?,
            group: row.id_opt("merge_id")?,
        })
    }
}

/// An order summary keyed by the column `k` (a match key or a fingerprint).
fn keyed(row: &dyn Columns) -> StoreResult<(String, OrderSummary)> {
    Ok((row.text("k")?, OrderSummary::read(row)?))
}

fn cursor(row: &dyn Columns) -> StoreResult<serde_json::Value> {
    row.json("cursor")
}

#[async_trait::async_trait]
impl<S> ChannelStore for S
where
    S: SqlRun + TxRunner,
    for<'c> S::Tx<'c>: ChannelTx,
{
    async fn get_cursor(&self, tenant: &TenantId, channel: &str) -> StoreResult<Option<serde_json::Value>> {
        let sql = "SELECT cursor FROM channel_cursors WHERE tenant_id = $1 AND channel = $2";
        self.row(sql, &[tenant.into(), channel.into()], cursor).await
    }

    async fn put_cursor(
        &self,
        tenant: &TenantId,
        channel: &str,
        cursor: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let sql = "INSERT INTO channel_cursors (tenant_id, channel, cursor, updated_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (tenant_id, channel) DO UPDATE SET cursor = excluded.cursor, \
                   updated_at = excluded.updated_at";
        self.run(sql, &[tenant.into(), channel.into(), cursor.into(), now.into()])
            .await?;
        Ok(())
    }

    async fn record_drift(
        &self,
        tenant: &TenantId,
        sighting: &DriftSighting,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<DriftRecord>> {
        let (tenant, sighting) = (tenant.clone(), sighting.clone());
        self.in_tx(move |tx| {
            let (tenant, sighting) = (tenant.clone(), sighting.clone());
            Box::pin(async move { record_drift(tx, &tenant, &sighting, now).await })
        })
        .await
    }

    async fn list_drift(&self, tenant: &TenantId) -> StoreResult<Vec<DriftRecord>> {
        let sql = "SELECT * FROM mapping_drift WHERE tenant_id = $1 ORDER BY last_seen DESC, mapping, field LIMIT 1000";
        self.rows(sql, &[tenant.into()], DriftRecord::read).await
    }

    async fn order_flags(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<OrderFlag>> {
        let sql = "SELECT kind, detail, at FROM order_flags WHERE tenant_id = $1 AND order_id = $2 ORDER BY at, kind";
        self.rows(sql, &[tenant.into(), order.0.into()], OrderFlag::read).await
    }

    async fn order_matches(
        &self,
        tenant: &TenantId,
        order: OrderId,
        window: chrono::Duration,
    ) -> StoreResult<OrderMatches> {
        let same = |column: &str, extra: &str| {
            format!(
                "SELECT {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = $1 AND id <> $2 AND {column} = \
                 (SELECT {column} FROM orders WHERE tenant_id = $1 AND id = $2) \
                 AND placed_at BETWEEN (SELECT placed_at FROM orders WHERE tenant_id = $1 AND id = $2) - $3 \
                 AND (SELECT placed_at FROM orders WHERE tenant_id = $1 AND id = $2) + $3 {extra} \
                 ORDER BY placed_at, id LIMIT 50"
            )
        };
        let not_merged = format!("AND status IN {MERGEABLE} AND {NOT_MERGED}");
        let params = [tenant.into(), order.0.into(), window.into()];
        let possible_duplicates = self.rows(&same("fingerprint", ""), &params, OrderSummary::read).await?;
        let merge_candidates = self
            .rows(&same("match_key", &not_merged), &params, OrderSummary::read)
            .await?;
        let sql = format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 AND id = \
             (SELECT merge_id FROM merge_members WHERE tenant_id = $1 AND order_id = $2)"
        );
        let merge_group = self.row(&sql, &params[..2], MergeGroup::read).await?;
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
            "SELECT match_key AS k, {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = $1 AND status IN {MERGEABLE} \
             AND {NOT_MERGED} \
             AND match_key IN (SELECT match_key FROM orders WHERE tenant_id = $1 AND status IN {MERGEABLE} \
             AND match_key IS NOT NULL GROUP BY match_key HAVING count(*) > 1) ORDER BY match_key, placed_at, id"
        );
        let mut groups = group_runs(self.rows(&sql, &[tenant.into()], keyed).await?, window);
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
            "SELECT fingerprint AS k, {SUMMARY_COLUMNS} FROM orders WHERE tenant_id = $1 AND placed_at >= $2 \
             AND fingerprint IN (SELECT fingerprint FROM orders WHERE tenant_id = $1 AND placed_at >= $2 \
             AND fingerprint IS NOT NULL GROUP BY fingerprint HAVING count(*) > 1) ORDER BY fingerprint, placed_at, id"
        );
        let rows = self.rows(&sql, &[tenant.into(), since.into()], keyed).await?;
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
        self.in_tx(move |tx| {
            let (tenant, orders, by) = (tenant.clone(), orders.clone(), by.clone());
            Box::pin(async move { merge_orders(tx, &tenant, &orders, window, &by, now).await })
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
        let (tenant, by) = (tenant.clone(), by.to_owned());
        self.in_tx(move |tx| {
            let (tenant, by) = (tenant.clone(), by.clone());
            Box::pin(async move { dissolve_merge(tx, &tenant, group, &by, now).await })
        })
        .await
    }

    async fn list_merges(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<MergeGroup>> {
        let sql = format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        self.rows(&sql, &[tenant.into(), page_limit(limit).into()], MergeGroup::read)
            .await
    }
}

fn seen_count(row: &dyn Columns) -> StoreResult<i64> {
    row.int("seen_count")
}

impl<T: AllocTx + SqlTx> ChannelTx for T {
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
        let sql = "INSERT INTO mapping_drift (tenant_id, mapping, field, change, first_seen, last_seen, seen_count, \
                   last_order_id, last_inbox_id) VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7) \
                   ON CONFLICT (tenant_id, mapping, field, change) DO UPDATE SET last_seen = excluded.last_seen, \
                   seen_count = mapping_drift.seen_count + 1, \
                   last_order_id = coalesce(excluded.last_order_id, mapping_drift.last_order_id), \
                   last_inbox_id = excluded.last_inbox_id RETURNING seen_count";
        let params = [
            tenant.into(),
            mapping.into(),
            field.into(),
            change.as_str().into(),
            now.into(),
            order.map(|o| o.0).into(),
            inbox.into(),
        ];
        Ok(self.row(sql, &params, seen_count).await? == Some(1))
    }

    async fn put_flag(&mut self, tenant: &TenantId, order: OrderId, flag: &OrderFlag) -> StoreResult<()> {
        let sql = "INSERT INTO order_flags (tenant_id, order_id, kind, detail, at) VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (tenant_id, order_id, kind) DO UPDATE SET detail = excluded.detail, at = excluded.at";
        let params = [
            tenant.into(),
            order.0.into(),
            flag.kind.as_str().into(),
            (&flag.detail).into(),
            flag.at.into(),
        ];
        self.run(sql, &params).await?;
        Ok(())
    }

    async fn merge_rows(&mut self, tenant: &TenantId, orders: &[OrderId]) -> StoreResult<Vec<MergeRow>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (0..orders.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT o.id, o.status, o.match_key, o.placed_at, m.merge_id FROM orders o \
             LEFT JOIN merge_members m ON m.tenant_id = o.tenant_id AND m.order_id = o.id \
             WHERE o.tenant_id = $1 AND o.id IN ({}) ORDER BY o.id{}",
            list.join(", "),
            self.dialect().for_update_of("o")
        );
        let params: Vec<Param<'_>> = std::iter::once(tenant.into())
            .chain(orders.iter().map(|o| o.0.into()))
            .collect();
        self.rows(&sql, &params, MergeRow::read).await
    }

    async fn insert_merge(&mut self, tenant: &TenantId, group: &MergeGroup) -> StoreResult<()> {
        let ids = serde_json::to_value(&group.order_ids).map_err(|e| StoreError::Other(e.to_string()))?;
        let sql = "INSERT INTO merges (tenant_id, id, order_ids, merged_by, created_at) VALUES ($1, $2, $3, $4, $5)";
        let params = [
            tenant.into(),
            group.id.into(),
            (&ids).into(),
            group.merged_by.as_str().into(),
            group.created_at.into(),
        ];
        self.run(sql, &params).await?;
        for order in &group.order_ids {
            let sql = "INSERT INTO merge_members (tenant_id, order_id, merge_id) VALUES ($1, $2, $3)";
            self.run(sql, &[tenant.into(), order.0.into(), group.id.into()]).await?;
        }
        Ok(())
    }

    async fn merge_group(&mut self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<MergeGroup>> {
        let sql = format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 AND id = $2{}",
            self.dialect().for_update()
        );
        self.row(&sql, &[tenant.into(), group.into()], MergeGroup::read).await
    }

    async fn dissolve(&mut self, tenant: &TenantId, group: &MergeGroup) -> StoreResult<()> {
        let sql = "UPDATE merges SET dissolved_at = $3, dissolved_by = $4 WHERE tenant_id = $1 AND id = $2";
        let params = [
            tenant.into(),
            group.id.into(),
            group.dissolved_at.into(),
            (&group.dissolved_by).into(),
        ];
        self.run(sql, &params).await?;
        let sql = "DELETE FROM merge_members WHERE tenant_id = $1 AND merge_id = $2";
        self.run(sql, &[tenant.into(), group.id.into()]).await?;
        Ok(())
    }
}
