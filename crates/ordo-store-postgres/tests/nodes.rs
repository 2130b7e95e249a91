//! What the contract cannot show with one store: several Ordo nodes (separate pools) on one
//! PostgreSQL database. Same server and schema-per-test setup as `contract.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use ordo_core::ingest::Outcome;
use ordo_core::input::{EXAMPLE_JSON, OrderInput};
use ordo_core::{OrderId, TenantId};
use ordo_store::TenantStore;
use ordo_store::{InboxStatus, InboxWrite, IngestItem, IngestResult, NewInbox, Store, StoreError};
use ordo_store_postgres::PgStore;
use serde_json::json;
use uuid::Uuid;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Two stores on one fresh schema, as two nodes would be; both run the migrations, as
/// every node does at start.
async fn two_nodes() -> [Arc<PgStore>; 2] {
    let url = std::env::var("ORDO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let schema = format!("t_{}", Uuid::now_v7().simple());
    let connect = || async {
        let store = PgStore::connect_with_schema(&url, 3, &schema)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at {url} is unreachable ({e}); start it or set ORDO_TEST_POSTGRES_URL")
            });
        store.migrate().await.expect("migrations apply");
        Arc::new(store)
    };
    let nodes = [connect().await, connect().await];
    nodes[0].ensure_tenant(&tenant(), "acme", Utc::now()).await.unwrap();
    nodes
}

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn new_inbox(body: Vec<u8>, write: InboxWrite) -> NewInbox {
    NewInbox {
        id: Uuid::now_v7(),
        tenant: tenant(),
        source: "api".into(),
        received_at: Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap(),
        body,
        channel: None,
        external_id: None,
        write,
    }
}

fn order_item(external_id: &str, write: InboxWrite) -> IngestItem {
    let mut value: serde_json::Value = serde_json::from_str(EXAMPLE_JSON).unwrap();
    value["external_id"] = json!(external_id);
    let body = serde_json::to_vec(&value).unwrap();
    let order = serde_json::from_value::<OrderInput>(value).unwrap().validate().unwrap();
    IngestItem::Order {
        inbox: new_inbox(body, write),
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "token:test".into(),
        stock: ordo_core::allocation::StockPolicy::OFF,
        review: Default::default(),
    }
}

/// Runs a batch, rerunning it on the transient failures the port says may be retried.
async fn ingest(store: &PgStore, batch: Vec<IngestItem>) -> Vec<IngestResult> {
    let batch: std::sync::Arc<[IngestItem]> = batch.into();
    for _ in 0..5 {
        match store.ingest_batch(batch.clone(), Utc::now()).await {
            Ok(results) => return results,
            Err(StoreError::Retryable(_)) => continue,
            Err(e) => panic!("batch failed: {e}"),
        }
    }
    panic!("batch still retryable after 5 tries");
}

/// Batches naming the same orders in opposite orders, on two nodes at once, create each
/// order once and never deadlock (the flow locks orders in key order).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_ingesting_the_same_orders_create_each_once() {
    let nodes = two_nodes().await;
    let keys: Vec<String> = (0..6).map(|i| format!("N-{i}")).collect();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = nodes[task % 2].clone();
        let mut order: Vec<String> = keys.clone();
        if task % 2 == 1 {
            order.reverse();
        }
        tasks.push(tokio::spawn(async move {
            let batch = order.iter().map(|k| order_item(k, InboxWrite::Insert)).collect();
            ingest(&store, batch).await
        }));
    }
    let mut ids: HashMap<OrderId, usize> = HashMap::new();
    for task in tasks {
        for result in task.await.unwrap() {
            let IngestResult::Applied { order_id, outcome, .. } = result else {
                panic!("{result:?}")
            };
            *ids.entry(order_id).or_default() += usize::from(outcome == Outcome::Created);
        }
    }
    assert_eq!(ids.len(), keys.len());
    assert!(
        ids.values().all(|created| *created == 1),
        "each order created exactly once: {ids:?}"
    );
    for id in ids.keys() {
        let record = nodes[0].get_order(&tenant(), *id).await.unwrap().unwrap();
        assert_eq!(record.events.len(), 1, "copies add no events");
    }
}

