//! Inventory over HTTP, on both stores: catalogue, stock changes, CSV import,
//! availability (bundles included), movements and the balance check.

mod common;

use common::TestApp;
use ordo_core::auth::Role;
use serde_json::{Value, json};

on_both_stores!(
    stock_moves_through_the_api_and_every_change_is_a_movement,
    a_csv_import_reports_every_row,
    a_bundle_is_as_available_as_its_scarcest_component_per_warehouse,
    cost_prices_are_shown_only_to_admins_and_operators,
    bad_catalogue_input_is_refused_with_the_field_named,
    a_channel_sees_only_the_active_warehouses_that_serve_it,
);

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(path))
        .bearer_auth(&app.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn post(app: &TestApp, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn catalogue(app: &TestApp) {
    for (code, city) in [("HZ-01", "Hangzhou"), ("SZ-01", "Shenzhen")] {
        let (status, _) = put(
            app,
            &format!("/api/v1/warehouses/{code}"),
            json!({"name": city, "region": "CN"}),
        )
        .await;
        assert_eq!(status, 200);
    }
    for sku in ["TEE-RED-M", "MUG-01"] {
        let body = json!({"name": sku, "cost_price": "31.00", "cost_currency": "CNY", "weight_g": 300, "low_stock_threshold": 12});
        assert_eq!(put(app, &format!("/api/v1/skus/{sku}"), body).await.0, 200);
    }
}

async fn stock_moves_through_the_api_and_every_change_is_a_movement(app: TestApp) {
    catalogue(&app).await;
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 10, "reference": "PO-1"},
        {"warehouse": "SZ-01", "sku": "MUG-01", "op": "receive", "quantity": 4},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "adjust", "quantity": -2, "reason": "damaged"},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "set", "quantity": 5, "expected_on_hand": 9},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "safety_stock", "quantity": 1},
        {"warehouse": "XX-99", "sku": "MUG-01", "op": "receive", "quantity": 1},
    ]);
    let (status, results) = post(&app, "/api/v1/stock/changes", changes.to_string()).await;
    assert_eq!(status, 200);
    let ok: Vec<bool> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, vec![true, true, true, false, true, false]);
    assert_eq!(results[3]["error"]["code"], "stale");
    assert_eq!(results[5]["error"]["code"], "unknown_warehouse");
    assert_eq!(
        results[4]["level"],
        json!({"on_hand": 8, "reserved": 0, "safety_stock": 1, "available": 7})
    );

    let (_, availability) = app.get_json(&app.admin, "/api/v1/availability/MUG-01").await;
    assert_eq!(availability["available"], 11);
    assert_eq!(
        (
            availability["low_stock"].as_bool(),
            availability["low_stock_threshold"].as_i64()
        ),
        (Some(true), Some(12))
    );
    assert_eq!(availability["warehouses"], json!({"HZ-01": 7, "SZ-01": 4}));

    let (_, movements) = app
        .get_json(&app.admin, "/api/v1/movements?sku=MUG-01&warehouse=HZ-01")
        .await;
    let kinds: Vec<&str> = movements
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["adjustment", "receipt"]);
    assert_eq!(movements[1]["reference"], "PO-1");
    assert_eq!(movements[0]["reason"], "damaged");
    let (_, check) = app.get_json(&app.admin, "/api/v1/inventory/check").await;
    assert_eq!(check["consistent"], true);
}

async fn a_csv_import_reports_every_row(app: TestApp) {
    catalogue(&app).await;
    let csv = "warehouse,sku,on_hand\nHZ-01,MUG-01,12\nHZ-01,GHOST,3\nSZ-01,TEE-RED-M,seven\nSZ-01,TEE-RED-M,7\nbroken line\n";
    let response = app
        .client
        .post(app.url("/api/v1/stock/import"))
        .bearer_auth(&app.admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    let rows: Vec<(u64, bool, Option<&str>)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["ok"].as_bool().unwrap(),
                r["error"]["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (2, true, None),
            (3, false, Some("unknown_sku")),
            (4, false, Some("invalid")),
            (5, true, None),
            (6, false, Some("invalid"))
        ]
    );
    let (_, availability) = app.get_json(&app.admin, "/api/v1/availability/TEE-RED-M").await;
    assert_eq!(availability["available"], 7);
    let (_, mugs) = app.get_json(&app.admin, "/api/v1/availability/MUG-01").await;
    assert_eq!(
        (mugs["available"].as_i64(), mugs["low_stock"].as_bool()),
        (Some(12), Some(false)),
        "12 is not below 12"
    );
    let (status, error) = post(&app, "/api/v1/stock/import", "sku,qty\nA,1\n").await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
}

