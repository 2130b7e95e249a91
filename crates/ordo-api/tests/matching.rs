//! Likely duplicates and merges over HTTP, on both stores: the same buyer ordering the
//! same goods on two channels is flagged on each order; the orders merge into one
//! shipment by hand, refuse a second merge, and the merge can be undone once.

mod common;

use common::TestApp;
use serde_json::{Value, json};

on_both_stores!(alike_orders_on_two_channels_are_flagged_and_merge_reversibly);

fn order(channel: &str, id: &str, minute: u32) -> String {
    let mut v: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    v["channel"] = json!(channel);
    v["external_id"] = json!(id);
    v["placed_at"] = json!(format!("2026-11-22T10:{minute:02}:00+08:00"));
    v.to_string()
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

async fn alike_orders_on_two_channels_are_flagged_and_merge_reversibly(app: TestApp) {
    let mut ids = Vec::new();
    for (channel, id, minute) in [("web", "W-1", 0), ("taobao", "T-1", 5)] {
        let response = app.post_order(&app.admin, order(channel, id, minute)).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let (_, first) = app.get_json(&app.admin, &format!("/api/v1/orders/{}", ids[0])).await;
    assert_eq!(first["possible_duplicates"][0]["id"], ids[1].as_str(), "{first}");
    assert_eq!(first["possible_duplicates"][0]["channel"], "taobao");
    assert_eq!(first["merge_candidates"][0]["id"], ids[1].as_str());
    assert_eq!(first["merge_id"], Value::Null);

    let (_, groups) = app
        .get_json(&app.admin, "/api/v1/orders/duplicates?since=2026-11-22T00:00:00Z")
        .await;
    assert_eq!(groups.as_array().map(Vec::len), Some(1), "{groups}");
    let (_, candidates) = app.get_json(&app.admin, "/api/v1/merges/candidates").await;
    assert_eq!(candidates[0].as_array().map(Vec::len), Some(2), "{candidates}");

    let (status, merge) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/merges",
        json!({ "order_ids": ids }),
    )
    .await;
    assert_eq!(status, 201, "{merge}");
    let merge_id = merge["id"].as_str().unwrap().to_owned();
    let (status, again) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/merges",
        json!({ "order_ids": ids }),
    )
    .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{again}"
    );
    let (_, second) = app.get_json(&app.admin, &format!("/api/v1/orders/{}", ids[1])).await;
    assert_eq!(second["merge_id"], merge_id.as_str());

    let path = format!("/api/v1/merges/{merge_id}");
    let (status, undone) = send(&app, reqwest::Method::DELETE, &path, Value::Null).await;
    assert_eq!(status, 200, "{undone}");
    assert!(undone["dissolved_at"].is_string());
    assert_eq!(send(&app, reqwest::Method::DELETE, &path, Value::Null).await.0, 404);
    let (_, listed) = app.get_json(&app.admin, "/api/v1/merges").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}
