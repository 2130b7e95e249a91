//! Shipping and tracking over HTTP, on both stores: an order shipped by hand one package at
//! a time, then carried by EasyPost and AfterShip webhooks (the platforms' published
//! payloads) to delivered; problems listed until acknowledged; unreadable and unknown
//! updates kept and replayable.

mod common;

use common::{TestApp, example_with};
use serde_json::{Value, json};

on_both_stores_with_stock!(
    packages_ship_one_at_a_time_and_carrier_webhooks_deliver_the_order,
    tracking_updates_are_kept_and_replayed_once_their_parcel_is_known,
);

const EASYPOST: &str = include_str!("../../ordo-connect/tests/fixtures/easypost_tracking_webhook_event.json");
const AFTERSHIP: &str = include_str!("../../ordo-connect/tests/fixtures/aftership_get_tracking.json");
/// The fixtures' tracking numbers.
const EASYPOST_NUMBER: &str = "EZ4000000004";
const AFTERSHIP_NUMBER: &str = "111111111111";

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn post(app: &TestApp, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, body).await
}

/// Hangzhou holds the T-shirts, Shenzhen the mugs: an order of both is two packages.
async fn split_order(app: &TestApp) -> String {
    for code in ["HZ-01", "SZ-01"] {
        let (status, _) = send(
            app,
            reqwest::Method::PUT,
            &format!("/api/v1/warehouses/{code}"),
            json!({"name": code}).to_string(),
        )
        .await;
        assert_eq!(status, 200);
    }
    for sku in ["TEE-RED-M", "MUG-01"] {
        let body = json!({ "name": sku }).to_string();
        assert_eq!(
            send(app, reqwest::Method::PUT, &format!("/api/v1/skus/{sku}"), body)
                .await
                .0,
            200
        );
    }
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 5},
        {"warehouse": "SZ-01", "sku": "MUG-01", "op": "receive", "quantity": 5},
    ]);
    assert_eq!(post(app, "/api/v1/stock/changes", changes.to_string()).await.0, 200);
    let body = example_with(|o| {
        o["remark"] = Value::Null;
        o["lines"] = json!([
            { "sku": "TEE-RED-M", "quantity": 2, "unit_price": "79.00" },
            { "sku": "MUG-01", "quantity": 1, "unit_price": "39.00" },
        ]);
    });
    let response = app.post_order(&app.admin, body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

async fn status(app: &TestApp, id: &str) -> String {
    let (_, order) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    order["status"].as_str().unwrap_or_default().to_owned()
}

async fn packages_ship_one_at_a_time_and_carrier_webhooks_deliver_the_order(app: TestApp) {
    let id = split_order(&app).await;
    assert_eq!(status(&app, &id).await, "allocated");
    let first = json!({ "carrier": "UPS", "tracking_number": EASYPOST_NUMBER, "warehouse": "HZ-01" });
    let (code, body) = post(&app, &format!("/api/v1/orders/{id}/ship"), first.to_string()).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(status(&app, &id).await, "allocated", "the mugs have not left");
    // A package of more than the warehouse holds for the order is refused.
    let wrong = json!({ "tracking_number": "X", "warehouse": "SZ-01", "units": { "MUG-01": 3 } });
    let (code, body) = post(&app, &format!("/api/v1/orders/{id}/ship"), wrong.to_string()).await;
    assert_eq!(code, 422, "{body}");
    let second = json!({ "carrier": "FedEx", "tracking_number": AFTERSHIP_NUMBER, "warehouse": "SZ-01" });
    assert_eq!(
        post(&app, &format!("/api/v1/orders/{id}/ship"), second.to_string())
            .await
            .0,
        200
    );
    assert_eq!(status(&app, &id).await, "shipped");
    let (_, parcels) = app
        .get_json(&app.admin, &format!("/api/v1/shipments?order_id={id}"))
        .await;
    let units: Vec<&Value> = parcels.as_array().unwrap().iter().map(|p| &p["units"]).collect();
    assert_eq!(
        units,
        [&json!({ "MUG-01": 1 }), &json!({ "TEE-RED-M": 2 })],
        "newest first"
    );

    // EasyPost says the UPS parcel is delivered: the order is on its way, not delivered.
    let (code, body) = post(&app, "/api/v1/tracking/easypost", EASYPOST).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(body["parcels"][0]["order_id"], json!(id));
    assert_eq!(status(&app, &id).await, "in_transit");
    // The same webhook again changes nothing.
    let (_, again) = post(&app, "/api/v1/tracking/easypost", EASYPOST).await;
    assert_eq!(again["parcels"][0]["changed"], false);

    // A problem on the FedEx parcel is an alert until someone acknowledges it.
    let problem = json!({ "tracking_number": AFTERSHIP_NUMBER, "status": "exception", "at": "2026-11-23T08:00:00Z", "message": "address not found" });
    let (code, body) = post(&app, "/api/v1/tracking/generic", problem.to_string()).await;
    assert_eq!(
        (code, body["parcels"][0]["changed"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let (_, open) = app.get_json(&app.admin, "/api/v1/shipments?problems=true").await;
    let open = open.as_array().unwrap().clone();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["tracking_number"], AFTERSHIP_NUMBER);
    let shipment = open[0]["id"].as_str().unwrap();
    let path = format!("/api/v1/shipments/{shipment}/acknowledge");
    assert_eq!(post(&app, &path, "").await.0, 204);
    assert_eq!(post(&app, &path, "").await.0, 404, "nothing left to acknowledge");
    let (_, open) = app.get_json(&app.admin, "/api/v1/shipments?problems=true").await;
    assert_eq!(open, json!([]));

    // AfterShip: the FedEx parcel is delivered after all, so the order is.
    let (code, body) = post(&app, "/api/v1/tracking/aftership", AFTERSHIP).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["parcels"][0]["status"], "delivered", "{body}");
    assert_eq!(status(&app, &id).await, "delivered");
    let (_, order) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    let kinds: Vec<&str> = order["events"]
        .as_array()
        .unwrap_or_else(|| panic!("{order}"))
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in [
        "order.partly_shipped",
        "order.shipped",
        "order.tracked",
        "order.delivery_exception",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
}

async fn tracking_updates_are_kept_and_replayed_once_their_parcel_is_known(app: TestApp) {
    // Nothing shipped yet: the update is kept as unmatched.
    let (code, body) = post(&app, "/api/v1/tracking/easypost", EASYPOST).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("unmatched")), "{body}");
    assert_eq!(body["error"]["code"], "unknown_tracking_number");
    let kept = body["inbound_id"].as_str().unwrap().to_owned();
    // An unreadable one is kept as failed, with the field.
    let (code, body) = post(&app, "/api/v1/tracking/aftership", r#"{"data":{"tracking":{}}}"#).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (422, Some("invalid_tracking")),
        "{body}"
    );
    assert!(body["error"]["field"].as_str().is_some(), "{body}");
    let (code, _) = post(&app, "/api/v1/tracking/fedex-direct", "{}").await;
    assert_eq!(code, 404);
    let (_, failed) = app.get_json(&app.admin, "/api/v1/tracking/inbound?status=failed").await;
    assert_eq!(failed.as_array().unwrap().len(), 1);

    // The parcel becomes known; the replay applies the kept update.
    let id = split_order(&app).await;
    let ship = json!({ "carrier": "UPS", "tracking_number": EASYPOST_NUMBER });
    assert_eq!(
        post(&app, &format!("/api/v1/orders/{id}/ship"), ship.to_string())
            .await
            .0,
        200
    );
    let (code, body) = post(&app, &format!("/api/v1/tracking/inbound/{kept}/replay"), "").await;
    assert_eq!((code, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(status(&app, &id).await, "delivered", "its only parcel was delivered");

    // Nothing goes back from delivered: a late problem report is kept but changes nothing.
    let late = json!({ "tracking_number": EASYPOST_NUMBER, "status": "exception", "at": "2026-11-23T08:00:00Z", "message": "late scan" });
    let (_, body) = post(&app, "/api/v1/tracking/generic", late.to_string()).await;
    assert_eq!(body["parcels"][0]["changed"], false, "{body}");
    let (_, open) = app.get_json(&app.admin, "/api/v1/shipments?problems=true").await;
    assert_eq!(open, json!([]));
}
