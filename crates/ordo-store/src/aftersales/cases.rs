//! Opening a case and moving it, written once for every store. Locks are taken in one
//! order: the case row, then the stock of the SKUs counted (sorted), then the order row,
//! feed last — the order every other algorithm keeps for stock and orders.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use ordo_core::aftersale::{self, CaseAction, CaseError, CaseFlow, CaseKind, CaseStatus, Disposition, Receipt};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::inventory::{Movement, MovementKind};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::StoreResult;
use crate::aftersales::records::{AfterSaleError, CaseCommand, CaseEvent, CaseRecord, NewCase};
use crate::aftersales::sql;
use crate::delivery::records::{NewFeedEvent, NewOutbox};
use crate::orders::rows::LockedOrder;
use crate::stock::allocate::{AllocTx, TenantStock};
use crate::stock::inventory::MovementRecord;

type Outcome<T> = StoreResult<Result<T, AfterSaleError>>;

/// States in which a case still counts against what the order can give back.
fn active(status: CaseStatus) -> bool {
    !matches!(status, CaseStatus::Declined | CaseStatus::Cancelled)
}

/// Order states from which goods can come back.
const SENT: &[OrderStatus] = &[
    OrderStatus::Shipped,
    OrderStatus::InTransit,
    OrderStatus::Delivered,
    OrderStatus::Completed,
    OrderStatus::ReturnRequested,
    OrderStatus::Returned,
    OrderStatus::Refunded,
];

/// Opens a case, or returns the one already opened under the channel's id (updating the
/// channel's status on it).
pub async fn open_case<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    new: &NewCase,
    actor: &str,
    now: DateTime<Utc>,
) -> Outcome<CaseRecord> {
    let Some(peek) = tx.peek_order(tenant, new.order_id).await? else {
        return Ok(Err(AfterSaleError::OrderNotFound(new.order_id)));
    };
    let channel = peek.order.channel.as_str().to_owned();
    if let Some(channel_id) = &new.channel_case_id
        && let Some(id) = sql::case_by_channel_id(tx, tenant, &channel, channel_id).await?
    {
        let Some(status) = &new.channel_status else {
            return Ok(sql::lock_case(tx, tenant, id)
                .await?
                .ok_or(AfterSaleError::CaseNotFound(id)));
        };
        return act(
            tx,
            tenant,
            id,
            &CaseCommand::ChannelStatus(status.clone()),
            &CaseFlow::default(),
            actor,
            now,
        )
        .await;
    }
    // The order row is locked so two cases opened at once cannot both take the same units.
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(Err(AfterSaleError::OrderNotFound(new.order_id)));
    };
    let available = available(tx, tenant, &locked.state, new.kind).await?;
    let line_ids: BTreeMap<String, String> = locked
        .state
        .order
        .lines
        .iter()
        .filter_map(|l| Some((l.sku.as_str().to_owned(), l.line_id.clone()?)))
        .collect();
    // A channel may open a case before saying which lines it covers (Shopify's return
    // webhooks often carry none): kept as the channel gave it.
    let from_channel = new.channel_case_id.is_some();
    let lines = match aftersale::new_lines(new.kind, &new.lines, &available, &line_ids) {
        Ok(lines) => lines,
        Err(CaseError::NoLines(_)) if from_channel => Vec::new(),
        Err(e) => return Ok(Err(e.into())),
    };
    let exchange_lines = match new.kind {
        CaseKind::Exchange if new.exchange_lines.is_empty() && !from_channel => {
            return Ok(Err(CaseError::NoExchangeLines.into()));
        }
        CaseKind::Reship if new.exchange_lines.is_empty() => new.lines.clone(),
        _ => new.exchange_lines.clone(),
    };
    let case = CaseRecord {
        id: Uuid::now_v7(),
        order_id: new.order_id,
        channel,
        external_order_id: peek.order.external_id.as_str().to_owned(),
        kind: new.kind,
        status: CaseStatus::Requested,
        reason: new.reason.clone(),
        channel_case_id: new.channel_case_id.clone(),
        channel_status: new.channel_status.clone(),
        lines,
        exchange_lines,
        exchange_order_id: None,
        return_tracking: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    sql::insert_case(tx, tenant, &case).await?;
    let data =
        json!({ "kind": case.kind, "reason": case.reason, "lines": case.lines, "exchange_lines": case.exchange_lines });
    record(tx, tenant, &case, 1, "requested", data, actor, now).await?;
    Ok(Ok(case))
}

