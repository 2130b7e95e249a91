//! Records of consolidated shipments: the B2B pool rule, what a consolidated push did,
//! and the store operations behind them (see [`crate::fulfilment::consolidate`] for the algorithm).
//!
//! A consolidation is a merge group (see [`crate::channels::steps`]) that reaches the warehouse:
//! its open members go out as one fulfilment request per warehouse. The pool is not
//! stored: it is every open order the rule matches that is in no merge yet, so it needs
//! no table and cannot drift from the orders themselves.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use ordo_core::matching::mergeable;
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde::Serialize;
use uuid::Uuid;

use crate::StoreResult;
use crate::channels::records::MergeGroup;
use crate::fulfilment::push::PushPolicy;
use crate::orders::records::OrderSummary;

/// Which customers' orders wait in a pool to ship together (B2B buyers placing several
/// purchase orders a day), and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRule {
    /// Orders of these channels are pooled.
    pub channels: BTreeSet<String>,
    /// Orders of these buyers (the channel's buyer id) are pooled, whatever the channel.
    pub buyer_ids: BTreeSet<String>,
    /// How long a customer's pool fills, from the placement of its earliest waiting order.
    pub window: Duration,
}

impl PoolRule {
    /// Whether the rule pools anything at all.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.buyer_ids.is_empty()
    }

    /// Whether an order of this channel and buyer waits in the pool. Two set lookups: it
    /// runs on every push, so it must cost nothing next to the transaction around it.
    pub fn pools(&self, channel: &str, buyer_id: Option<&str>) -> bool {
        self.channels.contains(channel) || buyer_id.is_some_and(|b| self.buyer_ids.contains(b))
    }
}

/// An open order the pool rule matches, in no merge yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOrder {
    /// The order.
    pub order: OrderSummary,
    /// Its buyer + destination key: one pool per key.
    pub match_key: String,
}

/// An active merge and where each of its members stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembers {
    /// The merge.
    pub group: MergeGroup,
    /// Every member with its status, in the merge's order.
    pub members: Vec<(OrderId, OrderStatus)>,
}

impl GroupMembers {
    /// Members not yet released to a warehouse (cancelled ones and ones already sent are
    /// done with the consolidation).
    pub fn open(&self) -> impl Iterator<Item = OrderId> + '_ {
        self.members.iter().filter(|(_, s)| mergeable(*s)).map(|(id, _)| *id)
    }

    /// Whether the group may go out now: it has open members and all of them are
    /// allocated (an order with an open hold is `on_hold`, never `allocated`).
    pub fn ready(&self) -> bool {
        let mut open = self.members.iter().filter(|(_, s)| mergeable(*s)).peekable();
        open.peek().is_some() && open.all(|(_, s)| *s == OrderStatus::Allocated)
    }
}

/// One fulfilment request of a consolidated push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushedRequest {
    /// The warehouse.
    pub warehouse: String,
    /// The request's id (its outbox message id and the warehouse's idempotency key).
    pub request_id: Uuid,
}

/// What a consolidated push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupPush {
    /// Queued: one request per warehouse, every open member now `sent_to_warehouse`.
    Pushed {
        /// The member the requests are named after (the first open one in merge order).
        lead: OrderId,
        /// Every member that went.
        order_ids: Vec<OrderId>,
        /// The requests.
        requests: Vec<PushedRequest>,
    },
    /// A member is not ready (not allocated, held, or short); the group waits for it.
    Waiting {
        /// The member.
        order: OrderId,
        /// Its status.
        status: OrderStatus,
    },
    /// A member holds stock at a warehouse Ordo does not send requests to (no connector),
    /// or holds nothing to send; pushing again will not help until that changes.
    NotPushable {
        /// The member.
        order: OrderId,
        /// Why.
        reason: String,
    },
    /// No active merge by that id, or none of its members is open any more.
    Nothing,
}

/// The consolidation operations of a store.
#[async_trait::async_trait]
pub trait ConsolidationStore: Send + Sync {
    /// Allocated orders that go out alone: in no active merge and not pooled by `rule`;
    /// newest placed first. What the push sweeper tries, so that orders waiting for others
    /// never crowd out the rest.
    async fn allocated_alone(
        &self,
        tenant: &TenantId,
        rule: Option<&PoolRule>,
        limit: u32,
    ) -> StoreResult<Vec<OrderId>>;

    /// The pool: open orders (paid, on hold, allocated) that `rule` matches and that are in
    /// no active merge, of one customer (`match_key`) or of all, by key then placement.
    async fn pool_orders(
        &self,
        tenant: &TenantId,
        rule: &PoolRule,
        match_key: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<PoolOrder>>;

    /// Active merges with at least one allocated member, oldest member first: the ones a
    /// consolidated push may be due for.
    async fn allocated_groups(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<Uuid>>;

    /// The active merge an order is in.
    async fn merge_of(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Option<Uuid>>;

    /// An active merge with its members' statuses.
    async fn group_members(&self, tenant: &TenantId, group: Uuid) -> StoreResult<Option<GroupMembers>>;

    /// Pushes an active merge as one consolidated shipment, in one transaction (see
    /// [`crate::fulfilment::consolidate::push_group`]).
    async fn push_group(
        &self,
        tenant: &TenantId,
        group: Uuid,
        policy: &PushPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<GroupPush>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(members: &[OrderStatus]) -> GroupMembers {
        let ids: Vec<OrderId> = members.iter().map(|_| OrderId(Uuid::now_v7())).collect();
        GroupMembers {
            group: MergeGroup {
                id: Uuid::now_v7(),
                order_ids: ids.clone(),
                merged_by: "test".into(),
                created_at: Utc::now(),
                dissolved_at: None,
                dissolved_by: None,
            },
            members: ids.into_iter().zip(members.iter().copied()).collect(),
        }
    }

    #[test]
    fn a_group_is_ready_when_every_open_member_is_allocated() {
        use OrderStatus::*;
        assert!(group(&[Allocated, Allocated]).ready());
        assert!(
            group(&[Allocated, Cancelled]).ready(),
            "a cancelled member does not block"
        );
        assert!(!group(&[Allocated, OnHold]).ready(), "one still waits for stock");
        assert!(!group(&[Allocated, Paid]).ready());
        assert!(!group(&[SentToWarehouse, Cancelled]).ready(), "nothing open is left");
        assert_eq!(group(&[SentToWarehouse, Allocated]).open().count(), 1);
    }

    #[test]
    fn the_rule_pools_by_channel_or_buyer() {
        let rule = PoolRule {
            channels: ["b2b".to_owned()].into(),
            buyer_ids: ["C-1".to_owned()].into(),
            window: Duration::minutes(60),
        };
        assert!(rule.pools("b2b", None));
        assert!(rule.pools("web", Some("C-1")));
        assert!(!rule.pools("web", Some("C-2")));
        assert!(!rule.pools("web", None));
    }
}
