//! A second tenant with a channel and a warehouse of the same codes as the node's
//! connectors, which serve the default tenant only: none of its messages reaches them,
//! none of its routes shows or drives them, and the node's platform secret does not open
//! its webhook.

use std::time::{Duration, Instant};

use ordo_core::auth::Role;
use ordo_core::{OrderStatus, TenantId};
use ordo_store::{OutboxMessage, OutboxStatus};
use serde_json::json;

use super::warehouse_tests::{Harness, wait_for};
use super::*;

/// The tenant's outbox messages of a topic, once none of them is pending any more.
async fn settled(h: &Harness, tenant: &TenantId, topic: &str) -> Vec<OutboxMessage> {
    let started = Instant::now();
    loop {
        let messages = h.store.list_outbox(tenant, Some(topic), None, 50).await.unwrap();
        if !messages.is_empty() && messages.iter().all(|m| m.status != OutboxStatus::Pending) {
            return messages;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{topic} still pending: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_messages_never_reach_the_default_tenants_shop_or_warehouse() {
    let h = Harness::start().await;
    let acme = TenantId::parse("acme").unwrap();
    let now = chrono::Utc::now();
    h.store.ensure_tenant(&acme, "Acme", now).await.unwrap();
    super::tests::stock_in(&h.store, &acme, "HZ-01", &["TEE-RED-M"], 10).await;
    let token = ordo_app::TokenService::new(h.store.clone())
        .create(&acme, Role::Admin, "acme", now)
        .await
        .unwrap()
        .secret;

    // Acme's order, on its own channel called `shopify`, allocated at its own HZ-01.
    let mut order: serde_json::Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    order["channel"] = json!("shopify");
    order["external_id"] = json!("ACME-1");
    order["remark"] = serde_json::Value::Null;
    order["lines"] = json!([{ "sku": "TEE-RED-M", "quantity": 1, "unit_price": "79.00" }]);
    let created = h
        .http
        .post(format!("{}/api/v1/orders", h.base))
        .bearer_auth(&token)
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Acme has no warehouse connector: its order waits, allocated, and nothing is sent
    // to the default tenant's HZ-01.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        h.store
            .list_outbox(&acme, Some("wms.fulfil"), None, 50)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(h.fleet.warehouse("HZ-01").received().is_empty());

    // Shipped by hand, its tracking is not written back to the default tenant's Shopify.
    let shipped = h
        .http
        .post(format!("{}/api/v1/orders/{id}/ship", h.base))
        .bearer_auth(&token)
        .json(&json!({ "carrier": "UPS", "tracking_number": "1Z999AA10123456784" }))
        .send()
        .await
        .unwrap();
    assert!(shipped.status().is_success(), "{}", shipped.text().await.unwrap());
    let stored: std::sync::Arc<dyn ordo_store::Store> = h.store.clone();
    assert_eq!(
        stored
            .get_order(&acme, ordo_core::OrderId(uuid::Uuid::parse_str(&id).unwrap()))
            .await
            .unwrap()
            .unwrap()
            .state
            .status,
        OrderStatus::Shipped
    );
    let tracking = settled(&h, &acme, "channel.tracking").await;
    assert_eq!(tracking[0].status, OutboxStatus::Dropped, "{:?}", tracking[0]);
    assert!(
        h.fleet
            .sim(Platform::Shopify)
            .writebacks()
            .iter()
            .all(|w| w.external_id_or_sku != "ACME-1")
    );

    // Acme's routes neither show nor drive the default tenant's connectors.
    let get = |path: &str, token: &str| {
        h.http
            .get(format!("{}{path}", h.base))
            .bearer_auth(token.to_owned())
            .send()
    };
    let channels: serde_json::Value = get("/api/v1/channels", &token).await.unwrap().json().await.unwrap();
    assert_eq!(channels, json!([]));
    let warehouses: serde_json::Value = get("/api/v1/warehouse-connectors", &token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(warehouses, json!({}));
    let mine: serde_json::Value = get("/api/v1/channels", &h.token).await.unwrap().json().await.unwrap();
    assert!(!mine.as_array().unwrap().is_empty(), "{mine}");
    let poll = h
        .http
        .post(format!("{}/api/v1/channels/shopify/poll", h.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 404);
    let shown = mine.to_string();
    assert!(
        !shown.contains(HOOK_SECRET) && !shown.contains("sim-session"),
        "no credential is shown: {mine}"
    );

    // The node's Shopify secret opens the default tenant's hook only.
    let body = serde_json::to_vec(&json!({ "id": 1, "name": "#1" })).unwrap();
    let signature = ordo_sim::webhook_signature(HOOK_SECRET, &body);
    let hook = h
        .http
        .post(format!("{}/api/v1/hooks/shopify/acme", h.base))
        .header("X-Shopify-Hmac-Sha256", signature)
        .header("X-Shopify-Topic", "orders/create")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 404);

    // The default tenant's own orders still go out.
    let own = h.post("WH-1", &["TEE-RED-M"]).await;
    wait_for(&h.store, &own, OrderStatus::Shipped, Duration::from_secs(10)).await;
    assert_eq!(h.fleet.warehouse("HZ-01").received().len(), 1);
}

/// Puts a connection for a tenant through the API; the answer, which must be 200.
async fn put(h: &Harness, token: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
    let response = h
        .http
        .put(format!("{}{path}", h.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tenants_with_the_same_codes_reach_only_their_own_shop_and_warehouse() {
    let h = Harness::start().await;
    let acme = TenantId::parse("acme").unwrap();
    let now = chrono::Utc::now();
    h.store.ensure_tenant(&acme, "Acme", now).await.unwrap();
    let token = ordo_app::TokenService::new(h.store.clone())
        .create(&acme, Role::Admin, "acme", now)
        .await
        .unwrap()
        .secret;
    // Acme's own shop and warehouse, under the same codes as the default tenant's.
    let mut shop_config = ordo_sim::SimConfig::new(Platform::Shopify);
    shop_config.skus = vec!["TEE-RED-M".into()];
    let shop = ordo_sim::Simulator::start(shop_config).await.unwrap();
    let mut wms_config = ordo_sim::WmsSimConfig::new(ordo_sim::WmsKind::Generic);
    wms_config.token = "acme-wms-token".into();
    wms_config.secret = "acme-wms-secret".into();
    let wms = ordo_sim::WmsSimulator::start(wms_config).await.unwrap();
    let mut channel = serde_json::to_value(super::channel_for(&shop, 200).unwrap()).unwrap();
    channel.as_object_mut().unwrap().remove("code");
    channel["webhook_secret"] = json!("acme-hook-secret");
    let saved = put(&h, &token, "/api/v1/channels/shopify", &channel).await;
    let text = saved.to_string();
    assert!(
        !text.contains("acme-hook-secret") && !text.contains(channel["access_token"].as_str().unwrap()),
        "{text}"
    );
    assert!(
        saved["credentials"]["fingerprint"].as_str().unwrap().starts_with("fp_"),
        "{saved}"
    );
    let hook_path = saved["hook_path"].as_str().unwrap().to_owned();
    let warehouse = json!({
        "name": "Acme Hangzhou",
        "connector": { "kind": "generic", "base_url": wms.url(), "token": "acme-wms-token", "secret": "acme-wms-secret", "timeout_ms": 2000 },
    });
    let saved = put(&h, &token, "/api/v1/warehouses/HZ-01", &warehouse).await;
    assert!(!saved.to_string().contains("acme-wms-token"), "{saved}");
    super::tests::stock_in(&h.store, &acme, "HZ-01", &["TEE-RED-M"], 10).await;
    // A wrong token is refused at once, by the test call.
    let mut wrong = channel.clone();
    wrong["access_token"] = json!("shpat_wrong");
    let refused = h
        .http
        .put(format!("{}/api/v1/channels/shopify", h.base))
        .bearer_auth(&token)
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "connection_check_failed"
    );

    // An order placed in acme's shop is polled into acme (within a second of saving,
    // every node runs the connection), sent to acme's warehouse, shipped through the
    // connection's callback path, and its tracking written back to acme's shop.
    let placed = shop.create_orders(1).remove(0).external_id;
    let started = Instant::now();
    let query = ordo_store::OrderQuery {
        external_id: Some(placed.clone()),
        ..Default::default()
    };
    loop {
        let found = h.store.search_orders(&acme, &query).await.unwrap().items;
        if found.first().is_some_and(|o| o.status == OrderStatus::Shipped) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "acme's order {placed}: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(wms.received().len(), 1);
    assert!(h.fleet.warehouse("HZ-01").received().is_empty());
    let tracking = settled(&h, &acme, "channel.tracking").await;
    assert_ne!(tracking[0].status, OutboxStatus::Dropped, "{:?}", tracking[0]);
    assert_eq!(tracking[0].status, OutboxStatus::Delivered, "{:?}", tracking[0]);
    assert!(shop.writebacks().iter().any(|w| w.external_id_or_sku == placed));
    assert!(
        h.fleet
            .sim(Platform::Shopify)
            .writebacks()
            .iter()
            .all(|w| w.external_id_or_sku != placed)
    );

    // Its webhook opens with its own secret only.
    let body = serde_json::to_vec(&json!({ "id": 2, "name": "#2" })).unwrap();
    let hook = |secret: &str| {
        h.http
            .post(format!("{}{hook_path}", h.base))
            .header("X-Shopify-Hmac-Sha256", ordo_sim::webhook_signature(secret, &body))
            .header("X-Shopify-Topic", "orders/create")
            .body(body.clone())
            .send()
    };
    assert_eq!(hook(HOOK_SECRET).await.unwrap().status(), 401);
    assert_ne!(hook("acme-hook-secret").await.unwrap().status(), 401);

    // Neither tenant's list shows the other's connection.
    let list = |token: String| {
        let http = h.http.clone();
        let url = format!("{}/api/v1/channels", h.base);
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let acme_list = list(token.clone()).await;
    assert_eq!(acme_list.as_array().unwrap().len(), 1, "{acme_list}");
    assert_eq!(acme_list[0]["settings"]["base_url"], json!(shop.base_url()));
    let default_list = list(h.token.clone()).await;
    assert!(
        default_list
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["settings"]["base_url"] != json!(shop.base_url()))
    );
}
