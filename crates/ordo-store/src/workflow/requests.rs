//! Requests on one order from outside the channel feed: ship (whole or one package at a
//! time), ship short, return, cancel, expire, retry; each in one transaction with the
//! order's stock, its events, the feed and the channel's write-back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use ordo_core::allocation::{OrderStock, PlanError, ShipScope, StockAction, StockPolicy};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::delivery::records::{NewOutbox, cancel_message};
use crate::fulfilment::shipments::{Shipment, ShipmentTx, notification, record_parcels};
use crate::orders::kpis::{KpiTally, shipped_from, stage_times};
use crate::orders::records::OrderRequestError;
use crate::stock::allocate::{StockStep, TenantStock, apply_action, order_feed_event, reserve_action};
use crate::workflow::effects::{Effect, Effects, announce, run_stock};

/// Something done to an order's stock from outside the channel feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRequest {
    /// It left the warehouse, whole or one package at a time: reserved becomes a
    /// deduction, each parcel is recorded as a shipment (found again by its tracking
    /// number) and the tracking goes back to the channel through the outbox (topic
    /// `channel.tracking`). The order is `shipped` once nothing is reserved or waiting.
    Ship(Shipment),
    /// A warehouse shipped what `shipped` says (possibly nothing) and will not ship
    /// `short` (empty: nothing it still holds for the order, as when it cancelled): those
    /// units are released there, written off too when `write_off` (it shipped short: they
    /// are missing), and reserved again at another warehouse, which is sent them, or the
    /// order waits on hold for stock.
    ShortShip {
        /// The warehouse.
        warehouse: String,
        /// What did ship.
        shipped: Shipment,
        /// SKU → units it will not ship; empty for everything it holds for the order.
        short: BTreeMap<String, i64>,
        /// Why, as the warehouse said.
        reason: Option<String>,
        /// Whether the units are missing at the warehouse (a count correction).
        write_off: bool,
    },
    /// Goods came back: SKU → units, or all shipped units.
    Return(Option<BTreeMap<String, i64>>),
    /// Cancel it and release its stock.
    Cancel {
        /// Why, recorded on the event.
        reason: String,
    },
    /// Cancel it because it stayed unpaid past the cutoff (only if it still is unpaid).
    ExpireUnpaid,
    /// Try again to reserve what it is waiting for.
    Retry,
    /// A workflow transition: `request` (ship, return, cancel, retry) and what the
    /// transition asks for besides ([`Effects`]), in the same transaction. The notice and
    /// the write-back a request makes of itself (a shipment's `shipped` notification and
    /// `channel.tracking`, a cancellation's `channel.cancel`) go only when the transition
    /// names `notify` and `write_back`.
    Workflow {
        /// The ship, return, cancel or retry.
        request: Box<OrderRequest>,
        /// What the transition asks for besides.
        effects: Effects,
    },
}

/// What an order request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequestOutcome {
    /// The status afterwards.
    pub status: OrderStatus,
    /// What the order holds afterwards.
    pub stock: OrderStock,
    /// Version afterwards.
    pub version: i64,
}

