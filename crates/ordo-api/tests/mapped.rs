//! Platform payloads through mappings, over HTTP: a Shopify webhook body becomes an order;
//! a renamed field is kept as failed with the field named, and replayed once the mapping
//! file is edited, with the server running.

mod common;

use std::sync::Arc;

use common::TestApp;
use ordo_app::MappingRegistry;
use serde_json::Value;

on_both_stores!(
    a_shopify_webhook_body_is_ingested_through_its_mapping,
    signed_platform_webhooks_become_orders_and_bad_signatures_are_kept_rejected,
);

fn shopify_example() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ordo-mapping/tests/fixtures/shopify_webhook_2026-04_orders_create.json"
    );
    std::fs::read_to_string(path).unwrap()
}

async fn post(app: &TestApp, path: &str, body: String) -> (u16, Value) {
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

async fn a_shopify_webhook_body_is_ingested_through_its_mapping(app: TestApp) {
    let (status, created) = post(&app, "/api/v1/ingest/shopify.order", shopify_example()).await;
    assert_eq!(status, 201, "{created}");
    let (_, order) = app
        .get_json(
            &app.admin,
            &format!("/api/v1/orders/{}", created["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(order["order"]["channel"], "shopify");
    assert_eq!(order["order"]["external_id"], "820982911946154508");
    assert_eq!(order["status"], "cancelled", "the published example is a voided order");
    let (status, again) = post(&app, "/api/v1/ingest/shopify.order", shopify_example()).await;
    assert_eq!((status, again["outcome"].as_str()), (200, Some("unchanged")));
    let (status, body) = post(&app, "/api/v1/ingest/nope.order", shopify_example()).await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"].as_str().unwrap().contains("shopify.order"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_field_is_kept_failed_and_replayed_after_the_mapping_file_is_edited() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.toml");
    let original = ordo_mapping::BUILT_IN[0]
        .1
        .replace("name = \"shopify.order\"", "name = \"shop.order\"");
    std::fs::write(&file, &original).unwrap();
    let mappings = MappingRegistry::load(Some(dir.path().to_owned())).unwrap();
    let store = common::fresh_store(common::Backend::Sqlite).await;
    let app = common::spawn_full(
        Arc::clone(&store),
        Default::default(),
        Default::default(),
        mappings.clone(),
    )
    .await;

    // Payloads as they were: this is the shape the mapping's payloads have.
    let earlier = shopify_example().replace("Order/820982911946154508", "Order/820982911946154001");
    assert_eq!(post(&app, "/api/v1/ingest/shop.order", earlier).await.0, 201);

    // The platform renames created_at.
    let renamed = shopify_example().replace("\"created_at\": \"2021-12-31", "\"created_on\": \"2021-12-31");
    assert!(renamed.contains("\"created_on\""));
    let (status, body) = post(&app, "/api/v1/ingest/shop.order", renamed).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "mapping_failed");
    assert_eq!(body["error"]["details"][0]["field"], "placed_at");
    let inbox_id = body["error"]["inbox_id"].as_str().unwrap().to_owned();

    // The rename is reported as drift the moment it arrives, naming both fields.
    let (_, drift) = app.get_json(&app.admin, "/api/v1/drift").await;
    let seen = |field: &str, change: &str| {
        drift.as_array().unwrap().iter().any(|d| {
            d["mapping"] == "shop.order"
                && d["field"] == field
                && d["change"] == change
                && d["last_inbox_id"] == inbox_id.as_str()
        })
    };
    assert!(
        seen("created_on", "appeared") && seen("created_at", "vanished"),
        "{drift}"
    );
    let (_, feed) = app.get_json(&app.admin, "/api/v1/feed").await;
    let announced = feed
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "mapping.drift")
        .count();
    assert_eq!(announced, 1, "{feed}");

    // A broken edit is refused and reported; the mapping in force stays.
    std::fs::write(&file, original.replace("path = \"created_at\"", "pth = \"created_on\"")).unwrap();
    assert!(mappings.reload().is_err());
    let (_, listed) = app.get_json(&app.admin, "/api/v1/mappings").await;
    assert!(
        listed["mappings"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("shop.order"))
    );
    assert!(
        listed["reload_error"].as_str().unwrap().contains("shop.toml"),
        "{listed}"
    );

    // The fix is an edit of the mapping file; the running server picks it up.
    std::fs::write(
        &file,
        original.replace("path = \"created_at\"", "path = \"created_on\""),
    )
    .unwrap();
    mappings.reload().unwrap();
    let (status, replayed) = post(&app, &format!("/api/v1/inbox/{inbox_id}/replay"), String::new()).await;
    assert_eq!(
        (status, replayed["outcome"].as_str()),
        (200, Some("created")),
        "{replayed}"
    );
    let (_, entry) = app.get_json(&app.admin, &format!("/api/v1/inbox/{inbox_id}")).await;
    assert_eq!(entry["status"], "processed");

    // A field that appears without breaking the mapping is flagged on the order it came with.
    let extra = shopify_example()
        .replace("\"created_at\": \"2021-12-31", "\"created_on\": \"2021-12-31")
        .replace("Order/820982911946154508", "Order/820982911946154777")
        .replacen("{", "{\"loyalty_tier\": \"gold\",", 1);
    let (status, created) = post(&app, "/api/v1/ingest/shop.order", extra).await;
    assert_eq!(status, 201, "{created}");
    let (_, order) = app
        .get_json(
            &app.admin,
            &format!("/api/v1/orders/{}", created["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(order["flags"][0]["kind"], "schema_drift", "{order}");
    assert_eq!(
        order["flags"][0]["detail"]["appeared"],
        serde_json::json!(["loyalty_tier"])
    );
}

async fn hook(app: &TestApp, platform: &str, headers: &[(&str, String)], body: String) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/api/v1/hooks/{platform}/default")))
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn signed_platform_webhooks_become_orders_and_bad_signatures_are_kept_rejected(app: TestApp) {
    use ordo_app::channel_hooks::sign;
    let body = shopify_example();
    let good = sign(common::HOOK_SECRET, body.as_bytes());
    let topic = ("x-shopify-topic", "orders/create".to_owned());
    let (status, created) = hook(
        &app,
        "shopify",
        &[topic.clone(), ("x-shopify-hmac-sha256", good.clone())],
        body.clone(),
    )
    .await;
    assert_eq!(status, 201, "{created}");

    let forged = sign("not-the-secret", body.as_bytes());
    let (status, refused) = hook(
        &app,
        "shopify",
        &[topic.clone(), ("x-shopify-hmac-sha256", forged)],
        body.clone(),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (401, Some("bad_signature")),
        "{refused}"
    );
    let inbox_id = refused["error"]["inbox_id"].as_str().unwrap();
    let (_, entry) = app.get_json(&app.admin, &format!("/api/v1/inbox/{inbox_id}")).await;
    assert_eq!(entry["status"], "rejected");
    let (status, _) = hook(&app, "shopify", &[topic], body.clone()).await;
    assert_eq!(status, 401, "no signature");

    let refund = ("x-shopify-topic", "refunds/create".to_owned());
    let (status, ignored) = hook(&app, "shopify", &[refund, ("x-shopify-hmac-sha256", good)], body).await;
    assert_eq!(status, 202, "{ignored}");

    // Topics whose body is not an order never reach the order mapping: a deletion is
    // `{"id": …}`, noted by its id; an edit names its order; an app topic is only kept.
    for (topic, body, key, want) in [
        (
            "orders/delete",
            r#"{"id": 820982911946154508}"#,
            "deleted",
            "820982911946154508",
        ),
        (
            "orders/edited",
            r#"{"order_edit": {"id": 1, "order_id": 450789469}}"#,
            "refetching",
            "",
        ),
        (
            "app/uninstalled",
            r#"{"id": 1, "name": "shop"}"#,
            "ignored",
            "this topic carries no order",
        ),
    ] {
        let headers = [
            ("x-shopify-topic", topic.to_owned()),
            ("x-shopify-hmac-sha256", sign(common::HOOK_SECRET, body.as_bytes())),
        ];
        let (status, answer) = hook(&app, "shopify", &headers, body.to_owned()).await;
        assert_eq!(status, 202, "{topic}: {answer}");
        if !want.is_empty() {
            assert_eq!(answer[key], want, "{topic}: {answer}");
        }
        let (_, entry) = app
            .get_json(
                &app.admin,
                &format!("/api/v1/inbox/{}", answer["inbox_id"].as_str().unwrap()),
            )
            .await;
        assert_ne!(entry["status"], "failed", "{topic}: kept, not a failed order: {entry}");
    }

    let woo = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ordo-mapping/tests/fixtures/woocommerce_rest_v3_order_retrieve.json"
    ))
    .unwrap();
    let signed = sign(common::HOOK_SECRET, woo.as_bytes());
    let headers = [
        ("x-wc-webhook-topic", "order.created".to_owned()),
        ("x-wc-webhook-signature", signed),
    ];
    let (status, created) = hook(&app, "woocommerce", &headers, woo).await;
    assert_eq!(status, 201, "{created}");
    let (status, _) = hook(&app, "nope", &[], String::new()).await;
    assert_eq!(status, 404);
}
