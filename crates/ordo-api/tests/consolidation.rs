//! B2B consolidation over HTTP, on both stores: a customer's pooled orders wait, are
//! listed per customer, and leave as one request when the pool is released; orders merge
//! by hand and ship at once; bad requests get stable codes; a warehouse callback naming
//! the lead order moves every member.

mod common;

use chrono::Utc;
use common::{Backend, TestApp, example_with, fresh_store};
use ordo_api::AppState;
use ordo_app::actions::OrderActions;
use ordo_app::consolidation::{ConsolidationConfig, SweepReport, Sweeper};
use ordo_app::fulfil::Warehouses;
use ordo_app::policies::{Defaults, Policies};
use ordo_app::{FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig, TokenService};
use ordo_connect::wms::{FulfilmentRequest, ShipmentInfo, WmsConfig, WmsEvent, WmsEventKind, WmsKind};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use serde_json::{Value, json};

macro_rules! consolidating_on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (app, node) = super::spawn(super::Backend::Sqlite).await;
                    super::$name(app, node).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (app, node) = super::spawn(super::Backend::Postgres).await;
                    super::$name(app, node).await;
                }
            )*
        }
    };
}

consolidating_on_both_stores!(
    a_customers_pool_waits_and_ships_as_one_request,
    orders_merge_by_hand_and_ship_now_and_bad_requests_have_codes,
    the_sweeper_ships_due_pools_and_merges_once_complete,
);

/// What a test needs of the node besides HTTP.
struct Node {
    actions: OrderActions,
    warehouses: Warehouses,
}

/// An app whose warehouse HZ-01 takes requests (none is delivered: they stay in the
/// outbox to be looked at), pooling the orders of channel `b2b` for an hour.
async fn spawn(backend: Backend) -> (TestApp, Node) {
    let store = fresh_store(backend).await;
    let tenant = TenantId::default_tenant();
    store.ensure_tenant(&tenant, "Default", Utc::now()).await.unwrap();
    // The pool rule is the node's default consolidation policy, as `[consolidation]` gives it.
    let policies = Policies::built_in().with_defaults(Defaults {
        consolidation: ConsolidationConfig {
            channels: vec!["b2b".to_owned()],
            buyer_ids: Vec::new(),
            window_minutes: 60,
        },
        ..Default::default()
    });
    let connector = WmsConfig::new("HZ-01", WmsKind::Generic, "http://127.0.0.1:9");
    let warehouses = Warehouses::new(&[connector], None)
        .unwrap()
        .with_policies(policies.clone());
    let feed = FeedHub::new();
    let (pipeline, _writers) = Pipeline::start(store.clone(), PipelineConfig::default(), feed.clone());
    let policy = Default::default();
    let ingest = IngestService::new(pipeline, store.clone(), policy, MappingRegistry::load(None).unwrap())
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
        actions: actions.clone(),
        review: Default::default(),
        warehouses: warehouses.clone(),
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
    for (path, body) in [
        ("/api/v1/warehouses/HZ-01", json!({"name": "Hangzhou"})),
        ("/api/v1/skus/TEE-RED-M", json!({"name": "Tee"})),
        ("/api/v1/skus/MUG-01", json!({"name": "Mug"})),
        ("/api/v1/skus/PEN", json!({"name": "Pen, none in stock yet"})),
    ] {
        assert_eq!(send(&app, reqwest::Method::PUT, path, body).await.0, 200);
    }
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 100},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 100},
    ]);
    assert_eq!(
        send(&app, reqwest::Method::POST, "/api/v1/stock/changes", changes)
            .await
            .0,
        200
    );
    (app, Node { actions, warehouses })
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Posts the example order (buyer u-42, one address) on `channel`; returns (id, status).
async fn order(app: &TestApp, channel: &str, id: &str, change: impl FnOnce(&mut Value)) -> (String, String) {
    let body = example_with(|v| {
        v["channel"] = json!(channel);
        v["external_id"] = json!(id);
        change(v);
    });
    let response = app.post_order(&app.admin, body).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["status"].as_str().unwrap().to_owned(),
    )
}