/// Applies a request (ship, return, cancel, expire, retry) to one order, inside an open
/// transaction.
pub async fn order_request<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    id: OrderId,
    request: &OrderRequest,
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>> {
    let (request, effects) = match request {
        OrderRequest::Workflow { request, effects } => (request.as_ref(), Some(effects)),
        other => (other, None),
    };
    // Without a transition a request tells the buyer and the channel what it always did.
    let asks = |effect: Effect| effects.is_none_or(|e| e.has(effect));
    let Some(peek) = tx.peek_order(tenant, id).await? else {
        return Ok(Err(OrderRequestError::NotFound));
    };
    let mut skus: BTreeSet<String> = tx.order_stock(tenant, id).await?.skus();
    skus.extend(peek.order.lines.iter().map(|l| l.sku.as_str().to_owned()));
    let mut ctx = TenantStock::load(tx, tenant, skus).await?;
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(Err(OrderRequestError::NotFound));
    };
    let state = locked.state;
    let current = tx.order_stock(tenant, id).await?;
    let (action, allowed, target, event) = match request {
        OrderRequest::Ship(shipment) => (
            StockAction::Ship(shipment.scope()),
            SHIPPABLE,
            OrderStatus::Shipped,
            None,
        ),
        OrderRequest::ShortShip {
            warehouse,
            shipped,
            short,
            reason,
            write_off,
        } => (
            StockAction::Ship(ShipScope {
                warehouse: Some(warehouse.clone()),
                units: Some(short_shipped_units(&current, warehouse, shipped, short)),
            }),
            SHIPPABLE,
            state.status,
            Some(NewEvent {
                kind: EventKind::ShippedShort,
                data: json!({
                    "warehouse": warehouse, "short": short, "reason": reason, "write_off": write_off,
                }),
            }),
        ),
        OrderRequest::Return(units) => (
            StockAction::Return(units.clone()),
            RETURNABLE,
            OrderStatus::Returned,
            None,
        ),
        OrderRequest::Cancel { reason } => (
            StockAction::Release,
            CANCELLABLE,
            OrderStatus::Cancelled,
            Some(NewEvent {
                kind: EventKind::Cancelled,
                data: json!({ "from": state.status.as_str(), "to": "cancelled", "reason": reason }),
            }),
        ),
        OrderRequest::ExpireUnpaid => (
            StockAction::Release,
            &[OrderStatus::PendingPayment][..],
            OrderStatus::Cancelled,
            Some(NewEvent {
                kind: EventKind::PaymentExpired,
                data: json!({ "from": state.status.as_str(), "to": "cancelled", "placed_at": state.order.placed_at.to_rfc3339() }),
            }),
        ),
        OrderRequest::Retry => (
            reserve_action(&ctx, &state.order, &current, policy),
            RETRYABLE,
            state.status,
            None,
        ),
        OrderRequest::Workflow { .. } => {
            return Err(crate::StoreError::Other(
                "a workflow transition wraps one ship, return, cancel or retry".into(),
            ));
        }
    };
    let name = request_name(request);
    if !allowed.contains(&state.status) || (matches!(request, OrderRequest::Retry) && current.shortages.is_empty()) {
        let mut allowed: Vec<&'static str> = allowed.iter().map(|s| s.as_str()).collect();
        if matches!(request, OrderRequest::Retry) {
            allowed = vec!["on_hold (waiting for stock)", "paid (backordered)"];
        }
        return Ok(Err(OrderRequestError::IllegalState {
            action: name,
            status: state.status.as_str(),
            allowed,
        }));
    }
    // Shipping decides its own status (a package of a split order leaves it where it was).
    let keeps_status = matches!(
        request,
        OrderRequest::Retry | OrderRequest::Ship(_) | OrderRequest::ShortShip { .. }
    );
    let working = OrderState {
        status: if keeps_status { state.status } else { target },
        ..state.clone()
    };
    // Refused here it is the caller's request (e.g. returning more than shipped), and
    // nothing was written.
    let mut step = match apply_action(tx, tenant, &mut ctx, &working, &current, &action, name, actor, now).await? {
        Ok(step) => step,
        Err(refused) => return Ok(Err(OrderRequestError::Plan(refused))),
    };
    let shipped = shipped_units(&current, step.stock.as_ref());
    let left = step
        .stock
        .as_ref()
        .map(|after| shipped_from(&current, after))
        .unwrap_or_default();
    if !left.is_empty() {
        // Read before this request's own events are appended (a short shipment's would
        // look like the time its units were sent on).
        let times = stage_times(tx, tenant, id).await?;
        for warehouse in &left {
            ctx.kpis
                .shipped(tenant, &state.order, warehouse, times.sent_at(warehouse), now);
        }
    }
    if let OrderRequest::ShortShip {
        warehouse,
        short,
        write_off,
        ..
    } = request
    {
        let after_ship = step.stock.clone().unwrap_or_else(|| current.clone());
        let working = OrderState {
            status: step.status,
            ..state.clone()
        };
        let short = if short.is_empty() {
            held_at(&after_ship, warehouse)
        } else {
            short.clone()
        };
        let rest = match reroute(
            tx,
            tenant,
            &mut ctx,
            &working,
            &after_ship,
            (warehouse, &short, *write_off),
            policy,
            actor,
            now,
        )
        .await?
        {
            Ok(rest) => rest,
            Err(refused) => return Ok(Err(OrderRequestError::Plan(refused))),
        };
        step.events.extend(rest.events);
        step.status = rest.status;
        step.stock = rest.stock;
    }
    let mut events: Vec<NewEvent> = event.into_iter().collect();
    events.extend(step.events);
    let mut status = step.status;
    // Stock that arrives for an order held by review or by a person does not release it.
    if state.status == OrderStatus::OnHold
        && status == OrderStatus::Allocated
        && !tx.open_holds(tenant, id).await?.is_empty()
    {
        status = OrderStatus::OnHold;
    }
    if let Some(effects) = effects {
        let mut working = OrderState {
            status,
            ..state.clone()
        };
        run_stock(
            tx,
            tenant,
            &mut ctx,
            &mut working,
            state.status,
            effects,
            policy,
            actor,
            now,
            &mut events,
        )
        .await?;
        status = working.status;
    }
    if events.is_empty() && status == state.status {
        // A retry that still finds too little changes nothing, not even the version.
        ctx.finish(tx, tenant, now).await?;
        return Ok(Ok(OrderRequestOutcome {
            status: state.status,
            stock: current,
            version: state.version,
        }));
    }
    let next = OrderState {
        status,
        version: state.version + 1,
        ..state
    };
    tx.update_order(tenant, &next, locked.last_event_seq + events.len() as i64, now)
        .await?;
    tx.append_events(tenant, next.id, locked.last_event_seq + 1, &events, actor, now)
        .await?;
    for e in &events {
        ctx.feed.push(order_feed_event(&next, e));
    }
    if let OrderRequest::Ship(shipment) | OrderRequest::ShortShip { shipped: shipment, .. } = request {
        let mut shipment = shipment.clone();
        if let OrderRequest::ShortShip { warehouse, .. } = request {
            shipment.warehouse = Some(warehouse.clone());
        }
        let parcels = record_parcels(tx, tenant, id, &shipment, &shipped, now).await?;
        if !parcels.is_empty() && asks(Effect::Notify) {
            ctx.feed
                .push(notification(&next, "shipped", &parcels.iter().collect::<Vec<_>>()));
        }
        if !shipped.is_empty() && asks(Effect::WriteBack) {
            tx.insert_outbox(tenant, &tracking_message(&next, &shipment, &shipped, now), now)
                .await?;
        }
        if let (OrderRequest::ShortShip { .. }, Some(step_stock)) = (request, &step.stock) {
            queue_rerouted(
                tx,
                tenant,
                &next,
                (&current, step_stock),
                &ctx.catalogue,
                &mut ctx.kpis,
                now,
            )
            .await?;
        }
    }
    if let Some(message) = write_back(&next, request)
        && asks(Effect::WriteBack)
    {
        tx.insert_outbox(tenant, &message, now).await?;
    }
    // A shipment tells of itself above, a cancellation writes back its own message.
    if let Some(effects) = effects
        && !matches!(request, OrderRequest::Ship(_) | OrderRequest::ShortShip { .. })
    {
        let parcels = if effects.has(Effect::Notify) {
            tx.order_shipments(tenant, id).await?
        } else {
            Vec::new()
        };
        let (notice, message) = announce(&next, effects, &parcels);
        ctx.feed.extend(notice);
        if let Some(message) = message.filter(|_| !matches!(request, OrderRequest::Cancel { .. })) {
            tx.insert_outbox(tenant, &message, now).await?;
        }
    }
    ctx.finish(tx, tenant, now).await?;
    let stock = tx.order_stock(tenant, id).await?;
    Ok(Ok(OrderRequestOutcome {
        status: next.status,
        stock,
        version: next.version,
    }))
}

