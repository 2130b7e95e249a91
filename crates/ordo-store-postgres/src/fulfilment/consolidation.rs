//! [`ConsolidationStore`] on PostgreSQL: the pool, merges due for a consolidated push, and
//! the push itself (one transaction that locks every member, see
//! `ordo_store::fulfilment::consolidate`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::fulfilment::consolidate::push_group;
use ordo_store::fulfilment::consolidate_records::{ConsolidationStore, GroupMembers, GroupPush, PoolOrder, PoolRule};
use ordo_store::fulfilment::push::PushPolicy;
use ordo_store::{MAX_PAGE, StoreResult};
use sqlx::Row;
use uuid::Uuid;

use crate::PgStore;
use crate::errors::map;
use crate::orders::query::parse_order_status;
use crate::sql::record;
use crate::tx::{PgTx, retrying};
use ordo_store::SUMMARY_COLUMNS;
use ordo_store::channels::sql::MERGE_COLUMNS;

const NOT_MERGED: &str =
    "NOT EXISTS (SELECT 1 FROM merge_members m WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id)";

fn list<'a>(items: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    items.into_iter().cloned().collect()
}

#[async_trait::async_trait]
impl ConsolidationStore for PgStore {
    async fn allocated_alone(
        &self,
        tenant: &TenantId,
        rule: Option<&PoolRule>,
        limit: u32,
    ) -> StoreResult<Vec<OrderId>> {
        let sql = format!(
            "SELECT id FROM orders o WHERE tenant_id = $1 AND status = 'allocated' AND {NOT_MERGED}
             AND NOT (channel = ANY($2)) AND (buyer_id IS NULL OR NOT (buyer_id = ANY($3)))
             ORDER BY placed_at DESC, id DESC LIMIT $4"
        );
        sqlx::query(&sql)
            .bind(tenant.as_str())
            .bind(list(rule.iter().flat_map(|r| &r.channels)))
            .bind(list(rule.iter().flat_map(|r| &r.buyer_ids)))
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.pool)
            .await
            .map_err(map)?
            .iter()
            .map(|row| Ok(OrderId(row.try_get("id").map_err(map)?)))
            .collect()
    }

    async fn pool_orders(
        &self,
        tenant: &TenantId,
        rule: &PoolRule,
        match_key: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PoolOrder>> {
        let sql = format!(
            "SELECT match_key AS k, {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = $1
             AND status IN ('paid', 'allocated', 'on_hold') AND match_key IS NOT NULL
             AND ($4::text IS NULL OR match_key = $4)
             AND (channel = ANY($2) OR buyer_id = ANY($3)) AND {NOT_MERGED}
             ORDER BY match_key, placed_at, id LIMIT $5"
        );
        sqlx::query(&sql)
            .bind(tenant.as_str())
            .bind(list(&rule.channels))
            .bind(list(&rule.buyer_ids))
            .bind(match_key)
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.pool)
            .await
            .map_err(map)?
            .iter()
            .map(|row| {
                Ok(PoolOrder {
                    match_key: row.try_get("k").map_err(map)?,
                    order: record(row)?,
                })
            })
            .collect()
    }

    async fn allocated_groups(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<Uuid>> {
        sqlx::query(
            "SELECT m.merge_id FROM orders o JOIN merge_members m ON m.tenant_id = o.tenant_id AND m.order_id = o.id
             WHERE o.tenant_id = $1 AND o.status = 'allocated' GROUP BY m.merge_id ORDER BY min(o.placed_at) LIMIT $2",
        )
        .bind(tenant.as_str())
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?
        .iter()
        .map(|row| row.try_get("merge_id").map_err(map))
        .collect()
    }

    async fn merge_of(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Option<Uuid>> {
        sqlx::query_scalar("SELECT merge_id FROM merge_members WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant.as_str())
            .bind(order.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(map)
    }

    async fn group_members(&self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<GroupMembers>> {
        let row = sqlx::query(&format!(
            "SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 AND id = $2 AND dissolved_at IS NULL"
        ))
        .bind(tenant.as_str())
        .bind(group)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        let Some(group) = row
            .as_ref()
            .map(record::<ordo_store::channels::records::MergeGroup>)
            .transpose()?
        else {
            return Ok(None);
        };
        let ids: Vec<Uuid> = group.order_ids.iter().map(|o| o.0).collect();
        let mut statuses = BTreeMap::new();
        for row in sqlx::query("SELECT id, status FROM orders WHERE tenant_id = $1 AND id = ANY($2)")
            .bind(tenant.as_str())
            .bind(&ids)
            .fetch_all(&self.pool)
            .await
            .map_err(map)?
        {
            let id: Uuid = row.try_get("id").map_err(map)?;
            let status: String = row.try_get("status").map_err(map)?;
            statuses.insert(id, parse_order_status(&status)?);
        }
        let members = group
            .order_ids
            .iter()
            .filter_map(|id| statuses.get(&id.0).map(|s| (*id, *s)))
            .collect();
        Ok(Some(GroupMembers { group, members }))
    }

    async fn push_group(
        &self,
        tenant: &TenantId,
        group: Uuid,
        policy: &PushPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<GroupPush> {
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let outcome = push_group(&mut tx, tenant, group, policy, actor, now).await?;
            match outcome {
                GroupPush::Pushed { .. } => tx.commit().await?,
                _ => tx.rollback().await?,
            }
            Ok(outcome)
        })
        .await
    }
}
