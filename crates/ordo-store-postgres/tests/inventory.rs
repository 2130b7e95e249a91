//! What the inventory contract (`ordo_store::stock::contract_inventory`) does not show: several
//! Ordo nodes (separate pools) changing the same stock levels, and the zero placeholder a
//! new level is locked through leaving no trace when the change is refused. Same server
//! and schema-per-test setup as `contract.rs`.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::StockLevel;
use ordo_store::StoreError;
use ordo_store::TenantStore;
use ordo_store::stock::inventory::{InventoryStore, SkuRecord, StockChange, StockChangeError, StockOp, Warehouse};
use ordo_store_postgres::PgStore;
use uuid::Uuid;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// `count` stores on one fresh schema, as that many nodes would be, with two warehouses
/// and two SKUs and no stock yet.
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
    for code in ["HZ-01", "SZ-01"] {
        let warehouse = Warehouse {
            code: code.into(),
            name: code.into(),
            latitude: None,
            longitude: None,
            region: None,
            channels: vec![],
            daily_capacity: None,
            priority: 0,
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
            low_stock_threshold: None,
            components: vec![],
        };
        store.upsert_sku(&tenant(), &sku, now()).await.unwrap().unwrap();
    }
    nodes
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn change(warehouse: &str, sku: &str, op: StockOp) -> StockChange {
    StockChange {
        warehouse: warehouse.into(),
        sku: sku.into(),
        op,
        reason: "test".into(),
        reference: None,
        actor: "token:test".into(),
    }
}

/// Runs a call, rerunning it on the transient failures the port says may be retried.
async fn apply(store: &PgStore, changes: &[StockChange]) -> Vec<Result<StockLevel, StockChangeError>> {
    for _ in 0..20 {
        match store.change_stock(&tenant(), changes, now()).await {
            Ok(results) => return results,
            Err(StoreError::Retryable(_)) => continue,
            Err(e) => panic!("change failed: {e}"),
        }
    }
    panic!("change still retryable after 20 tries");
}

/// Receipts on two new levels from three nodes at once, each call naming both levels and
/// half of them in the opposite order (so deadlocks happen and are retried): every unit
/// counts and the balances agree with the movements.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_receiving_on_new_levels_at_once_lose_no_update() {
    let nodes = nodes(3).await;
    let mut tasks = Vec::new();
    for task in 0..12 {
        let store = nodes[task % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut changes = vec![
                change("HZ-01", "MUG-01", StockOp::Receive { quantity: 1 }),
                change("SZ-01", "MUG-01", StockOp::Receive { quantity: 2 }),
            ];
            if task % 2 == 1 {
                changes.reverse();
            }
            for _ in 0..5 {
                for result in apply(&store, &changes).await {
                    result.unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let rows = nodes[1].list_stock(&tenant(), Some("MUG-01")).await.unwrap();
    let on_hand: Vec<(&str, i64)> = rows.iter().map(|r| (r.warehouse.as_str(), r.level.on_hand)).collect();
    assert_eq!(on_hand, vec![("HZ-01", 60), ("SZ-01", 120)]);
    assert_eq!(nodes[2].check_inventory(&tenant()).await.unwrap(), vec![]);
}

/// A change refused on a level that did not exist (including one naming an unknown
/// warehouse, which the key-ordered locking still visits), or one that changes nothing,
/// leaves no stock row behind; a later change in the same call that applies keeps its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_changes_on_new_levels_leave_no_row() {
    let nodes = nodes(1).await;
    let store = &nodes[0];
    let results = apply(
        store,
        &[
            change("HZ-01", "MUG-01", StockOp::Receive { quantity: 0 }),
            change("XX-99", "MUG-01", StockOp::Receive { quantity: 1 }),
            change(
                "SZ-01",
                "MUG-01",
                StockOp::Set {
                    on_hand: 4,
                    expected_on_hand: Some(3),
                },
            ),
            change(
                "HZ-01",
                "TEE-RED-M",
                StockOp::Set {
                    on_hand: 0,
                    expected_on_hand: None,
                },
            ),
        ],
    )
    .await;
    assert!(matches!(results[0], Err(StockChangeError::Invalid(_))), "{results:?}");
    assert_eq!(results[1], Err(StockChangeError::UnknownWarehouse("XX-99".into())));
    assert_eq!(results[2], Err(StockChangeError::Stale { expected: 3, actual: 0 }));
    assert_eq!(results[3], Ok(StockLevel::default()), "a set that changes nothing");
    assert_eq!(store.list_stock(&tenant(), None).await.unwrap(), vec![]);

    let results = apply(
        store,
        &[
            change("HZ-01", "MUG-01", StockOp::Adjust { delta: -1 }),
            change("HZ-01", "MUG-01", StockOp::Receive { quantity: 3 }),
            change("SZ-01", "MUG-01", StockOp::SetSafetyStock { safety_stock: 2 }),
        ],
    )
    .await;
    assert!(matches!(results[0], Err(StockChangeError::Invalid(_))), "{results:?}");
    let levels: Vec<(String, StockLevel)> = store
        .list_stock(&tenant(), Some("MUG-01"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.warehouse, r.level))
        .collect();
    assert_eq!(
        levels,
        vec![
            (
                "HZ-01".into(),
                StockLevel {
                    on_hand: 3,
                    reserved: 0,
                    safety_stock: 0
                }
            ),
            (
                "SZ-01".into(),
                StockLevel {
                    on_hand: 0,
                    reserved: 0,
                    safety_stock: 2
                }
            ),
        ],
        "a safety stock alone is a level worth keeping"
    );
    assert_eq!(store.check_inventory(&tenant()).await.unwrap(), vec![]);
}
