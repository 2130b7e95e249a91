//! The dashboard rollup contract every store adapter must keep: the figures move in the
//! transactions that change them (an order arriving, allocated, sent, shipped), two
//! tenants' figures never mix, and an order delivered again is not counted again.
//! Expanded per adapter by [`crate::kpi_contract_tests!`].

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ordo_core::allocation::StockPolicy;
use ordo_core::{OrderStatus, TenantId};
use serde_json::json;

use crate::fulfilment::push::PushPolicy;
use crate::orders::kpi_reads::KpiRead;
use crate::orders::kpis;
use crate::stock::contract::{acme, ingest, now, order, receive, setup};
use crate::stock::inventory::{StockChange, StockOp};
use crate::{IngestItem, IngestResult, OrderRequest, Shipment, Store};

/// Expands the rollup contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! kpi_contract_tests {
    ($factory:path) => {
        $crate::kpi_contract_tests!(@each $factory;
            kpis_move_in_the_transactions_that_allocate_send_and_ship,
            kpis_of_two_tenants_never_mix,
            kpis_count_an_order_delivered_again_once,
            kpis_read_held_orders_and_oversold_units_from_the_current_state
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::orders::contract_kpis::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

fn globex() -> TenantId {
    TenantId::parse("globex").unwrap()
}

/// An order placed 90 s before the batch that stores it, pushed to both warehouses.
fn pushed(id: &str, lines: &[(&str, u32)]) -> IngestItem {
    let placed = (now() - Duration::seconds(90)).to_rfc3339();
    let mut item = order(id, lines, |v| v["placed_at"] = json!(placed));
    if let IngestItem::Order { review, .. } = &mut item {
        review.push = PushPolicy::to(["HZ-01".to_owned(), "SZ-01".to_owned()]);
    }
    item
}

fn for_tenant(mut item: IngestItem, tenant: &TenantId) -> IngestItem {
    if let IngestItem::Order { inbox, .. } = &mut item {
        inbox.tenant = tenant.clone();
    }
    item
}

async fn read<T: Store>(store: &Arc<T>, tenant: &TenantId) -> KpiRead {
    store.kpis(tenant, kpis::day_of(now())).await.unwrap()
}

/// Sums of (warehouse, metric) over every day and channel.
fn counts(read: &KpiRead) -> BTreeMap<(String, String), i64> {
    let mut out = BTreeMap::new();
    for c in &read.counts {
        *out.entry((c.warehouse.clone(), c.metric.clone())).or_default() += c.value;
    }
    out
}

fn count(read: &KpiRead, warehouse: &str, metric: &str) -> i64 {
    counts(read)
        .get(&(warehouse.to_owned(), metric.to_owned()))
        .copied()
        .unwrap_or(0)
}

/// (bucket, n) of a stage at a warehouse.
fn histogram(read: &KpiRead, warehouse: &str, stage: &str) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    for b in read
        .latency
        .iter()
        .filter(|b| b.warehouse == warehouse && b.stage == stage)
    {
        *out.entry(b.bucket).or_default() += b.n;
    }
    out
}

async fn ship<T: Store>(store: &Arc<T>, tenant: &TenantId, id: ordo_core::OrderId, at: DateTime<Utc>) -> OrderStatus {
    let shipment = Shipment {
        warehouse: Some("HZ-01".into()),
        tracking_number: Some("SF-1".into()),
        ..Default::default()
    };
    store
        .order_request(
            tenant,
            id,
            &OrderRequest::Ship(shipment),
            StockPolicy::default(),
            "test",
            at,
        )
        .await
        .unwrap()
        .unwrap()
        .status
}

/// Arrival counts orders in; allocation counts allocated, split and first-route fills
/// with their latency; the push counts a request per warehouse; shipping counts the
/// package with the time since it was sent and since the order was placed.
pub async fn kpis_move_in_the_transactions_that_allocate_send_and_ship<T: Store>(store: Arc<T>) {
    setup(&store).await;
    assert_eq!(read(&store, &acme()).await, KpiRead::default());
    receive(&store, "HZ-01", "A", 5).await;
    receive(&store, "SZ-01", "B", 1).await;
    let batch = vec![pushed("K-1", &[("A", 1)]), pushed("K-2", &[("A", 1), ("B", 1)])];
    let results = store.ingest_batch(Arc::from(batch), now()).await.unwrap();
    let IngestResult::Applied { order_id: k1, .. } = results[0] else {
        panic!("not applied: {results:?}");
    };
    let read1 = read(&store, &acme()).await;
    assert_eq!(count(&read1, "", kpis::ORDERS_IN), 2);
    assert_eq!(count(&read1, "HZ-01", kpis::ALLOCATED), 2, "{:?}", read1.counts);
    assert_eq!(count(&read1, "HZ-01", kpis::SPLIT), 1);
    assert_eq!(count(&read1, "HZ-01", kpis::FIRST_ROUTE_FILLED), 1);
    assert_eq!(count(&read1, "HZ-01", kpis::SENT), 2);
    assert_eq!(count(&read1, "SZ-01", kpis::SENT), 1);
    assert_eq!(count(&read1, "HZ-01", kpis::SHIPPED), 0);
    assert_eq!(
        histogram(&read1, "HZ-01", kpis::ORDER_TO_ALLOCATED),
        BTreeMap::from([(120, 2)])
    );
    assert_eq!(
        histogram(&read1, "SZ-01", kpis::ALLOCATED_TO_SENT),
        BTreeMap::from([(1, 1)])
    );
    assert!(
        read1
            .counts
            .iter()
            .all(|c| c.day == kpis::day_of(now()) && c.channel == "web")
    );
    assert_eq!(read1.sync.len(), 1);
    assert_eq!(read1.sync[0].seen_at - read1.sync[0].changed_at, Duration::seconds(90));

    // Shipped two hours after it was sent.
    assert_eq!(
        ship(&store, &acme(), k1, now() + Duration::hours(2)).await,
        OrderStatus::Shipped
    );
    let read2 = read(&store, &acme()).await;
    assert_eq!(count(&read2, "HZ-01", kpis::SHIPPED), 1);
    assert_eq!(
        histogram(&read2, "HZ-01", kpis::SENT_TO_SHIPPED),
        BTreeMap::from([(7_200, 1)])
    );
    assert_eq!(
        histogram(&read2, "HZ-01", kpis::ORDER_TO_SHIPPED),
        BTreeMap::from([(14_400, 1)])
    );
    assert_eq!(count(&read2, "", kpis::ORDERS_IN), 2, "shipping adds no order");
    assert_eq!(
        kpis::quantile(&histogram(&read2, "HZ-01", kpis::SENT_TO_SHIPPED), 0.95),
        Some(7_200)
    );

    // Yesterday's figures are not today's.
    let tomorrow = store
        .kpis(&acme(), kpis::day_of(now() + Duration::days(1)))
        .await
        .unwrap();
    assert!(tomorrow.counts.is_empty() && tomorrow.latency.is_empty());
}

/// Two tenants with the same channel and warehouse codes count apart.
pub async fn kpis_of_two_tenants_never_mix<T: Store>(store: Arc<T>) {
    setup(&store).await;
    store.ensure_tenant(&globex(), "Globex", now()).await.unwrap();
    let batch = vec![
        pushed("T-1", &[("X", 1)]),
        pushed("T-2", &[("X", 1)]),
        for_tenant(pushed("T-1", &[("X", 1)]), &globex()),
    ];
    store.ingest_batch(Arc::from(batch), now()).await.unwrap();
    assert_eq!(count(&read(&store, &acme()).await, "", kpis::ORDERS_IN), 2);
    assert_eq!(count(&read(&store, &globex()).await, "", kpis::ORDERS_IN), 1);
    let other = TenantId::parse("initech").unwrap();
    assert_eq!(read(&store, &other).await, KpiRead::default());
}

/// The same order delivered again (in another batch, in the same batch, or changed) is
/// one order in and one allocation.
pub async fn kpis_count_an_order_delivered_again_once<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    ingest(&store, pushed("D-1", &[("A", 1)])).await;
    ingest(&store, pushed("D-1", &[("A", 1)])).await;
    let twice = vec![pushed("D-1", &[("A", 1)]), pushed("D-1", &[("A", 1)])];
    store.ingest_batch(Arc::from(twice), now()).await.unwrap();
    let placed = (now() - Duration::seconds(90)).to_rfc3339();
    let changed = order("D-1", &[("A", 1)], |v| {
        v["placed_at"] = json!(placed);
        v["remark"] = json!("leave at the door");
    });
    ingest(&store, changed).await;
    let read = read(&store, &acme()).await;
    assert_eq!(count(&read, "", kpis::ORDERS_IN), 1);
    assert_eq!(count(&read, "HZ-01", kpis::ALLOCATED), 1);
    assert_eq!(count(&read, "HZ-01", kpis::SENT), 1);
}

