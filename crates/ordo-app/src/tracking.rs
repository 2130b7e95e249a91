//! Carrier tracking updates: kept as they arrived, read (EasyPost, AfterShip, ShipBob or
//! Ordo's generic shape), matched to parcels by tracking number and applied.
//!
//! Applying one records the parcel's status on its shipment with an `order.tracked` event
//! (and `order.delivery_exception` for a problem, an open alert until acknowledged), then
//! moves the order along the workflow: `in_transit` at the first scan, `delivered` once
//! every parcel of it is. An update nobody can read is kept as `failed`, one about a
//! parcel Ordo does not know as `unmatched`; both can be replayed (a carrier often
//! reports a parcel before its warehouse's callback arrives).

use chrono::{DateTime, Utc};
use ordo_connect::tracking::{TrackingError, TrackingStatus, TrackingUpdate};
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::StoreError;
use ordo_store::fulfilment::shipments::{PROBLEMS, TrackingChange, TrackingInbound};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::actions::OrderActions;

/// Who sends tracking updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// EasyPost tracker webhooks.
    Easypost,
    /// AfterShip tracking webhooks.
    Aftership,
    /// ShipBob shipment tracking.
    Shipbob,
    /// Ordo's generic tracking JSON.
    Generic,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [Self::Easypost, Self::Aftership, Self::Shipbob, Self::Generic];

    /// The name used in URLs and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Easypost => "easypost",
            Self::Aftership => "aftership",
            Self::Shipbob => "shipbob",
            Self::Generic => "generic",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    fn read(self, body: &[u8]) -> Result<Vec<TrackingUpdate>, TrackingError> {
        match self {
            Self::Easypost => ordo_connect::tracking::easypost::parse(body),
            Self::Aftership => ordo_connect::tracking::aftership::parse(body),
            Self::Shipbob => ordo_connect::tracking::shipbob::parse(body),
            Self::Generic => ordo_connect::tracking::generic::parse(body),
        }
    }
}

/// What became of one parcel an update spoke of.
#[derive(Debug, Clone, Serialize)]
pub struct ParcelResult {
    /// Its tracking number.
    pub tracking_number: String,
    /// Status, in Ordo's tracking vocabulary.
    pub status: String,
    /// The order it belongs to; `None` when no parcel of ours has that number.
    pub order_id: Option<String>,
    /// The order's status afterwards.
    pub order_status: Option<OrderStatus>,
    /// False for news already known (or older than a delivery).
    pub changed: bool,
    /// Why the order could not move, when the workflow refused.
    pub problem: Option<String>,
}

/// What receiving (or replaying) an update did.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// The kept update.
    pub inbound_id: Uuid,
    /// `applied`, `unmatched` or `failed`.
    pub status: &'static str,
    /// Each parcel it spoke of.
    pub parcels: Vec<ParcelResult>,
    /// Why it failed: `code`, `message`, `field`.
    pub error: Option<serde_json::Value>,
}