/// The channel's message for a cancellation decided in Ordo (the tracking of a shipment
/// is written with its parcels). Expiry is left out: the channel cancels its own unpaid
/// orders.
fn write_back(order: &OrderState, request: &OrderRequest) -> Option<NewOutbox> {
    match request {
        OrderRequest::Cancel { reason } => Some(cancel_message(order, reason)),
        _ => None,
    }
}

/// What left in a short shipment: the units its parcels name or, when they name none,
/// what the order holds at the warehouse less the short units (nothing, with no parcel).
fn short_shipped_units(
    current: &OrderStock,
    warehouse: &str,
    shipped: &Shipment,
    short: &BTreeMap<String, i64>,
) -> BTreeMap<String, i64> {
    let named = shipped.units_named();
    let any_parcel = shipped.all_parcels().iter().any(|p| p.tracking_number.is_some());
    if !named.is_empty() || !any_parcel {
        return named;
    }
    let mut left = held_at(current, warehouse);
    for (sku, units) in short {
        if let Some(held) = left.get_mut(sku) {
            *held -= units;
        }
    }
    left.retain(|_, units| *units > 0);
    left
}

/// Units per SKU an order still holds at a warehouse.
fn held_at(stock: &OrderStock, warehouse: &str) -> BTreeMap<String, i64> {
    let mut held = BTreeMap::new();
    for a in stock
        .allocations
        .iter()
        .filter(|a| a.warehouse == warehouse && a.reserved > 0)
    {
        *held.entry(a.sku.clone()).or_insert(0) += a.reserved;
    }
    held
}

