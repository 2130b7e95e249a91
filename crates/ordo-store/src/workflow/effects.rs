//! What a workflow transition asks for besides the move itself (the `actions` of a
//! transition in the workflow file), run in the transaction that makes the move: stock
//! reserved or released, the order sent to its warehouses, the buyer told, the channel
//! told. The workflow crate names the actions; the application turns the ones a store
//! runs into [`Effect`]s and wraps the move in [`crate::OrderAction::Workflow`] or
//! [`crate::OrderRequest::Workflow`].

use chrono::{DateTime, Utc};
use ordo_core::allocation::{StockAction, StockPolicy};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{OrderStatus, TenantId};
use serde_json::json;

use crate::StoreResult;
use crate::delivery::records::{NewFeedEvent, NewOutbox, status_message};
use crate::fulfilment::push::{PushPolicy, PushTargets, push};
use crate::fulfilment::shipments::{ShipmentTx, notification};
use crate::stock::allocate::{TenantStock, apply_action, reserve_action};

/// One thing a transition asks for, as a store runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reserve stock for what the order does not hold yet (the workflow's `reserve` and
    /// `route`: sourcing chooses the warehouses).
    Reserve,
    /// Release every unit the order holds or waits for.
    Release,
    /// Send the allocated order to its warehouses (those that take requests).
    PushToWarehouse,
    /// A `customer.notification` feed event about the move.
    Notify,
    /// The new status to the order's channel through the outbox.
    WriteBack,
}

/// The effects of one transition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// The workflow's transition name.
    pub transition: String,
    /// What it asks for, in the workflow's order.
    pub run: Vec<Effect>,
    /// Which warehouses take fulfilment requests, for [`Effect::PushToWarehouse`].
    pub push: PushTargets,
}

impl Effects {
    /// Whether the transition asks for `effect`.
    pub fn has(&self, effect: Effect) -> bool {
        self.run.contains(&effect)
    }
}

/// Runs the stock effects (reserve, release, push) on an order whose move is decided
/// (`state.status` is its new status; `from` the status it left), inside its
/// transaction, adding their events to `events` (the move's own first). A push happens
/// only from `allocated` with no open hold, as every push does.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_stock<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    state: &mut OrderState,
    from: OrderStatus,
    effects: &Effects,
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> StoreResult<()> {
    let reason = format!("workflow: {}", effects.transition);
    for effect in &effects.run {
        let current = tx.order_stock(tenant, state.id).await?;
        let action = match effect {
            Effect::Release if !current.is_empty() => StockAction::Release,
            Effect::Reserve
                if !state.status.is_past_shipment()
                    && !matches!(state.status, OrderStatus::Cancelled | OrderStatus::Refunded)
                    && (!current.shortages.is_empty() || current.allocations.iter().all(|a| a.reserved == 0)) =>
            {
                reserve_action(ctx, &state.order, &current, policy)
            }
            Effect::PushToWarehouse => {
                push_now(tx, tenant, ctx, state, from, effects, &current, now, events).await?;
                continue;
            }
            _ => continue,
        };
        // The workflow decided the status; the stock step says what happened to the units.
        let step = apply_action(tx, tenant, ctx, state, &current, &action, &reason, actor, now)
            .await?
            .map_err(|e| crate::StoreError::Other(format!("order {}: {e}", state.id)))?;
        events.extend(step.events);
    }
    Ok(())
}

/// Sends an order to the warehouses that take requests, as [`push`] does: every
/// reservation at such a warehouse, the order alone (in no merge). An order moved to
/// `sent_to_warehouse` by the transition stays there when nothing went (its warehouse is
/// served outside Ordo); its move event names the requests that went.
#[allow(clippy::too_many_arguments)]
async fn push_now<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    state: &mut OrderState,
    from: OrderStatus,
    effects: &Effects,
    stock: &ordo_core::allocation::OrderStock,
    now: DateTime<Utc>,
    events: &mut Vec<NewEvent>,
) -> StoreResult<()> {
    let moved_out = from == OrderStatus::Allocated && state.status == OrderStatus::SentToWarehouse;
    if !(state.status == OrderStatus::Allocated || moved_out) || !tx.open_holds(tenant, state.id).await?.is_empty() {
        return Ok(());
    }
    let policy = PushPolicy {
        warehouses: effects.push.clone(),
        pool: None,
    };
    let target = state.status;
    state.status = OrderStatus::Allocated;
    let mut pushed = push(
        tx,
        tenant,
        state,
        stock,
        &policy,
        true,
        &ctx.catalogue,
        &mut ctx.kpis,
        now,
    )
    .await?;
    if !moved_out {
        events.append(&mut pushed);
        return Ok(());
    }
    // The transition's own event records the move: it names the requests that went.
    state.status = target;
    let requests = pushed.pop().map(|e| e.data["requests"].clone());
    let moved = events.iter_mut().rev().find(|e| e.kind == EventKind::Transitioned);
    if let (Some(requests), Some(moved)) = (requests, moved) {
        moved.data["requests"] = requests;
    }
    Ok(())
}

/// What the buyer and the channel are told of a move (`notify`, `write_back`), once the
/// order is written: the feed event and the outbox message. `parcels` are the order's
/// parcels, for the notification; a move to `delivered` whose every parcel the carrier
/// already reported delivered tells the buyer nothing more.
pub(crate) fn announce(
    state: &OrderState,
    effects: &Effects,
    parcels: &[crate::fulfilment::shipments::ShipmentRecord],
) -> (Option<NewFeedEvent>, Option<NewOutbox>) {
    let told_by_carrier = state.status == OrderStatus::Delivered
        && !parcels.is_empty()
        && parcels.iter().all(|p| p.status == "delivered");
    let notice = (effects.has(Effect::Notify) && !told_by_carrier).then(|| {
        let mut event = notification(state, state.status.as_str(), &parcels.iter().collect::<Vec<_>>());
        event.data["transition"] = json!(effects.transition);
        event
    });
    let message = effects
        .has(Effect::WriteBack)
        .then(|| status_message(state, &effects.transition));
    (notice, message)
}
