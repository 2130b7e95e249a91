//! B2B consolidation: several orders (purchase orders) of one customer leave in one
//! shipment.
//!
//! - Merged orders (by hand, by the merge rule, or below) are never pushed alone: once
//!   every open member is allocated, the sweeper sends the merge as one fulfilment request
//!   per warehouse ([`ordo_store::fulfilment::consolidate::push_group`]).
//! - Orders the pool rule (`[consolidation]`) matches wait, once allocated, in their
//!   customer's pool (one per buyer + destination key) until the window since the
//!   customer's earliest waiting order has passed, or someone releases the pool; then its
//!   allocated orders are merged and pushed together. Orders still short of stock stay in
//!   the pool for the next release rather than hold the rest back.
//! - Warehouse callbacks name the lead order; [`members_of`] lets them move every member.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::OrderAction;
use ordo_store::channels::records::{MergeError, MergeGroup};
use ordo_store::fulfilment::consolidate_records::{GroupPush, PoolRule, PushedRequest};
use ordo_store::fulfilment::push::PushPolicy;
use ordo_store::{OrderSummary, Store, StoreResult};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::feed::FeedHub;

/// Most pool orders or merges looked at per tenant per sweep; the rest wait a sweep.
const PER_SWEEP: u32 = 500;

/// How long a merge that cannot be pushed (stock at a warehouse without a connector) is
/// left alone before the sweeper looks again.
const PARKED_FOR: chrono::Duration = chrono::Duration::minutes(1);

/// `[consolidation]`: whose orders wait in a per-customer pool to ship together. An
/// empty section (the default) pools nothing; merges still ship as one either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsolidationConfig {
    /// Pool the orders of these channels (e.g. a B2B portal).
    pub channels: Vec<String>,
    /// Pool the orders of these buyers (the channel's buyer id), on any channel.
    pub buyer_ids: Vec<String>,
    /// Minutes a customer's pool fills, from its earliest allocated order's placement,
    /// before it ships by itself.
    pub window_minutes: u32,
}

impl Default for ConsolidationConfig {
    fn default() -> Self {
        Self {
            channels: Vec::new(),
            buyer_ids: Vec::new(),
            window_minutes: 240,
        }
    }
}

impl ConsolidationConfig {
    /// The rule, if it pools anything.
    pub fn rule(&self) -> Option<PoolRule> {
        let rule = PoolRule {
            channels: self.channels.iter().cloned().collect(),
            buyer_ids: self.buyer_ids.iter().cloned().collect(),
            window: chrono::Duration::minutes(i64::from(self.window_minutes)),
        };
        (!rule.is_empty()).then_some(rule)
    }
}

/// One customer's pool: its open orders the rule matches, in no merge yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPool {
    /// The buyer + destination key.
    pub match_key: String,
    /// The orders, by placement.
    pub orders: Vec<OrderSummary>,
    /// When the pool goes out by itself: the earliest allocated order's placement plus
    /// the window; `None` while none is allocated.
    pub due_at: Option<DateTime<Utc>>,
}

/// Every customer's pool (the one of `match_key`, if given).
pub async fn pools(
    store: &dyn Store,
    tenant: &TenantId,
    rule: &PoolRule,
    match_key: Option<&str>,
) -> StoreResult<Vec<CustomerPool>> {
    let mut out: Vec<CustomerPool> = Vec::new();
    for row in store.pool_orders(tenant, rule, match_key, PER_SWEEP).await? {
        if out.last().is_none_or(|p| p.match_key != row.match_key) {
            out.push(CustomerPool {
                match_key: row.match_key.clone(),
                orders: Vec::new(),
                due_at: None,
            });
        }
        let pool = out.last_mut().expect("just pushed");
        if row.order.status == OrderStatus::Allocated && pool.due_at.is_none() {
            pool.due_at = Some(row.order.placed_at + rule.window);
        }
        pool.orders.push(row.order);
    }
    Ok(out)
}

/// What releasing a pool did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The merge made of the pool's allocated orders (none when one order went alone).
    pub consolidation_id: Option<Uuid>,
    /// Orders sent to the warehouse.
    pub sent: Vec<OrderId>,
    /// The requests queued.
    pub requests: Vec<PushedRequest>,
    /// Orders left in the pool because they are not allocated yet.
    pub left: Vec<OrderId>,
    /// Why the allocated orders did not go, when they did not.
    pub blocked: Option<String>,
}