/// SKU → units the order can still put in a case of `kind`: what shipped and did not come
/// back for goods coming back, what was sold otherwise, less what other active cases of
/// the same side already took.
async fn available<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: &OrderState,
    kind: CaseKind,
) -> StoreResult<BTreeMap<String, i64>> {
    let mut sold: BTreeMap<String, i64> = BTreeMap::new();
    for line in &order.order.lines {
        *sold.entry(line.sku.as_str().to_owned()).or_insert(0) += i64::from(line.quantity.get());
    }
    let mut out = sold.clone();
    if kind.takes_goods_back() {
        let stock = tx.order_stock(tenant, order.id).await?;
        let sent = SENT.contains(&order.status);
        for (sku, units) in out.iter_mut() {
            let held: Vec<_> = stock.allocations.iter().filter(|a| &a.sku == sku).collect();
            // A SKU the order holds no stock for (a bundle, an untracked item) counts as
            // sent once the order left.
            *units = if held.is_empty() {
                if sent { *units } else { 0 }
            } else {
                held.iter().map(|a| a.shipped - a.returned).sum()
            };
        }
    }
    for case in sql::order_cases_tx(tx, tenant, order.id).await? {
        if active(case.status) && case.kind.takes_goods_back() == kind.takes_goods_back() {
            for line in &case.lines {
                if let Some(units) = out.get_mut(&line.sku) {
                    *units -= line.quantity;
                }
            }
        }
    }
    Ok(out)
}

/// Applies a command to a case under `flow`.
#[allow(clippy::too_many_arguments)]
pub async fn act<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    id: Uuid,
    command: &CaseCommand,
    flow: &CaseFlow,
    actor: &str,
    now: DateTime<Utc>,
) -> Outcome<CaseRecord> {
    let Some(mut case) = sql::lock_case(tx, tenant, id).await? else {
        return Ok(Err(AfterSaleError::CaseNotFound(id)));
    };
    let step = |action| flow.next(case.kind, case.status, action, &case.lines);
    let (kind, data, status): (&str, Value, Result<CaseStatus, CaseError>) = match command {
        CaseCommand::ChannelStatus(status) => {
            if case.channel_status.as_deref() == Some(status.as_str()) {
                return Ok(Ok(case));
            }
            case.channel_status = Some(status.clone());
            ("channel_status", json!({ "channel_status": status }), Ok(case.status))
        }
        CaseCommand::LinkOrder {
            order,
            price_difference,
        } => {
            case.exchange_order_id = Some(*order);
            let data = json!({ "order_id": order, "price_difference": price_difference });
            ("exchange_order", data, Ok(case.status))
        }
        CaseCommand::Approve => ("approved", json!({}), step(CaseAction::Approve)),
        CaseCommand::Decline(why) => ("declined", json!({ "reason": why }), step(CaseAction::Decline)),
        CaseCommand::Cancel(why) => ("cancelled", json!({ "reason": why }), step(CaseAction::Cancel)),
        CaseCommand::Inspect(note) => ("inspected", json!({ "note": note }), step(CaseAction::Inspect)),
        CaseCommand::Close => ("closed", json!({}), step(CaseAction::Close)),
        CaseCommand::Reopen => ("reopened", json!({}), step(CaseAction::Reopen)),
        CaseCommand::AttachReturn(tracking) => {
            case.return_tracking = Some(tracking.clone());
            ("return_attached", tracking.clone(), step(CaseAction::AttachReturn))
        }
        CaseCommand::Receive(receipts) => {
            if let Err(e) = flow.next(case.kind, case.status, CaseAction::Receive, &case.lines) {
                return Ok(Err(e.into()));
            }
            return receive(tx, tenant, case, receipts, flow, actor, now).await;
        }
    };
    case.status = match status {
        Ok(status) => status,
        Err(e) => return Ok(Err(e.into())),
    };
    case.version += 1;
    case.updated_at = now;
    sql::update_case(tx, tenant, &case).await?;
    if actor != CHANNEL_ACTOR {
        let decision = match command {
            CaseCommand::Approve => Some(("approve", None)),
            CaseCommand::Decline(why) => Some(("refuse", why.as_deref())),
            _ => None,
        };
        if let Some((decision, reason)) = decision
            && let Some(message) = aftersale_message(&case, decision, reason, None)
        {
            tx.insert_outbox(tenant, &message, now).await?;
        }
    }
    let seq = sql::last_seq(tx, tenant, case.id).await? + 1;
    record(tx, tenant, &case, seq, kind, data, actor, now).await?;
    Ok(Ok(case))
}

/// The actor of moves the channel itself made: they are never written back to it.
pub const CHANNEL_ACTOR: &str = "channel";