/// Units per SKU that left a warehouse between two holdings.
fn shipped_units(before: &OrderStock, after: Option<&OrderStock>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    if let Some(after) = after {
        for a in &after.allocations {
            *out.entry(a.sku.clone()).or_insert(0) += a.shipped;
        }
    }
    for a in &before.allocations {
        *out.entry(a.sku.clone()).or_insert(0) -= a.shipped;
    }
    out.retain(|_, units| *units > 0);
    out
}

/// The channel's `channel.tracking` message for one shipment: its parcels and the lines
/// it carried (every line when the order left whole, else the units that shipped).
fn tracking_message(
    order: &OrderState,
    shipment: &Shipment,
    shipped: &BTreeMap<String, i64>,
    now: DateTime<Utc>,
) -> NewOutbox {
    let o = &order.order;
    let lines: Vec<serde_json::Value> = if order.status == OrderStatus::Shipped && shipment.units_named().is_empty() {
        o.lines
            .iter()
            .map(|l| json!({ "line_id": l.line_id, "sku": l.sku.as_str(), "quantity": l.quantity.get() }))
            .collect()
    } else {
        shipped
            .iter()
            .map(|(sku, units)| {
                let line = o.lines.iter().find(|l| l.sku.as_str() == sku);
                json!({ "line_id": line.and_then(|l| l.line_id.clone()), "sku": sku, "quantity": units })
            })
            .collect()
    };
    NewOutbox {
        id: Uuid::now_v7(),
        topic: "channel.tracking".into(),
        destination: o.channel.as_str().to_owned(),
        payload: json!({
            "type": "tracking",
            "order_id": order.id,
            "external_order_id": o.external_id.as_str(),
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "parcels": shipment.all_parcels().iter().filter(|p| p.tracking_number.is_some()).map(|p| json!({
                "carrier": p.carrier, "tracking_number": p.tracking_number, "tracking_url": p.tracking_url,
            })).collect::<Vec<_>>(),
            "complete": order.status == OrderStatus::Shipped,
            "shipped_at": now.to_rfc3339(),
            "lines": lines,
        }),
    }
}

