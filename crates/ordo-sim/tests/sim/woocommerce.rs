//! WooCommerce REST wc/v3 and the Shipment Tracking extension as a connector sees them.

use chrono::{NaiveDateTime, Utc};
use ordo_sim::{Change, Platform, RateLimits, Sim, SimConfig, WriteBackKind};
use serde_json::{Value, json};

use crate::common::{
    Receiver, SMALL_LIMIT_RECOVERY, assert_exactly_once, bounded, client, signature_verifies, small_limit, start,
    unlimited,
};

fn url(sim: &Sim, path: &str) -> String {
    format!("{}/wp-json/{path}", sim.base_url())
}

fn authed(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.basic_auth("ck_sim", Some("cs_sim"))
}

async fn get(sim: &Sim, path: &str) -> reqwest::Response {
    authed(client().get(url(sim, path))).send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> usize {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn wrong_or_missing_keys_are_refused_with_401() {
    bounded(async {
        let sim = start(unlimited(Platform::WooCommerce)).await;
        let response = client()
            .get(url(&sim, "wc/v3/orders"))
            .basic_auth("ck_sim", Some("nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "woocommerce_rest_cannot_view");
        assert_eq!(
            client().get(url(&sim, "wc/v3/orders")).send().await.unwrap().status(),
            401
        );
        let by_query = client()
            .get(url(&sim, "wc/v3/orders?consumer_key=ck_sim&consumer_secret=cs_sim"))
            .send()
            .await
            .unwrap();
        assert_eq!(by_query.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn page_listing_returns_every_order_exactly_once_while_orders_arrive() {
    bounded(async {
        let sim = start(unlimited(Platform::WooCommerce)).await;
        let mut expected: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
        let since = (Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S");
        let query = |page: usize| format!("wc/v3/orders?modified_after={since}&dates_are_gmt=true&orderby=modified&order=asc&per_page=2&page={page}");
        let mut seen = Vec::new();
        let mut page = 1;
        loop {
            let response = get(&sim, &query(page)).await;
            assert_eq!(response.status(), 200);
            let total_pages = header(&response, "x-wp-totalpages");
            let body: Value = response.json().await.unwrap();
            seen.extend(body.as_array().unwrap().iter().map(|o| o["id"].to_string()));
            if page == 1 {
                assert_eq!(total_pages, 3);
                expected.extend(sim.create_orders(2).into_iter().map(|o| o.external_id));
            }
            if page >= total_pages {
                break;
            }
            page += 1;
        }
        assert_exactly_once(&seen, &expected);
    })
    .await;
}

#[tokio::test]
async fn modified_after_is_exclusive() {
    bounded(async {
        let sim = start(unlimited(Platform::WooCommerce)).await;
        let ids = sim.create_orders(2);
        let last = sim.order(&ids[1].external_id).unwrap();
        let bound = last["date_modified_gmt"].as_str().unwrap().to_owned();
        assert!(NaiveDateTime::parse_from_str(&bound, "%Y-%m-%dT%H:%M:%S").is_ok());
        let response = get(
            &sim,
            &format!("wc/v3/orders?modified_after={bound}&dates_are_gmt=true&orderby=modified&order=asc"),
        )
        .await;
        let body: Value = response.json().await.unwrap();
        assert!(
            body.as_array()
                .unwrap()
                .iter()
                .all(|o| o["id"].as_u64() != ids[1].external_id.parse().ok())
        );
    })
    .await;
}

#[tokio::test]
async fn a_configured_limit_answers_429_with_retry_after_and_recovers() {
    bounded(async {
        let config = SimConfig {
            rate_limits: RateLimits {
                api: small_limit(2),
                order_items: None,
            },
            ..SimConfig::new(Platform::WooCommerce)
        };
        let sim = start(config).await;
        assert_eq!(get(&sim, "wc/v3/orders").await.status(), 200);
        assert_eq!(get(&sim, "wc/v3/orders").await.status(), 200);
        let refused = get(&sim, "wc/v3/orders").await;
        assert_eq!(refused.status(), 429);
        let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert_eq!(wait, 1);
        tokio::time::sleep(SMALL_LIMIT_RECOVERY).await;
        assert_eq!(get(&sim, "wc/v3/orders").await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn webhooks_are_signed_with_woocommerce_headers() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(SimConfig {
            webhook: receiver.target(),
            ..unlimited(Platform::WooCommerce)
        })
        .await;
        let id = sim.create_orders(1)[0].external_id.clone();
        sim.update_order(&id, Change::Cancel).unwrap();
        let received = receiver.wait_for(2).await;
        for hook in &received {
            assert!(signature_verifies(&hook.body, &hook.header("x-wc-webhook-signature")));
            assert_eq!(hook.header("x-wc-webhook-resource"), "order");
            assert!(!hook.header("x-wc-webhook-delivery-id").is_empty());
            assert!(hook.header("x-wc-webhook-source").starts_with("http://127.0.0.1:"));
            assert_eq!(hook.json()["id"].to_string(), id);
        }
        assert_eq!(received[0].header("x-wc-webhook-topic"), "order.created");
        assert_eq!(received[0].header("x-wc-webhook-event"), "created");
        assert_eq!(received[1].header("x-wc-webhook-topic"), "order.updated");
        assert_eq!(received[1].json()["status"], "cancelled");
    })
    .await;
}

#[tokio::test]
async fn tracking_status_and_stock_writebacks_are_validated_then_recorded() {
    bounded(async {
        let sim = start(unlimited(Platform::WooCommerce)).await;
        let orders = sim.create_orders(2);
        let (shipped, cancelled) = (&orders[0].external_id, &orders[1].external_id);
        let tracking = |id: &str| url(&sim, &format!("wc-shipment-tracking/v3/orders/{id}/shipment-trackings"));

        let missing = authed(client().post(tracking(shipped)))
            .json(&json!({"tracking_provider": "UPS"}))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 400);
        assert_eq!(
            missing.json::<Value>().await.unwrap()["code"],
            "rest_missing_callback_param"
        );
        let body = json!({"tracking_provider": "UPS", "tracking_number": "1Z1", "date_shipped": "2026-04-01"});
        let added = authed(client().post(tracking(shipped)))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 201);
        assert_eq!(added.json::<Value>().await.unwrap()["tracking_number"], "1Z1");

        let put = |id: &str, body: Value| {
            authed(client().put(url(&sim, &format!("wc/v3/orders/{id}"))))
                .json(&body)
                .send()
        };
        assert_eq!(
            put(shipped, json!({"status": "shipped-ish"})).await.unwrap().status(),
            400
        );
        let completed = put(shipped, json!({"status": "completed"})).await.unwrap();
        assert_eq!(completed.json::<Value>().await.unwrap()["status"], "completed");
        let cancel = put(cancelled, json!({"status": "cancelled"})).await.unwrap();
        assert_eq!(cancel.json::<Value>().await.unwrap()["status"], "cancelled");

        let sku = &sim.config().skus[0];
        let products: Value = get(&sim, &format!("wc/v3/products?sku={sku}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(products.as_array().unwrap().len(), 1);
        let product_id = products[0]["id"].clone();
        assert!(products[0]["stock_quantity"].is_i64());
        let product_url = url(&sim, &format!("wc/v3/products/{product_id}"));
        let bad = authed(client().put(&product_url))
            .json(&json!({"manage_stock": true, "stock_quantity": "many"}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        let good = authed(client().put(&product_url))
            .json(&json!({"manage_stock": true, "stock_quantity": 4}))
            .send()
            .await
            .unwrap();
        assert_eq!(good.json::<Value>().await.unwrap()["stock_quantity"], 4);

        let kinds: Vec<(WriteBackKind, String)> = sim
            .writebacks()
            .into_iter()
            .map(|w| (w.kind, w.external_id_or_sku))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (WriteBackKind::Tracking, shipped.clone()),
                (WriteBackKind::Status, shipped.clone()),
                (WriteBackKind::Cancel, cancelled.clone()),
                (WriteBackKind::Stock, sku.clone()),
            ]
        );
        assert_eq!(sim.stats().writebacks_rejected, 3);
    })
    .await;
}
