//! The ingestion algorithm, written once for every store: an arrival is kept in the
//! inbox, decided against the stored order, reserved, reviewed when it becomes paid and
//! sent to its warehouses, all in the caller's transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ordo_core::allocation::{ReserveWhen, StockPolicy};
use ordo_core::ingest::{Decision, EventKind, NewEvent, OrderState, Outcome, decide};
use ordo_core::{ChannelId, ExternalOrderId, Order, OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::fulfilment::push::{self};
use crate::orders::records::{IdempotencyClaim, InboxStatus, InboxWrite, NewInbox};
use crate::orders::rows::{IdempotencyRecord, InboxRow, IngestTx};
use crate::review::records::{HoldTx, Reviewer};
use crate::review::verdict as review;
use crate::stock::allocate::{AllocTx, TenantStock, order_feed_event, order_stock_step};
use crate::{StoreError, StoreResult};

/// What ingestion does besides storing an order: the repairs already made to it, and the
/// review it gets when it becomes paid.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// The merchant's rules; none means no review.
    pub reviewer: Option<Arc<dyn Reviewer>>,
    /// Whether the recipient's phone is valid, when it was checked.
    pub phone_valid: Option<bool>,
    /// Repairs made before validation (field, kind, before, after), recorded as an event.
    pub repairs: Vec<serde_json::Value>,
    /// What repair could not settle (field, code, message, suggestion), for a person.
    pub unresolved: Vec<serde_json::Value>,
    /// Warehouses an allocated order is sent to in the same transaction.
    pub push: crate::fulfilment::push::PushPolicy,
}

/// One arrival in a batch.
#[derive(Debug, Clone)]
pub enum IngestItem {
    /// A valid order.
    Order {
        /// The payload to keep.
        inbox: NewInbox,
        /// The validated order.
        order: Box<Order>,
        /// Id to use if the order is new.
        new_order_id: OrderId,
        /// Idempotency key, if the client sent one.
        idempotency: Option<IdempotencyClaim>,
        /// Who sent it, e.g. `token:…` or `connector:shopify`; recorded on events.
        actor: String,
        /// Whether and how it reserves stock.
        stock: StockPolicy,
        /// Repairs made on the way in and the review it gets when it becomes paid.
        review: Review,
    },
    /// A payload that failed parsing or validation.
    Failed {
        /// The payload to keep.
        inbox: NewInbox,
        /// What was wrong: `code`, `message`, `details`.
        error: serde_json::Value,
    },
    /// A payload refused before reading it (e.g. a webhook with a bad signature): kept as
    /// `rejected`, never replayed. Answered [`IngestResult::FailedKept`].
    Rejected {
        /// The payload to keep.
        inbox: NewInbox,
        /// Why: `code`, `message`.
        error: serde_json::Value,
    },
    /// A verified payload that carries no order (a platform's deletion notice, an app
    /// topic): kept as `processed` with the outcome `noted`, so it is on record without
    /// standing among the failures. Answered [`IngestResult::FailedKept`] (kept, no order).
    Noted {
        /// The payload to keep.
        inbox: NewInbox,
    },
}

impl IngestItem {
    /// The payload every arrival keeps.
    pub fn inbox(&self) -> &NewInbox {
        match self {
            Self::Order { inbox, .. }
            | Self::Failed { inbox, .. }
            | Self::Rejected { inbox, .. }
            | Self::Noted { inbox } => inbox,
        }
    }
}

/// The result of one arrival.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestResult {
    /// Applied (or recognised as a duplicate).
    Applied {
        /// The order.
        order_id: OrderId,
        /// What happened to it.
        outcome: Outcome,
        /// Its status afterwards.
        status: OrderStatus,
        /// Its version afterwards.
        version: i64,
        /// The inbox entry.
        inbox_id: Uuid,
        /// True when an earlier request with the same idempotency key already did this.
        idempotent_replay: bool,
    },
    /// Kept as failed.
    FailedKept {
        /// The inbox entry.
        inbox_id: Uuid,
    },
    /// The idempotency key was used before with another body; kept as rejected.
    IdempotencyKeyReused {
        /// The inbox entry.
        inbox_id: Uuid,
    },
    /// Reprocess or correct named an inbox entry that is missing or not failed.
    NotReplayable {
        /// The entry named.
        inbox_id: Uuid,
        /// Why.
        reason: String,
    },
}

