//! Webhook subscriptions over HTTP, on both stores: registering receivers, signed
//! deliveries of feed events to a real receiver on 127.0.0.1, retries with backoff and dead
//! letters, pattern filtering, tenant isolation and deletion.
//!
//! The dispatcher and delivery run one round at a time (`run_once`) at times the test
//! chooses, so backoff is crossed without sleeping.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, SubsecRound, Utc};
use common::{TestApp, example_with};
use ordo_app::subscriptions::{SubscriptionSettings, client, deliver_due, dispatch_once, run_once};
use ordo_app::webhooks::sign;
use ordo_core::auth::Role;
use serde_json::{Value, json};

/// Every test on both stores, each bounded in time.
macro_rules! subscription_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::common::spawn_with_stock(super::common::Backend::Sqlite, Default::default()).await;
                    super::bounded(super::$name(app)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::common::spawn_with_stock(super::common::Backend::Postgres, Default::default()).await;
                    super::bounded(super::$name(app)).await;
                }
            )*
        }
    };
}

subscription_tests!(
    a_new_order_reaches_the_receiver_signed,
    a_failing_receiver_is_retried_with_backoff_then_dead,
    order_patterns_do_not_receive_stock_events,
    another_tenants_events_never_reach_a_subscription,
    subscriptions_are_checked_admin_only_and_deleted,
);

async fn bounded(test: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the test finished within a minute");
}

