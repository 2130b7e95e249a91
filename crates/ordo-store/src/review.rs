//! Review and workflow steps, written once for every store: the review an order gets
//! when it becomes paid (inside the ingestion transaction), and the actions a person or
//! a rule takes on one order (hold, approve, review again, a workflow move, an edit).
//!
//! Holds are what keep an order out of the warehouse: an order with an open hold stays
//! `on_hold` whatever its stock does, and only closing the holds lets it go on.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use ordo_core::allocation::{StockAction, StockPolicy};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::matching::OrderKeys;
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::allocate::{TenantStock, apply_action, cancel_message, order_feed_event, order_stock_step, unknown_skus};
use crate::channel_records::OrderFlag;
use crate::push::push;
use crate::review_records::{
    HoldRecord, HoldTx, OrderAction, OrderActionOutcome, ReviewDecision, ReviewFacts, ReviewVerdict, Reviewer,
};
use crate::stock_records::OrderRequestError;
use crate::{Review, StoreError, StoreResult};

/// How far apart two orders may be placed and still count as likely duplicates.
pub const DUPLICATE_WINDOW_HOURS: i64 = 72;

/// Whether an arriving order is reviewed now: when it first becomes paid.
pub fn reviews_on_arrival(previous: Option<OrderStatus>, next: OrderStatus) -> bool {
    next == OrderStatus::Paid && matches!(previous, None | Some(OrderStatus::PendingPayment))
}

/// Asks the reviewer about an order inside the transaction holding it.
pub async fn verdict<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &TenantStock,
    state: &OrderState,
    reviewer: &dyn Reviewer,
    phone_valid: Option<bool>,
    now: DateTime<Utc>,
) -> StoreResult<ReviewVerdict> {
    let possible_duplicates = if reviewer.wants_duplicates() {
        let keys = OrderKeys::of(&state.order);
        let window = Duration::hours(DUPLICATE_WINDOW_HOURS);
        let placed = state.order.placed_at;
        tx.same_fingerprint(tenant, state.id, &keys.fingerprint, placed - window, placed + window)
            .await?
            .into_iter()
            .map(|id| id.to_string())
            .collect()
    } else {
        Vec::new()
    };
    let facts = ReviewFacts {
        now,
        paid_at: Some(now),
        unknown_skus: unknown_skus(ctx, &state.order),
        possible_duplicates,
        phone_valid,
    };
    Ok(reviewer.review(&state.order, &facts))
}

/// What a verdict does to an order: the hold to open, the events, the flags.
pub struct ReviewEffect {
    /// The hold to store, for a hold.
    pub hold: Option<HoldRecord>,
    /// Events to append.
    pub events: Vec<NewEvent>,
    /// Flags to set.
    pub flags: Vec<OrderFlag>,
}

/// Turns a verdict into its effect on the order (`state.status` is set for a reject;
/// the caller sets `on_hold` for a hold after the stock step).
pub fn effect(state: &mut OrderState, verdict: &ReviewVerdict, actor: &str, now: DateTime<Utc>) -> ReviewEffect {
    let mut events = vec![NewEvent {
        kind: EventKind::Reviewed,
        data: json!({
            "decision": verdict.decision,
            "hits": verdict.hits,
            "until": verdict.until.map(|t| t.to_rfc3339()),
        }),
    }];
    let hold = match verdict.decision {
        ReviewDecision::Approve => None,
        ReviewDecision::Hold => Some(HoldRecord {
            id: Uuid::now_v7(),
            order_id: state.id,
            kind: "review".into(),
            hits: verdict.hits.clone(),
            until: verdict.until,
            opened_at: now,
            opened_by: actor.to_owned(),
            closed_at: None,
            closed_by: None,
            resolution: None,
        }),
        ReviewDecision::Reject => {
            events.push(NewEvent {
                kind: EventKind::Cancelled,
                data: json!({ "from": state.status.as_str(), "to": "cancelled", "reason": "rejected by review rules", "hits": verdict.hits }),
            });
            state.status = OrderStatus::Cancelled;
            None
        }
    };
    if let Some(hold) = &hold {
        events.push(NewEvent {
            kind: EventKind::Held,
            data: json!({ "reason": "review", "hold_id": hold.id, "hits": hold.hits, "until": hold.until.map(|t| t.to_rfc3339()) }),
        });
    }
    let flags = verdict
        .flags
        .iter()
        .map(|rule| OrderFlag {
            kind: format!("rule:{rule}"),
            detail: json!({ "hits": verdict.hits }),
            at: now,
        })
        .collect();
    // An approval with nothing to say is not worth an event on every order.
    if verdict.decision == ReviewDecision::Approve && verdict.flags.is_empty() {
        events.clear();
    }
    ReviewEffect { hold, events, flags }
}

/// Stores the effect's hold and flags (and, for a reject, the channel's cancellation).
pub async fn write_effect<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    state: &OrderState,
    effect: &ReviewEffect,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(hold) = &effect.hold {
        tx.insert_hold(tenant, hold).await?;
    }
    for flag in &effect.flags {
        tx.put_flag(tenant, state.id, flag).await?;
    }
    if state.status == OrderStatus::Cancelled && effect.hold.is_none() && !effect.events.is_empty() {
        tx.insert_outbox(tenant, &cancel_message(state, "rejected by review rules"), now)
            .await?;
    }
    Ok(())
}

/// The review step of ingestion, run before the stock step. Returns the effect, if the
/// order was reviewed.
#[allow(clippy::too_many_arguments)]
pub async fn on_arrival<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &TenantStock,
    state: &mut OrderState,
    previous: Option<OrderStatus>,
    review: &Review,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<ReviewEffect>> {
    let Some(reviewer) = &review.reviewer else {
        return Ok(None);
    };
    if !reviews_on_arrival(previous, state.status) {
        return Ok(None);
    }
    let verdict = verdict(tx, tenant, ctx, state, reviewer.as_ref(), review.phone_valid, now).await?;
    Ok(Some(effect(state, &verdict, actor, now)))
}

/// Applies an action to one order inside an open transaction.
pub async fn order_action<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    id: OrderId,
    action: &OrderAction,
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<OrderActionOutcome, OrderRequestError>> {
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
            events.extend(push(tx, tenant, &mut state, &stock, policy, true, &ctx.catalogue, now).await?);
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