/// After a short shipment or a warehouse's cancellation: releases the units at
/// `warehouse` (writing them off when `write_off`) and reserves what is left to ship
/// again, from the other warehouses serving the order, best first.
#[allow(clippy::too_many_arguments)]
async fn reroute<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    state: &OrderState,
    current: &OrderStock,
    (warehouse, short, write_off): (&str, &BTreeMap<String, i64>, bool),
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<StockStep, PlanError>> {
    let release = StockAction::ShortShip {
        warehouse: warehouse.to_owned(),
        units: short.clone(),
        write_off,
    };
    let reason = if write_off {
        "shipped short"
    } else {
        "cancelled by the warehouse"
    };
    let written = match apply_action(tx, tenant, ctx, state, current, &release, reason, actor, now).await? {
        Ok(step) => step,
        Err(refused) => return Ok(Err(refused)),
    };
    let after = written.stock.clone().unwrap_or_else(|| current.clone());
    let state = OrderState {
        status: written.status,
        ..state.clone()
    };
    let again = reserve_action(ctx, &state.order, &after, policy);
    // The warehouse that could not find the units is not asked for them again, whatever
    // its book says now; the others are, best first.
    let every = ctx.warehouses.clone();
    ctx.warehouses.retain(|w| w.code != warehouse);
    let rerouted = apply_action(tx, tenant, ctx, &state, &after, &again, "rerouted", actor, now).await;
    ctx.warehouses = every;
    let mut step = match rerouted? {
        Ok(step) => step,
        Err(refused) => return Ok(Err(refused)),
    };
    let mut events = written.events;
    events.append(&mut step.events);
    step.events = events;
    if step.stock.is_none() {
        step.stock = Some(after);
    }
    Ok(Ok(step))
}

/// Sends units a short shipment reserved again to their warehouses: one fulfilment
/// request per warehouse for what it newly holds (reserved there just now).
async fn queue_rerouted<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: &OrderState,
    (before, after): (&OrderStock, &OrderStock),
    catalogue: &BTreeMap<String, crate::stock::records::CatalogueRow>,
    kpis: &mut KpiTally,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut by_warehouse: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for a in &after.allocations {
        let had = before
            .allocations
            .iter()
            .find(|b| b.sku == a.sku && b.warehouse == a.warehouse)
            .map_or(0, |b| b.reserved + b.shipped);
        let new = a.reserved + a.shipped - had;
        if new > 0 && a.reserved > 0 {
            by_warehouse
                .entry(a.warehouse.clone())
                .or_default()
                .push((a.sku.clone(), new.min(a.reserved)));
        }
    }
    crate::fulfilment::push::queue(tx, tenant, order, &by_warehouse, catalogue, now).await?;
    for warehouse in by_warehouse.keys() {
        kpis.sent(tenant, &order.order, warehouse, Some(now), now);
    }
    Ok(())
}

const SHIPPABLE: &[OrderStatus] = &[
    OrderStatus::Allocated,
    OrderStatus::SentToWarehouse,
    OrderStatus::Picking,
    OrderStatus::Packed,
];
const RETURNABLE: &[OrderStatus] = &[
    OrderStatus::Shipped,
    OrderStatus::InTransit,
    OrderStatus::Delivered,
    OrderStatus::Completed,
    OrderStatus::ReturnRequested,
];
const CANCELLABLE: &[OrderStatus] = &[
    OrderStatus::PendingPayment,
    OrderStatus::Paid,
    OrderStatus::OnHold,
    OrderStatus::Allocated,
    OrderStatus::SentToWarehouse,
];
const RETRYABLE: &[OrderStatus] = &[OrderStatus::OnHold, OrderStatus::Paid, OrderStatus::PendingPayment];

fn request_name(request: &OrderRequest) -> &'static str {
    match request {
        OrderRequest::Ship(_) => "ship",
        OrderRequest::ShortShip { .. } => "ship_short",
        OrderRequest::Return(_) => "return",
        OrderRequest::Cancel { .. } => "cancel",
        OrderRequest::ExpireUnpaid => "expire",
        OrderRequest::Retry => "retry",
        OrderRequest::Workflow { request, .. } => request_name(request),
    }
}
