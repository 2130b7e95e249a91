//! The shipment contract every store adapter must keep: a split order ships one
//! warehouse's package at a time with each parcel recorded; a short shipment writes the
//! missing units off and reserves the rest elsewhere, sending it on; carrier updates move
//! parcels, raise delivery problems until acknowledged and never go back from delivered;
//! tracking updates are kept before they are applied. Expanded per adapter by
//! [`crate::shipment_contract_tests!`].

use std::collections::BTreeMap;
use std::sync::Arc;

use ordo_core::{OrderId, OrderStatus};
use uuid::Uuid;

use crate::fulfilment::push::FULFIL_TOPIC;
use crate::fulfilment::shipments::{ShipmentQuery, TrackingChange, TrackingInbound};
use crate::stock::contract::{HOLD, acme, ingest, level, now, order, receive, setup};
use crate::{OrderRequest, OrderRequestError, Parcel, Shipment, Store};

/// Expands to one `#[tokio::test]` per shipment behaviour, each on a fresh store.
#[macro_export]
macro_rules! shipment_contract_tests {
    ($factory:path) => {
        $crate::shipment_contract_tests!(@each $factory;
            a_split_order_ships_one_package_at_a_time,
            a_short_shipment_writes_off_and_reroutes_the_rest,
            a_short_shipment_with_nowhere_to_go_waits_for_stock,
            a_warehouse_that_cancels_has_the_order_sent_elsewhere,
            each_package_names_the_carrier_its_weight_size_and_goods_call_for,
            carrier_updates_move_parcels_and_raise_problems,
            tracking_updates_are_kept_before_they_are_applied
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::fulfilment::contract_shipments::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

fn units(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect()
}

fn parcel(warehouse: &str, tracking: &str, carried: &[(&str, i64)]) -> Shipment {
    Shipment {
        carrier: Some("SF Express".into()),
        tracking_number: Some(tracking.into()),
        tracking_url: Some(format!("https://track.example/{tracking}")),
        warehouse: Some(warehouse.into()),
        units: units(carried),
        parcels: Vec::new(),
    }
}

async fn ask<T: Store>(store: &Arc<T>, id: OrderId, request: OrderRequest) -> Result<OrderStatus, OrderRequestError> {
    store
        .order_request(&acme(), id, &request, HOLD, "warehouse:test", now())
        .await
        .unwrap()
        .map(|o| o.status)
}

async fn parcels<T: Store>(store: &Arc<T>, id: OrderId) -> Vec<crate::fulfilment::shipments::ShipmentRecord> {
    let query = ShipmentQuery {
        order: Some(id),
        limit: 50,
        ..Default::default()
    };
    let mut rows = store.list_shipments(&acme(), &query).await.unwrap();
    rows.reverse();
    rows
}

async fn kinds<T: Store>(store: &Arc<T>, id: OrderId) -> Vec<String> {
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    record.events.iter().map(|e| e.kind.clone()).collect()
}

/// A split order's packages leave one warehouse at a time: the first leaves the order
/// where it was, with that parcel recorded and told to the channel; the last ships it.
pub async fn a_split_order_ships_one_package_at_a_time<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 2).await;
    receive(&store, "SZ-01", "B", 1).await;
    let (id, status) = ingest(&store, order("S-1", &[("A", 2), ("B", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::Allocated);

    let first = ask(&store, id, OrderRequest::Ship(parcel("HZ-01", "SF-1", &[]))).await;
    assert_eq!(
        first,
        Ok(OrderStatus::Allocated),
        "one package of two leaves the order where it was"
    );
    assert_eq!(level(&store, "HZ-01", "A").await.on_hand, 0);
    assert_eq!(level(&store, "SZ-01", "B").await.reserved, 1);
    assert!(kinds(&store, id).await.contains(&"order.partly_shipped".to_owned()));
    let recorded = parcels(&store, id).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].warehouse.as_deref(), Some("HZ-01"));
    assert_eq!(recorded[0].units, units(&[("A", 2)]));
    assert_eq!(recorded[0].status, "shipped");
    let told = store
        .list_outbox(&acme(), Some("channel.tracking"), None, 10)
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].payload["complete"], false);
    assert_eq!(
        told[0].payload["lines"],
        serde_json::json!([{ "line_id": null, "sku": "A", "quantity": 2 }])
    );

    // More than the warehouse holds for it is refused and changes nothing.
    let too_much = ask(&store, id, OrderRequest::Ship(parcel("SZ-01", "SF-X", &[("B", 2)]))).await;
    assert!(matches!(too_much, Err(OrderRequestError::Plan(_))), "{too_much:?}");

    // Two parcels from the second warehouse, one of them carrying nothing it names.
    let mut last = parcel("SZ-01", "SF-2", &[]);
    last.parcels.push(Parcel {
        carrier: Some("SF Express".into()),
        tracking_number: Some("SF-3".into()),
        tracking_url: None,
        units: BTreeMap::new(),
    });
    assert_eq!(
        ask(&store, id, OrderRequest::Ship(last)).await,
        Ok(OrderStatus::Shipped)
    );
    let recorded = parcels(&store, id).await;
    let numbers: Vec<_> = recorded.iter().filter_map(|p| p.tracking_number.clone()).collect();
    assert_eq!(numbers, ["SF-1", "SF-2", "SF-3"]);
    assert_eq!(recorded[1].units, units(&[("B", 1)]));
    let told = store
        .list_outbox(&acme(), Some("channel.tracking"), None, 10)
        .await
        .unwrap();
    assert_eq!(told.len(), 2);
    assert!(told.iter().any(|m| m.payload["complete"] == true));
    // The buyer hears of each shipment.
    let feed = store.read_feed(&acme(), 0, 500).await.unwrap();
    let notices = feed.iter().filter(|e| e.kind == "customer.notification").count();
    assert_eq!(notices, 2);
}

