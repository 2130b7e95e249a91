//! The dashboard figures over HTTP, on both stores: posting orders moves `/api/v1/kpis`
//! (orders in, allocation, shipping, held orders, failed inbox, low stock, sync lag), a
//! viewer may read them, and another tenant sees none of them.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, example_with};
use ordo_core::auth::Role;
use serde_json::{Value, json};

on_both_stores_with_stock!(kpis_move_as_orders_arrive_and_ship_and_stay_with_their_tenant);

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

/// An order of `lines`, placed `ago` before now.
fn order(id: &str, lines: Value, ago: Duration) -> String {
    example_with(|v| {
        v["external_id"] = json!(id);
        v["lines"] = lines;
        v["placed_at"] = json!((Utc::now() - ago).to_rfc3339());
    })
}

async fn kpis_move_as_orders_arrive_and_ship_and_stay_with_their_tenant(app: TestApp) {
    let (_, before) = app.get_json(&app.admin, "/api/v1/kpis").await;
    assert_eq!(before["windows"]["today"]["orders_in"], 0);
    assert_eq!(before["oversold_units"], 0);

    for code in ["HZ-01", "SZ-01"] {
        let (status, _) = send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/warehouses/{code}"),
            json!({"name": code}),
        )
        .await;
        assert_eq!(status, 200);
    }
    for (sku, threshold) in [("TEE-RED-M", 0), ("MUG-01", 50)] {
        let body = json!({"name": sku, "low_stock_threshold": threshold});
        assert_eq!(
            send(&app, reqwest::Method::PUT, &format!("/api/v1/skus/{sku}"), body)
                .await
                .0,
            200
        );
    }
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 10},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 10},
    ]);
    assert_eq!(
        send(&app, reqwest::Method::POST, "/api/v1/stock/changes", changes)
            .await
            .0,
        200
    );

    // Two orders reserve at HZ-01; one asks for a SKU nobody stocks and is held; one body
    // is broken; the first is posted twice.
    let one = order(
        "K-1",
        json!([{"sku": "TEE-RED-M", "quantity": 1, "unit_price": "79.00"}]),
        Duration::minutes(6),
    );
    let first = app
        .post_order(&app.admin, one.clone())
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(first["status"], "allocated", "{first}");
    assert_eq!(app.post_order(&app.admin, one).await.status().as_u16(), 200);
    let two = order(
        "K-2",
        json!([{"sku": "MUG-01", "quantity": 1, "unit_price": "35.50"}]),
        Duration::minutes(6),
    );
    assert_eq!(app.post_order(&app.admin, two).await.status().as_u16(), 201);
    let held = order(
        "K-3",
        json!([{"sku": "GHOST", "quantity": 1, "unit_price": "1.00"}]),
        Duration::minutes(6),
    );
    let held = app.post_order(&app.admin, held).await.json::<Value>().await.unwrap();
    assert_eq!(held["status"], "on_hold", "{held}");
    assert_eq!(app.post_order(&app.admin, "{not json").await.status().as_u16(), 400);

    let id = first["id"].as_str().unwrap();
    let (status, shipped) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/orders/{id}/ship"),
        json!({"tracking_number": "SF-1"}),
    )
    .await;
    assert_eq!((status, &shipped["status"]), (200, &json!("shipped")), "{shipped}");

    let viewer = app.token("default", Role::Viewer).await;
    let (status, kpis) = app.get_json(&viewer, "/api/v1/kpis").await;
    assert_eq!(status, 200, "{kpis}");
    for window in ["today", "7d", "30d"] {
        let figures = &kpis["windows"][window];
        assert_eq!(figures["orders_in"], 3, "{window}: {figures}");
        assert_eq!(figures["allocated"], 2);
        assert_eq!(figures["first_route_fill_rate"], 1.0);
        assert_eq!(figures["split_rate"], 0.0);
        assert_eq!(figures["shipped"], 1);
        assert_eq!(figures["shipped_on_time"], 1);
        assert_eq!(figures["on_time_rate"], 1.0);
    }
    let today = &kpis["windows"]["today"];
    assert_eq!(today["latency"]["order_to_allocated"]["count"], 2);
    assert_eq!(
        today["latency"]["order_to_allocated"]["p95_seconds"], 600,
        "placed 6 minutes before"
    );
    assert_eq!(kpis["by_channel"]["web"]["today"]["orders_in"], 3);
    let daily = kpis["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(
        (&daily[29]["orders_in"], &daily[29]["shipped"], &daily[0]["orders_in"]),
        (&json!(3), &json!(1), &json!(0))
    );
    assert_eq!(kpis["by_warehouse"]["HZ-01"]["today"]["allocated"], 2);
    assert_eq!(kpis["by_warehouse"]["HZ-01"]["today"]["shipped"], 1);
    assert_eq!(
        kpis["exceptions"],
        json!([{"reason": "stock", "count": 1, "oldest_age_seconds": kpis["exceptions"][0]["oldest_age_seconds"], "overdue": 0}])
    );
    assert_eq!(kpis["failed_inbox"], 1);
    assert_eq!(kpis["low_stock_skus"], 1, "MUG-01 is below 50");
    assert!(kpis["sync_lag_seconds"]["web"].as_i64().unwrap() >= 360);
    assert_eq!(kpis["oversold_units"], 0);

    // A deadline of one hour makes nothing late that shipped within minutes; bad ones are refused.
    let (_, strict) = app
        .get_json(&viewer, "/api/v1/kpis?ship_within_hours=1&exception_sla_hours=1")
        .await;
    assert_eq!(strict["windows"]["today"]["shipped_on_time"], 1);
    let (status, refused) = app.get_json(&viewer, "/api/v1/kpis?ship_within_hours=0").await;
    assert_eq!((status, &refused["error"]["code"]), (400, &json!("invalid_parameter")));

    // Another tenant sees nothing of this one.
    let other = app.token("globex", Role::Viewer).await;
    let (status, theirs) = app.get_json(&other, "/api/v1/kpis").await;
    assert_eq!(status, 200);
    assert_eq!(theirs["windows"]["30d"]["orders_in"], 0);
    assert_eq!(theirs["by_channel"], json!({}));
    assert_eq!(theirs["exceptions"], json!([]));
    assert_eq!(
        (theirs["failed_inbox"].as_i64(), theirs["low_stock_skus"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(theirs["sync_lag_seconds"], json!({}));

    assert_eq!(app.get("", "/api/v1/kpis").await.status().as_u16(), 401);
}
