//! Consolidated shipments, written once for every store: orders merged into one shipment
//! (by hand, by the merge rule, or from a customer's B2B pool) reach the warehouse as one
//! fulfilment request per warehouse, instead of one per order.
//!
//! A member of a merge is therefore never pushed alone (`ships_with_others` stops
//! [`crate::fulfilment::push::push`]); once every open member is allocated, [`push_group`] sends them
//! together in one transaction. A request names the merge's lead order as `order_id`,
//! lists every member in `order_ids`, carries the merge id as `consolidation_id`, and
//! tags each line with the order it belongs to, so the warehouse packs one parcel and a
//! callback naming the lead can move every member.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::StoreResult;
use crate::channels::records::ChannelTx;
use crate::delivery::records::NewOutbox;
use crate::fulfilment::consolidate_records::{GroupPush, PushedRequest};
use crate::fulfilment::push::{FULFIL_TOPIC, PushPolicy, ship_to};
use crate::orders::kpis::{KpiTally, stage_times};
use crate::orders::rows::LockedOrder;
use crate::review::records::HoldTx;
use crate::stock::allocate::order_feed_event;

/// Whether an allocated order waits to ship with others instead of alone: the pool rule
/// matches it (a check in memory), or it is in an active merge. Only an order `stored`
/// before this transaction can be in a merge, so a new order costs no query.
pub(crate) async fn ships_with_others<T: ChannelTx>(
    tx: &mut T,
    tenant: &TenantId,
    state: &OrderState,
    policy: &PushPolicy,
    stored: bool,
) -> StoreResult<bool> {
    let order = &state.order;
    if policy
        .pool
        .as_ref()
        .is_some_and(|rule| rule.pools(order.channel.as_str(), order.buyer.id.as_deref()))
    {
        return Ok(true);
    }
    if !stored {
        return Ok(false);
    }
    let rows = tx.merge_rows(tenant, &[state.id]).await?;
    Ok(rows.first().is_some_and(|r| r.group.is_some()))
}

/// One member ready to go, locked, with the lines it sends to each warehouse.
struct Ready {
    locked: LockedOrder,
    lines: BTreeMap<String, Vec<(String, i64)>>,
}

/// Pushes an active merge as one shipment, inside an open transaction: after locking
/// every member, checks that each open member (not cancelled, not already sent) is
/// allocated with no open hold and holds its stock only at warehouses the policy pushes
/// to; then queues one request per warehouse with every member's lines and moves every
/// member to `sent_to_warehouse`, each with an event naming the requests. Writes nothing
/// unless it returns [`GroupPush::Pushed`].
pub async fn push_group<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    group: Uuid,
    policy: &PushPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<GroupPush> {
    if policy.is_empty_for(tenant) {
        return Ok(GroupPush::Nothing);
    }
    let Some(group) = tx
        .merge_group(tenant, group)
        .await?
        .filter(|g| g.dissolved_at.is_none())
    else {
        return Ok(GroupPush::Nothing);
    };
    let mut sorted = group.order_ids.clone();
    sorted.sort();
    // Locks every member's row, in id order like the merge itself, so the group cannot
    // change (merge, undo, cancel, allocate) while it is pushed.
    let rows = tx.merge_rows(tenant, &sorted).await?;
    let open: Vec<OrderId> = group
        .order_ids
        .iter()
        .filter(|id| {
            rows.iter()
                .any(|r| r.id == **id && ordo_core::matching::mergeable(r.status))
        })
        .copied()
        .collect();
    if open.is_empty() {
        return Ok(GroupPush::Nothing);
    }
    if let Some(row) = rows
        .iter()
        .find(|r| open.contains(&r.id) && r.status != OrderStatus::Allocated)
    {
        return Ok(GroupPush::Waiting {
            order: row.id,
            status: row.status,
        });
    }
    let mut members = Vec::with_capacity(open.len());
    for id in &open {
        match ready(tx, tenant, *id, policy).await? {
            Ok(member) => members.push(member),
            Err(refusal) => return Ok(refusal),
        }
    }
    let requests = queue_requests(tx, tenant, group.id, &open, &members, now).await?;
    let mut kpis = KpiTally::default();
    for member in &members {
        let state = &member.locked.state;
        let allocated = stage_times(tx, tenant, state.id).await?.allocated;
        for warehouse in member.lines.keys() {
            kpis.sent(tenant, &state.order, warehouse, allocated, now);
        }
    }
    let lead = open[0];
    let mut feed = Vec::with_capacity(members.len());
    for member in members {
        let LockedOrder {
            mut state,
            last_event_seq,
        } = member.locked;
        let event = NewEvent {
            kind: EventKind::Transitioned,
            data: json!({
                "transition": "push", "from": "allocated", "to": "sent_to_warehouse",
                "requests": requests, "consolidation_id": group.id, "lead_order_id": lead,
            }),
        };
        state.status = OrderStatus::SentToWarehouse;
        state.version += 1;
        tx.update_order(tenant, &state, last_event_seq + 1, now).await?;
        tx.append_events(
            tenant,
            state.id,
            last_event_seq + 1,
            std::slice::from_ref(&event),
            actor,
            now,
        )
        .await?;
        feed.push(order_feed_event(&state, &event));
    }
    tx.add_kpis(kpis.take()).await?;
    // Feed last: the lock order every transaction keeps.
    tx.append_feed(tenant, &feed, now).await?;
    Ok(GroupPush::Pushed {
        lead,
        order_ids: open,
        requests,
    })
}