/// What a receiver got.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A receiver on 127.0.0.1 that records every POST and answers `status`.
struct Receiver {
    base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(status: StatusCode) -> Receiver {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let recorded = hits.clone();
        let app = axum::Router::new()
            .route(
                "/{path}",
                axum::routing::post(
                    move |State(hits): State<Arc<Mutex<Vec<Hit>>>>,
                          Path(path): Path<String>,
                          headers: HeaderMap,
                          body: axum::body::Bytes| async move {
                        hits.lock().unwrap().push(Hit {
                            path,
                            headers,
                            body: body.to_vec(),
                        });
                        status
                    },
                ),
            )
            .with_state(recorded);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { base, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

fn settings() -> SubscriptionSettings {
    SubscriptionSettings {
        max_attempts: 3,
        timeout: Duration::from_secs(5),
        ..SubscriptionSettings::default()
    }
}

/// One dispatch-and-deliver round at `at`.
async fn round(app: &TestApp, at: DateTime<Utc>) -> (usize, usize) {
    run_once(app.store.as_ref(), &client(), &settings(), at).await.unwrap()
}

async fn send(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Registers a receiver for `events`; returns the created subscription (with its secret).
async fn subscribe(app: &TestApp, token: &str, url: &str, events: &[&str]) -> Value {
    let body = json!({ "url": url, "events": events, "description": "test receiver" });
    let (status, created) = send(app, token, reqwest::Method::POST, "/api/v1/subscriptions", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn deliveries(app: &TestApp, token: &str, subscription: &Value) -> Vec<Value> {
    let id = subscription["id"].as_str().unwrap();
    let (status, listed) = app
        .get_json(token, &format!("/api/v1/subscriptions/{id}/deliveries"))
        .await;
    assert_eq!(status, 200, "{listed}");
    listed.as_array().unwrap().clone()
}

async fn post_order(app: &TestApp, token: &str, external_id: &str) {
    let body = example_with(|v| v["external_id"] = json!(external_id));
    let response = app.post_order(token, body).await;
    assert_eq!(response.status().as_u16(), 201);
}

async fn a_new_order_reaches_the_receiver_signed(app: TestApp) {
    let receiver = Receiver::start(StatusCode::OK).await;
    let created = subscribe(&app, &app.admin, &receiver.url("orders"), &["order.created"]).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    let (_, listed) = app.get_json(&app.admin, "/api/v1/subscriptions").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none(), "the secret is shown once: {listed}");
    assert_eq!(listed[0]["events"], json!(["order.created"]));

    post_order(&app, &app.admin, "SUB-1").await;
    let now = Utc::now();
    assert_eq!(round(&app, now).await, (1, 1));

    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.path, "orders");
    assert_eq!(hit.header("x-ordo-event"), "order.created");
    assert_eq!(
        hit.header("x-ordo-signature"),
        sign(&secret, &hit.body),
        "HMAC-SHA256 of the exact body"
    );
    assert_ne!(hit.header("x-ordo-signature"), sign("another secret", &hit.body));
    let delivery = uuid::Uuid::parse_str(hit.header("x-ordo-delivery")).expect("the delivery id is a UUID");
    assert_eq!(hit.header("x-ordo-timestamp"), now.timestamp().to_string());
    let body = hit.json();
    assert_eq!(
        (&body["type"], &body["tenant"]),
        (&json!("order.created"), &json!("default"))
    );
    assert_eq!(body["data"]["external_id"], "SUB-1", "{body}");
    assert_eq!(body["delivery_id"], delivery.to_string());

    let history = deliveries(&app, &app.admin, &created).await;
    assert_eq!(history.len(), 1);
    let seen = &history[0];
    assert_eq!(seen["id"], json!(delivery));
    assert_eq!(
        (&seen["event"], &seen["status"]),
        (&json!("order.created"), &json!("delivered"))
    );
    assert_eq!((&seen["attempts"], &seen["next_attempt_at"]), (&json!(1), &Value::Null));
    assert_eq!(round(&app, now).await, (0, 0), "nothing is handed over twice");
    assert_eq!(receiver.hits().len(), 1);
}

async fn a_failing_receiver_is_retried_with_backoff_then_dead(app: TestApp) {
    let receiver = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let created = subscribe(&app, &app.admin, &receiver.url("down"), &["order.created"]).await;
    post_order(&app, &app.admin, "SUB-FAIL").await;
    // Stores keep microseconds: times compared after a round trip start there.
    let start = Utc::now().trunc_subsecs(6);
    round(&app, start).await;
    let first = &deliveries(&app, &app.admin, &created).await[0];
    assert_eq!(
        (&first["status"], &first["attempts"]),
        (&json!("pending"), &json!(1)),
        "{first}"
    );
    assert!(first["last_error"].as_str().unwrap().contains("500"), "{first}");
    let next: DateTime<Utc> = serde_json::from_value(first["next_attempt_at"].clone()).unwrap();
    assert_eq!(next, start + chrono::Duration::seconds(1), "first backoff is a second");

    round(&app, start).await;
    assert_eq!(receiver.hits().len(), 1, "not retried before its time");

    let later = start + chrono::Duration::hours(1);
    round(&app, later).await;
    let second = &deliveries(&app, &app.admin, &created).await[0];
    assert_eq!((&second["status"], &second["attempts"]), (&json!("pending"), &json!(2)));
    let next: DateTime<Utc> = serde_json::from_value(second["next_attempt_at"].clone()).unwrap();
    assert_eq!(next, later + chrono::Duration::seconds(2), "the backoff doubles");

    round(&app, start + chrono::Duration::hours(2)).await;
    let last = &deliveries(&app, &app.admin, &created).await[0];
    assert_eq!(
        (&last["status"], &last["attempts"]),
        (&json!("dead"), &json!(3)),
        "{last}"
    );
    assert!(last["next_attempt_at"].is_null());

    round(&app, start + chrono::Duration::hours(3)).await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3, "three attempts, then dead");
    assert!(
        hits.iter()
            .all(|h| h.header("x-ordo-delivery") == hits[0].header("x-ordo-delivery")),
        "every attempt carries the same delivery id"
    );
}

/// One warehouse and SKU `LAST` (alert below 2) with `units` on hand.
async fn stock(app: &TestApp, units: i64) {
    let (put, post) = (reqwest::Method::PUT, reqwest::Method::POST);
    let warehouse = json!({ "name": "Hangzhou" });
    let sku = json!({ "name": "Last units", "low_stock_threshold": 2 });
    let change = json!([{ "warehouse": "HZ-01", "sku": "LAST", "op": "receive", "quantity": units }]);
    for (method, path, body) in [
        (put.clone(), "/api/v1/warehouses/HZ-01", warehouse),
        (put, "/api/v1/skus/LAST", sku),
        (post, "/api/v1/stock/changes", change),
    ] {
        let (status, answer) = send(app, &app.admin, method, path, Some(body)).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
}

async fn order_patterns_do_not_receive_stock_events(app: TestApp) {
    let receiver = Receiver::start(StatusCode::OK).await;
    subscribe(&app, &app.admin, &receiver.url("orders"), &["order.*"]).await;
    subscribe(&app, &app.admin, &receiver.url("stock"), &["stock.*"]).await;
    stock(&app, 3).await;
    let body = example_with(|v| {
        v["external_id"] = json!("SUB-STOCK");
        v["lines"] = json!([{ "sku": "LAST", "quantity": 2, "unit_price": "10.00" }]);
    });
    assert_eq!(app.post_order(&app.admin, body).await.status().as_u16(), 201);
    round(&app, Utc::now()).await;

    let hits = receiver.hits();
    let kinds = |path: &str| -> Vec<String> {
        hits.iter()
            .filter(|h| h.path == path)
            .map(|h| h.header("x-ordo-event").to_owned())
            .collect()
    };
    let (orders, stock) = (kinds("orders"), kinds("stock"));
    assert!(orders.contains(&"order.created".to_owned()), "{orders:?}");
    assert!(orders.iter().all(|k| k.starts_with("order.")), "{orders:?}");
    assert!(stock.contains(&"stock.low".to_owned()), "{stock:?}");
    assert!(stock.iter().all(|k| k.starts_with("stock.")), "{stock:?}");
}

async fn another_tenants_events_never_reach_a_subscription(app: TestApp) {
    let receiver = Receiver::start(StatusCode::OK).await;
    let mine = subscribe(&app, &app.admin, &receiver.url("mine"), &["*"]).await;
    let other = app.token("other", Role::Admin).await;
    let theirs = subscribe(&app, &other, &receiver.url("theirs"), &["order.*"]).await;

    post_order(&app, &other, "THEIRS-1").await;
    round(&app, Utc::now()).await;
    assert!(deliveries(&app, &app.admin, &mine).await.is_empty());
    let hits = receiver.hits();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h.path == "theirs" && h.json()["tenant"] == "other"),
        "{hits:?}"
    );

    post_order(&app, &app.admin, "MINE-1").await;
    round(&app, Utc::now()).await;
    let hits = receiver.hits();
    for hit in &hits {
        let tenant = if hit.path == "mine" { "default" } else { "other" };
        assert_eq!(hit.json()["tenant"], tenant, "{hit:?}");
    }
    assert!(hits.iter().any(|h| h.path == "mine"));

    // Another tenant's subscription does not exist for this token.
    let (_, listed) = app.get_json(&other, "/api/v1/subscriptions").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], theirs["id"]);
    let mine_id = mine["id"].as_str().unwrap();
    let (status, _) = app
        .get_json(&other, &format!("/api/v1/subscriptions/{mine_id}/deliveries"))
        .await;
    assert_eq!(status, 404);
    let path = format!("/api/v1/subscriptions/{mine_id}");
    assert_eq!(send(&app, &other, reqwest::Method::DELETE, &path, None).await.0, 404);
}