/// Applies a batch inside an open transaction. Items touching the same order keep their
/// arrival order; across orders, rows are locked in (tenant, channel, external id) order so
/// that concurrent batches on several nodes cannot deadlock.
pub async fn ingest_batch<T: HoldTx>(
    tx: &mut T,
    items: &[IngestItem],
    now: DateTime<Utc>,
) -> StoreResult<Vec<IngestResult>> {
    let mut sequence: Vec<usize> = (0..items.len()).collect();
    sequence.sort_by(|a, b| lock_key(&items[*a]).cmp(&lock_key(&items[*b])));
    let keys: Vec<_> = items
        .iter()
        .filter_map(|item| match item {
            IngestItem::Order { inbox, order, .. } => Some((&inbox.tenant, &order.channel, &order.external_id)),
            IngestItem::Failed { .. } | IngestItem::Rejected { .. } | IngestItem::Noted { .. } => None,
        })
        .collect();
    // Stock levels first (see `allocate` for the lock order), then the orders.
    let mut tenants = lock_stock(tx, items).await?;
    tx.prefetch_orders(&keys).await?;
    let mut results: Vec<Option<IngestResult>> = vec![None; items.len()];
    for index in sequence {
        let item = &items[index];
        let tenant = &item.inbox().tenant;
        let ctx = tenants
            .entry(tenant.clone())
            .or_insert_with(|| TenantStock::empty(tenant));
        results[index] = Some(apply(tx, ctx, item, now).await?);
    }
    for (tenant, ctx) in &mut tenants {
        ctx.finish(tx, tenant, now).await?;
    }
    tx.flush().await?;
    Ok(results
        .into_iter()
        .map(|r| r.expect("every item was applied"))
        .collect())
}