/// Locks one open member and checks it may go now.
async fn ready<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    id: OrderId,
    policy: &PushPolicy,
) -> StoreResult<Result<Ready, GroupPush>> {
    let waiting = |status| Err(GroupPush::Waiting { order: id, status });
    let Some(peek) = tx.peek_order(tenant, id).await? else {
        return Ok(Err(GroupPush::Nothing));
    };
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(Err(GroupPush::Nothing));
    };
    if locked.state.status != OrderStatus::Allocated {
        return Ok(waiting(locked.state.status));
    }
    if !tx.open_holds(tenant, id).await?.is_empty() {
        return Ok(waiting(OrderStatus::OnHold));
    }
    let stock: OrderStock = tx.order_stock(tenant, id).await?;
    if !stock.shortages.is_empty() {
        return Ok(waiting(OrderStatus::OnHold));
    }
    let mut lines: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for a in stock.allocations.iter().filter(|a| a.reserved > 0) {
        lines
            .entry(a.warehouse.clone())
            .or_default()
            .push((a.sku.clone(), a.reserved));
    }
    if lines.is_empty() {
        return Ok(Err(GroupPush::NotPushable {
            order: id,
            reason: "it holds no stock to send".into(),
        }));
    }
    if let Some(other) = lines.keys().find(|w| !policy.warehouses.contains(tenant, w)) {
        return Ok(Err(GroupPush::NotPushable {
            order: id,
            reason: format!("it holds stock at {other}, which takes no requests from Ordo"),
        }));
    }
    Ok(Ok(Ready { locked, lines }))
}

/// Queues one request per warehouse, named after the lead (the first open member) and
/// carrying every member's lines there.
async fn queue_requests<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    group: Uuid,
    open: &[OrderId],
    members: &[Ready],
    now: DateTime<Utc>,
) -> StoreResult<Vec<PushedRequest>> {
    let lead = &members[0].locked.state;
    let mut by_warehouse: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for member in members {
        let order_id = member.locked.state.id.to_string();
        for (warehouse, lines) in &member.lines {
            by_warehouse.entry(warehouse).or_default().extend(lines.iter().map(
                |(sku, quantity)| json!({ "line_id": null, "sku": sku, "quantity": quantity, "order_id": order_id }),
            ));
        }
    }
    // The consolidated package's catalogue facts are not loaded here: chosen by destination.
    let (carrier, service) = crate::stock::sourcing::carrier_for(tenant, &lead.order, &Default::default()).unzip();
    let ship_to = ship_to(&lead.order);
    let order_ids: Vec<String> = open.iter().map(ToString::to_string).collect();
    let mut requests = Vec::with_capacity(by_warehouse.len());
    for (warehouse, lines) in by_warehouse {
        let id = Uuid::now_v7();
        let payload = json!({
            "request_id": id.to_string(),
            "order_id": lead.id.to_string(),
            "order_ids": order_ids,
            "consolidation_id": group.to_string(),
            "channel": lead.order.channel.as_str(),
            "external_order_id": lead.order.external_id.as_str(),
            "warehouse": warehouse,
            "ship_to": ship_to,
            "carrier": carrier,
            "service": service,
            "lines": lines,
            "callback_url": null,
        });
        let message = NewOutbox {
            id,
            topic: FULFIL_TOPIC.into(),
            destination: warehouse.to_owned(),
            payload,
        };
        tx.insert_outbox(tenant, &message, now).await?;
        requests.push(PushedRequest {
            warehouse: warehouse.to_owned(),
            request_id: id,
        });
    }
    Ok(requests)
}
