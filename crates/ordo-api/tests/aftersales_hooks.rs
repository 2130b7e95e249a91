//! Shopify's after-sale webhooks, signed, on both stores: a refund recorded once however
//! often it is delivered, to the cent; a return opening its case with the channel's status
//! verbatim; an event for an order not stored yet refused so the platform sends it again.

mod common;

use common::TestApp;
use ordo_app::channel_hooks::sign;
use serde_json::{Value, json};

on_both_stores!(
    a_shopify_refund_delivered_twice_is_one_refund_to_the_cent,
    a_shopify_return_opens_its_case_and_follows_the_channel,
);

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../ordo-app/tests/fixtures/aftersales/shopify/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn hook(app: &TestApp, topic: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let response = app
        .client
        .post(app.url("/api/v1/hooks/shopify/default"))
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", sign(common::HOOK_SECRET, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

/// Shopify's published `orders/create` example, paid, as order 820982911946154508.
async fn paid_order(app: &TestApp) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ordo-mapping/tests/fixtures/shopify_webhook_2026-04_orders_create.json"
    );
    let mut order: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    order["financial_status"] = json!("paid");
    let (status, created) = hook(app, "orders/create", &order).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn a_shopify_refund_delivered_twice_is_one_refund_to_the_cent(app: TestApp) {
    let order = paid_order(&app).await;
    // The published refund names its order as a rounded number; a live one carries the
    // order's exact id.
    let mut refund = fixture("webhook_refunds_create_2025-10.json");
    refund["order_id"] = json!(820982911946154508u64);
    let (status, first) = hook(&app, "refunds/create", &refund).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(
        first["aftersale"]["refunds"].as_array().map(Vec::len),
        Some(1),
        "{first}"
    );
    let (status, again) = hook(&app, "refunds/create", &refund).await;
    assert_eq!(status, 202);
    assert_eq!(again["aftersale"]["known_refunds"], first["aftersale"]["refunds"]);
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{order}")).await;
    // 75.00 + 10.00 moved; the lines add up to 369.97 and are kept beside it.
    assert_eq!(view["refunded"], 8500, "{view}");
    assert_eq!(view["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(view["refunds"][0]["stated_amount"], 36997);
    assert_eq!(view["refunds"][0]["source"], "channel");
    let mut unknown = refund.clone();
    unknown["order_id"] = json!(1);
    unknown["admin_graphql_api_id"] = json!("gid://shopify/Refund/1");
    let (status, refused) = hook(&app, "refunds/create", &unknown).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("order_unknown"))
    );
}

async fn a_shopify_return_opens_its_case_and_follows_the_channel(app: TestApp) {
    let order = paid_order(&app).await;
    let mut request = fixture("webhook_returns_request.json");
    let (status, refused) = hook(&app, "returns/request", &request).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("order_unknown"))
    );
    request["order"] =
        json!({"id": 820982911946154508u64, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508"});
    let (status, opened) = hook(&app, "returns/request", &request).await;
    assert_eq!(status, 202, "{opened}");
    let case = opened["aftersale"]["case_id"].as_str().unwrap().to_owned();
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/aftersales/{case}")).await;
    assert_eq!(
        (view["status"].as_str(), view["channel_status"].as_str()),
        (Some("requested"), Some("requested"))
    );
    assert_eq!(view["order_id"], order);
    let mut approve = fixture("webhook_returns_approve.json");
    approve["order"] = request["order"].clone();
    let (status, _) = hook(&app, "returns/approve", &approve).await;
    assert_eq!(status, 202);
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/aftersales/{case}")).await;
    assert_eq!(
        (view["status"].as_str(), view["channel_status"].as_str()),
        (Some("awaiting_return"), Some("open"))
    );
    let kinds: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["requested", "channel_status", "approved"]);
    let (status, again) = hook(&app, "returns/approve", &approve).await;
    assert_eq!(status, 202, "{again}");
    let (_, list) = app
        .get_json(&app.admin, &format!("/api/v1/aftersales?order_id={order}"))
        .await;
    assert_eq!(
        list["cases"].as_array().unwrap().len(),
        1,
        "one case per channel return"
    );
}