async fn subscriptions_are_checked_admin_only_and_deleted(app: TestApp) {
    let post = reqwest::Method::POST;
    let path = "/api/v1/subscriptions";
    for (body, field) in [
        (json!({ "url": "ftp://example.com/", "events": ["*"] }), "url"),
        (
            json!({ "url": "http://127.0.0.1:9/", "events": ["order.*.x"] }),
            "events",
        ),
        (json!({ "url": "http://127.0.0.1:9/", "events": [] }), "events"),
        (
            json!({ "url": "http://127.0.0.1:9/", "events": ["*"], "secret": "mine" }),
            "",
        ),
    ] {
        let (status, answer) = send(&app, &app.admin, post.clone(), path, Some(body)).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (422, Some("validation_failed")),
            "{answer}"
        );
        assert!(answer["error"]["message"].as_str().unwrap().contains(field), "{answer}");
    }
    let operator = app.token("default", Role::Operator).await;
    let body = json!({ "url": "http://127.0.0.1:9/", "events": ["*"] });
    assert_eq!(send(&app, &operator, post, path, Some(body)).await.0, 403);
    assert_eq!(app.get_json(&operator, path).await.0, 403);

    // Deleting drops what is still pending and hands nothing more over.
    let receiver = Receiver::start(StatusCode::OK).await;
    let created = subscribe(&app, &app.admin, &receiver.url("gone"), &["order.*"]).await;
    post_order(&app, &app.admin, "SUB-DEL-1").await;
    let now = Utc::now();
    assert!(dispatch_once(app.store.as_ref(), &settings(), now).await.unwrap() >= 1);
    let id = created["id"].as_str().unwrap();
    let one = format!("{path}/{id}");
    assert_eq!(send(&app, &app.admin, reqwest::Method::DELETE, &one, None).await.0, 204);
    assert_eq!(send(&app, &app.admin, reqwest::Method::DELETE, &one, None).await.0, 404);
    deliver_due(app.store.as_ref(), &client(), &settings(), now)
        .await
        .unwrap();
    post_order(&app, &app.admin, "SUB-DEL-2").await;
    assert_eq!(round(&app, now).await.0, 0);
    assert!(receiver.hits().is_empty());
    let history = deliveries(&app, &app.admin, &created).await;
    assert!(!history.is_empty());
    assert!(history.iter().all(|d| d["status"] == "dropped"), "{history:?}");
    let (_, listed) = app.get_json(&app.admin, path).await;
    assert_eq!(listed[0]["active"], false);

    let (_, doc) = app.get_json(&app.admin, "/api/v1/openapi.json").await;
    for documented in [
        path,
        "/api/v1/subscriptions/{id}",
        "/api/v1/subscriptions/{id}/deliveries",
    ] {
        assert!(doc["paths"].get(documented).is_some(), "{documented} is documented");
    }
}
