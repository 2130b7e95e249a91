//! What warehouses answer: accepted, picked, packed, shipped (one package or all of
//! them, with tracking), cancelled and shipped short, applied to the order along the
//! workflow; and goods that came back (`returned`), received into the order's return
//! case ([`super::returns`]). A repeated callback changes nothing.

use std::collections::BTreeMap;

use chrono::Utc;
use ordo_core::{OrderStatus, TenantId};
use ordo_store::fulfilment::shipments::ShipmentQuery;
use ordo_store::{OrderRequest, Parcel, Shipment};
use serde::Serialize;

/// What a warehouse callback did.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// The order.
    pub order_id: String,
    /// Its status afterwards.
    pub status: OrderStatus,
    /// The after-sale case a `returned` event was received into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// Why nothing changed, when a `returned` event had been received before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a warehouse callback was not applied.
#[derive(Debug, thiserror::Error)]
pub enum CallbackProblem {
    /// The callback names no order of ours.
    #[error("the callback names no Ordo order (order_id / reference)")]
    NoOrder,
    /// The order refused the move.
    #[error(transparent)]
    Action(#[from] crate::actions::ActionError),
}

/// Moves an order as a warehouse reports: picked, packed, shipped (tracking to the
/// channel), or held for a person when the warehouse cancelled or shipped short. A
/// consolidated request names its lead order: every member moves with it.
pub async fn apply_event(
    actions: &crate::actions::OrderActions,
    tenant: &TenantId,
    warehouse: &str,
    event: ordo_connect::wms::WmsEvent,
) -> Result<Applied, CallbackProblem> {
    if matches!(event.kind, ordo_connect::wms::WmsEventKind::Returned { .. }) {
        // About the order after it left, consolidated or not, and it may name the order
        // by the channel's id or only by its case.
        return super::returns::apply_returned(actions, tenant, warehouse, event).await;
    }
    let named = event.order_ref.as_deref().and_then(|r| uuid::Uuid::parse_str(r).ok());
    let named = named.map(ordo_core::OrderId).ok_or(CallbackProblem::NoOrder)?;
    let members = crate::consolidation::members_of(actions.store(), tenant, named)
        .await
        .map_err(crate::actions::ActionError::from)?;
    let event = if members.len() > 1 {
        if let ordo_connect::wms::WmsEventKind::ShortShipped { short, reason, .. } = event.kind {
            return hold_members(actions, tenant, warehouse, &members, &short, reason).await;
        }
        for_each_member(event)
    } else {
        event
    };
    let mut applied = None;
    for member in members {
        let event = ordo_connect::wms::WmsEvent {
            order_ref: Some(member.to_string()),
            ..event.clone()
        };
        let done = apply_to_order(actions, tenant, warehouse, event).await?;
        applied.get_or_insert(done);
    }
    applied.ok_or(CallbackProblem::NoOrder)
}

/// A consolidated shipment's news as each of its orders takes it: its parcels carry every
/// order's units, so each order ships what it holds at the warehouse.
fn for_each_member(mut event: ordo_connect::wms::WmsEvent) -> ordo_connect::wms::WmsEvent {
    if let ordo_connect::wms::WmsEventKind::Shipped { shipments } = &mut event.kind {
        for parcel in shipments {
            parcel.lines.clear();
        }
    }
    event
}

/// A short shipment of several orders is left to a person, who knows whose units are
/// missing: every order in it is held with the reason.
async fn hold_members(
    actions: &crate::actions::OrderActions,
    tenant: &TenantId,
    warehouse: &str,
    members: &[ordo_core::OrderId],
    short: &[(String, u32)],
    reason: Option<String>,
) -> Result<Applied, CallbackProblem> {
    let lines: Vec<String> = short.iter().map(|(sku, q)| format!("{q} × {sku}")).collect();
    let why = format!(
        "warehouse {warehouse} shipped a consolidated shipment short ({}){}",
        lines.join(", "),
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    let actor = format!("warehouse:{warehouse}");
    let mut applied = None;
    for member in members {
        let done = actions
            .transition(
                tenant,
                *member,
                OrderStatus::OnHold,
                ordo_workflow::Actor::Connector,
                &actor,
                Some(why.clone()),
                None,
                Utc::now(),
            )
            .await?;
        applied.get_or_insert(Applied {
            order_id: member.to_string(),
            status: done.status,
            case_id: None,
            note: None,
        });
    }
    applied.ok_or(CallbackProblem::NoOrder)
}

/// [`apply_event`] for one order.
async fn apply_to_order(
    actions: &crate::actions::OrderActions,
    tenant: &TenantId,
    warehouse: &str,
    event: ordo_connect::wms::WmsEvent,
) -> Result<Applied, CallbackProblem> {
    use ordo_connect::wms::WmsEventKind as K;
    let id = event
        .order_ref
        .as_deref()
        .and_then(|r| uuid::Uuid::parse_str(r).ok())
        .map(ordo_core::OrderId)
        .ok_or(CallbackProblem::NoOrder)?;
    let actor = format!("warehouse:{warehouse}");
    let now = Utc::now();
    let (target, reason, shipment) = match event.kind {
        K::Accepted => {
            metrics::counter!("ordo_wms_accepted_total", "warehouse" => warehouse.to_owned()).increment(1);
            return current(actions, tenant, id).await;
        }
        K::Picked => (OrderStatus::Picking, None, None),
        K::Packed => (OrderStatus::Packed, None, None),
        K::Shipped { shipments } => {
            let shipment = shipment_of(warehouse, &shipments);
            if already_recorded(actions, tenant, id, &shipment).await? {
                // A repeated callback: its parcels are on the order already.
                return current(actions, tenant, id).await;
            }
            (OrderStatus::Shipped, None, Some(shipment))
        }
        K::Cancelled { reason } => {
            let record = actions
                .store()
                .get_order(tenant, id)
                .await
                .map_err(crate::actions::ActionError::from)?
                .ok_or(crate::actions::ActionError::NotFound(id))?;
            if !matches!(
                record.state.status,
                OrderStatus::SentToWarehouse | OrderStatus::Picking | OrderStatus::Packed | OrderStatus::Allocated
            ) {
                // Cancelled here first (the channel cancelled), or already handled.
                return current(actions, tenant, id).await;
            }
            // The warehouse will not ship what it holds for the order: it goes to another.
            let request = OrderRequest::ShortShip {
                warehouse: warehouse.to_owned(),
                shipped: Shipment::default(),
                short: BTreeMap::new(),
                reason: Some(format!(
                    "warehouse {warehouse} cancelled: {}",
                    reason.unwrap_or_default()
                )),
                write_off: false,
            };
            let done = actions.ship_short(tenant, id, &request, &actor, now).await?;
            return Ok(Applied {
                order_id: id.to_string(),
                status: done.status,
                case_id: None,
                note: None,
            });
        }
        K::Returned { .. } => return super::returns::apply_returned(actions, tenant, warehouse, event).await,
        K::ShortShipped { shipped, short, reason } => {
            let shipment = shipment_of(warehouse, &shipped);
            if !shipped.is_empty() && already_recorded(actions, tenant, id, &shipment).await? {
                return current(actions, tenant, id).await;
            }
            let request = OrderRequest::ShortShip {
                warehouse: warehouse.to_owned(),
                shipped: shipment,
                short: short.iter().map(|(sku, q)| (sku.clone(), i64::from(*q))).collect(),
                reason,
                write_off: true,
            };
            let done = actions.ship_short(tenant, id, &request, &actor, now).await?;
            metrics::counter!("ordo_wms_short_shipped_total", "warehouse" => warehouse.to_owned()).increment(1);
            return Ok(Applied {
                order_id: id.to_string(),
                status: done.status,
                case_id: None,
                note: None,
            });
        }
    };
    // Callbacks can arrive out of order or be lost: walk the workflow's shortest path
    // to the reported state, each step checked as usual.
    let record = actions
        .store()
        .get_order(tenant, id)
        .await
        .map_err(crate::actions::ActionError::from)?
        .ok_or(crate::actions::ActionError::NotFound(id))?;
    let from = record.state.status;
    if from == target {
        return current(actions, tenant, id).await;
    }
    let steps: Vec<OrderStatus> = if target == OrderStatus::OnHold {
        vec![target]
    } else {
        match actions.steps(tenant, from, target) {
            Some(steps) => steps,
            // Picked or packed news about an order already further along (another
            // warehouse's package of it went first): nothing to do.
            None if matches!(target, OrderStatus::Picking | OrderStatus::Packed) => {
                return current(actions, tenant, id).await;
            }
            None => vec![target],
        }
    };
    let mut status = from;
    for step in steps {
        let shipment = if step == OrderStatus::Shipped {
            shipment.clone()
        } else {
            None
        };
        let done = actions
            .transition(
                tenant,
                id,
                step,
                ordo_workflow::Actor::Connector,
                &actor,
                reason.clone(),
                shipment,
                now,
            )
            .await?;
        status = done.status;
        if step == OrderStatus::Shipped && status != OrderStatus::Shipped {
            // One package of several: the order waits for the others where it is.
            break;
        }
    }
    Ok(Applied {
        order_id: id.to_string(),
        status,
        case_id: None,
        note: None,
    })
}

/// The shipment a warehouse reports: its parcels, each with the units it carries when
/// the warehouse said, all from that warehouse.
fn shipment_of(warehouse: &str, parcels: &[ordo_connect::wms::ShipmentInfo]) -> Shipment {
    let units = |lines: &[(String, u32)]| -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for (sku, q) in lines {
            *out.entry(sku.clone()).or_insert(0) += i64::from(*q);
        }
        out
    };
    let mut parcels = parcels.iter().map(|p| Parcel {
        carrier: Some(p.carrier.clone()),
        tracking_number: Some(p.tracking_number.clone()),
        tracking_url: p.tracking_url.clone(),
        units: units(&p.lines),
    });
    let first = parcels.next().unwrap_or_default();
    Shipment {
        carrier: first.carrier,
        tracking_number: first.tracking_number,
        tracking_url: first.tracking_url,
        warehouse: Some(warehouse.to_owned()),
        units: first.units,
        parcels: parcels.collect(),
    }
}

/// Whether every parcel of a shipment is on the order already.
async fn already_recorded(
    actions: &crate::actions::OrderActions,
    tenant: &TenantId,
    id: ordo_core::OrderId,
    shipment: &Shipment,
) -> Result<bool, CallbackProblem> {
    let numbers: Vec<String> = shipment
        .all_parcels()
        .into_iter()
        .filter_map(|p| p.tracking_number)
        .collect();
    if numbers.is_empty() {
        return Ok(false);
    }
    let known = actions
        .store()
        .list_shipments(
            tenant,
            &ShipmentQuery {
                order: Some(id),
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .map_err(crate::actions::ActionError::from)?;
    Ok(numbers
        .iter()
        .all(|n| known.iter().any(|k| k.tracking_number.as_deref() == Some(n.as_str()))))
}

pub(super) async fn current(
    actions: &crate::actions::OrderActions,
    tenant: &TenantId,
    id: ordo_core::OrderId,
) -> Result<Applied, CallbackProblem> {
    let record = actions
        .store()
        .get_order(tenant, id)
        .await
        .map_err(crate::actions::ActionError::from)?
        .ok_or(crate::actions::ActionError::NotFound(id))?;
    Ok(Applied {
        order_id: id.to_string(),
        status: record.state.status,
        case_id: None,
        note: None,
    })
}
