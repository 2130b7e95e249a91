//! Goods a warehouse reports back, over HTTP on both stores: a `returned` callback
//! receives a shipped order's approved return case (one unit restocked, one written off),
//! the same callback again changes nothing, a report with no case waiting opens one, and
//! ShipBob's completed return order does the same.

mod common;

use common::{Backend, TestApp, example_with, fresh_store};
use ordo_api::AppState;
use ordo_app::actions::OrderActions;
use ordo_app::fulfil::Warehouses;
use ordo_app::policies::Policies;
use ordo_app::{FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig, TokenService};
use ordo_connect::wms::{WmsConfig, WmsKind, sign_generic, sign_standard_webhook};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use serde_json::{Value, json};

const SECRET: &str = "hz-callback-secret";
const SHIPBOB_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

macro_rules! with_warehouse_on_both_stores {
    ($($name:ident: $kind:expr),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::spawn(super::Backend::Sqlite, $kind).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::spawn(super::Backend::Postgres, $kind).await).await;
                }
            )*
        }
    };
}

with_warehouse_on_both_stores!(
    a_returned_callback_receives_the_case_once_and_opens_one_when_none_waits: super::WmsKind::Generic,
    a_returned_callback_naming_an_unknown_case_is_refused_with_its_code: super::WmsKind::Generic,
    a_completed_shipbob_return_is_received_once: super::WmsKind::Shipbob,
);

/// An app whose warehouse HZ-01 (speaking `kind`, callbacks signed with its secret) takes
/// the requests of orders reserving stock; none is delivered, they stay in the outbox.
async fn spawn(backend: Backend, kind: WmsKind) -> TestApp {
    let store = fresh_store(backend).await;
    let tenant = TenantId::default_tenant();
    store
        .ensure_tenant(&tenant, "Default", chrono::Utc::now())
        .await
        .unwrap();
    let policies = Policies::built_in();
    let mut connector = WmsConfig::new("HZ-01", kind, "http://127.0.0.1:9");
    connector.secret = Some(match kind {
        WmsKind::Generic => SECRET.to_owned(),
        WmsKind::Shipbob => SHIPBOB_SECRET.to_owned(),
    });
    if kind == WmsKind::Shipbob {
        connector.token = Some("pat".into());
        connector.channel_id = Some("341".into());
    }
    let warehouses = Warehouses::new(&[connector], None)
        .unwrap()
        .with_policies(policies.clone());
    let feed = FeedHub::new();
    let (pipeline, _writers) = Pipeline::start(store.clone(), PipelineConfig::default(), feed.clone());
    let ingest = IngestService::new(
        pipeline,
        store.clone(),
        Default::default(),
        MappingRegistry::load(None).unwrap(),
    )
    .with_policies(policies.clone())
    .with_push(warehouses.push_policy(&tenant));
    let actions = OrderActions::new(store.clone(), policies.clone());
    let secrets = ordo_app::secrets::SecretKeys::new([7; 32], []);
    let state = AppState {
        store: store.clone(),
        ingest,
        tokens: TokenService::new(store.clone()),
        metrics: None,
        limits: Default::default(),
        feed,
        matching: Default::default(),
        channels: Default::default(),
        actions,
        review: Default::default(),
        warehouses,
        secrets: Some(secrets.clone()),
        cluster: None,
        policy_book: ordo_app::policies::book::PolicyBook::new(store.clone(), policies, Some(secrets)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, ordo_api::router(state)).await });
    let mut app = TestApp {
        addr,
        store,
        client: reqwest::Client::new(),
        admin: String::new(),
    };
    app.admin = app.token("default", Role::Admin).await;
    assert_eq!(
        send(
            &app,
            reqwest::Method::PUT,
            "/api/v1/warehouses/HZ-01",
            json!({"name": "Hangzhou"})
        )
        .await
        .0,
        200
    );
    for sku in ["TEE-RED-M", "MUG-01"] {
        let path = format!("/api/v1/skus/{sku}");
        assert_eq!(
            send(&app, reqwest::Method::PUT, &path, json!({"name": sku})).await.0,
            200
        );
        let change = json!([{"warehouse": "HZ-01", "sku": sku, "op": "receive", "quantity": 10, "reason": "opening"}]);
        let (status, _) = send(&app, reqwest::Method::POST, "/api/v1/stock/changes", change).await;
        assert_eq!(status, 200);
    }
    app
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, body).await
}

