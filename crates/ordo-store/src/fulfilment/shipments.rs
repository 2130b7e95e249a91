//! Shipments: every parcel that left a warehouse, found again by its tracking number, with
//! where its carrier last said it is; and the carrier updates about them, kept before
//! they are applied so that none is lost and a failed one can be replayed.
//!
//! A parcel is recorded in the transaction that deducts its stock ([`record_parcels`]);
//! a tracking update is applied in one transaction that locks the order
//! ([`record_tracking`]): the shipment's status, an `order.tracked` event (and
//! `order.delivery_exception` for a problem) and a `customer.notification` feed event
//! for what the buyer should hear about.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::columns::{Columns, Record, parsed};
use crate::delivery::records::NewFeedEvent;
use crate::orders::records::small;
use crate::review::records::HoldTx;
use crate::stock::allocate::order_feed_event;

/// How a shipment left, as the channel is told.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// Carrier name or code, e.g. `SF Express`, `UPS`.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// A tracking page.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// The warehouse it left; `None` ships what is reserved anywhere.
    #[serde(default)]
    pub warehouse: Option<String>,
    /// SKU → units in this parcel; empty when not said (with no units given anywhere in
    /// the shipment, everything reserved in its warehouse ships).
    #[serde(default)]
    pub units: BTreeMap<String, i64>,
    /// Further parcels of the same shipment, each with its own tracking.
    #[serde(default)]
    pub parcels: Vec<Parcel>,
}

/// One more parcel of a shipment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parcel {
    /// Carrier name or code.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// A tracking page.
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// SKU → units in it; empty when not said.
    #[serde(default)]
    pub units: BTreeMap<String, i64>,
}

impl Shipment {
    /// Every parcel, the first one (this shipment's own fields) included.
    pub fn all_parcels(&self) -> Vec<Parcel> {
        let first = Parcel {
            carrier: self.carrier.clone(),
            tracking_number: self.tracking_number.clone(),
            tracking_url: self.tracking_url.clone(),
            units: self.units.clone(),
        };
        std::iter::once(first).chain(self.parcels.iter().cloned()).collect()
    }

    /// The units every parcel names together; empty when none names any.
    pub fn units_named(&self) -> BTreeMap<String, i64> {
        let mut total = BTreeMap::new();
        for parcel in self.all_parcels() {
            for (sku, units) in parcel.units {
                *total.entry(sku).or_insert(0) += units;
            }
        }
        total
    }

    /// Which reserved units it takes.
    pub fn scope(&self) -> ordo_core::allocation::ShipScope {
        let units = self.units_named();
        ordo_core::allocation::ShipScope {
            warehouse: self.warehouse.clone(),
            units: (!units.is_empty()).then_some(units),
        }
    }
}

/// What a store's transaction offers the shipment algorithms, besides holds.
pub trait ShipmentTx: HoldTx {
    /// Records a parcel that left a warehouse.
    fn insert_shipment(
        &mut self,
        tenant: &TenantId,
        shipment: &ShipmentRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// An order's parcels, oldest first.
    fn order_shipments(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
    ) -> impl Future<Output = StoreResult<Vec<ShipmentRecord>>> + Send;

    /// Writes a parcel's tracking status, delivery and acknowledgement.
    fn update_shipment(
        &mut self,
        tenant: &TenantId,
        shipment: &ShipmentRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// One parcel that left a warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRecord {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// The order it belongs to.
    pub order_id: OrderId,
    /// The warehouse it left, when known.
    pub warehouse: Option<String>,
    /// Carrier.
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    pub tracking_number: Option<String>,
    /// A tracking page.
    pub tracking_url: Option<String>,
    /// SKU → units in it (as the warehouse said, else what the shipment deducted).
    pub units: BTreeMap<String, i64>,
    /// Where it is, in the tracking vocabulary (`shipped` until a carrier speaks).
    pub status: String,
    /// The carrier's finer status or own word.
    pub status_detail: Option<String>,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the carrier delivered it.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When a person acknowledged its delivery problem (cleared by a new problem).
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// Statuses that are a delivery problem: an open alert until acknowledged.
pub const PROBLEMS: &[&str] = &["exception", "failed_attempt", "return_to_sender"];

impl ShipmentRecord {
    /// Whether its status is a problem nobody has acknowledged yet.
    pub fn open_problem(&self) -> bool {
        PROBLEMS.contains(&self.status.as_str()) && self.acknowledged_at.is_none()
    }
}

/// What a carrier says about one parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingChange {
    /// Its tracking number.
    pub tracking_number: String,
    /// Status, in the tracking vocabulary (`in_transit`, `delivered`, `exception` …).
    pub status: String,
    /// The carrier's finer status.
    pub status_detail: Option<String>,
    /// When it was delivered, if it was.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The newest checkpoint's message.
    pub message: Option<String>,
    /// Who said so (`easypost`, `aftership`, …).
    pub source: String,
}

/// What applying a tracking update did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackingOutcome {
    /// The order.
    pub order_id: OrderId,
    /// Its status (unchanged by tracking: the caller moves it along the workflow).
    pub order_status: OrderStatus,
    /// The shipment afterwards.
    pub shipment: ShipmentRecord,
    /// False for a repeat of what was known, or news older than a delivery.
    pub changed: bool,
    /// Whether every parcel of the order is now delivered.
    pub all_delivered: bool,
}

/// Which shipments to list.
#[derive(Debug, Clone, Default)]
pub struct ShipmentQuery {
    /// Only this order's.
    pub order: Option<OrderId>,
    /// Only with this status.
    pub status: Option<String>,
    /// Only open delivery problems.
    pub problems: bool,
    /// At most this many, newest first.
    pub limit: u32,
}

/// A tracking update as it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackingInbound {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// `easypost`, `aftership`, `shipbob` or `generic`.
    pub source: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `received`, `applied`, `unmatched` (no parcel of ours) or `failed`.
    pub status: String,
    /// What went wrong: `code`, `message`.
    pub error: Option<serde_json::Value>,
    /// Times it was processed.
    pub attempts: i32,
    /// The raw body; empty in listings.
    #[serde(skip)]
    pub body: Vec<u8>,
}

