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

    // Its fulfilment request is not sent to the default tenant's HZ-01.
    let requests = settled(&h, &acme, "wms.fulfil").await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, OutboxStatus::Dead, "{:?}", requests[0]);
    let why = requests[0].last_error.clone().unwrap_or_default();
    assert!(why.contains("tenant acme"), "{why}");
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