/// Per tenant, locks the stock of every SKU the batch's orders name or already hold.
/// Tenants whose orders all arrive under a policy that ignores stock lock nothing.
async fn lock_stock<T: AllocTx>(tx: &mut T, items: &[IngestItem]) -> StoreResult<BTreeMap<TenantId, TenantStock>> {
    type OrderKeys<'a> = Vec<(&'a ChannelId, &'a ExternalOrderId)>;
    let mut wanted: BTreeMap<&TenantId, (BTreeSet<String>, OrderKeys<'_>)> = BTreeMap::new();
    for item in items {
        if let IngestItem::Order {
            inbox, order, stock, ..
        } = item
            && stock.reserve_when != ReserveWhen::Never
        {
            let entry = wanted.entry(&inbox.tenant).or_default();
            entry.0.extend(order.lines.iter().map(|l| l.sku.as_str().to_owned()));
            entry.1.push((&order.channel, &order.external_id));
        }
    }
    let mut tenants = BTreeMap::new();
    for (tenant, (mut skus, orders)) in wanted {
        skus.extend(tx.held_skus(tenant, &orders).await?);
        tenants.insert(tenant.clone(), TenantStock::load(tx, tenant, skus).await?);
    }
    Ok(tenants)
}

fn lock_key(item: &IngestItem) -> Option<(&str, &str, &str)> {
    match item {
        IngestItem::Order { inbox, order, .. } => Some((
            inbox.tenant.as_str(),
            order.channel.as_str(),
            order.external_id.as_str(),
        )),
        IngestItem::Failed { .. } | IngestItem::Rejected { .. } | IngestItem::Noted { .. } => None,
    }
}

async fn apply<T: HoldTx>(
    tx: &mut T,
    ctx: &mut TenantStock,
    item: &IngestItem,
    now: DateTime<Utc>,
) -> StoreResult<IngestResult> {
    let inbox = item.inbox();
    if let Some(target) = replay_target(inbox) {
        match tx.inbox_status(&inbox.tenant, target).await? {
            Some(InboxStatus::Failed) => {}
            Some(other) => {
                return Ok(IngestResult::NotReplayable {
                    inbox_id: target,
                    reason: format!("entry is {}, only failed entries can be replayed", other.as_str()),
                });
            }
            None => {
                return Ok(IngestResult::NotReplayable {
                    inbox_id: target,
                    reason: "no such inbox entry".into(),
                });
            }
        }
    }
    match item {
        IngestItem::Failed { inbox, error } | IngestItem::Rejected { inbox, error } => {
            let status = if matches!(item, IngestItem::Rejected { .. }) {
                InboxStatus::Rejected
            } else {
                InboxStatus::Failed
            };
            let row = InboxRow {
                inbox,
                status,
                error: Some(error.clone()),
                order_id: None,
                outcome: None,
                replay_of: corrected(inbox),
            };
            write_inbox(tx, &row).await?;
            Ok(IngestResult::FailedKept { inbox_id: inbox.id })
        }
        IngestItem::Noted { inbox } => {
            let row = InboxRow {
                inbox,
                status: InboxStatus::Processed,
                error: None,
                order_id: None,
                outcome: Some("noted"),
                replay_of: None,
            };
            write_inbox(tx, &row).await?;
            Ok(IngestResult::FailedKept { inbox_id: inbox.id })
        }
        IngestItem::Order {
            inbox,
            order,
            new_order_id,
            idempotency,
            actor,
            stock,
            review,
        } => {
            if let Some(claim) = idempotency
                && let Some(first) = tx.find_idempotency(&inbox.tenant, &claim.key).await?
            {
                return answer_repeated_key(tx, inbox, claim, first).await;
            }
            let applied = apply_order(tx, ctx, inbox, order, *new_order_id, *stock, review, actor, now).await?;
            ctx.kpis.arrival(&inbox.tenant, order, now);
            let row = InboxRow {
                inbox,
                status: InboxStatus::Processed,
                error: None,
                order_id: Some(applied.state.id),
                outcome: Some(applied.decision.outcome.as_str()),
                replay_of: corrected(inbox),
            };
            write_inbox(tx, &row).await?;
            if let Some(claim) = idempotency {
                let record = IdempotencyRecord {
                    request_hash: claim.request_hash.clone(),
                    order_id: applied.state.id,
                    inbox_id: inbox.id,
                    outcome: applied.decision.outcome,
                    status: applied.state.status,
                    version: applied.state.version,
                };
                // Losing this race to another node's identical request is harmless: the
                // order row lock made both apply the same change once.
                tx.insert_idempotency(&inbox.tenant, &claim.key, &record, now).await?;
            }
            Ok(IngestResult::Applied {
                order_id: applied.state.id,
                outcome: applied.decision.outcome,
                status: applied.state.status,
                version: applied.state.version,
                inbox_id: inbox.id,
                idempotent_replay: false,
            })
        }
    }
}

fn replay_target(inbox: &NewInbox) -> Option<Uuid> {
    match inbox.write {
        InboxWrite::Insert => None,
        InboxWrite::Correct { replay_of } => Some(replay_of),
        InboxWrite::Reprocess => Some(inbox.id),
    }
}

fn corrected(inbox: &NewInbox) -> Option<Uuid> {
    match inbox.write {
        InboxWrite::Correct { replay_of } => Some(replay_of),
        _ => None,
    }
}

async fn write_inbox<T: IngestTx>(tx: &mut T, row: &InboxRow<'_>) -> StoreResult<()> {
    match row.inbox.write {
        InboxWrite::Insert => tx.insert_inbox(row).await,
        InboxWrite::Reprocess => tx.update_inbox(row).await,
        InboxWrite::Correct { replay_of } => {
            tx.insert_inbox(row).await?;
            if row.status == InboxStatus::Processed {
                tx.resolve_inbox(&row.inbox.tenant, replay_of, row.inbox.id).await?;
            }
            Ok(())
        }
    }
}

async fn answer_repeated_key<T: IngestTx>(
    tx: &mut T,
    inbox: &NewInbox,
    claim: &IdempotencyClaim,
    first: IdempotencyRecord,
) -> StoreResult<IngestResult> {
    if first.request_hash != claim.request_hash {
        let error = json!({
            "code": "idempotency_key_reused",
            "message": format!("Idempotency-Key {:?} was first used with a different body", claim.key),
        });
        let row = InboxRow {
            inbox,
            status: InboxStatus::Rejected,
            error: Some(error),
            order_id: None,
            outcome: None,
            replay_of: None,
        };
        write_inbox(tx, &row).await?;
        return Ok(IngestResult::IdempotencyKeyReused { inbox_id: inbox.id });
    }
    let row = InboxRow {
        inbox,
        status: InboxStatus::Processed,
        error: None,
        order_id: Some(first.order_id),
        outcome: Some(Outcome::Unchanged.as_str()),
        replay_of: None,
    };
    write_inbox(tx, &row).await?;
    Ok(IngestResult::Applied {
        order_id: first.order_id,
        outcome: first.outcome,
        status: first.status,
        version: first.version,
        inbox_id: first.inbox_id,
        idempotent_replay: true,
    })
}

struct Applied {
    state: OrderState,
    decision: Decision,
}

#[allow(clippy::too_many_arguments)]
async fn apply_order<T: HoldTx>(
    tx: &mut T,
    ctx: &mut TenantStock,
    inbox: &NewInbox,
    order: &Order,
    new_order_id: OrderId,
    policy: StockPolicy,
    review: &Review,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Applied> {
    let tenant = &inbox.tenant;
    // Two tries: the first insert can lose a race to another node, after which the row
    // exists and the second pass locks and updates it.
    for _ in 0..2 {
        let counted = ctx.kpis.mark();
        let locked = tx.lock_order(tenant, &order.channel, &order.external_id).await?;
        let mut decision = decide(locked.as_ref().map(|l| &l.state), order);
        let last_seq = locked.as_ref().map_or(0, |l| l.last_event_seq);
        let mut state = match &locked {
            None => OrderState {
                id: new_order_id,
                order: order.clone(),
                status: decision.status,
                version: 1,
            },
            Some(locked) if decision.outcome == Outcome::Updated => OrderState {
                id: locked.state.id,
                order: order.clone(),
                status: decision.status,
                version: locked.state.version + 1,
            },
            Some(locked) => locked.state.clone(),
        };
        let changes = matches!(decision.outcome, Outcome::Created | Outcome::Updated);
        if changes && (!review.repairs.is_empty() || !review.unresolved.is_empty()) {
            decision.events.push(NewEvent {
                kind: EventKind::Repaired,
                data: json!({ "repairs": review.repairs, "unresolved": review.unresolved }),
            });
        }
        let previous = locked.as_ref().map(|l| l.state.status);
        let reviewed = if changes {
            review::on_arrival(
                tx,
                tenant,
                ctx,
                &mut state,
                previous,
                review.reviewer.as_deref(),
                review.phone_valid,
                actor,
                now,
            )
            .await?
        } else {
            None
        };
        let mut stock = None;
        if changes && policy.reserve_when != ReserveWhen::Never {
            let step = order_stock_step(tx, tenant, ctx, &state, locked.is_some(), policy, actor, now).await?;
            state.status = step.status;
            decision.events.extend(step.events);
            stock = step.stock;
        }
        // An open hold (this review's, or a person's from before) keeps the order held
        // whatever its stock did.
        // Read only for a changed order that was held: an identical re-delivery costs no query.
        let held_before =
            changes && previous == Some(OrderStatus::OnHold) && !tx.open_holds(tenant, state.id).await?.is_empty();
        let holds_now = reviewed.as_ref().is_some_and(|r| r.hold.is_some());
        if changes && (held_before || holds_now) && state.status != OrderStatus::Cancelled {
            state.status = OrderStatus::OnHold;
        }
        if let Some(effect) = &reviewed {
            review::write_effect(tx, tenant, &state, effect, now).await?;
            decision.events.extend(effect.events.iter().cloned());
        }
        // Allocated now by this arrival: straight to the warehouse.
        if let Some(stock) = stock.as_ref().filter(|_| state.status == OrderStatus::Allocated) {
            let pushed = push::push(
                tx,
                tenant,
                &mut state,
                stock,
                &review.push,
                locked.is_some(),
                &ctx.catalogue,
                &mut ctx.kpis,
                now,
            )
            .await?;
            decision.events.extend(pushed);
        }
        decision.status = state.status;
        let new_last_seq = last_seq + decision.events.len() as i64;
        match (&locked, decision.outcome) {
            (None, _) => {
                if !tx.insert_order(tenant, &state, new_last_seq, now).await? {
                    // Another node stored it first: what this attempt counted did not happen.
                    ctx.kpis.rewind(counted);
                    continue;
                }
                ctx.kpis.order_in(tenant, &state.order, now);
            }
            (Some(_), Outcome::Updated) => tx.update_order(tenant, &state, new_last_seq, now).await?,
            (Some(_), _) => {
                if !decision.events.is_empty() {
                    tx.update_order(tenant, &state, new_last_seq, now).await?;
                }
            }
        }
        if !decision.events.is_empty() {
            tx.append_events(tenant, state.id, last_seq + 1, &decision.events, actor, now)
                .await?;
            if changes {
                ctx.feed
                    .extend(decision.events.iter().map(|e| order_feed_event(&state, e)));
            }
        }
        return Ok(Applied { state, decision });
    }
    Err(StoreError::Retryable(format!(
        "order {}/{} was inserted and vanished concurrently",
        order.channel, order.external_id
    )))
}
