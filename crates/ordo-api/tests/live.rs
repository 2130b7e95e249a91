//! Orders and stock together over HTTP, on both stores: reservations at ingest, the last
//! units raced for by concurrent clients (and by two servers on one PostgreSQL), shipment
//! and return, the live stream with resume, channel rules and alerts.

mod common;

use std::time::Duration;

use common::TestApp;
use serde_json::{Value, json};

on_both_stores_with_stock!(
    racing_clients_over_http_never_oversell_the_last_units,
    an_order_ships_and_returns_through_the_api,
    the_live_stream_delivers_commits_and_resumes_from_last_event_id,
    channel_rules_offer_quantities_and_low_stock_raises_an_alert,
    an_alias_lets_a_channel_name_reserve_the_catalogue_sku,
);

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

/// One warehouse, SKU `LAST` with `units` on hand (alert below 2).
async fn stock(app: &TestApp, units: i64) {
    let put = reqwest::Method::PUT;
    assert_eq!(
        send(
            app,
            put.clone(),
            "/api/v1/warehouses/HZ-01",
            json!({"name": "Hangzhou"})
        )
        .await
        .0,
        200
    );
    let sku = json!({"name": "Last units", "low_stock_threshold": 2});
    assert_eq!(send(app, put, "/api/v1/skus/LAST", sku).await.0, 200);
    let change = json!([{"warehouse": "HZ-01", "sku": "LAST", "op": "receive", "quantity": units}]);
    assert_eq!(
        send(app, reqwest::Method::POST, "/api/v1/stock/changes", change)
            .await
            .0,
        200
    );
}

fn order(external_id: &str, sku: &str, quantity: u32) -> Value {
    let mut value: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    value["external_id"] = json!(external_id);
    value["lines"] = json!([{"sku": sku, "quantity": quantity, "unit_price": "10.00"}]);
    value
}

