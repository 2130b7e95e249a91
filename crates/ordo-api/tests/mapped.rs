//! Platform payloads through mappings, over HTTP: a Shopify webhook body becomes an order;
//! a renamed field is kept as failed with the field named, and replayed once the mapping
//! file is edited, with the server running.

mod common;

use std::sync::Arc;

use common::TestApp;
use ordo_app::MappingRegistry;
use serde_json::Value;

on_both_stores!(a_shopify_webhook_body_is_ingested_through_its_mapping);

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

    // The platform renames created_at.
    let renamed = shopify_example().replace("\"created_at\": \"2021-12-31", "\"created_on\": \"2021-12-31");
    assert!(renamed.contains("\"created_on\""));
    let (status, body) = post(&app, "/api/v1/ingest/shop.order", renamed).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "mapping_failed");
    assert_eq!(body["error"]["details"][0]["field"], "placed_at");
    let inbox_id = body["error"]["inbox_id"].as_str().unwrap().to_owned();

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
}