/// Why a pool was not released.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// No pool rule, or no open order of that customer in the pool.
    #[error("no pooled order has the key {0}")]
    Empty(String),
    /// The orders moved on while they were merged; releasing again will look afresh.
    #[error(transparent)]
    Merge(#[from] MergeError),
}

/// Ships a customer's pool now: its allocated orders are merged (two or more) and pushed
/// as one shipment, or pushed alone (one).
pub async fn release(
    store: &dyn Store,
    tenant: &TenantId,
    policy: &PushPolicy,
    match_key: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<Released, ReleaseError>> {
    let empty = || Ok(Err(ReleaseError::Empty(match_key.to_owned())));
    let Some(rule) = policy.pool.as_deref() else {
        return empty();
    };
    let Some(pool) = pools(store, tenant, rule, Some(match_key)).await?.pop() else {
        return empty();
    };
    let (ready, left): (Vec<&OrderSummary>, Vec<&OrderSummary>) =
        pool.orders.iter().partition(|o| o.status == OrderStatus::Allocated);
    let mut released = Released {
        consolidation_id: None,
        sent: Vec::new(),
        requests: Vec::new(),
        left: left.iter().map(|o| o.id).collect(),
        blocked: None,
    };
    match ready.as_slice() {
        [] => {}
        [single] => {
            let action = OrderAction::Push(policy.without_pool());
            let done = store
                .order_action(tenant, single.id, &action, Default::default(), actor, now)
                .await?;
            if matches!(done, Ok(ref o) if o.status == OrderStatus::SentToWarehouse) {
                released.sent.push(single.id);
                released.requests = requests_of(store, tenant, single.id).await?;
            } else {
                released.blocked = Some(format!(
                    "order {} could not be sent (held meanwhile, or stock at a warehouse that takes no requests from Ordo)",
                    single.id
                ));
            }
        }
        several => {
            let ids: Vec<OrderId> = several.iter().map(|o| o.id).collect();
            let group = match consolidate(store, tenant, &ids, policy, actor, now).await? {
                Ok(done) => done,
                Err(refused) => return Ok(Err(refused.into())),
            };
            released.consolidation_id = Some(group.group.id);
            match group.push {
                GroupPush::Pushed {
                    order_ids, requests, ..
                } => (released.sent, released.requests) = (order_ids, requests),
                other => released.blocked = Some(describe(&other)),
            }
        }
    }
    Ok(Ok(released))
}

/// A merge made by hand (or of a released pool) and its push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consolidated {
    /// The merge.
    pub group: MergeGroup,
    /// What the push did: pushed, or waiting for a member (the sweeper pushes it later).
    pub push: GroupPush,
}