/// The channel's `channel.aftersale` message for a decision Ordo took on a case the
/// channel opened (`approve`, `refuse`, `refund` with its amount in minor units and
/// currency); none for a case of Ordo's own.
pub(crate) fn aftersale_message(
    case: &CaseRecord,
    decision: &str,
    reason: Option<&str>,
    amount: Option<(i64, &str)>,
) -> Option<NewOutbox> {
    let channel_case_id = case.channel_case_id.as_deref()?;
    let mut payload = json!({
        "type": "aftersale",
        "decision": decision,
        "case_id": case.id,
        "order_id": case.order_id,
        "channel_case_id": channel_case_id,
        "external_order_id": case.external_order_id,
        "kind": case.kind,
        "reason": reason,
    });
    if let Some((amount, currency)) = amount {
        payload["amount"] = json!(amount);
        payload["currency"] = json!(currency);
    }
    Some(NewOutbox {
        id: Uuid::now_v7(),
        topic: "channel.aftersale".into(),
        destination: case.channel.clone(),
        payload,
    })
}

/// Counts goods that came back: a movement per SKU, warehouse and disposition (restock
/// raises on hand; a write-off or quarantine is recorded and leaves it as it is; missing
/// units move nothing), and the order becomes `returned` once everything that left came
/// back.
#[allow(clippy::too_many_arguments)]
async fn receive<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    mut case: CaseRecord,
    receipts: &[Receipt],
    flow: &CaseFlow,
    actor: &str,
    now: DateTime<Utc>,
) -> Outcome<CaseRecord> {
    let lines = match aftersale::receive(&case.lines, receipts) {
        Ok(lines) => lines,
        Err(e) => return Ok(Err(e.into())),
    };
    let status = match flow.next(case.kind, case.status, CaseAction::Receive, &lines) {
        Ok(status) => status,
        Err(e) => return Ok(Err(e.into())),
    };
    let skus: BTreeSet<String> = receipts.iter().map(|r| r.sku.clone()).collect();
    let mut ctx = TenantStock::load(tx, tenant, skus).await?;
    let stock = tx.order_stock(tenant, case.order_id).await?;
    let reference = format!("{}/{} case {}", case.channel, case.external_order_id, case.id);
    let mut moved = Vec::new();
    for (index, r) in receipts.iter().enumerate() {
        let kind = match r.disposition {
            Disposition::Restock => MovementKind::Return,
            Disposition::Quarantine => MovementKind::Quarantine,
            Disposition::WriteOff => MovementKind::WriteOff,
            Disposition::Missing => continue,
        };
        // A bundle comes back as its components.
        let parts: Vec<(String, i64)> = match ctx.catalogue.get(&r.sku) {
            Some(row) if row.components.is_empty() => vec![(r.sku.clone(), r.quantity)],
            Some(row) => row
                .components
                .iter()
                .map(|c| (c.sku.clone(), c.quantity * r.quantity))
                .collect(),
            None => {
                return Ok(Err(AfterSaleError::Stock {
                    index,
                    message: format!("{:?} is not a SKU of the catalogue", r.sku),
                }));
            }
        };
        for (sku, quantity) in parts {
            // Where it left from, unless the receipt names where it went.
            let warehouse = r.warehouse.clone().or_else(|| {
                stock
                    .allocations
                    .iter()
                    .find(|a| a.sku == sku && a.shipped > 0)
                    .map(|a| a.warehouse.clone())
            });
            let Some(warehouse) = warehouse.filter(|w| ctx.warehouses.iter().any(|x| &x.code == w)) else {
                return Ok(Err(AfterSaleError::Stock {
                    index,
                    message: format!(
                        "{} is not a warehouse of the tenant",
                        r.warehouse
                            .as_deref()
                            .unwrap_or("(none: the SKU did not ship from one)")
                    ),
                }));
            };
            let after = ctx
                .book
                .apply(&sku, &warehouse, Movement { kind, quantity })
                .map_err(|e| crate::StoreError::Other(format!("after-sale movement refused: {e}")))?;
            tx.insert_movement(
                tenant,
                &MovementRecord {
                    id: Uuid::now_v7(),
                    warehouse: warehouse.clone(),
                    sku: sku.clone(),
                    kind,
                    quantity,
                    on_hand_after: after.on_hand,
                    reserved_after: after.reserved,
                    reason: format!("returned: {}", r.disposition),
                    reference: Some(reference.clone()),
                    actor: actor.to_owned(),
                    at: now,
                },
            )
            .await?;
            moved.push(
                json!({ "sku": sku, "quantity": quantity, "disposition": r.disposition, "warehouse": warehouse }),
            );
        }
    }
    for r in receipts.iter().filter(|r| r.disposition == Disposition::Missing) {
        moved.push(json!({ "sku": r.sku, "quantity": r.quantity, "disposition": r.disposition }));
    }
    case.lines = lines;
    case.status = status;
    case.version += 1;
    case.updated_at = now;
    sql::update_case(tx, tenant, &case).await?;
    let seq = sql::last_seq(tx, tenant, case.id).await? + 1;
    let event = case_event(&case, seq, "received", json!({ "moved": moved }), actor, now);
    sql::insert_event(tx, tenant, case.id, &event).await?;
    ctx.feed.push(feed_event(&case, &event));
    ctx.feed.extend(notice(tx, tenant, &case, "received").await?);
    mark_returned(tx, tenant, case.order_id, actor, now).await?;
    ctx.finish(tx, tenant, now).await?;
    Ok(Ok(case))
}