/// A generic warehouse's signed callback.
async fn generic_callback(app: &TestApp, body: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(body).unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/warehouses/HZ-01/events"))
        .header("X-Ordo-Signature", sign_generic(SECRET, &body))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// A ShipBob webhook of `topic`, signed as Standard Webhooks sign.
async fn shipbob_callback(app: &TestApp, id: &str, topic: &str, body: &Value) -> (u16, Value) {
    let body = serde_json::to_vec(body).unwrap();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = sign_standard_webhook(SHIPBOB_SECRET, id, &timestamp, &body).unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/warehouses/HZ-01/events"))
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp)
        .header("webhook-signature", signature)
        .header("x-webhook-topic", topic)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// The example order (2 × TEE-RED-M, 1 × MUG-01), sent to HZ-01; returns its id.
async fn order_sent(app: &TestApp) -> String {
    let response = app.post_order(&app.admin, example_with(|_| {})).await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "sent_to_warehouse", "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn status(app: &TestApp, order: &str) -> String {
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{order}")).await;
    view["status"].as_str().unwrap_or_default().to_owned()
}

async fn on_hand(app: &TestApp, sku: &str) -> i64 {
    let (_, body) = app.get_json(&app.admin, &format!("/api/v1/availability/{sku}")).await;
    body["warehouses"]["HZ-01"]
        .as_i64()
        .unwrap_or_else(|| panic!("no level of {sku}: {body}"))
}

async fn movements(app: &TestApp, sku: &str) -> Vec<Value> {
    let (status, list) = app.get_json(&app.admin, &format!("/api/v1/movements?sku={sku}")).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

async fn cases_of(app: &TestApp, order: &str) -> Vec<Value> {
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{order}")).await;
    view["cases"].as_array().cloned().unwrap_or_default()
}

async fn case(app: &TestApp, id: &str) -> Value {
    let (status, case) = app.get_json(&app.admin, &format!("/api/v1/aftersales/{id}")).await;
    assert_eq!(status, 200, "{case}");
    case
}

/// A shipped order (shipped by the generic warehouse's callback).
async fn shipped_by_generic(app: &TestApp) -> String {
    let order = order_sent(app).await;
    let shipped = json!({
        "event": "shipped", "order_id": order,
        "shipments": [{"carrier": "SF", "tracking_number": "SF1400000001", "lines": []}],
    });
    let (code, body) = generic_callback(app, &shipped).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(status(app, &order).await, "shipped");
    order
}

async fn a_returned_callback_receives_the_case_once_and_opens_one_when_none_waits(app: TestApp) {
    let order = shipped_by_generic(&app).await;
    let (code, opened) = post(
        &app,
        "/api/v1/aftersales",
        json!({"order_id": order, "kind": "return_refund", "lines": [{"sku": "TEE-RED-M", "quantity": 2}]}),
    )
    .await;
    assert_eq!(code, 201, "{opened}");
    let case_id = opened["id"].as_str().unwrap().to_owned();
    let (code, approved) = post(&app, &format!("/api/v1/aftersales/{case_id}/approve"), json!({})).await;
    assert_eq!((code, approved["status"].as_str()), (200, Some("awaiting_return")));
    let (tee_before, write_offs_before) = (
        on_hand(&app, "TEE-RED-M").await,
        movements(&app, "TEE-RED-M").await.len(),
    );

    let returned = json!({
        "event": "returned", "event_id": "RET-1", "warehouse": "HZ-01", "order_id": order,
        "case_id": case_id,
        "lines": [
            {"sku": "TEE-RED-M", "quantity": 1},
            {"sku": "TEE-RED-M", "quantity": 1, "disposition": "write_off"},
        ],
    });
    let (code, applied) = generic_callback(&app, &returned).await;
    assert_eq!(code, 200, "{applied}");
    assert_eq!(applied["case_id"], json!(case_id));
    assert_eq!(
        on_hand(&app, "TEE-RED-M").await,
        tee_before + 1,
        "one unit back on the shelf"
    );
    let moved = movements(&app, "TEE-RED-M").await;
    assert_eq!(moved.len(), write_offs_before + 2, "{moved:?}");
    let write_off = moved
        .iter()
        .find(|m| m["kind"] == "write_off")
        .expect("a write-off movement");
    assert_eq!(
        (write_off["quantity"].as_i64(), write_off["warehouse"].as_str()),
        (Some(1), Some("HZ-01"))
    );
    assert_eq!(write_off["actor"], "warehouse:HZ-01 return RET-1");
    let received = case(&app, &case_id).await;
    assert_eq!(received["status"], "received", "{received}");
    assert_eq!(
        (
            received["lines"][0]["restocked"].as_i64(),
            received["lines"][0]["written_off"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let events = received["events"].as_array().unwrap().len();

    // Delivered again: nothing moves.
    let (code, again) = generic_callback(&app, &returned).await;
    assert_eq!(code, 200, "{again}");
    assert!(again["note"].as_str().unwrap().contains("already"), "{again}");
    assert_eq!(on_hand(&app, "TEE-RED-M").await, tee_before + 1);
    assert_eq!(movements(&app, "TEE-RED-M").await.len(), write_offs_before + 2);
    assert_eq!(case(&app, &case_id).await["events"].as_array().unwrap().len(), events);

    // The mug comes back with no case waiting for it: one is opened, approved and received.
    let mug_before = on_hand(&app, "MUG-01").await;
    let unannounced = json!({
        "event": "returned", "event_id": "RET-2", "warehouse": "HZ-01", "order_id": order,
        "lines": [{"sku": "MUG-01", "quantity": 1, "disposition": "restock"}],
    });
    let (code, applied) = generic_callback(&app, &unannounced).await;
    assert_eq!(code, 200, "{applied}");
    let opened_id = applied["case_id"].as_str().expect("a case opened").to_owned();
    assert_ne!(opened_id, case_id);
    let opened = case(&app, &opened_id).await;
    assert_eq!(
        (opened["kind"].as_str(), opened["status"].as_str()),
        (Some("return_refund"), Some("received"))
    );
    assert_eq!(on_hand(&app, "MUG-01").await, mug_before + 1);
    assert_eq!(cases_of(&app, &order).await.len(), 2);
    let (code, _) = generic_callback(&app, &unannounced).await;
    assert_eq!(code, 200);
    assert_eq!(cases_of(&app, &order).await.len(), 2, "the repeat opens nothing");
    assert_eq!(on_hand(&app, "MUG-01").await, mug_before + 1);
    assert_eq!(status(&app, &order).await, "returned", "everything that left came back");
}

async fn a_returned_callback_naming_an_unknown_case_is_refused_with_its_code(app: TestApp) {
    let order = shipped_by_generic(&app).await;
    let before = on_hand(&app, "TEE-RED-M").await;
    let returned = json!({
        "event": "returned", "event_id": "RET-9", "warehouse": "HZ-01", "order_id": order,
        "case_id": uuid::Uuid::now_v7().to_string(),
        "lines": [{"sku": "TEE-RED-M", "quantity": 1}],
    });
    let (code, body) = generic_callback(&app, &returned).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (422, Some("unknown_case")),
        "{body}"
    );
    let too_many = json!({
        "event": "returned", "event_id": "RET-10", "warehouse": "HZ-01", "order_id": order,
        "lines": [{"sku": "TEE-RED-M", "quantity": 5}],
    });
    let (code, body) = generic_callback(&app, &too_many).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (422, Some("quantity_exceeded")),
        "{body}"
    );
    let unparsable = json!({
        "event": "returned", "event_id": "RET-11", "warehouse": "HZ-01", "order_id": order,
        "lines": [{"sku": "TEE-RED-M", "quantity": 1, "disposition": "resell"}],
    });
    let (code, body) = generic_callback(&app, &unparsable).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (400, Some("invalid_parameter")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lines[0].disposition"),
        "{body}"
    );
    assert_eq!(on_hand(&app, "TEE-RED-M").await, before, "nothing moved");
    assert!(cases_of(&app, &order).await.is_empty());
}

async fn a_completed_shipbob_return_is_received_once(app: TestApp) {
    let order = order_sent(&app).await;
    let shipped = json!({
        "id": 7001, "reference_id": "req-1", "order_number": "EX-1", "status": "Fulfilled",
        "tags": [{"name": "ordo_order_id", "value": order}],
        "shipments": [{
            "id": 9001, "status": "Completed", "actual_fulfillment_date": "2026-03-01T10:00:00Z",
            "tracking": {"carrier": "USPS", "tracking_number": "9400100000000000000001"},
            "products": [],
        }],
    });
    let (code, body) = shipbob_callback(&app, "msg_ship_1", "order.shipped", &shipped).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(status(&app, &order).await, "shipped");
    let before = on_hand(&app, "TEE-RED-M").await;
    // ShipBob's return order, as its documentation describes it; the merchant's own RMA.
    let completed = json!({
        "id": 5001, "reference_id": "RMA-77", "status": "Completed", "store_order_id": order,
        "original_shipment_id": 9001, "completed_date": "2026-03-05T12:00:00Z",
        "fulfillment_center": {"id": 172, "name": "Cicero (IL)"},
        "inventory": [{
            "id": 20_000_001, "name": "TEE-RED-M", "quantity": 2,
            "action_requested": {"action": "Default"},
            "action_taken": [
                {"action": "Restock", "quantity_processed": 1},
                {"action": "Dispose", "action_reason": "Damaged", "quantity_processed": 1},
            ],
        }],
    });
    let (code, applied) = shipbob_callback(&app, "msg_ret_1", "return.completed", &completed).await;
    assert_eq!(code, 200, "{applied}");
    let case_id = applied["case_id"].as_str().expect("a case opened").to_owned();
    let received = case(&app, &case_id).await;
    assert_eq!(received["status"], "received", "{received}");
    assert_eq!(on_hand(&app, "TEE-RED-M").await, before + 1);
    assert!(
        movements(&app, "TEE-RED-M")
            .await
            .iter()
            .any(|m| m["kind"] == "write_off" && m["actor"] == "warehouse:HZ-01 return return:5001")
    );
    // ShipBob retries with a new delivery id: still received once.
    let (code, again) = shipbob_callback(&app, "msg_ret_2", "return.completed", &completed).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(on_hand(&app, "TEE-RED-M").await, before + 1);
    assert_eq!(cases_of(&app, &order).await.len(), 1);
    // A return not completed yet is acknowledged and counts nothing.
    let mut arrived = completed.clone();
    arrived["id"] = json!(5002);
    arrived["status"] = json!("Arrived");
    let (code, ignored) = shipbob_callback(&app, "msg_ret_3", "return.updated", &arrived).await;
    assert_eq!(code, 200, "{ignored}");
    assert!(ignored["ignored"].is_string(), "{ignored}");
    assert_eq!(cases_of(&app, &order).await.len(), 1);
}
