//! The HTTP API end to end, over real sockets, on both stores.

mod common;

use std::collections::HashSet;

use common::{TestApp, example_with};
use ordo_core::auth::Role;
use serde_json::{Value, json};

on_both_stores!(
    requests_without_a_valid_token_are_401_except_health_and_metrics,
    the_reference_example_is_accepted_and_read_back_with_its_history,
    a_hundred_concurrent_copies_of_one_order_make_one_order,
    a_malformed_payload_is_kept_in_the_inbox_and_replayed_after_a_fix,
    a_failed_payload_can_be_reprocessed_as_it_is,
    tenant_a_cannot_see_tenant_b_orders_or_inbox,
    roles_limit_what_a_token_may_do,
    an_idempotency_key_gets_the_first_answer_and_refuses_another_body,
    search_filters_and_cursor_pages_work_over_http,
    bad_query_parameters_are_named_in_the_error,
    a_changed_version_is_an_update_visible_in_the_history,
    tokens_are_created_listed_and_revoked_through_the_api,
    the_openapi_document_describes_every_route,
);

async fn requests_without_a_valid_token_are_401_except_health_and_metrics(app: TestApp) {
    for path in [
        "/api/v1/orders",
        "/api/v1/inbox",
        "/api/v1/openapi.json",
        "/api/v1/tokens",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let response = app.post_order("ordo_not-a-real-token", example_with(|_| {})).await;
    assert_eq!(response.status(), 401);
    let response = app
        .client
        .post(app.url("/api/v1/orders"))
        .body(example_with(|_| {}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 200);
}

async fn the_reference_example_is_accepted_and_read_back_with_its_history(app: TestApp) {
    let response = app.post_order(&app.admin, ordo_core::input::EXAMPLE_JSON).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        (created["outcome"].as_str(), created["status"].as_str()),
        (Some("created"), Some("paid"))
    );
    assert_eq!(location, format!("/api/v1/orders/{}", created["id"].as_str().unwrap()));

    let (status, order) = app.get_json(&app.admin, &location).await;
    assert_eq!(status, 200);
    assert_eq!(order["order"]["buyer"]["name"], "王小明");
    assert_eq!(order["order"]["lines"][1]["discount"], "5.50");
    assert_eq!(order["order"]["placed_at"], "2026-11-22T02:15:00Z");
    assert_eq!(order["totals"]["total"], "198.00");
    assert_eq!(order["events"][0]["kind"], "order.created");
    assert_eq!(order["events"][0]["seq"], 1);
}

async fn a_hundred_concurrent_copies_of_one_order_make_one_order(app: TestApp) {
    let body = example_with(|_| {});
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let (client, url, token, body) = (
            app.client.clone(),
            app.url("/api/v1/orders"),
            app.admin.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let response = client.post(url).bearer_auth(token).body(body).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert!(status == 200 || status == 201, "unexpected {status}: {body}");
        created += usize::from(status == 201);
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!((created, ids.len()), (1, 1));
    let (_, page) = app.get_json(&app.admin, "/api/v1/orders?external_id=W-1001").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, inbox) = app
        .get_json(&app.admin, "/api/v1/inbox?status=processed&limit=500")
        .await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 100, "every delivery is kept");
}

