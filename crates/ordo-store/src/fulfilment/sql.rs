//! The consolidation pool and merges due for a push, written once for every SQL store
//! (see [`crate::sql`]).

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, OrderStatus, TenantId};
use uuid::Uuid;

use crate::StoreResult;
use crate::channels::records::MergeGroup;
use crate::channels::sql::{MERGE_COLUMNS, NOT_MERGED};
use crate::columns::{Columns, Record, named};
use crate::fulfilment::consolidate::push_group;
use crate::fulfilment::consolidate_records::{ConsolidationStore, GroupMembers, GroupPush, PoolOrder, PoolRule};
use crate::fulfilment::push::PushPolicy;
use crate::orders::records::{OrderSummary, SUMMARY_COLUMNS, page_limit};
use crate::sql::{SqlRun, TxRunner};

fn id(row: &dyn Columns) -> StoreResult<OrderId> {
    Ok(OrderId(row.id("id")?))
}

fn merge_id(row: &dyn Columns) -> StoreResult<Uuid> {
    row.id("merge_id")
}

fn status(row: &dyn Columns) -> StoreResult<OrderStatus> {
    named(row, "status", OrderStatus::parse)
}

fn pool_order(row: &dyn Columns) -> StoreResult<PoolOrder> {
    Ok(PoolOrder {
        match_key: row.text("k")?,
        order: OrderSummary::read(row)?,
    })
}

#[async_trait::async_trait]
impl<S> ConsolidationStore for S
where
    S: SqlRun + TxRunner,
    for<'c> S::Tx<'c>: crate::review::records::HoldTx,
{
    async fn allocated_alone(
        &self,
        tenant: &TenantId,
        rule: Option<&PoolRule>,
        limit: u32,
    ) -> StoreResult<Vec<OrderId>> {
        let d = self.dialect();
        let sql = format!(
            "SELECT id FROM orders o WHERE tenant_id = $1 AND status = 'allocated' AND {NOT_MERGED} \
             AND NOT ({}) AND (buyer_id IS NULL OR NOT ({})) ORDER BY placed_at DESC, id DESC LIMIT $4",
            d.in_list("channel", "$2"),
            d.in_list("buyer_id", "$3")
        );
        let channels: Vec<String> = rule.iter().flat_map(|r| r.channels.iter().cloned()).collect();
        let buyers: Vec<String> = rule.iter().flat_map(|r| r.buyer_ids.iter().cloned()).collect();
        let params = [
            tenant.into(),
            channels.as_slice().into(),
            buyers.as_slice().into(),
            page_limit(limit).into(),
        ];
        self.rows(&sql, &params, id).await
    }

    async fn pool_orders(
        &self,
        tenant: &TenantId,
        rule: &PoolRule,
        match_key: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PoolOrder>> {
        let d = self.dialect();
        let sql = format!(
            "SELECT match_key AS k, {SUMMARY_COLUMNS} FROM orders o WHERE tenant_id = $1 \
             AND status IN ('paid', 'allocated', 'on_hold') AND match_key IS NOT NULL \
             AND (CAST($4 AS TEXT) IS NULL OR match_key = $4) AND ({} OR {}) AND {NOT_MERGED} \
             ORDER BY match_key, placed_at, id LIMIT $5",
            d.in_list("channel", "$2"),
            d.in_list("buyer_id", "$3")
        );
        let channels: Vec<String> = rule.channels.iter().cloned().collect();
        let buyers: Vec<String> = rule.buyer_ids.iter().cloned().collect();
        let params = [
            tenant.into(),
            channels.as_slice().into(),
            buyers.as_slice().into(),
            match_key.into(),
            page_limit(limit).into(),
        ];
        self.rows(&sql, &params, pool_order).await
    }

    async fn allocated_groups(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<Uuid>> {
        let sql = "SELECT m.merge_id FROM orders o JOIN merge_members m ON m.tenant_id = o.tenant_id \
                   AND m.order_id = o.id WHERE o.tenant_id = $1 AND o.status = 'allocated' GROUP BY m.merge_id \
                   ORDER BY min(o.placed_at) LIMIT $2";
        self.rows(sql, &[tenant.into(), page_limit(limit).into()], merge_id)
            .await
    }

    async fn merge_of(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Option<Uuid>> {
        let sql = "SELECT merge_id FROM merge_members WHERE tenant_id = $1 AND order_id = $2";
        self.row(sql, &[tenant.into(), order.0.into()], merge_id).await
    }

    async fn group_members(&self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<GroupMembers>> {
        let sql =
            format!("SELECT {MERGE_COLUMNS} FROM merges WHERE tenant_id = $1 AND id = $2 AND dissolved_at IS NULL");
        let Some(group) = self.row(&sql, &[tenant.into(), group.into()], MergeGroup::read).await? else {
            return Ok(None);
        };
        let mut members = Vec::with_capacity(group.order_ids.len());
        for order in &group.order_ids {
            let sql = "SELECT status FROM orders WHERE tenant_id = $1 AND id = $2";
            if let Some(status) = self.row(sql, &[tenant.into(), order.0.into()], status).await? {
                members.push((*order, status));
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
        self.in_tx(move |tx| {
            let (tenant, policy, actor) = (tenant.clone(), policy.clone(), actor.clone());
            Box::pin(async move { push_group(tx, &tenant, group, &policy, &actor, now).await })
        })
        .await
    }
}
