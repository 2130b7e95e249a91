//! [`ConsolidationStore`] on SQLite: the pool, merges due for a consolidated push, and
//! the push itself (one writer transaction, see `ordo_store::fulfilment::consolidate`).

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, TenantId};
use ordo_store::fulfilment::consolidate::push_group;
use ordo_store::fulfilment::consolidate_records::{ConsolidationStore, GroupMembers, GroupPush, PoolOrder, PoolRule};
use ordo_store::fulfilment::push::PushPolicy;
use ordo_store::{MAX_PAGE, StoreResult};
use uuid::Uuid;

use crate::sql::record;
use crate::writer::{run_to_completion, status};
use crate::{SqliteStore, get, map_err};
use ordo_store::SUMMARY_COLUMNS;

/// A set as a JSON array, for `IN (SELECT value FROM json_each(?))`.
fn json_list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    serde_json::Value::from(items.into_iter().cloned().collect::<Vec<_>>()).to_string()
}

const NOT_MERGED: &str =
    "NOT EXISTS (SELECT 1 FROM merge_members m WHERE m.tenant_id = o.tenant_id AND m.order_id = o.id)";

#[async_trait::async_trait]
impl ConsolidationStore for SqliteStore {
    async fn allocated_alone(
        &self,
        tenant: &TenantId,
        rule: Option<&PoolRule>,
        limit: u32,
    ) -> StoreResult<Vec<OrderId>> {
        let sql = format!(
            "SELECT id FROM orders o WHERE tenant_id = ?1 AND status = 'allocated' AND {NOT_MERGED} \
             AND channel NOT IN (SELECT value FROM json_each(?2)) \
             AND (buyer_id IS NULL OR buyer_id NOT IN (SELECT value FROM json_each(?3))) \
             ORDER BY placed_at DESC, id DESC LIMIT ?4"
        );
        sqlx::query(&sql)
            .bind(tenant.as_str())
            .bind(json_list(rule.iter().flat_map(|r| &r.channels)))
            .bind(json_list(rule.iter().flat_map(|r| &r.buyer_ids)))
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| Ok(OrderId(get(row, "id")?)))
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
            "SELECT match_key AS k, {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = ?1 \
             AND status IN ('paid', 'allocated', 'on_hold') AND match_key IS NOT NULL \
             AND (?4 IS NULL OR match_key = ?4) \
             AND (channel IN (SELECT value FROM json_each(?2)) OR buyer_id IN (SELECT value FROM json_each(?3))) \
             AND {NOT_MERGED} ORDER BY match_key, placed_at, id LIMIT ?5"
        );
        sqlx::query(&sql)
            .bind(tenant.as_str())
            .bind(json_list(&rule.channels))
            .bind(json_list(&rule.buyer_ids))
            .bind(match_key)
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.reader)
            .await
            .map_err(map_err)?
            .iter()
            .map(|row| {
                Ok(PoolOrder {
                    match_key: get(row, "k")?,
                    order: record(row)?,
                })
            })
            .collect()
    }

    async fn allocated_groups(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<Uuid>> {
        sqlx::query(
            "SELECT m.merge_id FROM orders o JOIN merge_members m ON m.tenant_id = o.tenant_id AND m.order_id = o.id \
             WHERE o.tenant_id = ?1 AND o.status = 'allocated' GROUP BY m.merge_id ORDER BY min(o.placed_at) LIMIT ?2",
        )
        .bind(tenant.as_str())
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&self.reader)
        .await
        .map_err(map_err)?
        .iter()
        .map(|row| get(row, "merge_id"))
        .collect()
    }

    async fn merge_of(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Option<Uuid>> {
        sqlx::query("SELECT merge_id FROM merge_members WHERE tenant_id = ? AND order_id = ?")
            .bind(tenant.as_str())
            .bind(order.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?
            .map(|row| get(&row, "merge_id"))
            .transpose()
    }

    async fn group_members(&self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<GroupMembers>> {
        let row = sqlx::query("SELECT * FROM merges WHERE tenant_id = ? AND id = ? AND dissolved_at IS NULL")
            .bind(tenant.as_str())
            .bind(group)
            .fetch_optional(&self.reader)
            .await
            .map_err(map_err)?;
        let Some(group) = row
            .map(|r| record::<ordo_store::channels::records::MergeGroup>(&r))
            .transpose()?
        else {
            return Ok(None);
        };
        let mut members = Vec::with_capacity(group.order_ids.len());
        for id in &group.order_ids {
            let row = sqlx::query("SELECT status FROM orders WHERE tenant_id = ? AND id = ?")
                .bind(tenant.as_str())
                .bind(id.0)
                .fetch_optional(&self.reader)
                .await
                .map_err(map_err)?;
            if let Some(row) = row {
                members.push((*id, status(&get::<String>(&row, "status")?)?));
            }
        }
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
        let (tenant, policy, actor) = (tenant.clone(), policy.clone(), actor.to_owned());
        self.rw
            .transaction(move |tx| run_to_completion(push_group(tx, &tenant, group, &policy, &actor, now)))
            .await
    }
}
