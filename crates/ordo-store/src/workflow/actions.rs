//! The actions a person or a rule takes on one order (hold, approve, review again, a
//! workflow move, a push, an edit), written once for every store; a workflow
//! transition's own actions ([`crate::workflow::effects`]) run in the same transaction.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ordo_core::allocation::{StockAction, StockPolicy};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{Order, OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::fulfilment::push::push;
use crate::fulfilment::shipments::ShipmentTx;
use crate::orders::records::OrderRequestError;
use crate::review::records::{HoldRecord, HoldTx, ReviewDecision, Reviewer};
use crate::review::verdict::{effect, verdict, write_effect};
use crate::stock::allocate::{TenantStock, apply_action, order_feed_event, order_stock_step};
use crate::workflow::effects::{Effect, Effects, announce, run_stock};
use crate::{StoreError, StoreResult};

/// A request on one order that the review and workflow layer makes.
#[derive(Debug, Clone)]
pub enum OrderAction {
    /// A person holds it.
    Hold {
        /// Why.
        note: String,
    },
    /// A person approves it: every open hold is closed and it goes on.
    Release {
        /// Recorded on the holds, e.g. `approved`.
        resolution: String,
        /// Why, recorded on the event.
        note: Option<String>,
    },
    /// Runs the review rules again now (its review holds are replaced by the new verdict).
    Review(Arc<dyn Reviewer>),
    /// A status change with no stock effect (picking, packed, in transit, delivered,
    /// completed, return requested, refunded …), allowed by the workflow from `from`.
    Move {
        /// The workflow's transition name.
        transition: String,
        /// The new status.
        to: OrderStatus,
        /// Statuses it may leave from.
        from: Vec<OrderStatus>,
        /// Why.
        reason: Option<String>,
        /// Refuse while the order has an open hold.
        require_no_holds: bool,
    },
    /// Sends an allocated order with no open hold to its warehouses (see [`crate::fulfilment::push`]).
    Push(crate::fulfilment::push::PushPolicy),
    /// A workflow transition: `action` (a hold, an approval or a move) and what the
    /// transition asks for besides ([`Effects`]), run in the same transaction.
    Workflow {
        /// The hold, approval or move.
        action: Box<OrderAction>,
        /// What the transition asks for besides.
        effects: Effects,
    },
    /// A person corrected fields; the whole corrected order.
    Edit {
        /// The corrected order (same channel and external id).
        order: Box<Order>,
        /// What changed, with before and after, for the event.
        changes: serde_json::Value,
    },
}

impl OrderAction {
    /// Its name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hold { .. } => "hold",
            Self::Release { .. } => "release",
            Self::Review(_) => "review",
            Self::Move { .. } => "move",
            Self::Edit { .. } => "edit",
            Self::Push(_) => "push",
            Self::Workflow { action, .. } => action.name(),
        }
    }
}

/// What an order action did.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderActionOutcome {
    /// Status afterwards.
    pub status: OrderStatus,
    /// Version afterwards.
    pub version: i64,
    /// Its open holds afterwards.
    pub holds: Vec<HoldRecord>,
}