async fn status(app: &TestApp, id: &str) -> String {
    let (_, order) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    order["status"].as_str().unwrap_or_default().to_owned()
}

/// The queued fulfilment requests, as the warehouse connector reads them.
async fn requests(app: &TestApp) -> Vec<FulfilmentRequest> {
    let tenant = TenantId::default_tenant();
    let messages = app
        .store
        .list_outbox(&tenant, Some("wms.fulfil"), None, 100)
        .await
        .unwrap();
    messages
        .into_iter()
        .map(|m| serde_json::from_value(m.payload).expect("a request the connector can send"))
        .collect()
}

async fn a_customers_pool_waits_and_ships_as_one_request(app: TestApp, node: Node) {
    let (po1, s1) = order(&app, "b2b", "PO-1", |_| {}).await;
    let (po2, s2) = order(&app, "b2b", "PO-2", |v| {
        v["placed_at"] = json!("2026-11-22T10:45:00+08:00")
    })
    .await;
    assert_eq!(
        (s1.as_str(), s2.as_str()),
        ("allocated", "allocated"),
        "pooled, not sent"
    );
    let (web, sent) = order(&app, "web", "W-1", |_| {}).await;
    assert_eq!(sent, "sent_to_warehouse", "orders outside the rule go at once");
    assert_eq!(requests(&app).await.len(), 1);

    let (code, pool) = app.get_json(&app.admin, "/api/v1/consolidation/pool").await;
    assert_eq!(code, 200, "{pool}");
    assert_eq!((&pool["enabled"], &pool["window_minutes"]), (&json!(true), &json!(60)));
    let customers = pool["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 1, "{pool}");
    let customer = &customers[0];
    assert_eq!(customer["buyer_id"], "u-42");
    assert_eq!(customer["destination"]["city"], "杭州市");
    let listed: Vec<&str> = customer["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![po1.as_str(), po2.as_str()]);
    assert_eq!(customer["orders"][0]["status"], "allocated");
    assert!(customer["orders"][0]["placed_at"].is_string());
    assert_eq!(
        customer["due_at"], "2026-11-22T03:15:00Z",
        "an hour after the first placement"
    );
    let key = customer["match_key"].as_str().unwrap().to_owned();

    let path = format!("/api/v1/consolidation/{key}/release");
    let (code, released) = send(&app, reqwest::Method::POST, &path, Value::Null).await;
    assert_eq!(code, 200, "{released}");
    assert_eq!(released["sent"], json!([po1, po2]));
    assert_eq!(released["requests"].as_array().map(Vec::len), Some(1));
    let consolidation = released["consolidation_id"].as_str().unwrap().to_owned();
    for id in [&po1, &po2] {
        assert_eq!(status(&app, id).await, "sent_to_warehouse");
    }
    let sent = requests(&app).await;
    assert_eq!(sent.len(), 2);
    let request = sent.iter().find(|r| r.consolidation_id.is_some()).unwrap();
    assert_eq!(request.consolidation_id.as_deref(), Some(consolidation.as_str()));
    assert_eq!(
        (request.order_id.as_str(), &request.order_ids),
        (po1.as_str(), &vec![po1.clone(), po2.clone()])
    );
    let mut owners: Vec<&str> = request.lines.iter().filter_map(|l| l.order_id.as_deref()).collect();
    owners.dedup();
    assert_eq!(owners, vec![po1.as_str(), po2.as_str()], "every line names its order");
    let (_, pool) = app.get_json(&app.admin, "/api/v1/consolidation/pool").await;
    assert_eq!(pool["customers"], json!([]));
    let (code, again) = send(&app, reqwest::Method::POST, &path, Value::Null).await;
    assert_eq!((code, &again["error"]["code"]), (404, &json!("not_found")));

    // The warehouse names the lead order; every member moves.
    let event = WmsEvent {
        request_id: None,
        remote_id: None,
        order_ref: Some(po1.clone()),
        kind: WmsEventKind::Picked,
        at: None,
    };
    let tenant = TenantId::default_tenant();
    let applied = ordo_app::fulfil::apply_event(&node.actions, &tenant, "HZ-01", event)
        .await
        .unwrap();
    assert_eq!(applied.order_id, po1);
    for id in [&po1, &po2] {
        assert_eq!(status(&app, id).await, "picking");
    }
    assert_eq!(
        status(&app, &web).await,
        "sent_to_warehouse",
        "not in the consolidation"
    );

    // One parcel for both orders, its lines naming both orders' goods: each order ships
    // what it holds; the same callback again changes nothing.
    let shipped = || WmsEvent {
        request_id: None,
        remote_id: None,
        order_ref: Some(po1.clone()),
        kind: WmsEventKind::Shipped {
            shipments: vec![ShipmentInfo {
                carrier: "SF".into(),
                tracking_number: "SF-CONSOLIDATED-1".into(),
                tracking_url: None,
                lines: request.lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect(),
                shipped_at: None,
            }],
        },
        at: None,
    };
    ordo_app::fulfil::apply_event(&node.actions, &tenant, "HZ-01", shipped())
        .await
        .unwrap();
    let mut versions = Vec::new();
    for id in [&po1, &po2] {
        assert_eq!(status(&app, id).await, "shipped");
        let (_, order) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
        versions.push(order["version"].clone());
    }
    assert!(versions.iter().all(Value::is_i64), "{versions:?}");
    let (_, parcels) = app.get_json(&app.admin, "/api/v1/shipments").await;
    assert_eq!(
        parcels.as_array().map(Vec::len),
        Some(2),
        "one parcel row per order: {parcels}"
    );
    ordo_app::fulfil::apply_event(&node.actions, &tenant, "HZ-01", shipped())
        .await
        .unwrap();
    for (id, version) in [&po1, &po2].into_iter().zip(&versions) {
        let (_, order) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
        assert_eq!(&order["version"], version, "a repeated callback changes nothing");
    }
    let (_, parcels) = app.get_json(&app.admin, "/api/v1/shipments").await;
    assert_eq!(parcels.as_array().map(Vec::len), Some(2));
}

async fn orders_merge_by_hand_and_ship_now_and_bad_requests_have_codes(app: TestApp, _node: Node) {
    let (po1, _) = order(&app, "b2b", "PO-1", |_| {}).await;
    let (po2, _) = order(&app, "b2b", "PO-2", |_| {}).await;
    let (elsewhere, _) = order(&app, "b2b", "PO-3", |v| {
        v["shipping_address"]["line1"] = json!("文一路 9 号")
    })
    .await;
    let (web, _) = order(&app, "web", "W-1", |_| {}).await;
    let consolidate = |ids: Value| {
        send(
            &app,
            reqwest::Method::POST,
            "/api/v1/consolidation",
            json!({ "order_ids": ids }),
        )
    };

    let refusals = [
        (json!([po1]), 400, "invalid_parameter"),
        (json!([po1, "nope"]), 400, "invalid_parameter"),
        (json!([po1, uuid::Uuid::now_v7().to_string()]), 404, "not_found"),
        (json!([po1, web]), 409, "not_mergeable"),
        (json!([po1, elsewhere]), 409, "different_destination"),
    ];
    for (ids, code, name) in refusals {
        let (status, body) = consolidate(ids.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (code, Some(name)),
            "{ids}: {body}"
        );
    }
    assert_eq!(requests(&app).await.len(), 1, "only the web order went");

    let (code, made) = consolidate(json!([po2, po1])).await;
    assert_eq!(code, 201, "{made}");
    assert_eq!((&made["pushed"], &made["lead_order_id"]), (&json!(true), &json!(po2)));
    assert_eq!(made["order_ids"], json!([po2, po1]));
    assert_eq!(made["requests"][0]["warehouse"], "HZ-01");
    for id in [&po1, &po2] {
        assert_eq!(status(&app, id).await, "sent_to_warehouse");
    }
    assert_eq!(requests(&app).await.len(), 2);
    let (code, twice) = consolidate(json!([po1, po2])).await;
    assert_eq!(
        (code, twice["error"]["code"].as_str()),
        (409, Some("not_mergeable")),
        "already sent"
    );

    let (_, doc) = app.get_json(&app.admin, "/api/v1/openapi.json").await;
    for path in [
        "/api/v1/consolidation",
        "/api/v1/consolidation/pool",
        "/api/v1/consolidation/{match_key}/release",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

async fn the_sweeper_ships_due_pools_and_merges_once_complete(app: TestApp, node: Node) {
    let (po1, _) = order(&app, "b2b", "PO-1", |_| {}).await;
    let (po2, _) = order(&app, "b2b", "PO-2", |_| {}).await;
    let pens = json!([{"sku": "PEN", "quantity": 5, "unit_price": "2.00"}]);
    let (po3, held) = order(&app, "b2b", "PO-3", |v| v["lines"] = pens).await;
    assert_eq!(held, "on_hold", "waiting for pens");
    let placed: chrono::DateTime<Utc> = "2026-11-22T02:15:00Z".parse().unwrap();
    let (within, after) = (
        placed + chrono::Duration::minutes(30),
        placed + chrono::Duration::minutes(61),
    );
    let mut sweeper = Sweeper::default();
    let store = app.store.as_ref();
    assert_eq!(
        sweeper.sweep(store, &node.warehouses, within).await.unwrap(),
        SweepReport::default()
    );
    assert!(requests(&app).await.is_empty(), "the pool fills for an hour");

    let made = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/consolidation",
        json!({ "order_ids": [po1, po3] }),
    )
    .await;
    assert_eq!((made.0, &made.1["pushed"]), (201, &json!(false)), "{}", made.1);
    assert!(made.1["waiting"].as_str().unwrap().contains(&po3), "{}", made.1);
    assert_eq!(
        sweeper.sweep(store, &node.warehouses, within).await.unwrap(),
        SweepReport::default()
    );

    let receipt = json!([{"warehouse": "HZ-01", "sku": "PEN", "op": "receive", "quantity": 10}]);
    assert_eq!(
        send(&app, reqwest::Method::POST, "/api/v1/stock/changes", receipt)
            .await
            .0,
        200
    );
    let retried = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/orders/{po3}/retry"),
        Value::Null,
    )
    .await;
    assert_eq!(status(&app, &po3).await, "allocated", "{retried:?}");
    let swept = sweeper.sweep(store, &node.warehouses, within).await.unwrap();
    assert_eq!(
        (swept.pushed, swept.released),
        (1, 0),
        "the merge is complete: out it goes"
    );
    assert_eq!(
        (status(&app, &po1).await, status(&app, &po2).await),
        ("sent_to_warehouse".into(), "allocated".into())
    );

    let swept = sweeper.sweep(store, &node.warehouses, after).await.unwrap();
    assert_eq!(
        (swept.pushed, swept.released),
        (0, 1),
        "the window passed: the pool goes"
    );
    assert_eq!(status(&app, &po2).await, "sent_to_warehouse");
    let sent = requests(&app).await;
    assert_eq!(sent.len(), 2);
    let alone = sent.iter().find(|r| r.order_id == po2).unwrap();
    assert_eq!(
        (alone.consolidation_id.as_deref(), alone.order_ids.len()),
        (None, 0),
        "one order goes as always"
    );
    assert_eq!(
        sweeper.sweep(store, &node.warehouses, after).await.unwrap(),
        SweepReport::default()
    );
}
