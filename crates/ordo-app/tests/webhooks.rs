//! Alert webhooks against a real receiver on 127.0.0.1: signed deliveries, retries with
//! backoff, dead letters, and dropping when no receiver is configured.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use ordo_app::policies::kinds::{AlertPolicy, PolicyKind, check};
use ordo_app::policies::{Defaults, Opened, Policies};
use ordo_app::webhooks::{WebhookSettings, deliver_due, sign};
use ordo_core::TenantId;
use ordo_store::stock::inventory::{SkuRecord, StockChange, StockOp, Warehouse};
use ordo_store::{OutboxStatus, Store};
use ordo_store_sqlite::SqliteStore;

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A receiver answering `status`, recording what it got.
async fn receiver(status: StatusCode) -> (String, Received) {
    let received: Received = Arc::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push((headers, body.to_vec()));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// A store with one open low-stock alert of `tenant` (and so one webhook message).
async fn store_with_an_alert_of(tenant: TenantId) -> (Arc<dyn Store>, TenantId) {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = SqliteStore::open(&format!("sqlite://{}", dir.join("ordo.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let now = Utc::now();
    store.ensure_tenant(&tenant, "Acme", now).await.unwrap();
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
    store.upsert_warehouse(&tenant, &warehouse, now).await.unwrap();
    let sku = SkuRecord {
        code: "TEA-1".into(),
        barcode: None,
        name: "Tea".into(),
        weight_g: None,
        dimensions_mm: None,
        attributes: vec![],
        cost_price_minor: None,
        cost_currency: None,
        low_stock_threshold: Some(5),
        components: vec![],
    };
    store.upsert_sku(&tenant, &sku, now).await.unwrap().unwrap();
    let change = StockChange {
        warehouse: "HZ-01".into(),
        sku: "TEA-1".into(),
        op: StockOp::Receive { quantity: 3 },
        reason: "receipt".into(),
        reference: None,
        actor: "test".into(),
    };
    store.change_stock(&tenant, &[change], now).await.unwrap()[0]
        .clone()
        .unwrap();
    (store, tenant)
}

/// The same, for the default tenant: the node's alert webhook is the default tenant's.
async fn store_with_an_alert() -> (Arc<dyn Store>, TenantId) {
    store_with_an_alert_of(TenantId::default_tenant()).await
}

/// Policies whose node default (the default tenant's) alert receiver is `url`.
fn policies(url: Option<String>) -> Policies {
    Policies::built_in().with_defaults(Defaults {
        alerts: AlertPolicy {
            url,
            secret: Some("s3cret".into()),
            max_attempts: Some(2),
        },
        ..Default::default()
    })
}

/// One delivery round under `policies`; how many messages it handled.
async fn deliver(store: &dyn Store, client: &reqwest::Client, policies: &Policies) -> usize {
    let settings = WebhookSettings {
        timeout: Duration::from_secs(2),
        poll_interval: Duration::from_millis(10),
    };
    deliver_due(store, client, &settings, policies).await.unwrap()
}

#[tokio::test]
async fn a_low_stock_alert_is_delivered_signed_once() {
    let (store, tenant) = store_with_an_alert().await;
    let (url, received) = receiver(StatusCode::NO_CONTENT).await;
    let client = reqwest::Client::new();
    assert_eq!(deliver(store.as_ref(), &client, &policies(Some(url))).await, 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(headers["x-ordo-signature"].to_str().unwrap(), sign("s3cret", body));
    assert_eq!(headers["x-ordo-event"], "stock.low");
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["data"]["sku"], "TEA-1");
    assert_eq!(payload["data"]["available"], 3);
    let delivered = store
        .list_outbox(&tenant, Some("webhook"), Some(OutboxStatus::Delivered), 10)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        deliver(store.as_ref(), &client, &policies(None)).await,
        0,
        "nothing due twice"
    );
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_then_a_dead_letter() {
    let (store, tenant) = store_with_an_alert().await;
    let (url, received) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let client = reqwest::Client::new();
    deliver(store.as_ref(), &client, &policies(Some(url.clone()))).await;
    let pending = store.list_outbox(&tenant, Some("webhook"), None, 10).await.unwrap();
    assert_eq!((pending[0].status, pending[0].attempts), (OutboxStatus::Pending, 1));
    assert!(pending[0].last_error.as_deref().unwrap().contains("503"));
    assert!(pending[0].next_attempt_at > Utc::now(), "backs off");
    // Not due yet: nothing is sent.
    deliver(store.as_ref(), &client, &policies(Some(url.clone()))).await;
    assert_eq!(received.lock().unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    deliver(store.as_ref(), &client, &policies(Some(url))).await;
    let dead = store.list_outbox(&tenant, Some("webhook"), None, 10).await.unwrap();
    assert_eq!((dead[0].status, dead[0].attempts), (OutboxStatus::Dead, 2));
}

#[tokio::test]
async fn without_a_receiver_messages_are_dropped_not_left_pending() {
    let (store, tenant) = store_with_an_alert().await;
    deliver(store.as_ref(), &reqwest::Client::new(), &policies(None)).await;
    let dropped = store.list_outbox(&tenant, Some("webhook"), None, 10).await.unwrap();
    assert_eq!(dropped[0].status, OutboxStatus::Dropped);
}

#[tokio::test]
async fn another_tenants_alert_never_reaches_the_nodes_webhook() {
    let (store, tenant) = store_with_an_alert_of(TenantId::parse("acme").unwrap()).await;
    let (url, received) = receiver(StatusCode::NO_CONTENT).await;
    deliver(store.as_ref(), &reqwest::Client::new(), &policies(Some(url))).await;
    assert!(received.lock().unwrap().is_empty());
    let dropped = store.list_outbox(&tenant, Some("webhook"), None, 10).await.unwrap();
    assert_eq!(dropped[0].status, OutboxStatus::Dropped);
    let why = dropped[0].last_error.as_deref().unwrap_or_default();
    assert!(why.contains("tenant acme"), "{why}");
}

#[tokio::test]
async fn a_tenants_own_receiver_gets_its_alerts_with_its_own_secret() {
    let (store, tenant) = store_with_an_alert_of(TenantId::parse("acme").unwrap()).await;
    let (node_url, node_received) = receiver(StatusCode::NO_CONTENT).await;
    let (url, received) = receiver(StatusCode::NO_CONTENT).await;
    let policies = policies(Some(node_url));
    let text = format!("url = \"{url}\"\nsecret = \"acme-secret\"\n");
    let checked = check(&PolicyKind::Alerts, &text).unwrap();
    policies.apply(vec![(
        tenant.clone(),
        Opened {
            kind: PolicyKind::Alerts,
            version: 1,
            body: Some((text, Arc::new(checked))),
        },
    )]);
    assert_eq!(deliver(store.as_ref(), &reqwest::Client::new(), &policies).await, 1);
    assert!(node_received.lock().unwrap().is_empty(), "never the node's receiver");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(headers["x-ordo-signature"].to_str().unwrap(), sign("acme-secret", body));
}
