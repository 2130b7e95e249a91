//! Orders and stock with several Ordo nodes (separate pools) on one PostgreSQL database:
//! what the shared stock contract cannot show with one store. Reservations never oversell
//! however the batches interleave, feed numbers stay dense, and a node learns of another
//! node's feed appends through `listen_feed`. Same server and schema-per-test setup as
//! `contract.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ordo_core::allocation::{ReserveWhen, ShortStock, StockPolicy};
use ordo_core::input::{EXAMPLE_JSON, OrderInput};
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::TenantStore;
use ordo_store::stock::inventory::{InventoryStore, SkuRecord, StockChange, StockOp, Warehouse};
use ordo_store::{
    InboxWrite, IngestItem, IngestResult, NewInbox, OrderRequest, StockFlowStore, Store, StoreError, StoreResult,
};
use ordo_store::{OutboxStore, WorkflowStore};
use ordo_store_postgres::PgStore;
use serde_json::json;
use uuid::Uuid;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

const POLICY: StockPolicy = StockPolicy {
    reserve_when: ReserveWhen::Paid,
    on_short: ShortStock::Hold,
};

/// `count` stores on one fresh schema, with one tenant, two warehouses, the example
/// order's two SKUs, and stock: 10 TEE-RED-M in HZ-01, 4 MUG-01 in HZ-01 and 4 in SZ-01.
async fn nodes(count: usize) -> Vec<Arc<PgStore>> {
    let url = std::env::var("ORDO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let schema = format!("t_{}", Uuid::now_v7().simple());
    let mut nodes = Vec::new();
    for _ in 0..count {
        let store = PgStore::connect_with_schema(&url, 3, &schema)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at {url} is unreachable ({e}); start it or set ORDO_TEST_POSTGRES_URL")
            });
        store.migrate().await.expect("migrations apply");
        nodes.push(Arc::new(store));
    }
    let store = &nodes[0];
    store.ensure_tenant(&tenant(), "Acme", now()).await.unwrap();
    for (code, priority) in [("HZ-01", 0), ("SZ-01", 1)] {
        let warehouse = Warehouse {
            code: code.into(),
            name: code.into(),
            latitude: None,
            longitude: None,
            region: None,
            channels: vec![],
            daily_capacity: None,
            priority,
            active: true,
        };
        store.upsert_warehouse(&tenant(), &warehouse, now()).await.unwrap();
    }
    for code in ["MUG-01", "TEE-RED-M"] {
        let sku = SkuRecord {
            code: code.into(),
            barcode: None,
            name: code.into(),
            weight_g: None,
            dimensions_mm: None,
            attributes: vec![],
            cost_price_minor: None,
            cost_currency: None,
            low_stock_threshold: Some(3),
            components: vec![],
        };
        store.upsert_sku(&tenant(), &sku, now()).await.unwrap().unwrap();
    }
    receive(
        store,
        &[
            ("HZ-01", "TEE-RED-M", 10),
            ("HZ-01", "MUG-01", 4),
            ("SZ-01", "MUG-01", 4),
        ],
    )
    .await;
    nodes
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

async fn receive(store: &PgStore, receipts: &[(&str, &str, i64)]) {
    let changes: Vec<StockChange> = receipts
        .iter()
        .map(|(warehouse, sku, quantity)| StockChange {
            warehouse: (*warehouse).into(),
            sku: (*sku).into(),
            op: StockOp::Receive { quantity: *quantity },
            reason: "test".into(),
            reference: None,
            actor: "token:test".into(),
        })
        .collect();
    let tenant = tenant();
    let results = retry(|| store.change_stock(&tenant, &changes, now())).await;
    for result in results {
        result.unwrap();
    }
}

/// The example order (2 TEE-RED-M, 1 MUG-01), paid.
fn order_item(external_id: &str) -> IngestItem {
    let mut value: serde_json::Value = serde_json::from_str(EXAMPLE_JSON).unwrap();
    value["external_id"] = json!(external_id);
    let body = serde_json::to_vec(&value).unwrap();
    let order = serde_json::from_value::<OrderInput>(value).unwrap().validate().unwrap();
    IngestItem::Order {
        inbox: NewInbox {
            id: Uuid::now_v7(),
            tenant: tenant(),
            source: "api".into(),
            received_at: now(),
            body,
            channel: None,
            external_id: None,
            write: InboxWrite::Insert,
        },
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "token:test".into(),
        stock: POLICY,
        review: Default::default(),
    }
}