/// Applies an action to one order inside an open transaction.
pub async fn order_action<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    id: OrderId,
    action: &OrderAction,
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<OrderActionOutcome, OrderRequestError>> {
    let (action, effects) = match action {
        OrderAction::Workflow { action, effects } => (action.as_ref(), Some(effects)),
        other => (other, None),
    };
    let Some(peek) = tx.peek_order(tenant, id).await? else {
        return Ok(Err(OrderRequestError::NotFound));
    };
    // Stock first, then the order row: the lock order every transaction keeps.
    let mut skus: BTreeSet<String> = tx.order_stock(tenant, id).await?.skus();
    skus.extend(peek.order.lines.iter().map(|l| l.sku.as_str().to_owned()));
    if let OrderAction::Edit { order, .. } = action {
        skus.extend(order.lines.iter().map(|l| l.sku.as_str().to_owned()));
    }
    let mut ctx = TenantStock::load(tx, tenant, skus).await?;
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(Err(OrderRequestError::NotFound));
    };
    let before = locked.state.clone();
    let mut state = locked.state.clone();
    let mut holds = tx.open_holds(tenant, id).await?;
    let mut events = Vec::new();
    let illegal = |allowed: Vec<&'static str>| {
        Ok(Err(OrderRequestError::IllegalState {
            action: action.name(),
            status: before.status.as_str(),
            allowed,
        }))
    };
    match action {
        OrderAction::Hold { note } => {
            if !HOLDABLE.contains(&state.status) {
                return illegal(names(HOLDABLE));
            }
            let hold = HoldRecord {
                id: Uuid::now_v7(),
                order_id: id,
                kind: "manual".into(),
                hits: json!([{ "rule": "manual", "code": "manual_hold", "message": note }]),
                until: None,
                opened_at: now,
                opened_by: actor.to_owned(),
                closed_at: None,
                closed_by: None,
                resolution: None,
            };
            tx.insert_hold(tenant, &hold).await?;
            events.push(NewEvent {
                kind: EventKind::Held,
                data: json!({ "reason": "manual", "hold_id": hold.id, "note": note, "from": state.status.as_str() }),
            });
            holds.push(hold);
            state.status = OrderStatus::OnHold;
        }
        OrderAction::Release { resolution, note } => {
            if state.status != OrderStatus::OnHold {
                return illegal(vec!["on_hold"]);
            }
            let ids: Vec<Uuid> = holds.iter().map(|h| h.id).collect();
            tx.close_holds(tenant, &ids, actor, resolution, now).await?;
            events.push(NewEvent {
                kind: EventKind::Released,
                data: json!({ "holds": ids, "resolution": resolution, "note": note }),
            });
            holds.clear();
            go_on(tx, tenant, &mut ctx, &mut state, policy, actor, now, &mut events).await?;
        }
        OrderAction::Review(reviewer) => {
            if !REVIEWABLE.contains(&state.status) {
                return illegal(names(REVIEWABLE));
            }
            let (review_holds, others): (Vec<_>, Vec<_>) = holds.into_iter().partition(|h| h.kind == "review");
            holds = others;
            let ids: Vec<Uuid> = review_holds.iter().map(|h| h.id).collect();
            tx.close_holds(tenant, &ids, actor, "re_reviewed", now).await?;
            let verdict = verdict(tx, tenant, &ctx, &state, reviewer.as_ref(), None, now).await?;
            let mut effect = effect(&mut state, &verdict, actor, now);
            if verdict.decision == ReviewDecision::Approve && effect.events.is_empty() {
                effect.events.push(NewEvent {
                    kind: EventKind::Reviewed,
                    data: json!({ "decision": "approve", "hits": verdict.hits }),
                });
            }
            write_effect(tx, tenant, &state, &effect, now).await?;
            events.extend(effect.events);
            match verdict.decision {
                ReviewDecision::Reject => {
                    let current = tx.order_stock(tenant, id).await?;
                    let step = apply_action(
                        tx,
                        tenant,
                        &mut ctx,
                        &state,
                        &current,
                        &StockAction::Release,
                        "rejected",
                        actor,
                        now,
                    )
                    .await?
                    .map_err(|e| StoreError::Other(format!("order {id}: {e}")))?;
                    events.extend(step.events);
                    let ids: Vec<Uuid> = holds.iter().map(|h| h.id).collect();
                    tx.close_holds(tenant, &ids, actor, "cancelled", now).await?;
                    holds.clear();
                }
                ReviewDecision::Hold => {
                    holds.extend(effect.hold);
                    state.status = OrderStatus::OnHold;
                }
                ReviewDecision::Approve if holds.is_empty() && state.status == OrderStatus::OnHold => {
                    go_on(tx, tenant, &mut ctx, &mut state, policy, actor, now, &mut events).await?;
                }
                ReviewDecision::Approve => {}
            }
        }
        OrderAction::Move {
            transition,
            to,
            from,
            reason,
            require_no_holds,
        } => {
            if !from.contains(&state.status) || (*require_no_holds && !holds.is_empty()) {
                let mut allowed: Vec<&'static str> = from.iter().map(|s| s.as_str()).collect();
                if *require_no_holds && !holds.is_empty() {
                    allowed = vec!["(no open hold)"];
                }
                return illegal(allowed);
            }
            events.push(NewEvent {
                kind: EventKind::Transitioned,
                data: json!({ "transition": transition, "from": state.status.as_str(), "to": to.as_str(), "reason": reason }),
            });
            state.status = *to;
        }
        OrderAction::Push(policy) => {
            if state.status != OrderStatus::Allocated || !holds.is_empty() {
                return illegal(vec!["allocated (no open hold)"]);
            }
            let stock = tx.order_stock(tenant, id).await?;
            events.extend(
                push(
                    tx,
                    tenant,
                    &mut state,
                    &stock,
                    policy,
                    true,
                    &ctx.catalogue,
                    &mut ctx.kpis,
                    now,
                )
                .await?,
            );
        }
        OrderAction::Workflow { .. } => {
            return Err(StoreError::Other(
                "a workflow transition wraps one hold, approval or move".into(),
            ));
        }
        OrderAction::Edit { order, changes } => {
            if state.status.is_past_shipment() || state.status == OrderStatus::Cancelled {
                return illegal(vec!["pending_payment", "paid", "on_hold", "allocated"]);
            }
            if order.channel != state.order.channel || order.external_id != state.order.external_id {
                return Err(StoreError::Other(
                    "an edit cannot change the channel or external id".into(),
                ));
            }
            state.order = (**order).clone();
            events.push(NewEvent {
                kind: EventKind::Edited,
                data: json!({ "changes": changes }),
            });
            // Changed lines may need other stock: bring reservations in line.
            if state.order.lines != before.order.lines {
                let step = order_stock_step(tx, tenant, &mut ctx, &state, true, policy, actor, now).await?;
                events.extend(step.events);
                if holds.is_empty() {
                    state.status = step.status;
                }
            }
        }
    }
    if let Some(effects) = effects {
        run_stock(
            tx,
            tenant,
            &mut ctx,
            &mut state,
            before.status,
            effects,
            policy,
            actor,
            now,
            &mut events,
        )
        .await?;
    }
    if events.is_empty() && state.status == before.status {
        ctx.finish(tx, tenant, now).await?;
        return Ok(Ok(OrderActionOutcome {
            status: state.status,
            version: state.version,
            holds,
        }));
    }
    state.version += 1;
    tx.update_order(tenant, &state, locked.last_event_seq + events.len() as i64, now)
        .await?;
    tx.append_events(tenant, id, locked.last_event_seq + 1, &events, actor, now)
        .await?;
    for e in &events {
        ctx.feed.push(order_feed_event(&state, e));
    }
    if let Some(effects) = effects {
        let parcels = if effects.has(Effect::Notify) {
            tx.order_shipments(tenant, id).await?
        } else {
            Vec::new()
        };
        let (notice, message) = announce(&state, effects, &parcels);
        ctx.feed.extend(notice);
        if let Some(message) = message {
            tx.insert_outbox(tenant, &message, now).await?;
        }
    }
    ctx.finish(tx, tenant, now).await?;
    Ok(Ok(OrderActionOutcome {
        status: state.status,
        version: state.version,
        holds,
    }))
}

/// An order whose holds are all closed goes on: allocated if its stock is reserved,
/// still on hold if it waits for stock, else paid and reserved now if the policy says so.
#[allow(clippy::too_many_arguments)]
async fn go_on<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    state: &mut OrderState,
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> StoreResult<()> {
    let stock = tx.order_stock(tenant, state.id).await?;
    if !stock.shortages.is_empty() {
        state.status = OrderStatus::OnHold;
        return Ok(());
    }
    if stock.allocations.iter().any(|a| a.reserved > 0) {
        state.status = OrderStatus::Allocated;
        return Ok(());
    }
    state.status = OrderStatus::Paid;
    let step = order_stock_step(tx, tenant, ctx, state, true, policy, actor, now).await?;
    state.status = step.status;
    events.extend(step.events);
    Ok(())
}

const HOLDABLE: &[OrderStatus] = &[
    OrderStatus::PendingPayment,
    OrderStatus::Paid,
    OrderStatus::OnHold,
    OrderStatus::Allocated,
];
const REVIEWABLE: &[OrderStatus] = &[OrderStatus::Paid, OrderStatus::OnHold, OrderStatus::Allocated];

fn names(statuses: &[OrderStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}
