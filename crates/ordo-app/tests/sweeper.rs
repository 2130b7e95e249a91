//! The stock sweeper on a real store: unpaid orders expire (and release their stock) only
//! when they hold stock, and orders waiting for stock are allocated once it arrives.

use std::sync::Arc;

use chrono::{Duration, Utc};
use ordo_app::StockSettings;
use ordo_app::jobs::sweep_once;
use ordo_app::payload::parse_canonical;
use ordo_core::allocation::{ReserveWhen, ShortStock, StockPolicy};
use ordo_core::input::EXAMPLE_JSON;
use ordo_core::{OrderId, OrderStatus, TenantId};
use ordo_store::stock::inventory::{SkuRecord, StockChange, StockOp, Warehouse};
use ordo_store::{InboxWrite, IngestItem, IngestResult, NewInbox, Store};
use ordo_store_sqlite::SqliteStore;
use serde_json::json;
use uuid::Uuid;

fn tenant() -> TenantId {
    TenantId::default_tenant()
}

async fn store_with_stock(units: i64) -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = SqliteStore::open(&format!("sqlite://{}", dir.join("ordo.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let now = Utc::now();
    store.ensure_tenant(&tenant(), "Default", now).await.unwrap();
    let warehouse = Warehouse {
        code: "HZ-01".into(),
        name: "Hangzhou".into(),
        latitude: None,
        longitude: None,
        region: None,
        channels: vec![],
        daily_capacity: None,
        priority: 0,
        active: true,
    };
    store.upsert_warehouse(&tenant(), &warehouse, now).await.unwrap();
    let sku = SkuRecord {
        code: "TEA-1".into(),
        barcode: None,
        name: "Tea".into(),
        weight_g: None,
        dimensions_mm: None,
        attributes: vec![],
        cost_price_minor: None,
        cost_currency: None,
        low_stock_threshold: None,
        components: vec![],
    };
    store.upsert_sku(&tenant(), &sku, now).await.unwrap().unwrap();
    if units > 0 {
        receive(&store, units).await;
    }
    store
}

async fn receive(store: &Arc<dyn Store>, units: i64) {
    let change = StockChange {
        warehouse: "HZ-01".into(),
        sku: "TEA-1".into(),
        op: StockOp::Receive { quantity: units },
        reason: "receipt".into(),
        reference: None,
        actor: "test".into(),
    };
    store.change_stock(&tenant(), &[change], Utc::now()).await.unwrap()[0]
        .clone()
        .unwrap();
}

/// An order for 2 units placed two hours ago, paid or not.
async fn order(store: &Arc<dyn Store>, id: &str, paid: bool, policy: StockPolicy) -> (OrderId, OrderStatus) {
    let mut value: serde_json::Value = serde_json::from_str(EXAMPLE_JSON).unwrap();
    value["external_id"] = json!(id);
    value["placed_at"] = json!((Utc::now() - Duration::hours(2)).to_rfc3339());
    value["financial_status"] = json!(if paid { "paid" } else { "pending" });
    value["lines"] = json!([{"sku": "TEA-1", "quantity": 2, "unit_price": "10.00"}]);
    let body = serde_json::to_vec(&value).unwrap();
    let item = IngestItem::Order {
        inbox: NewInbox {
            id: Uuid::now_v7(),
            tenant: tenant(),
            source: "api".into(),
            received_at: Utc::now(),
            body: body.clone(),
            channel: None,
            external_id: None,
            write: InboxWrite::Insert,
        },
        order: Box::new(parse_canonical(&body).unwrap()),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "test".into(),
        stock: policy,
        review: Default::default(),
    };
    match store
        .ingest_batch(Arc::from(vec![item]), Utc::now())
        .await
        .unwrap()
        .remove(0)
    {
        IngestResult::Applied { order_id, status, .. } => (order_id, status),
        other => panic!("{other:?}"),
    }
}

fn settings(reserve_when: ReserveWhen) -> StockSettings {
    StockSettings {
        policy: StockPolicy {
            reserve_when,
            on_short: ShortStock::Hold,
        },
        ..StockSettings::default()
    }
}

async fn status(store: &Arc<dyn Store>, id: OrderId) -> OrderStatus {
    store.get_order(&tenant(), id).await.unwrap().unwrap().state.status
}

#[tokio::test]
async fn unpaid_orders_expire_only_when_they_hold_stock() {
    let store = store_with_stock(10).await;
    let placed = settings(ReserveWhen::Placed);
    let (holding, _) = order(&store, "U-1", false, placed.policy).await;
    let (not_holding, _) = order(&store, "U-2", false, settings(ReserveWhen::Paid).policy).await;
    // Under `paid`, nothing is expired: an unpaid order there holds no stock.
    let report = sweep_once(store.as_ref(), &settings(ReserveWhen::Paid), None, false)
        .await
        .unwrap();
    assert_eq!(report.expired, 0);
    let report = sweep_once(store.as_ref(), &placed, None, false).await.unwrap();
    assert_eq!(report.expired, 2, "both are older than 30 minutes");
    assert_eq!(status(&store, holding).await, OrderStatus::Cancelled);
    assert_eq!(status(&store, not_holding).await, OrderStatus::Cancelled);
    let stock = store.list_stock(&tenant(), Some("TEA-1")).await.unwrap();
    assert_eq!(stock[0].level.reserved, 0, "the expired order's units are back");
}

#[tokio::test]
async fn a_held_order_is_allocated_by_the_sweep_after_stock_arrives() {
    let store = store_with_stock(0).await;
    let hold = settings(ReserveWhen::Paid);
    let (id, status_now) = order(&store, "H-1", true, hold.policy).await;
    assert_eq!(status_now, OrderStatus::OnHold);
    assert_eq!(sweep_once(store.as_ref(), &hold, None, false).await.unwrap().retried, 0);
    receive(&store, 5).await;
    assert_eq!(sweep_once(store.as_ref(), &hold, None, true).await.unwrap().retried, 1);
    assert_eq!(status(&store, id).await, OrderStatus::Allocated);
}