async fn a_malformed_payload_is_kept_in_the_inbox_and_replayed_after_a_fix(app: TestApp) {
    let response = app.post_order(&app.admin, "{\"channel\": \"web\", ").await;
    assert_eq!(response.status(), 400);
    let broken: Value = response.json().await.unwrap();
    assert_eq!(broken["error"]["code"], "invalid_json");

    let response = app
        .post_order(&app.admin, example_with(|v| v["currency"] = json!("RMB")))
        .await;
    assert_eq!(response.status(), 422);
    let invalid: Value = response.json().await.unwrap();
    assert_eq!(invalid["error"]["code"], "validation_failed");
    assert_eq!(invalid["error"]["details"][0]["field"], "currency");
    assert!(invalid["error"]["message"].as_str().unwrap().contains("currency"));
    let invalid_id = invalid["error"]["inbox_id"].as_str().unwrap().to_owned();

    let (_, failed) = app.get_json(&app.admin, "/api/v1/inbox?status=failed").await;
    let listed: Vec<&str> = failed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        vec![invalid_id.as_str(), broken["error"]["inbox_id"].as_str().unwrap()]
    );
    let (_, entry) = app.get_json(&app.admin, &format!("/api/v1/inbox/{invalid_id}")).await;
    assert!(entry["body"].as_str().unwrap().contains("RMB"), "the raw body is kept");
    assert_eq!(entry["channel"], "web");
    assert_eq!(entry["error"]["details"][0]["field"], "currency");

    let replay = format!("/api/v1/inbox/{invalid_id}/replay");
    let response = app
        .client
        .post(app.url(&replay))
        .bearer_auth(&app.admin)
        .body(example_with(|_| {}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let replayed: Value = response.json().await.unwrap();
    assert_eq!(replayed["outcome"], "created");
    let (_, original) = app.get_json(&app.admin, &format!("/api/v1/inbox/{invalid_id}")).await;
    assert_eq!(original["status"], "resolved");
    assert_eq!(original["resolved_by"], replayed["inbox_id"]);
    let (status, _) = app
        .get_json(
            &app.admin,
            &format!("/api/v1/orders/{}", replayed["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);

    let again = app
        .client
        .post(app.url(&replay))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let (_, failed) = app.get_json(&app.admin, "/api/v1/inbox?status=failed").await;
    assert_eq!(
        failed["items"].as_array().unwrap().len(),
        1,
        "only the broken JSON is still failed"
    );
}

async fn a_failed_payload_can_be_reprocessed_as_it_is(app: TestApp) {
    let response = app
        .post_order(&app.admin, example_with(|v| v["lines"][0]["quantity"] = json!(0)))
        .await;
    let failed: Value = response.json().await.unwrap();
    let id = failed["error"]["inbox_id"].as_str().unwrap().to_owned();
    // Nothing was fixed, so processing it as it is fails the same way and stays failed.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/inbox/{id}/replay")))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let (_, entry) = app.get_json(&app.admin, &format!("/api/v1/inbox/{id}")).await;
    assert_eq!(
        (entry["status"].as_str(), entry["attempts"].as_i64()),
        (Some("failed"), Some(2))
    );
}

async fn tenant_a_cannot_see_tenant_b_orders_or_inbox(app: TestApp) {
    let acme = app.token("acme", Role::Admin).await;
    let globex = app.token("globex", Role::Admin).await;
    let created: Value = app.post_order(&acme, example_with(|_| {})).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.get(&globex, &format!("/api/v1/orders/{id}")).await.status(), 404);
    let (_, page) = app.get_json(&globex, "/api/v1/orders").await;
    assert!(page["items"].as_array().unwrap().is_empty());
    let (_, inbox) = app.get_json(&globex, "/api/v1/inbox").await;
    assert!(inbox["items"].as_array().unwrap().is_empty());
    let inbox_id = created["inbox_id"].as_str().unwrap();
    assert_eq!(
        app.get(&globex, &format!("/api/v1/inbox/{inbox_id}")).await.status(),
        404
    );
    // The same channel order number in another tenant is that tenant's own order.
    let theirs = app.post_order(&globex, example_with(|_| {})).await;
    assert_eq!(theirs.status(), 201);
    assert_eq!(app.get(&acme, &format!("/api/v1/orders/{id}")).await.status(), 200);
}

async fn roles_limit_what_a_token_may_do(app: TestApp) {
    let viewer = app.token("default", Role::Viewer).await;
    let integration = app.token("default", Role::Integration).await;
    let response = app.post_order(&viewer, example_with(|_| {})).await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.json::<Value>().await.unwrap()["error"]["code"], "forbidden");
    assert_eq!(app.get(&viewer, "/api/v1/orders").await.status(), 200);
    assert_eq!(app.post_order(&integration, example_with(|_| {})).await.status(), 201);
    assert_eq!(app.get(&integration, "/api/v1/tokens").await.status(), 403);
}

async fn an_idempotency_key_gets_the_first_answer_and_refuses_another_body(app: TestApp) {
    let send = |body: String| {
        app.client
            .post(app.url("/api/v1/orders"))
            .bearer_auth(&app.admin)
            .header("Idempotency-Key", "abc-1")
            .body(body)
            .send()
    };
    let first = send(example_with(|_| {})).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(example_with(|_| {})).await.unwrap();
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (&again["id"], &again["outcome"], &again["inbox_id"]),
        (&first["id"], &first["outcome"], &first["inbox_id"])
    );
    assert_eq!(again["idempotent_replay"], true);
    let other = send(example_with(|v| v["external_id"] = json!("W-9"))).await.unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(
        other.json::<Value>().await.unwrap()["error"]["code"],
        "idempotency_key_reused"
    );
}

async fn search_filters_and_cursor_pages_work_over_http(app: TestApp) {
    for i in 0..12 {
        let body = example_with(|v| {
            v["external_id"] = json!(format!("S-{i}"));
            v["channel"] = json!(if i % 2 == 0 { "jd" } else { "web" });
            v["placed_at"] = json!(format!("2026-11-{:02}T08:00:00+08:00", i + 1));
        });
        assert_eq!(app.post_order(&app.admin, body).await.status(), 201);
    }
    let (_, jd) = app.get_json(&app.admin, "/api/v1/orders?channel=jd&limit=100").await;
    assert_eq!(jd["items"].as_array().unwrap().len(), 6);
    let (_, ranged) = app
        .get_json(
            &app.admin,
            "/api/v1/orders?placed_from=2026-11-03T00:00:00%2B08:00&placed_to=2026-11-06T00:00:00%2B08:00",
        )
        .await;
    assert_eq!(ranged["items"].as_array().unwrap().len(), 3);
    let mut seen = Vec::new();
    let mut path = "/api/v1/orders?limit=5".to_owned();
    loop {
        let (status, page) = app.get_json(&app.admin, &path).await;
        assert_eq!(status, 200);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["external_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/orders?limit=5&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).rev().map(|i| format!("S-{i}")).collect();
    assert_eq!(seen, expected, "newest placed first, every order exactly once");
}

async fn bad_query_parameters_are_named_in_the_error(app: TestApp) {
    for (query, parameter) in [
        ("status=shipped_yesterday", "status"),
        ("placed_from=yesterday", "placed_from"),
        ("limit=0", "limit"),
        ("cursor=garbage", "cursor"),
        ("channel=no%20spaces", "channel"),
    ] {
        let (status, body) = app.get_json(&app.admin, &format!("/api/v1/orders?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
        assert!(
            body["error"]["message"].as_str().unwrap().starts_with(parameter),
            "{query}: {body}"
        );
    }
    let (status, body) = app.get_json(&app.admin, "/api/v1/orders/not-a-uuid").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
}

async fn a_changed_version_is_an_update_visible_in_the_history(app: TestApp) {
    let pending = example_with(|v| v["financial_status"] = json!("pending"));
    let created: Value = app.post_order(&app.admin, pending).await.json().await.unwrap();
    assert_eq!(created["status"], "pending_payment");
    let response = app.post_order(&app.admin, example_with(|_| {})).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        (updated["outcome"].as_str(), updated["version"].as_i64()),
        (Some("updated"), Some(2))
    );
    let (_, order) = app
        .get_json(
            &app.admin,
            &format!("/api/v1/orders/{}", created["id"].as_str().unwrap()),
        )
        .await;
    let kinds: Vec<&str> = order["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["order.created", "order.updated", "order.paid"]);
}

async fn tokens_are_created_listed_and_revoked_through_the_api(app: TestApp) {
    let response = app
        .client
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&app.admin)
        .json(&json!({"role": "integration", "name": "shopify connector"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let minted: Value = response.json().await.unwrap();
    let secret = minted["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ordo_"));
    assert_eq!(app.post_order(&secret, example_with(|_| {})).await.status(), 201);
    let (_, listed) = app.get_json(&app.admin, "/api/v1/tokens").await;
    assert!(
        listed.as_array().unwrap().iter().all(|t| t.get("token").is_none()),
        "secrets are never listed"
    );
    let id = minted["id"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.post_order(&secret, example_with(|_| {})).await.status(), 401);
}

async fn the_openapi_document_describes_every_route(app: TestApp) {
    let (status, doc) = app.get_json(&app.admin, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        "/api/v1/inbox",
        "/api/v1/inbox/{id}/replay",
        "/api/v1/tokens",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["schemas"].get("OrderInput").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_413_with_a_stable_code() {
    let store = common::fresh_store(common::Backend::Sqlite).await;
    let limits = ordo_api::HttpLimits {
        body_limit_bytes: 4096,
        ..Default::default()
    };
    let app = common::spawn_on(store, limits).await;
    let body = example_with(|v| v["remark"] = json!("x".repeat(5000)));
    let response = app.post_order(&app.admin, body).await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "payload_too_large"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_database_make_one_order_from_concurrent_copies() {
    let schema = format!("nodes_{}", uuid::Uuid::now_v7().simple());
    let node_a = common::spawn_on(
        std::sync::Arc::new(common::postgres_schema(&schema).await),
        Default::default(),
    )
    .await;
    let node_b = common::spawn_on(
        std::sync::Arc::new(common::postgres_schema(&schema).await),
        Default::default(),
    )
    .await;
    let body = example_with(|_| {});
    let mut tasks = Vec::new();
    for i in 0..100 {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        let (client, url, token, body) = (
            node.client.clone(),
            node.url("/api/v1/orders"),
            node.admin.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let response = client.post(url).bearer_auth(token).body(body).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert!(status == 200 || status == 201, "{status}: {body}");
        created += usize::from(status == 201);
        ids.insert(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!((created, ids.len()), (1, 1), "two nodes, one database, one order");
}