/// A short shipment ships what left, writes the missing units off at that warehouse and
/// reserves them again elsewhere, with a fulfilment request to the new warehouse.
pub async fn a_short_shipment_writes_off_and_reroutes_the_rest<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 3).await;
    receive(&store, "SZ-01", "A", 5).await;
    let (id, _) = ingest(&store, order("S-2", &[("A", 3)], |_| {})).await;
    assert_eq!(level(&store, "HZ-01", "A").await.reserved, 3);
    let request = OrderRequest::ShortShip {
        warehouse: "HZ-01".into(),
        shipped: parcel("HZ-01", "SF-10", &[("A", 1)]),
        short: units(&[("A", 2)]),
        reason: Some("damaged".into()),
        write_off: true,
    };
    assert_eq!(ask(&store, id, request).await, Ok(OrderStatus::Allocated));
    let hz = level(&store, "HZ-01", "A").await;
    assert_eq!((hz.on_hand, hz.reserved), (0, 0), "one shipped, two written off");
    assert_eq!(level(&store, "SZ-01", "A").await.reserved, 2);
    let stock = store.get_order_stock(&acme(), id).await.unwrap();
    assert!(stock.shortages.is_empty());
    let requests = store.list_outbox(&acme(), Some(FULFIL_TOPIC), None, 10).await.unwrap();
    let to_sz: Vec<_> = requests.iter().filter(|m| m.destination == "SZ-01").collect();
    assert_eq!(to_sz.len(), 1);
    assert_eq!(to_sz[0].payload["lines"][0]["quantity"], 2);
    assert!(kinds(&store, id).await.contains(&"order.shipped_short".to_owned()));
    // The rerouted units ship from the new warehouse and finish the order.
    let done = ask(&store, id, OrderRequest::Ship(parcel("SZ-01", "SF-11", &[]))).await;
    assert_eq!(done, Ok(OrderStatus::Shipped));
    assert_eq!(level(&store, "SZ-01", "A").await.on_hand, 3);
}

/// With no other warehouse holding the rest, the order waits on hold for it, and stock
/// arriving reserves only what has not shipped.
pub async fn a_short_shipment_with_nowhere_to_go_waits_for_stock<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 2).await;
    let (id, _) = ingest(&store, order("S-3", &[("A", 2)], |_| {})).await;
    let request = OrderRequest::ShortShip {
        warehouse: "HZ-01".into(),
        shipped: parcel("HZ-01", "SF-20", &[("A", 1)]),
        short: units(&[("A", 1)]),
        reason: None,
        write_off: true,
    };
    assert_eq!(ask(&store, id, request).await, Ok(OrderStatus::OnHold));
    let stock = store.get_order_stock(&acme(), id).await.unwrap();
    assert_eq!(stock.shortages.len(), 1);
    assert_eq!(stock.shortages[0].waiting, 1);
    receive(&store, "SZ-01", "A", 5).await;
    assert_eq!(ask(&store, id, OrderRequest::Retry).await, Ok(OrderStatus::Allocated));
    assert_eq!(
        level(&store, "SZ-01", "A").await.reserved,
        1,
        "only the unit that never shipped"
    );
}