async fn race(nodes: &[&TestApp], clients: usize) -> (usize, usize) {
    let mut tasks = Vec::new();
    for i in 0..clients {
        let node = nodes[i % nodes.len()];
        let (client, url, token) = (node.client.clone(), node.url("/api/v1/orders"), node.admin.clone());
        tasks.push(tokio::spawn(async move {
            let body = order(&format!("RACE-{i}"), "LAST", 1);
            let response = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 201);
            response.json::<Value>().await.unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let (mut allocated, mut held) = (0, 0);
    for task in tasks {
        match task.await.unwrap().as_str() {
            "allocated" => allocated += 1,
            "on_hold" => held += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    (allocated, held)
}

async fn assert_sold_out(app: &TestApp, units: i64) {
    let (_, view) = app.get_json(&app.admin, "/api/v1/availability/LAST").await;
    assert_eq!(view["levels"]["HZ-01"]["reserved"], units, "{view}");
    assert_eq!(view["available"], 0);
    let (_, check) = app.get_json(&app.admin, "/api/v1/inventory/check").await;
    assert_eq!(check["consistent"], true, "{check}");
}

async fn racing_clients_over_http_never_oversell_the_last_units(app: TestApp) {
    stock(&app, 5).await;
    assert_eq!(race(&[&app], 30).await, (5, 25));
    assert_sold_out(&app, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_race_for_the_last_units() {
    let schema = format!("race_{}", uuid::Uuid::now_v7().simple());
    let node_a = common::spawn_with(
        std::sync::Arc::new(common::postgres_schema(&schema).await),
        Default::default(),
        Default::default(),
    )
    .await;
    let node_b = common::spawn_with(
        std::sync::Arc::new(common::postgres_schema(&schema).await),
        Default::default(),
        Default::default(),
    )
    .await;
    stock(&node_a, 7).await;
    assert_eq!(race(&[&node_a, &node_b], 40).await, (7, 33));
    assert_sold_out(&node_b, 7).await;
}

async fn an_order_ships_and_returns_through_the_api(app: TestApp) {
    stock(&app, 5).await;
    let response = app.post_order(&app.admin, order("SHIP-1", "LAST", 3).to_string()).await;
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "allocated");
    let id = created["id"].as_str().unwrap();
    let post = reqwest::Method::POST;
    let (status, body) = send(&app, post.clone(), &format!("/api/v1/orders/{id}/return"), json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("illegal_transition")),
        "{body}"
    );
    let (status, shipped) = send(&app, post.clone(), &format!("/api/v1/orders/{id}/ship"), json!({})).await;
    assert_eq!(
        (status, shipped["status"].as_str()),
        (200, Some("shipped")),
        "{shipped}"
    );
    let (_, view) = app.get_json(&app.admin, "/api/v1/availability/LAST").await;
    assert_eq!(view["levels"]["HZ-01"]["on_hand"], 2);
    let too_many = json!({"lines": {"LAST": 4}});
    let (status, body) = send(&app, post.clone(), &format!("/api/v1/orders/{id}/return"), too_many).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("stock_refused")),
        "{body}"
    );
    let one = json!({"lines": {"LAST": 1}});
    let (status, returned) = send(&app, post.clone(), &format!("/api/v1/orders/{id}/return"), one).await;
    assert_eq!((status, returned["status"].as_str()), (200, Some("returned")));
    assert_eq!(returned["stock"]["allocations"][0]["returned"], 1);
    let (status, body) = send(
        &app,
        post,
        &format!("/api/v1/orders/{id}/cancel"),
        json!({"reason": "late"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    let kinds: Vec<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["order.created", "order.allocated", "order.shipped", "order.returned"]
    );
}

/// Reads server-sent events until `want` returns true for one, or five seconds pass.
async fn read_until(response: &mut reqwest::Response, mut want: impl FnMut(&Value) -> bool) -> Vec<(i64, Value)> {
    let mut seen = Vec::new();
    let mut pending = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the stream delivers within 5 s")
            .unwrap()
            .expect("the stream stays open");
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let message: String = pending.drain(..end + 2).collect();
            let id = message
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|v| v.trim().parse().unwrap());
            let data = message.lines().find_map(|l| l.strip_prefix("data:"));
            if let (Some(id), Some(data)) = (id, data) {
                let event: Value = serde_json::from_str(data.trim()).unwrap();
                let done = want(&event);
                seen.push((id, event));
                if done {
                    return seen;
                }
            }
        }
    }
}

async fn the_live_stream_delivers_commits_and_resumes_from_last_event_id(app: TestApp) {
    stock(&app, 10).await;
    let mut live = app.get(&app.admin, "/api/v1/stream").await;
    assert_eq!(live.status().as_u16(), 200);
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    app.post_order(&app.admin, order("LIVE-1", "LAST", 2).to_string()).await;
    let seen = read_until(&mut live, |e| e["kind"] == "availability.changed").await;
    let kinds: Vec<&str> = seen.iter().map(|(_, e)| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["order.created", "order.allocated", "availability.changed"]);
    assert_eq!(seen[0].1["data"]["external_id"], "LIVE-1");
    assert_eq!(seen[2].1["data"]["available"], 8);
    // Reconnect after the first event: the rest comes again, nothing skipped.
    let mut resumed = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(&app.admin)
        .header("last-event-id", seen[0].0.to_string())
        .send()
        .await
        .unwrap();
    let again = read_until(&mut resumed, |e| e["kind"] == "availability.changed").await;
    assert_eq!(again, seen[1..].to_vec());
    // A filter by kind prefix.
    let mut filtered = app.get(&app.admin, "/api/v1/stream?after=0&kinds=availability.").await;
    let only = read_until(&mut filtered, |e| e["data"]["available"] == 8).await;
    assert!(only.iter().all(|(_, e)| e["kind"] == "availability.changed"));
    let (status, body) = app.get_json(&app.admin, "/api/v1/feed?after=0&limit=500").await;
    assert_eq!(status, 200);
    assert!(body.as_array().unwrap().len() >= 3);
}

async fn channel_rules_offer_quantities_and_low_stock_raises_an_alert(app: TestApp) {
    stock(&app, 10).await;
    let rule = json!({"ratio_permille": 500, "buffer": 1, "overrides": {"LAST": {"mode": "cap", "quantity": 3}}});
    let (status, body) = send(&app, reqwest::Method::PUT, "/api/v1/channels/taobao/stock-rule", rule).await;
    assert_eq!(status, 200, "{body}");
    let (_, offered) = app.get_json(&app.admin, "/api/v1/channels/taobao/stock").await;
    assert_eq!(offered, json!([{"sku": "LAST", "quantity": 3}]));
    let bad = json!({"ratio_permille": 1500});
    let (status, body) = send(&app, reqwest::Method::PUT, "/api/v1/channels/taobao/stock-rule", bad).await;
    assert_eq!(status, 400, "{body}");
    app.post_order(&app.admin, order("LOW-1", "LAST", 9).to_string()).await;
    let (_, offered) = app.get_json(&app.admin, "/api/v1/channels/taobao/stock").await;
    assert_eq!(offered, json!([{"sku": "LAST", "quantity": 0}]));
    let (_, queued) = app.get_json(&app.admin, "/api/v1/outbox?topic=channel.stock").await;
    assert_eq!(
        queued[0]["payload"],
        json!({"channel": "taobao", "sku": "LAST", "quantity": 0})
    );
    let (_, alerts) = app.get_json(&app.admin, "/api/v1/alerts").await;
    assert_eq!(alerts[0]["sku"], "LAST");
    assert_eq!(alerts[0]["available"], 1);
    let (status, _) = app.get_json(&app.admin, "/api/v1/outbox?status=nonsense").await;
    assert_eq!(status, 400);
}

async fn an_alias_lets_a_channel_name_reserve_the_catalogue_sku(app: TestApp) {
    stock(&app, 5).await;
    let put = reqwest::Method::PUT;
    let (status, body) = send(
        &app,
        put.clone(),
        "/api/v1/sku-aliases/LISTING-991",
        json!({"sku": "LAST", "channel": "web"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&app, put, "/api/v1/sku-aliases/LISTING-992", json!({"sku": "NOPE"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_sku")),
        "{body}"
    );
    let (_, listed) = app.get_json(&app.admin, "/api/v1/sku-aliases").await;
    assert_eq!(
        listed,
        json!([{"alias": "LISTING-991", "sku": "LAST", "channel": "web"}])
    );
    let response = app
        .post_order(&app.admin, order("ALIAS-1", "LISTING-991", 2).to_string())
        .await;
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "allocated");
    let (_, view) = app.get_json(&app.admin, "/api/v1/availability/LAST").await;
    assert_eq!(view["levels"]["HZ-01"]["reserved"], 2);
    let delete = app
        .client
        .delete(app.url("/api/v1/sku-aliases/LISTING-991?channel=web"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status().as_u16(), 204);
}
