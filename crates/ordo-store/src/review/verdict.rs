//! Review and workflow steps, written once for every store: the review an order gets
//! when it becomes paid (inside the ingestion transaction), and the actions a person or
//! a rule takes on one order (hold, approve, review again, a workflow move, an edit).
//!
//! Holds are what keep an order out of the warehouse: an order with an open hold stays
//! `on_hold` whatever its stock does, and only closing the holds lets it go on.

use chrono::{DateTime, Duration, Utc};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::matching::OrderKeys;
use ordo_core::{OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::channels::records::OrderFlag;
use crate::delivery::records::cancel_message;
use crate::review::records::{HoldRecord, HoldTx, ReviewDecision, ReviewFacts, ReviewVerdict, Reviewer};
use crate::stock::allocate::{TenantStock, unknown_skus};

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
    reviewer: Option<&dyn Reviewer>,
    phone_valid: Option<bool>,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<ReviewEffect>> {
    let Some(reviewer) = reviewer else {
        return Ok(None);
    };
    if !reviews_on_arrival(previous, state.status) {
        return Ok(None);
    }
    let verdict = verdict(tx, tenant, ctx, state, reviewer, phone_valid, now).await?;
    Ok(Some(effect(state, &verdict, actor, now)))
}