/// A warehouse that cancels keeps its stock; what it held for the order is reserved and
/// sent elsewhere.
pub async fn a_warehouse_that_cancels_has_the_order_sent_elsewhere<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 3).await;
    receive(&store, "SZ-01", "A", 3).await;
    let (id, _) = ingest(&store, order("C-1", &[("A", 2)], |_| {})).await;
    assert_eq!(level(&store, "HZ-01", "A").await.reserved, 2);
    let request = OrderRequest::ShortShip {
        warehouse: "HZ-01".into(),
        shipped: Shipment::default(),
        short: BTreeMap::new(),
        reason: Some("cancelled at the warehouse".into()),
        write_off: false,
    };
    assert_eq!(ask(&store, id, request).await, Ok(OrderStatus::Allocated));
    let hz = level(&store, "HZ-01", "A").await;
    assert_eq!((hz.on_hand, hz.reserved), (3, 0), "released, not written off");
    assert_eq!(level(&store, "SZ-01", "A").await.reserved, 2);
    let requests = store.list_outbox(&acme(), Some(FULFIL_TOPIC), None, 10).await.unwrap();
    assert_eq!(requests.iter().filter(|m| m.destination == "SZ-01").count(), 1);
}

fn goods(code: &str, weight_g: i64, dims_mm: [i64; 3], attributes: &[&str]) -> crate::stock::inventory::SkuRecord {
    crate::stock::inventory::SkuRecord {
        code: code.into(),
        barcode: None,
        name: code.into(),
        weight_g: Some(weight_g),
        dimensions_mm: Some(dims_mm),
        attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
        cost_price_minor: None,
        cost_currency: None,
        low_stock_threshold: None,
        components: Vec::new(),
    }
}

/// The fulfilment request of each package names the carrier the built-in carrier rules
/// pick for its destination, weight, size and goods: a light small parcel goes YTO, a
/// heavy one SF, chilled goods SF cold chain.
pub async fn each_package_names_the_carrier_its_weight_size_and_goods_call_for<T: Store>(store: Arc<T>) {
    setup(&store).await;
    for sku in [
        goods("LIGHT", 400, [300, 200, 50], &[]),
        goods("HEAVY", 2500, [400, 300, 300], &[]),
        goods("FISH", 500, [200, 200, 100], &["cold_chain"]),
    ] {
        store.upsert_sku(&acme(), &sku, now()).await.unwrap().unwrap();
    }
    for (sku, warehouse) in [("LIGHT", "HZ-01"), ("HEAVY", "HZ-01"), ("FISH", "SZ-01")] {
        receive(&store, warehouse, sku, 10).await;
    }
    let policy = crate::fulfilment::push::PushPolicy::to(["HZ-01".to_owned(), "SZ-01".to_owned()]);
    let pushed = |id: &str, lines: &[(&str, u32)]| {
        let mut item = order(id, lines, |_| {});
        if let crate::IngestItem::Order { review, .. } = &mut item {
            review.push = policy.clone();
        }
        item
    };
    let carrier_of = |request: &crate::OutboxMessage| {
        (
            request.payload["carrier"].as_str().unwrap_or_default().to_owned(),
            request.payload["service"].as_str().unwrap_or_default().to_owned(),
        )
    };
    ingest(&store, pushed("P-1", &[("LIGHT", 2)])).await;
    // 2 × 2.5 kg is over the light service's 3 kg.
    ingest(&store, pushed("P-2", &[("HEAVY", 2)])).await;
    ingest(&store, pushed("P-3", &[("FISH", 1)])).await;
    let requests = store.list_outbox(&acme(), Some(FULFIL_TOPIC), None, 10).await.unwrap();
    let by_order = |external: &str| {
        let request = requests
            .iter()
            .find(|r| r.payload["external_order_id"] == external)
            .unwrap_or_else(|| panic!("no request for {external}: {requests:?}"));
        carrier_of(request)
    };
    assert_eq!(by_order("P-1"), ("YTO".into(), "standard".into()));
    assert_eq!(by_order("P-2"), ("SF".into(), "standard".into()));
    assert_eq!(by_order("P-3"), ("SF".into(), "cold-chain".into()));
}

fn update(tracking: &str, status: &str) -> TrackingChange {
    TrackingChange {
        tracking_number: tracking.into(),
        status: status.into(),
        status_detail: None,
        delivered_at: None,
        message: Some(format!("parcel is {status}")),
        source: "easypost".into(),
    }
}

