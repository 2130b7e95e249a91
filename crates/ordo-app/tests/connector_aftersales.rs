//! After-sale records a connector hands over are kept in the inbox whatever becomes of
//! them: one that does not read is failed with its code and JSON path, one whose order is
//! not stored yet is failed as `order_unknown` (visible, and taken again when re-read),
//! and the after-sale cursor is kept under its own key beside the order cursor.

use std::sync::Arc;

use chrono::Utc;
use ordo_app::connectors::StoreSink;
use ordo_app::{FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig};
use ordo_connect::ChannelSink;
use ordo_core::TenantId;
use ordo_store::{InboxQuery, InboxStatus, Store};
use ordo_store_sqlite::SqliteStore;
use serde_json::{Value, json};

async fn sink() -> (Arc<dyn Store>, StoreSink, TenantId) {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = SqliteStore::open(&format!("sqlite://{}", dir.join("ordo.db").display()))
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
    (store, sink, tenant)
}

fn refund() -> Value {
    json!({
        "refund_id": 120012345678901234u64, "tid": 4012345678901234567u64, "oid": 4012345678901234568u64,
        "status": "SUCCESS", "refund_fee": "198.00", "has_good_return": false,
        "modified": "2026-11-16 18:05:02", "num": 1, "outer_id": "TEA-LJ-250G",
    })
}

async fn entries(store: &Arc<dyn Store>, tenant: &TenantId) -> Vec<(InboxStatus, Option<String>, Value)> {
    let query = InboxQuery {
        status: None,
        after: None,
        limit: 100,
    };
    let page = store.list_inbox(tenant, &query).await.unwrap();
    page.items
        .into_iter()
        .map(|e| (e.status, e.external_id, e.error.unwrap_or(Value::Null)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_kept_failed_with_their_reason_when_they_cannot_be_applied() {
    let (store, sink, tenant) = sink().await;
    assert!(sink.keeps_after_sales());

    // Its order is not stored: kept as failed, and taken again when read again.
    for _ in 0..2 {
        sink.after_sale("taobao", "taobao", refund()).await.unwrap();
    }
    let kept = entries(&store, &tenant).await;
    assert_eq!(kept.len(), 2, "{kept:?}");
    for (status, external_id, error) in &kept {
        assert_eq!(*status, InboxStatus::Failed);
        assert_eq!(external_id.as_deref(), Some("4012345678901234567"));
        assert_eq!(error["code"], "order_unknown", "{error}");
    }

    // Money as a JSON number does not read: failed with the code and the path.
    let mut broken = refund();
    broken["refund_fee"] = json!(198.0);
    sink.after_sale("taobao", "taobao", broken).await.unwrap();
    let kept = entries(&store, &tenant).await;
    let (status, _, error) = kept.first().unwrap();
    assert_eq!(*status, InboxStatus::Failed);
    assert_eq!(
        (&error["code"], &error["details"]["path"]),
        (&json!("money_not_text"), &json!("refund_fee"))
    );
    let entry = store
        .list_inbox(
            &tenant,
            &InboxQuery {
                status: None,
                after: None,
                limit: 1,
            },
        )
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(entry.source, "connector-aftersale:taobao");
    assert_eq!(entry.channel.as_deref(), Some("taobao"));

    // The after-sale cursor is its own.
    let cursor = json!({ "updated_after": "2026-11-22T03:00:00Z" });
    sink.save_cursor("taobao:aftersales", &cursor).await.unwrap();
    assert_eq!(sink.load_cursor("taobao").await.unwrap(), None);
    assert_eq!(sink.load_cursor("taobao:aftersales").await.unwrap(), Some(cursor));
}