async fn a_bundle_is_as_available_as_its_scarcest_component_per_warehouse(app: TestApp) {
    catalogue(&app).await;
    let gift = json!({"name": "Gift set", "components": [{"sku": "TEE-RED-M", "quantity": 1}, {"sku": "MUG-01", "quantity": 2}]});
    assert_eq!(put(&app, "/api/v1/skus/GIFT-SET", gift).await.0, 200);
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 9},
        {"warehouse": "HZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 10},
        {"warehouse": "SZ-01", "sku": "MUG-01", "op": "receive", "quantity": 8},
        {"warehouse": "SZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 1},
    ]);
    post(&app, "/api/v1/stock/changes", changes.to_string()).await;
    let (_, availability) = app.get_json(&app.admin, "/api/v1/availability/GIFT-SET").await;
    assert_eq!(availability["bundle"], true);
    assert_eq!(availability["warehouses"], json!({"HZ-01": 4, "SZ-01": 1}));
    assert_eq!(availability["available"], 5);
    let stock_a_bundle = json!([{"warehouse": "HZ-01", "sku": "GIFT-SET", "op": "receive", "quantity": 1}]);
    let (_, results) = post(&app, "/api/v1/stock/changes", stock_a_bundle.to_string()).await;
    assert_eq!(results[0]["error"]["code"], "is_bundle");
}

async fn cost_prices_are_shown_only_to_admins_and_operators(app: TestApp) {
    catalogue(&app).await;
    let operator = app.token("default", Role::Operator).await;
    let viewer = app.token("default", Role::Viewer).await;
    let integration = app.token("default", Role::Integration).await;
    assert_eq!(
        app.get_json(&operator, "/api/v1/skus/MUG-01").await.1["cost_price"],
        "31.00"
    );
    for token in [&viewer, &integration] {
        let (_, sku) = app.get_json(token, "/api/v1/skus/MUG-01").await;
        assert!(
            sku.get("cost_price").is_none() && sku.get("cost_currency").is_none(),
            "{sku}"
        );
        let (_, list) = app.get_json(token, "/api/v1/skus").await;
        assert!(list.as_array().unwrap().iter().all(|s| s.get("cost_price").is_none()));
    }
    let response = app
        .client
        .put(app.url("/api/v1/skus/NEW-1"))
        .bearer_auth(&viewer)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn bad_catalogue_input_is_refused_with_the_field_named(app: TestApp) {
    catalogue(&app).await;
    let (status, body) = put(
        &app,
        "/api/v1/skus/BAD-1",
        json!({"name": "x", "cost_price": "1.005", "cost_currency": "CNY"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("cost_price"),
        "{body}"
    );
    let (status, body) = put(&app, "/api/v1/skus/BAD-2", json!({"name": "x", "weight_g": "heavy"})).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("weight_g"),
        "{body}"
    );
    let selfish = json!({"name": "x", "components": [{"sku": "BAD-3", "quantity": 1}]});
    assert_eq!(put(&app, "/api/v1/skus/BAD-3", selfish).await.0, 422);
    let (status, _) = put(
        &app,
        "/api/v1/warehouses/W-9",
        json!({"name": "far", "latitude": 123.0}),
    )
    .await;
    assert_eq!(status, 400);
}

async fn a_channel_sees_only_the_active_warehouses_that_serve_it(app: TestApp) {
    catalogue(&app).await;
    put(
        &app,
        "/api/v1/warehouses/HZ-01",
        json!({"name": "Hangzhou", "channels": ["taobao", "jd"]}),
    )
    .await;
    put(
        &app,
        "/api/v1/warehouses/SZ-01",
        json!({"name": "Shenzhen", "channels": ["shopify"]}),
    )
    .await;
    put(
        &app,
        "/api/v1/warehouses/BJ-01",
        json!({"name": "Beijing", "active": false}),
    )
    .await;
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 10},
        {"warehouse": "SZ-01", "sku": "MUG-01", "op": "receive", "quantity": 4},
        {"warehouse": "BJ-01", "sku": "MUG-01", "op": "receive", "quantity": 7},
    ]);
    post(&app, "/api/v1/stock/changes", changes.to_string()).await;
    for (channel, warehouses, available) in [
        ("taobao", json!(["HZ-01"]), 10),
        ("shopify", json!(["SZ-01"]), 4),
        ("amazon", json!([]), 0),
    ] {
        let (status, view) = app
            .get_json(&app.admin, &format!("/api/v1/availability/MUG-01?channel={channel}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(view["channel"]["warehouses"], warehouses, "{channel}");
        assert_eq!(
            (
                view["channel"]["available"].as_i64(),
                view["channel"]["sellable"].as_i64()
            ),
            (Some(available), Some(available))
        );
        assert_eq!(view["available"], 21, "the total counts every warehouse");
    }
    let (status, _) = app
        .get_json(&app.admin, "/api/v1/availability/MUG-01?channel=no%20such")
        .await;
    assert_eq!(status, 400);
}