/// Held orders by reason and oversold units are read from what is stored now.
pub async fn kpis_read_held_orders_and_oversold_units_from_the_current_state<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 2).await;
    let (_, status) = ingest(&store, order("H-1", &[("B", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::OnHold, "no B anywhere");
    let (_, status) = ingest(&store, order("H-2", &[("A", 2)], |_| {})).await;
    assert_eq!(status, OrderStatus::Allocated);
    let held = store.held_by_reason(&acme(), now() + Duration::hours(1)).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (held[0].reason.as_str(), held[0].count, held[0].overdue),
        ("stock", 1, 1)
    );
    let not_yet = store.held_by_reason(&acme(), now() - Duration::hours(1)).await.unwrap();
    assert_eq!(not_yet[0].overdue, 0);
    assert!(store.held_by_reason(&globex(), now()).await.unwrap().is_empty());

    assert_eq!(store.oversold_units(&acme()).await.unwrap(), 0);
    // A stock take finds one of the two reserved units missing.
    let count = StockChange {
        warehouse: "HZ-01".into(),
        sku: "A".into(),
        op: StockOp::Set {
            on_hand: 1,
            expected_on_hand: None,
        },
        reason: "count".into(),
        reference: None,
        actor: "test".into(),
    };
    let done = store.change_stock(&acme(), &[count], now()).await.unwrap();
    assert!(done[0].is_ok(), "{done:?}");
    assert_eq!(store.oversold_units(&acme()).await.unwrap(), 1);
    assert_eq!(store.oversold_units(&globex()).await.unwrap(), 0);
}
