//! Sending allocated orders to their warehouses: one fulfilment request per warehouse
//! that reserved for the order, queued in the outbox (topic [`FULFIL_TOPIC`], destination
//! the warehouse's code) in the transaction that allocates the order. The request thus
//! leaves within milliseconds of the order being accepted, and is never lost: a
//! warehouse that is down gets it when it is back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use ordo_core::allocation::OrderStock;
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{Order, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::delivery::records::NewOutbox;
use crate::orders::kpis::{KpiTally, stage_times};
use crate::review::records::HoldTx;

/// Outbox topic of fulfilment requests.
pub const FULFIL_TOPIC: &str = "wms.fulfil";

/// Which warehouses take fulfilment requests from Ordo (those with a connector), per
/// tenant: two tenants may both have an `HZ-01`, and only the one with a connector for it
/// sends there. Shared and live: the node updates it as connections are added and removed,
/// and every policy holding it sees the change at once.
#[derive(Debug, Clone, Default)]
pub struct PushTargets(Arc<RwLock<BTreeMap<Option<String>, BTreeSet<String>>>>);

/// Two handles are equal when they share one live set.
impl PartialEq for PushTargets {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for PushTargets {}

impl PushTargets {
    /// These warehouse codes, for every tenant (a single-tenant setup, and tests).
    pub fn everywhere(codes: impl IntoIterator<Item = String>) -> Self {
        let targets = Self::default();
        targets.write().insert(None, codes.into_iter().collect());
        targets
    }

    /// Replaces the set: warehouse codes by tenant.
    pub fn replace(&self, by_tenant: BTreeMap<String, BTreeSet<String>>) {
        *self.write() = by_tenant.into_iter().map(|(t, codes)| (Some(t), codes)).collect();
    }

    /// Whether `tenant`'s warehouse `code` takes requests.
    pub fn contains(&self, tenant: &TenantId, code: &str) -> bool {
        let map = self.read();
        [None, Some(tenant.as_str().to_owned())]
            .iter()
            .any(|key| map.get(key).is_some_and(|codes| codes.contains(code)))
    }

    /// Whether `tenant` sends requests to any warehouse.
    pub fn any_for(&self, tenant: &TenantId) -> bool {
        let map = self.read();
        [None, Some(tenant.as_str().to_owned())]
            .iter()
            .any(|key| map.get(key).is_some_and(|codes| !codes.is_empty()))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Option<String>, BTreeSet<String>>> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Option<String>, BTreeSet<String>>> {
        self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Which warehouses take fulfilment requests from Ordo (those with a connector): an
/// allocated order whose every reservation is at one of them goes out by itself, unless
/// it ships with others (a merge, or the B2B pool; see [`crate::fulfilment::consolidate`]).
#[derive(Debug, Clone, Default)]
pub struct PushPolicy {
    /// Warehouse codes by tenant.
    pub warehouses: PushTargets,
    /// Orders this rule matches wait in their customer's pool instead of going alone.
    pub pool: Option<Arc<crate::fulfilment::consolidate_records::PoolRule>>,
}

impl PushPolicy {
    /// Pushes to these warehouses, for every tenant.
    pub fn to(warehouses: impl IntoIterator<Item = String>) -> Self {
        Self {
            warehouses: PushTargets::everywhere(warehouses),
            pool: None,
        }
    }

    /// The same, pooling the orders `rule` matches (an empty rule pools nothing).
    pub fn with_pool(mut self, rule: Option<crate::fulfilment::consolidate_records::PoolRule>) -> Self {
        self.pool = rule.filter(|r| !r.is_empty()).map(Arc::new);
        self
    }

    /// The same without the pool: for sending a pooled order whose time has come.
    pub fn without_pool(&self) -> Self {
        Self {
            warehouses: self.warehouses.clone(),
            pool: None,
        }
    }

    /// Whether nothing of `tenant`'s is pushed.
    pub fn is_empty_for(&self, tenant: &TenantId) -> bool {
        !self.warehouses.any_for(tenant)
    }
}

/// Queues an allocated order's fulfilment requests and moves it to `sent_to_warehouse`;
/// does nothing (no events) unless it is allocated, holds stock only at warehouses the
/// policy pushes to, and ships alone (in no merge, not pooled). `stored` says whether the
/// order existed before this transaction (only such an order can be in a merge, or have
/// been allocated before it). Each request is counted in `kpis`.
#[allow(clippy::too_many_arguments)]
pub async fn push<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    state: &mut OrderState,
    stock: &OrderStock,
    policy: &PushPolicy,
    stored: bool,
    catalogue: &BTreeMap<String, crate::stock::records::CatalogueRow>,
    kpis: &mut KpiTally,
    now: DateTime<Utc>,
) -> StoreResult<Vec<NewEvent>> {
    if state.status != OrderStatus::Allocated || policy.is_empty_for(tenant) || !stock.shortages.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_warehouse: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
    for a in stock.allocations.iter().filter(|a| a.reserved > 0) {
        by_warehouse
            .entry(a.warehouse.as_str())
            .or_default()
            .push((a.sku.as_str(), a.reserved));
    }
    if by_warehouse.is_empty() || !by_warehouse.keys().all(|w| policy.warehouses.contains(tenant, w)) {
        return Ok(Vec::new());
    }
    if crate::fulfilment::consolidate::ships_with_others(tx, tenant, state, policy, stored).await? {
        return Ok(Vec::new());
    }
    let by_warehouse: BTreeMap<String, Vec<(String, i64)>> = by_warehouse
        .into_iter()
        .map(|(w, lines)| {
            (
                w.to_owned(),
                lines.into_iter().map(|(s, q)| (s.to_owned(), q)).collect(),
            )
        })
        .collect();
    let requests = queue(tx, tenant, state, &by_warehouse, catalogue, now).await?;
    // A new order was allocated by this transaction; a stored one says when in its events
    // unless it was allocated here too.
    let allocated_at = match kpis.allocated_at(state.id) {
        Some(at) => Some(at),
        None if !stored => Some(now),
        None => stage_times(tx, tenant, state.id).await?.allocated,
    };
    for warehouse in by_warehouse.keys() {
        kpis.sent(tenant, &state.order, warehouse, allocated_at, now);
    }
    state.status = OrderStatus::SentToWarehouse;
    Ok(vec![NewEvent {
        kind: EventKind::Transitioned,
        data: json!({ "transition": "push", "from": "allocated", "to": "sent_to_warehouse", "requests": requests }),
    }])
}

/// Queues one fulfilment request per warehouse for these (SKU, units), each naming the
/// carrier its package's destination, weight, size and attributes call for; returns
/// `{warehouse, request_id}` of each.
pub(crate) async fn queue<T: HoldTx>(
    tx: &mut T,
    tenant: &TenantId,
    state: &OrderState,
    by_warehouse: &BTreeMap<String, Vec<(String, i64)>>,
    catalogue: &BTreeMap<String, crate::stock::records::CatalogueRow>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<serde_json::Value>> {
    let order = &state.order;
    let ship_to = ship_to(order);
    let mut requests = Vec::with_capacity(by_warehouse.len());
    for (warehouse, lines) in by_warehouse {
        let package = crate::stock::sourcing::Package::of(catalogue, lines);
        let (carrier, service) = crate::stock::sourcing::carrier_for(tenant, order, &package).unzip();
        let id = Uuid::now_v7();
        let payload = json!({
            "request_id": id.to_string(),
            "order_id": state.id.to_string(),
            "channel": order.channel.as_str(),
            "external_order_id": order.external_id.as_str(),
            "warehouse": warehouse,
            "ship_to": ship_to,
            "carrier": carrier,
            "service": service,
            "lines": lines.iter().map(|(sku, q)| json!({ "line_id": null, "sku": sku, "quantity": q })).collect::<Vec<_>>(),
            "callback_url": null,
        });
        let message = NewOutbox {
            id,
            topic: FULFIL_TOPIC.into(),
            destination: warehouse.clone(),
            payload,
        };
        tx.insert_outbox(tenant, &message, now).await?;
        requests.push(json!({ "warehouse": warehouse, "request_id": id }));
    }
    Ok(requests)
}

/// The `ship_to` of a fulfilment request for an order.
pub(crate) fn ship_to(order: &Order) -> serde_json::Value {
    let address = order.destination();
    json!({
        "name": address.name, "phone": address.phone, "email": order.buyer.email,
        "country": address.country, "province": address.province, "city": address.city,
        "district": address.district, "line1": address.line1, "line2": address.line2,
        "postal_code": address.postal_code,
    })
}
