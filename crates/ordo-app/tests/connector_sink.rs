//! What connectors write through: the cursor is kept in the store, payloads go through
//! their mapping into the inbox, and the overlap a poll re-reads on purpose is not stored
//! twice, while a payload that failed is taken again (a later mapping fix lets it in).

use std::sync::Arc;

use chrono::Utc;
use ordo_app::connectors::StoreSink;
use ordo_app::{FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig};
use ordo_connect::ChannelSink;
use ordo_core::TenantId;
use ordo_store::{InboxStatus, Store};
use ordo_store_sqlite::SqliteStore;
use serde_json::{Value, json};

fn shopify_example() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ordo-mapping/tests/fixtures/shopify_webhook_2026-04_orders_create.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_reads_are_stored_once_and_failed_payloads_are_taken_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&format!("sqlite://{}", dir.path().join("ordo.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let tenant = TenantId::default_tenant();
    store.ensure_tenant(&tenant, "Default", Utc::now()).await.unwrap();
    let (pipeline, _writers) = Pipeline::start(store.clone(), PipelineConfig::default(), FeedHub::new());
    let service = IngestService::new(
        pipeline,
        store.clone(),
        Default::default(),
        MappingRegistry::load(None).unwrap(),
    );
    let sink = StoreSink::new(service, store.clone(), tenant.clone());

    assert_eq!(sink.load_cursor("shopify").await.unwrap(), None);
    let cursor = json!({ "updated_after": "2026-11-22T03:00:00Z" });
    sink.save_cursor("shopify", &cursor).await.unwrap();
    assert_eq!(sink.load_cursor("shopify").await.unwrap(), Some(cursor));

    let order = shopify_example();
    for _ in 0..3 {
        sink.ingest("shopify", "shopify.order", order.clone()).await.unwrap();
    }
    assert_eq!(store.count_inbox(&tenant, InboxStatus::Processed).await.unwrap(), 1);

    let mut broken = shopify_example();
    broken.as_object_mut().unwrap().remove("created_at");
    for _ in 0..2 {
        sink.ingest("shopify", "shopify.order", broken.clone()).await.unwrap();
    }
    assert_eq!(store.count_inbox(&tenant, InboxStatus::Failed).await.unwrap(), 2);
}