/// Merges orders of one customer into one shipment and pushes it at once if every order
/// is allocated (else the sweeper does when they are). A person or the pool decided
/// these belong together, so no placement window applies.
pub async fn consolidate(
    store: &dyn Store,
    tenant: &TenantId,
    orders: &[OrderId],
    policy: &PushPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<Consolidated, MergeError>> {
    let group = match store
        .merge_orders(tenant, orders, chrono::TimeDelta::MAX, actor, now)
        .await?
    {
        Ok(group) => group,
        Err(refused) => return Ok(Err(refused)),
    };
    let push = store.push_group(tenant, group.id, policy, actor, now).await?;
    Ok(Ok(Consolidated { group, push }))
}

/// The orders a warehouse callback naming `order` moves: the order, then the other live
/// (not cancelled) members of its merge, which went to the warehouse in the same request.
pub async fn members_of(store: &Arc<dyn Store>, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<OrderId>> {
    let mut ids = vec![order];
    let Some(group) = store.merge_of(tenant, order).await? else {
        return Ok(ids);
    };
    if let Some(group) = store.group_members(tenant, group).await? {
        let others = group
            .members
            .iter()
            .filter(|(id, s)| *id != order && *s != OrderStatus::Cancelled);
        ids.extend(others.map(|(id, _)| *id));
    }
    Ok(ids)
}

/// A push that did not happen, in words.
pub fn describe(push: &GroupPush) -> String {
    match push {
        GroupPush::Pushed { .. } => "pushed".into(),
        GroupPush::Waiting { order, status } => format!("waiting for order {order}, which is {}", status.as_str()),
        GroupPush::NotPushable { order, reason } => format!("order {order} cannot be sent: {reason}"),
        GroupPush::Nothing => "no open order is left in the merge".into(),
    }
}

/// The requests named by an order's last push event.
async fn requests_of(store: &dyn Store, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<PushedRequest>> {
    let record = store.get_order(tenant, order).await?;
    let last = record.and_then(|r| r.events.into_iter().rev().find(|e| e.data["transition"] == "push"));
    let requests = last.map(|e| e.data["requests"].clone()).unwrap_or_default();
    Ok(requests
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(PushedRequest {
                warehouse: r["warehouse"].as_str()?.to_owned(),
                request_id: r["request_id"].as_str()?.parse().ok()?,
            })
        })
        .collect())
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Pools released because their window passed.
    pub released: usize,
    /// Merges pushed as one shipment.
    pub pushed: usize,
}

/// Releases due pools and pushes merges whose members are all allocated, remembering the
/// merges and pools that cannot be pushed so that they cost nothing for a while.
#[derive(Debug, Default)]
pub struct Sweeper {
    parked: HashMap<Uuid, DateTime<Utc>>,
    parked_pools: HashMap<String, DateTime<Utc>>,
}

impl Sweeper {
    /// One sweep over every tenant.
    pub async fn sweep(
        &mut self,
        store: &dyn Store,
        warehouses: &crate::fulfil::Warehouses,
        now: DateTime<Utc>,
    ) -> StoreResult<SweepReport> {
        let mut report = SweepReport::default();
        self.parked.retain(|_, until| *until > now);
        self.parked_pools.retain(|_, until| *until > now);
        for tenant in store.list_tenants().await? {
            let tenant = tenant.id;
            let policy = &warehouses.push_policy(&tenant);
            if let Some(rule) = policy.pool.as_deref() {
                for pool in pools(store, &tenant, rule, None).await? {
                    let key = pool.match_key;
                    if pool.due_at.is_none_or(|due| due > now) || self.parked_pools.contains_key(&key) {
                        continue;
                    }
                    match release(store, &tenant, policy, &key, "rule:consolidation", now).await? {
                        Ok(done) if !done.sent.is_empty() => report.released += 1,
                        Ok(Released { blocked: Some(why), .. }) => {
                            tracing::warn!(pool = %key, %why, "pooled orders held back");
                            self.parked_pools.insert(key, now + PARKED_FOR);
                        }
                        // Refused: an order moved on meanwhile; the next sweep looks afresh.
                        Ok(_) | Err(_) => {}
                    }
                }
            }
            for group in store.allocated_groups(&tenant, PER_SWEEP).await? {
                if self.parked.contains_key(&group) {
                    continue;
                }
                // Read first: a merge still waiting for a member costs no write transaction.
                let Some(members) = store.group_members(&tenant, group).await? else {
                    continue;
                };
                if !members.ready() {
                    continue;
                }
                match store.push_group(&tenant, group, policy, "system:push", now).await? {
                    GroupPush::Pushed { .. } => report.pushed += 1,
                    refused @ GroupPush::NotPushable { .. } => {
                        tracing::warn!(merge = %group, why = %describe(&refused), "consolidated shipment held back");
                        self.parked.insert(group, now + PARKED_FOR);
                    }
                    GroupPush::Waiting { .. } | GroupPush::Nothing => {}
                }
            }
        }
        Ok(report)
    }
}

/// Sweeps every `interval` until `stop`, ringing the feed after a push so the requests
/// are delivered at once.
pub fn spawn(
    store: Arc<dyn Store>,
    cluster: crate::cluster::Cluster,
    warehouses: crate::fulfil::Warehouses,
    feed: FeedHub,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut sweeper = Sweeper::default();
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if !cluster.lead("consolidation").await {
                continue;
            }
            match sweeper.sweep(store.as_ref(), &warehouses, Utc::now()).await {
                Ok(report) if report != SweepReport::default() => {
                    tracing::info!(?report, "consolidation sweep");
                    metrics::counter!("ordo_consolidated_pushes_total").increment(report.pushed as u64);
                    feed.bump();
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "consolidation sweep failed; trying again next round"),
            }
        }
    })
}