/// Carrier updates move a parcel, a problem stays an open alert until acknowledged, a
/// repeat changes nothing and nothing goes back from delivered.
pub async fn carrier_updates_move_parcels_and_raise_problems<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 2).await;
    let (id, _) = ingest(&store, order("T-1", &[("A", 2)], |_| {})).await;
    ask(&store, id, OrderRequest::Ship(parcel("HZ-01", "EZ-1", &[])))
        .await
        .unwrap();
    let found = store.shipments_by_tracking(&acme(), "EZ-1").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].order_id, id);

    let moved = store
        .record_tracking(&acme(), id, &update("EZ-1", "in_transit"), now())
        .await
        .unwrap()
        .unwrap();
    assert!(moved.changed);
    assert!(!moved.all_delivered);
    assert_eq!(moved.order_status, OrderStatus::Shipped);
    let again = store
        .record_tracking(&acme(), id, &update("EZ-1", "in_transit"), now())
        .await
        .unwrap()
        .unwrap();
    assert!(!again.changed, "a repeat changes nothing");
    let other = store
        .record_tracking(&acme(), id, &update("NOT-OURS", "in_transit"), now())
        .await
        .unwrap();
    assert!(other.is_none());

    store
        .record_tracking(&acme(), id, &update("EZ-1", "exception"), now())
        .await
        .unwrap()
        .unwrap();
    let alerts = ShipmentQuery {
        problems: true,
        limit: 50,
        ..Default::default()
    };
    let open = store.list_shipments(&acme(), &alerts).await.unwrap();
    assert_eq!(open.len(), 1);
    assert!(open[0].open_problem());
    assert!(kinds(&store, id).await.contains(&"order.delivery_exception".to_owned()));
    assert!(store.acknowledge_problem(&acme(), open[0].id, now()).await.unwrap());
    assert!(!store.acknowledge_problem(&acme(), open[0].id, now()).await.unwrap());
    assert!(store.list_shipments(&acme(), &alerts).await.unwrap().is_empty());

    let delivered = store
        .record_tracking(&acme(), id, &update("EZ-1", "delivered"), now())
        .await
        .unwrap()
        .unwrap();
    assert!(delivered.changed && delivered.all_delivered);
    assert!(delivered.shipment.delivered_at.is_some());
    let late = store
        .record_tracking(&acme(), id, &update("EZ-1", "in_transit"), now())
        .await
        .unwrap()
        .unwrap();
    assert!(!late.changed, "a late scan does not undo a delivery");
    assert_eq!(late.shipment.status, "delivered");
    let feed = store.read_feed(&acme(), 0, 500).await.unwrap();
    let templates: Vec<_> = feed
        .iter()
        .filter(|e| e.kind == "customer.notification")
        .map(|e| e.data["template"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(templates, ["shipped", "delivery_problem", "delivered"]);
}

/// Tracking updates are kept as they came, listed by status, finished with their error
/// and read back whole.
pub async fn tracking_updates_are_kept_before_they_are_applied<T: Store>(store: Arc<T>) {
    setup(&store).await;
    let mut ids = Vec::new();
    for body in [&b"{not json"[..], &b"{\"tracking_number\":\"X\"}"[..]] {
        let row = TrackingInbound {
            id: Uuid::now_v7(),
            source: "generic".into(),
            received_at: now(),
            status: "received".into(),
            error: None,
            attempts: 0,
            body: body.to_vec(),
        };
        store.insert_tracking_inbound(&acme(), &row).await.unwrap();
        ids.push(row.id);
    }
    let error = serde_json::json!({ "code": "invalid_tracking", "message": "not JSON" });
    store
        .finish_tracking_inbound(&acme(), ids[0], "failed", Some(&error))
        .await
        .unwrap();
    store
        .finish_tracking_inbound(&acme(), ids[1], "unmatched", None)
        .await
        .unwrap();
    let failed = store.list_tracking_inbound(&acme(), Some("failed"), 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, ids[0]);
    assert_eq!(failed[0].attempts, 1);
    assert_eq!(failed[0].error.as_ref().unwrap()["code"], "invalid_tracking");
    assert!(failed[0].body.is_empty(), "listings leave bodies out");
    let all = store.list_tracking_inbound(&acme(), None, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, ids[1], "newest first");
    let kept = store.get_tracking_inbound(&acme(), ids[0]).await.unwrap().unwrap();
    assert_eq!(kept.body, b"{not json");
    assert!(
        store
            .get_tracking_inbound(&acme(), Uuid::now_v7())
            .await
            .unwrap()
            .is_none()
    );
}