/// Runs a call, rerunning it on the transient failures the port says may be retried.
async fn retry<T, F, Fut>(mut call: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    for _ in 0..30 {
        match call().await {
            Ok(value) => return value,
            Err(StoreError::Retryable(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => panic!("store call failed: {e}"),
        }
    }
    panic!("still retryable after 30 tries");
}

/// Twelve orders for five orders' worth of T-shirts, in batches from three nodes at once,
/// each batch naming its orders in a different order: exactly five are allocated, the
/// rest wait on hold, every reserved unit belongs to an order, and the feed is dense.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_reserving_scarce_stock_at_once_never_oversell() {
    let nodes = nodes(3).await;
    let mut tasks = Vec::new();
    for task in 0..6 {
        let store = nodes[task % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut ids: Vec<String> = (0..4).map(|i| format!("W-{}", (task * 2 + i) % 12)).collect();
            if task % 2 == 1 {
                ids.reverse();
            }
            let batch: Arc<[IngestItem]> = ids.iter().map(|id| order_item(id)).collect();
            retry(|| store.ingest_batch(batch.clone(), now())).await
        }));
    }
    let mut orders: BTreeMap<OrderId, OrderStatus> = BTreeMap::new();
    for task in tasks {
        for result in task.await.unwrap() {
            let IngestResult::Applied { order_id, .. } = result else {
                panic!("{result:?}")
            };
            orders.insert(order_id, OrderStatus::Paid);
        }
    }
    assert_eq!(orders.len(), 12);
    let store = &nodes[0];
    let mut reserved: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (id, status) in orders.iter_mut() {
        *status = store.get_order(&tenant(), *id).await.unwrap().unwrap().state.status;
        for a in store.get_order_stock(&tenant(), *id).await.unwrap().allocations {
            *reserved.entry((a.sku, a.warehouse)).or_default() += a.reserved;
        }
    }
    let allocated = orders.values().filter(|s| **s == OrderStatus::Allocated).count();
    let held = orders.values().filter(|s| **s == OrderStatus::OnHold).count();
    assert_eq!((allocated, held), (5, 7), "{orders:?}");
    for row in store.list_stock(&tenant(), None).await.unwrap() {
        assert!(row.level.reserved <= row.level.on_hand, "{row:?}");
        let held = reserved
            .get(&(row.sku.clone(), row.warehouse.clone()))
            .copied()
            .unwrap_or(0);
        assert_eq!(row.level.reserved, held, "{row:?}");
    }
    assert_eq!(store.check_inventory(&tenant()).await.unwrap(), vec![]);
    let feed = store.read_feed(&tenant(), 0, 500).await.unwrap();
    let seqs: Vec<i64> = feed.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=feed.len() as i64).collect::<Vec<_>>());
    assert_eq!(nodes[1].feed_head(&tenant()).await.unwrap(), feed.len() as i64);
    let other = TenantId::parse("other").unwrap();
    assert_eq!(nodes[1].feed_head(&other).await.unwrap(), 0);

    // Held orders wait for all they lack (mugs are still available, T-shirts are not);
    // more T-shirts let the oldest be allocated on retry.
    receive(store, &[("SZ-01", "TEE-RED-M", 4)]).await;
    let waiting = store.waiting_orders(&tenant(), 100).await.unwrap();
    assert_eq!(waiting.len(), 7);
    assert!(waiting.windows(2).all(|w| w[0] < w[1]));
    let outcome = store
        .order_request(&tenant(), waiting[0], &OrderRequest::Retry, POLICY, "token:test", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.status, OrderStatus::Allocated);
    assert_eq!(store.check_inventory(&tenant()).await.unwrap(), vec![]);
}

/// A feed append committed on one node wakes a subscriber on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_append_on_one_node_wakes_listeners_on_another() {
    let nodes = nodes(2).await;
    let mut woken = nodes[0].listen_feed().await.unwrap();
    let before = nodes[0].read_feed(&tenant(), 0, 500).await.unwrap().len();
    receive(&nodes[1], &[("HZ-01", "MUG-01", 1)]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, woken.recv())
            .await
            .expect("a notification within 10 s")
            .unwrap();
        // Other tests' schemas share the database and its notifications.
        if message == tenant().as_str() {
            break;
        }
    }
    assert!(nodes[0].read_feed(&tenant(), 0, 500).await.unwrap().len() > before);
    nodes[0].close().await;
}