/// Moves an order that sent goods to `returned` once every unit that left came back (in
/// any case, or through the order's own return).
async fn mark_returned<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: OrderId,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(peek) = tx.peek_order(tenant, order).await? else {
        return Ok(());
    };
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(());
    };
    if !SENT.contains(&locked.state.status) || locked.state.status == OrderStatus::Returned {
        return Ok(());
    }
    let mut back: BTreeMap<String, i64> = BTreeMap::new();
    for case in sql::order_cases_tx(tx, tenant, order).await? {
        for line in &case.lines {
            *back.entry(line.sku.clone()).or_insert(0) += line.received;
        }
    }
    let sold = |sku: &str| -> i64 {
        locked
            .state
            .order
            .lines
            .iter()
            .filter(|l| l.sku.as_str() == sku)
            .map(|l| i64::from(l.quantity.get()))
            .sum()
    };
    let stock = tx.order_stock(tenant, order).await?;
    let returned_directly = |sku: &str| -> i64 {
        stock
            .allocations
            .iter()
            .filter(|a| a.sku == sku)
            .map(|a| a.returned)
            .sum()
    };
    let all_back = locked
        .state
        .order
        .lines
        .iter()
        .filter(|l| l.requires_shipping)
        .all(|l| {
            back.get(l.sku.as_str()).copied().unwrap_or(0) + returned_directly(l.sku.as_str()) >= sold(l.sku.as_str())
        });
    if !all_back {
        return Ok(());
    }
    let event = NewEvent {
        kind: EventKind::Returned,
        data: json!({ "from": locked.state.status.as_str(), "to": "returned", "by": "after-sale cases" }),
    };
    order_event(tx, tenant, &locked, OrderStatus::Returned, &event, actor, now).await
}

/// Appends one event to a locked order, moving it to `status`.
pub(crate) async fn order_event<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    locked: &LockedOrder,
    status: OrderStatus,
    event: &NewEvent,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let next = OrderState {
        status,
        version: locked.state.version + 1,
        ..locked.state.clone()
    };
    tx.update_order(tenant, &next, locked.last_event_seq + 1, now).await?;
    tx.append_events(
        tenant,
        next.id,
        locked.last_event_seq + 1,
        std::slice::from_ref(event),
        actor,
        now,
    )
    .await?;
    tx.append_feed(tenant, &[crate::stock::allocate::order_feed_event(&next, event)], now)
        .await
}

fn case_event(case: &CaseRecord, seq: i64, kind: &str, data: Value, actor: &str, now: DateTime<Utc>) -> CaseEvent {
    CaseEvent {
        seq,
        kind: kind.to_owned(),
        status: case.status,
        data,
        actor: actor.to_owned(),
        at: now,
    }
}

/// The feed's view of a case event: `aftersale.<kind>`, which subscribers and the
/// customer notifications follow.
pub(crate) fn feed_event(case: &CaseRecord, event: &CaseEvent) -> NewFeedEvent {
    NewFeedEvent {
        kind: format!("aftersale.{}", event.kind),
        data: json!({
            "case_id": case.id, "order_id": case.order_id, "channel": case.channel,
            "external_order_id": case.external_order_id, "kind": case.kind, "status": case.status,
            "channel_case_id": case.channel_case_id, "data": event.data,
        }),
    }
}

/// Stores an event of a case and tells the feed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    case: &CaseRecord,
    seq: i64,
    kind: &str,
    data: Value,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let event = case_event(case, seq, kind, data, actor, now);
    sql::insert_event(tx, tenant, case.id, &event).await?;
    let mut feed = vec![feed_event(case, &event)];
    feed.extend(notice(tx, tenant, case, kind).await?);
    tx.append_feed(tenant, &feed, now).await
}

/// Steps the buyer hears about.
const TOLD: &[&str] = &["approved", "declined", "received", "refunded", "cancelled"];

/// The buyer's notification of a case step (`customer.notification`, template
/// `aftersale.<step>`), as shipments have theirs.
pub(crate) async fn notice<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    case: &CaseRecord,
    kind: &str,
) -> StoreResult<Option<NewFeedEvent>> {
    if !TOLD.contains(&kind) {
        return Ok(None);
    }
    let Some(order) = tx.peek_order(tenant, case.order_id).await? else {
        return Ok(None);
    };
    let mut event = crate::fulfilment::shipments::notification(&order, &format!("aftersale.{kind}"), &[]);
    event.data["case_id"] = json!(case.id);
    event.data["case_kind"] = json!(case.kind);
    event.data["lines"] = json!(case.lines);
    Ok(Some(event))
}