/// Keeps an update, then applies it.
pub async fn receive(
    actions: &OrderActions,
    tenant: &TenantId,
    source: Source,
    body: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<Received, StoreError> {
    let inbound = TrackingInbound {
        id: Uuid::now_v7(),
        source: source.as_str().into(),
        received_at: now,
        status: "received".into(),
        error: None,
        attempts: 0,
        body,
    };
    actions.store().insert_tracking_inbound(tenant, &inbound).await?;
    process(actions, tenant, source, &inbound, now).await
}

/// Applies a kept update again; `None` if there is no such update.
pub async fn replay(
    actions: &OrderActions,
    tenant: &TenantId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Received>, StoreError> {
    let Some(inbound) = actions.store().get_tracking_inbound(tenant, id).await? else {
        return Ok(None);
    };
    let source = Source::parse(&inbound.source)
        .ok_or_else(|| StoreError::Other(format!("kept tracking update of unknown source {}", inbound.source)))?;
    process(actions, tenant, source, &inbound, now).await.map(Some)
}

async fn process(
    actions: &OrderActions,
    tenant: &TenantId,
    source: Source,
    inbound: &TrackingInbound,
    now: DateTime<Utc>,
) -> Result<Received, StoreError> {
    let store = actions.store();
    let updates = match source.read(&inbound.body) {
        Ok(updates) => updates,
        Err(e) => {
            let (field, message) = match &e {
                TrackingError::Json(m) => (None, m.clone()),
                TrackingError::Field { field, message } => (Some(field.clone()), message.clone()),
            };
            let error = json!({ "code": "invalid_tracking", "message": message, "field": field });
            store
                .finish_tracking_inbound(tenant, inbound.id, "failed", Some(&error))
                .await?;
            metrics::counter!("ordo_tracking_updates_total", "result" => "failed").increment(1);
            return Ok(Received {
                inbound_id: inbound.id,
                status: "failed",
                parcels: Vec::new(),
                error: Some(error),
            });
        }
    };
    let mut parcels = Vec::new();
    for update in updates {
        let change = TrackingChange {
            tracking_number: update.tracking_number.clone(),
            status: update.status.as_str().into(),
            status_detail: update.status_detail.clone(),
            delivered_at: update
                .delivered_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            message: update.events.last().map(|e| e.message.clone()),
            source: source.as_str().into(),
        };
        let known = store.shipments_by_tracking(tenant, &update.tracking_number).await?;
        if known.is_empty() {
            parcels.push(ParcelResult {
                tracking_number: update.tracking_number,
                status: change.status,
                order_id: None,
                order_status: None,
                changed: false,
                problem: None,
            });
            continue;
        }
        // One parcel number on several orders: a consolidated shipment.
        let mut orders: Vec<OrderId> = known.iter().map(|s| s.order_id).collect();
        orders.sort_by_key(|o| o.0);
        orders.dedup();
        for order in orders {
            parcels.push(apply(actions, tenant, order, &change, update.status, now).await?);
        }
    }
    let matched = parcels.iter().any(|p| p.order_id.is_some());
    let status = if matched { "applied" } else { "unmatched" };
    let error = (!matched).then(|| {
        json!({ "code": "unknown_tracking_number", "message": "no shipment has these tracking numbers",
                "tracking_numbers": parcels.iter().map(|p| p.tracking_number.clone()).collect::<Vec<_>>() })
    });
    store
        .finish_tracking_inbound(tenant, inbound.id, status, error.as_ref())
        .await?;
    metrics::counter!("ordo_tracking_updates_total", "result" => status).increment(1);
    Ok(Received {
        inbound_id: inbound.id,
        status,
        parcels,
        error,
    })
}

async fn apply(
    actions: &OrderActions,
    tenant: &TenantId,
    order: OrderId,
    change: &TrackingChange,
    status: TrackingStatus,
    now: DateTime<Utc>,
) -> Result<ParcelResult, StoreError> {
    let mut result = ParcelResult {
        tracking_number: change.tracking_number.clone(),
        status: change.status.clone(),
        order_id: Some(order.to_string()),
        order_status: None,
        changed: false,
        problem: None,
    };
    let Some(outcome) = actions.store().record_tracking(tenant, order, change, now).await? else {
        return Ok(result);
    };
    result.changed = outcome.changed;
    result.order_status = Some(outcome.order_status);
    if PROBLEMS.contains(&change.status.as_str()) && outcome.changed {
        metrics::counter!("ordo_delivery_problems_total", "status" => change.status.clone()).increment(1);
        tracing::warn!(order = %order, tracking = %change.tracking_number, status = %change.status, "delivery problem");
    }
    let target = if outcome.all_delivered {
        Some(OrderStatus::Delivered)
    } else if outcome.order_status == OrderStatus::Shipped
        && matches!(
            status,
            TrackingStatus::InTransit
                | TrackingStatus::OutForDelivery
                | TrackingStatus::AvailableForPickup
                | TrackingStatus::FailedAttempt
                | TrackingStatus::Delivered
        )
    {
        Some(OrderStatus::InTransit)
    } else {
        None
    };
    let Some(target) = target.filter(|t| *t != outcome.order_status) else {
        return Ok(result);
    };
    let steps = actions.steps(tenant, outcome.order_status, target).unwrap_or_default();
    if steps.is_empty() {
        result.problem = Some(format!(
            "the workflow has no way from {} to {}",
            outcome.order_status.as_str(),
            target.as_str()
        ));
        return Ok(result);
    }
    let actor = format!("carrier:{}", change.source);
    for step in steps {
        match actions
            .transition(
                tenant,
                order,
                step,
                ordo_workflow::Actor::Connector,
                &actor,
                None,
                None,
                now,
            )
            .await
        {
            Ok(done) => result.order_status = Some(done.status),
            Err(e) => {
                result.problem = Some(e.to_string());
                break;
            }
        }
    }
    Ok(result)
}