/// Two nodes correcting the same failed entry at once: one correction resolves it, the
/// others are refused, and the entry records which one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_corrections_of_one_failed_entry_resolve_it_once() {
    let nodes = two_nodes().await;
    let failed = IngestItem::Failed {
        inbox: new_inbox(b"{broken".to_vec(), InboxWrite::Insert),
        error: json!({"code": "invalid_json", "message": "broken"}),
    };
    let [IngestResult::FailedKept { inbox_id: original }] = ingest(&nodes[0], vec![failed]).await[..] else {
        panic!("expected FailedKept")
    };
    let mut tasks = Vec::new();
    for task in 0..6 {
        let store = nodes[task % 2].clone();
        tasks.push(tokio::spawn(async move {
            let item = order_item(&format!("C-{task}"), InboxWrite::Correct { replay_of: original });
            ingest(&store, vec![item]).await.remove(0)
        }));
    }
    let mut winners = HashSet::new();
    for task in tasks {
        match task.await.unwrap() {
            IngestResult::Applied { inbox_id, .. } => {
                winners.insert(inbox_id);
            }
            IngestResult::NotReplayable { inbox_id, .. } => assert_eq!(inbox_id, original),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one correction applies");
    let entry = nodes[1].get_inbox(&tenant(), original).await.unwrap().unwrap();
    assert_eq!(entry.status, InboxStatus::Resolved);
    assert_eq!(entry.resolved_by, winners.into_iter().next());
}

/// Two nodes delivering one outbox at once, two tenants' messages in it: both see the same
/// due messages and claim all of them at once, and every message goes to exactly one node;
/// then nothing is left to claim until the lease ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_claiming_the_same_due_messages_take_each_once() {
    use ordo_store::delivery::subscriptions::{SUBSCRIPTION_TOPIC, Subscription, SubscriptionStore};
    use ordo_store::{NewOutbox, OutboxQueue, SubscriptionHandover};

    let nodes = two_nodes().await;
    let now = Utc::now();
    let other = TenantId::parse("other").unwrap();
    nodes[0].ensure_tenant(&other, "other", now).await.unwrap();
    for tenant in [tenant(), other] {
        let sub = Subscription {
            id: Uuid::now_v7(),
            url: "http://127.0.0.1:9/hook".into(),
            events: vec!["*".into()],
            secret: "s3cret".into(),
            active: true,
            description: None,
            cursor: 0,
            created_at: now,
        };
        nodes[0].create_subscription(&tenant, &sub, now).await.unwrap();
        let deliveries: Vec<NewOutbox> = (1..=150)
            .map(|seq| NewOutbox {
                id: Uuid::now_v7(),
                topic: SUBSCRIPTION_TOPIC.into(),
                destination: sub.id.to_string(),
                payload: json!({ "seq": seq }),
            })
            .collect();
        assert!(
            nodes[0]
                .advance_subscription_cursor(&tenant, sub.id, 0, 150, &deliveries, now)
                .await
                .unwrap()
        );
    }
    let at = now + chrono::Duration::seconds(1);
    let lease = at + chrono::Duration::seconds(60);
    let mut due = Vec::new();
    for node in &nodes {
        let ids: Vec<Uuid> = node
            .due_outbox(SUBSCRIPTION_TOPIC, at, 500)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids.len(), 300, "both nodes see every due message");
        due.push(ids);
    }
    let claims = nodes.iter().zip(due).map(|(node, ids)| {
        let node = node.clone();
        tokio::spawn(async move { node.claim_outbox(&ids, at, lease).await.unwrap() })
    });
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    for claim in claims {
        for id in claim.await.unwrap() {
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 300, "every message claimed");
    assert!(seen.values().all(|n| *n == 1), "none claimed by both nodes");
    for node in &nodes {
        assert!(
            node.claim_due(SUBSCRIPTION_TOPIC, at, lease, 500)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
