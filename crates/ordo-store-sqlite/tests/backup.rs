//! `backup_to` copies a consistent, openable database while the store stays open.

use std::sync::Arc;

use chrono::Utc;
use ordo_core::input::{EXAMPLE_JSON, OrderInput};
use ordo_core::{OrderId, TenantId};
use ordo_store::TenantStore;
use ordo_store::{InboxWrite, IngestItem, IngestResult, NewInbox, Store};
use ordo_store_sqlite::SqliteStore;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_holds_every_committed_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&format!("sqlite://{}", dir.path().join("live.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let tenant = TenantId::default_tenant();
    store.ensure_tenant(&tenant, "Default", Utc::now()).await.unwrap();
    let order = serde_json::from_str::<OrderInput>(EXAMPLE_JSON)
        .unwrap()
        .validate()
        .unwrap();
    let item = IngestItem::Order {
        inbox: NewInbox {
            id: Uuid::now_v7(),
            tenant: tenant.clone(),
            source: "api".into(),
            received_at: Utc::now(),
            body: EXAMPLE_JSON.as_bytes().to_vec(),
            channel: None,
            external_id: None,
            write: InboxWrite::Insert,
        },
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "test".into(),
        stock: ordo_core::allocation::StockPolicy::OFF,
        review: Default::default(),
    };
    let IngestResult::Applied { order_id, .. } = store
        .ingest_batch(Arc::new([item]), Utc::now())
        .await
        .unwrap()
        .remove(0)
    else {
        panic!("the order was not applied");
    };

    let copy = dir.path().join("backup.db");
    store.backup_to(copy.to_str().unwrap()).await.unwrap();
    let restored = SqliteStore::open(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    restored.migrate().await.unwrap();
    assert!(
        restored.get_order(&tenant, order_id).await.unwrap().is_some(),
        "the backup holds the order"
    );
}