/// Shipments and tracking updates in a store.
#[async_trait::async_trait]
pub trait ShipmentStore: Send + Sync {
    /// Shipments, newest first.
    async fn list_shipments(&self, tenant: &TenantId, query: &ShipmentQuery) -> StoreResult<Vec<ShipmentRecord>>;

    /// The shipments with this tracking number.
    async fn shipments_by_tracking(&self, tenant: &TenantId, tracking_number: &str)
    -> StoreResult<Vec<ShipmentRecord>>;

    /// Applies a carrier's update to an order's parcel ([`record_tracking`]); `None` if
    /// the order has no parcel with that number.
    async fn record_tracking(
        &self,
        tenant: &TenantId,
        order: OrderId,
        change: &TrackingChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<TrackingOutcome>>;

    /// Acknowledges a shipment's delivery problem; false if it has none open.
    async fn acknowledge_problem(&self, tenant: &TenantId, shipment: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Keeps a tracking update before it is applied.
    async fn insert_tracking_inbound(&self, tenant: &TenantId, row: &TrackingInbound) -> StoreResult<()>;

    /// Records how processing a kept update ended, and counts the attempt.
    async fn finish_tracking_inbound(
        &self,
        tenant: &TenantId,
        id: Uuid,
        status: &str,
        error: Option<&serde_json::Value>,
    ) -> StoreResult<()>;

    /// Kept updates, newest first, optionally with one status (bodies left out).
    async fn list_tracking_inbound(
        &self,
        tenant: &TenantId,
        status: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<TrackingInbound>>;

    /// One kept update, with its body.
    async fn get_tracking_inbound(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<TrackingInbound>>;
}

/// Records a shipment's parcels: one row each, with the units it names or, for a parcel
/// that names none, the `shipped` units not named by another parcel. Parcels whose
/// tracking number the order already has are skipped (a repeated callback). Returns the
/// rows written.
pub async fn record_parcels<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: OrderId,
    shipment: &Shipment,
    shipped: &BTreeMap<String, i64>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<ShipmentRecord>> {
    let known = tx.order_shipments(tenant, order).await?;
    let mut unnamed = shipped.clone();
    for (sku, units) in shipment.units_named() {
        if let Some(left) = unnamed.get_mut(&sku) {
            *left -= units;
        }
    }
    unnamed.retain(|_, units| *units > 0);
    let mut written = Vec::new();
    for parcel in shipment.all_parcels() {
        let repeated =
            parcel.tracking_number.is_some() && known.iter().any(|k| k.tracking_number == parcel.tracking_number);
        if repeated || (parcel.tracking_number.is_none() && parcel.carrier.is_none() && parcel.units.is_empty()) {
            continue;
        }
        let units = if parcel.units.is_empty() {
            std::mem::take(&mut unnamed)
        } else {
            parcel.units.clone()
        };
        let row = ShipmentRecord {
            id: Uuid::now_v7(),
            order_id: order,
            warehouse: shipment.warehouse.clone(),
            carrier: parcel.carrier,
            tracking_number: parcel.tracking_number,
            tracking_url: parcel.tracking_url,
            units,
            status: "shipped".into(),
            status_detail: None,
            shipped_at: now,
            updated_at: now,
            delivered_at: None,
            acknowledged_at: None,
        };
        tx.insert_shipment(tenant, &row).await?;
        written.push(row);
    }
    Ok(written)
}

/// What the buyer should hear about, for whoever sends e-mails or texts: a
/// `customer.notification` feed event (`template` one of `shipped`, `out_for_delivery`,
/// `delivered`, `delivery_problem`).
pub fn notification(state: &OrderState, template: &str, parcels: &[&ShipmentRecord]) -> NewFeedEvent {
    let order = &state.order;
    NewFeedEvent {
        kind: "customer.notification".into(),
        data: json!({
            "template": template,
            "order_id": state.id.to_string(),
            "channel": order.channel.as_str(),
            "external_id": order.external_id.as_str(),
            "to": {
                "name": order.destination().name,
                "email": order.buyer.email,
                "phone": order.destination().phone.as_ref().or(order.buyer.phone.as_ref()),
            },
            "parcels": parcels.iter().map(|p| json!({
                "carrier": p.carrier, "tracking_number": p.tracking_number,
                "tracking_url": p.tracking_url, "status": p.status, "status_detail": p.status_detail,
            })).collect::<Vec<_>>(),
        }),
    }
}

fn rank(status: &str) -> u8 {
    match status {
        "delivered" => 3,
        "return_to_sender" => 2,
        _ => 1,
    }
}

/// Applies a carrier's update to the order's parcel with that tracking number, inside an
/// open transaction. News that goes back from `delivered` (a late in-transit scan) is
/// kept out; a repeat changes nothing.
pub async fn record_tracking<T: ShipmentTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: OrderId,
    change: &TrackingChange,
    now: DateTime<Utc>,
) -> StoreResult<Option<TrackingOutcome>> {
    let Some(peek) = tx.peek_order(tenant, order).await? else {
        return Ok(None);
    };
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(None);
    };
    let mut parcels = tx.order_shipments(tenant, order).await?;
    let Some(at) = parcels
        .iter()
        .position(|p| p.tracking_number.as_deref() == Some(change.tracking_number.as_str()))
    else {
        return Ok(None);
    };
    let before = parcels[at].clone();
    let backwards = rank(&change.status) < rank(&before.status);
    let repeat = before.status == change.status && before.status_detail == change.status_detail;
    if backwards || repeat || change.status == "unknown" {
        let all_delivered = parcels.iter().all(|p| p.status == "delivered");
        return Ok(Some(TrackingOutcome {
            order_id: order,
            order_status: locked.state.status,
            shipment: before,
            changed: false,
            all_delivered,
        }));
    }
    let parcel = &mut parcels[at];
    parcel.status = change.status.clone();
    parcel.status_detail = change.status_detail.clone();
    parcel.updated_at = now;
    if change.status == "delivered" {
        parcel.delivered_at = Some(change.delivered_at.unwrap_or(now));
    }
    if PROBLEMS.contains(&change.status.as_str()) {
        parcel.acknowledged_at = None;
    }
    tx.update_shipment(tenant, parcel).await?;
    let parcel = parcel.clone();
    let all_delivered = parcels.iter().all(|p| p.status == "delivered");
    let detail = json!({
        "shipment_id": parcel.id, "tracking_number": parcel.tracking_number, "carrier": parcel.carrier,
        "status": parcel.status, "status_detail": parcel.status_detail, "from": before.status,
        "message": change.message, "source": change.source,
    });
    let mut events = vec![NewEvent {
        kind: EventKind::Tracked,
        data: detail.clone(),
    }];
    let problem = PROBLEMS.contains(&change.status.as_str());
    if problem {
        events.push(NewEvent {
            kind: EventKind::DeliveryException,
            data: detail,
        });
    }
    let state = locked.state;
    let next = OrderState {
        version: state.version + 1,
        ..state
    };
    tx.update_order(tenant, &next, locked.last_event_seq + events.len() as i64, now)
        .await?;
    let actor = format!("carrier:{}", change.source);
    tx.append_events(tenant, order, locked.last_event_seq + 1, &events, &actor, now)
        .await?;
    let mut feed: Vec<NewFeedEvent> = events.iter().map(|e| order_feed_event(&next, e)).collect();
    let template = match change.status.as_str() {
        "out_for_delivery" => Some("out_for_delivery"),
        "delivered" => Some("delivered"),
        _ if problem => Some("delivery_problem"),
        _ => None,
    };
    if let Some(template) = template {
        feed.push(notification(&next, template, &[&parcel]));
    }
    tx.append_feed(tenant, &feed, now).await?;
    Ok(Some(TrackingOutcome {
        order_id: order,
        order_status: next.status,
        shipment: parcel,
        changed: true,
        all_delivered,
    }))
}

impl Record for ShipmentRecord {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            order_id: OrderId(row.id("order_id")?),
            warehouse: row.text_opt("warehouse")?,
            carrier: row.text_opt("carrier")?,
            tracking_number: row.text_opt("tracking_number")?,
            tracking_url: row.text_opt("tracking_url")?,
            units: parsed(row, "units")?,
            status: row.text("status")?,
            status_detail: row.text_opt("status_detail")?,
            shipped_at: row.time("shipped_at")?,
            updated_at: row.time("updated_at")?,
            delivered_at: row.time_opt("delivered_at")?,
            acknowledged_at: row.time_opt("acknowledged_at")?,
        })
    }
}

impl Record for TrackingInbound {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            source: row.text("source")?,
            received_at: row.time("received_at")?,
            status: row.text("status")?,
            error: row.json_opt("error")?,
            attempts: small(row, "attempts")?,
            body: row.bytes("body")?,
        })
    }
}
