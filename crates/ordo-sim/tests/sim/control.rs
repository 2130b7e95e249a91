//! The simulator's own controls: `/_sim/` over HTTP, failure injection, shutdown, webhook
//! retries and determinism.

use std::time::{Duration, Instant};

use ordo_sim::{Change, Platform, SimConfig, SimError};
use serde_json::{Value, json};

use crate::common::{Receiver, bounded, client, start, unlimited};

#[tokio::test]
async fn the_http_control_surface_drives_the_simulator() {
    bounded(async {
        let sim = start(unlimited(Platform::Taobao)).await;
        let base = sim.base_url();
        let http = client();
        let info: Value = http
            .get(format!("{base}/_sim"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["platform"], "taobao");

        let created = http
            .post(format!("{base}/_sim/orders"))
            .json(&json!({"count": 3}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        let id = created[0]["external_id"].as_str().unwrap().to_owned();
        let ids: Value = http
            .get(format!("{base}/_sim/orders"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ids.as_array().unwrap().len(), 3);

        let change = |body: Value| http.post(format!("{base}/_sim/orders/{id}/change")).json(&body).send();
        assert_eq!(change(json!({"change": "cancel"})).await.unwrap().status(), 200);
        assert_eq!(change(json!({"change": "refund"})).await.unwrap().status(), 409);
        let order: Value = http
            .get(format!("{base}/_sim/orders/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(order["status"], "TRADE_CLOSED");
        assert_eq!(
            http.get(format!("{base}/_sim/orders/nope"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );

        let rename = http
            .post(format!("{base}/_sim/renames"))
            .json(&json!({"from": "orders.order[].outer_sku_id", "to": "orders.order[].sku_code"}))
            .send()
            .await
            .unwrap();
        assert_eq!(rename.status(), 200);
        assert!(sim.order(&id).unwrap()["orders"]["order"][0]["sku_code"].is_string());
        let bad = http
            .post(format!("{base}/_sim/renames"))
            .json(&json!({"from": "orders.order[].outer_sku_id", "to": "sku"}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        http.delete(format!("{base}/_sim/renames")).send().await.unwrap();
        assert!(sim.renames().is_empty());

        http.post(format!("{base}/_sim/fail-next"))
            .json(&json!({"count": 1, "status": 502}))
            .send()
            .await
            .unwrap();
        let failed = http.post(format!("{base}/router/rest")).send().await.unwrap();
        assert_eq!(failed.status(), 502);
        let stats: Value = http
            .get(format!("{base}/_sim/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stats["failures_injected"], 1);
        assert_eq!(stats["requests"], 1, "control calls are not counted");
        let writebacks: Value = http
            .get(format!("{base}/_sim/writebacks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(writebacks, json!([]));
    })
    .await;
}

#[tokio::test]
async fn injected_failures_latency_and_outages_answer_in_the_platform_shape() {
    bounded(async {
        let sim = start(unlimited(Platform::Amazon)).await;
        let url = format!("{}/orders/v0/orders", sim.base_url());
        let http = client();
        sim.fail_next(2, 503);
        for _ in 0..2 {
            let response = http.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 503);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["code"], "ServiceUnavailable");
        }
        assert_eq!(
            http.get(&url).send().await.unwrap().status(),
            403,
            "then the request reaches the API (no token)"
        );

        sim.set_failure_rate(1.0);
        assert_eq!(http.get(&url).send().await.unwrap().status(), 500);
        sim.set_failure_rate(0.0);

        sim.set_down(true);
        assert_eq!(http.get(&url).send().await.unwrap().status(), 503);
        sim.set_down(false);

        sim.set_latency(300);
        let started = Instant::now();
        http.get(&url).send().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300));
        sim.set_latency(0);

        assert_eq!(sim.stats().failures_injected, 4);
        assert_eq!(sim.stats().requests, 6);
    })
    .await;
}

#[tokio::test]
async fn failed_webhooks_are_retried_then_recorded_as_failed() {
    bounded(async {
        let receiver = Receiver::start().await;
        receiver.answer(500);
        let sim = start(SimConfig {
            webhook: receiver.target(),
            ..unlimited(Platform::Shopify)
        })
        .await;
        let started = Instant::now();
        sim.create_orders(1);
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "creating does not wait for delivery"
        );
        receiver.wait_for(4).await;
        for _ in 0..100 {
            if sim.stats().webhooks_failed == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let deliveries = sim.webhook_deliveries();
        assert_eq!(deliveries.len(), 1);
        assert!(!deliveries[0].delivered);
        assert_eq!(deliveries[0].attempts, 4);
        assert_eq!(deliveries[0].status, Some(500));
        assert_eq!(sim.stats().webhooks_failed, 1);
    })
    .await;
}

#[tokio::test]
async fn shutdown_and_drop_stop_serving() {
    bounded(async {
        let sim = start(unlimited(Platform::Douyin)).await;
        let url = format!("{}/_sim/stats", sim.base_url());
        assert!(client().get(&url).send().await.is_ok());
        sim.shutdown().await;
        assert!(client().get(&url).send().await.is_err());

        let sim = start(unlimited(Platform::Douyin)).await;
        let url = format!("{}/_sim/stats", sim.base_url());
        let clone = sim.clone();
        drop(sim);
        assert!(client().get(&url).send().await.is_ok(), "a clone keeps it running");
        drop(clone);
        let mut stopped = false;
        for _ in 0..50 {
            if client().get(&url).send().await.is_err() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(stopped);
    })
    .await;
}

#[tokio::test]
async fn the_same_seed_generates_the_same_orders() {
    bounded(async {
        let lines = |doc: Value| {
            doc["line_items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| (l["sku"].clone(), l["quantity"].clone(), l["price"].clone()))
                .collect::<Vec<_>>()
        };
        let a = start(unlimited(Platform::Shopify)).await;
        let b = start(unlimited(Platform::Shopify)).await;
        let c = start(SimConfig {
            seed: 99,
            ..unlimited(Platform::Shopify)
        })
        .await;
        let (ia, ib, ic) = (a.create_orders(4), b.create_orders(4), c.create_orders(4));
        let all = |sim: &ordo_sim::Sim, ids: &[ordo_sim::CreatedOrder]| {
            ids.iter()
                .map(|o| lines(sim.order(&o.external_id).unwrap()))
                .collect::<Vec<_>>()
        };
        assert_eq!(all(&a, &ia), all(&b, &ib));
        assert_ne!(all(&a, &ia), all(&c, &ic));
        let doc = a.order(&ia[0].external_id).unwrap();
        let subtotal: f64 = doc["line_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["price"].as_str().unwrap().parse::<f64>().unwrap() * l["quantity"].as_f64().unwrap())
            .sum();
        let shipping: f64 = doc["shipping_lines"][0]["price"].as_str().unwrap().parse().unwrap();
        let total: f64 = doc["total_price"].as_str().unwrap().parse().unwrap();
        assert!((subtotal + shipping - total).abs() < 0.001, "totals add up");
    })
    .await;
}

#[tokio::test]
async fn changes_that_do_not_apply_are_refused() {
    bounded(async {
        let sim = start(unlimited(Platform::WooCommerce)).await;
        let id = sim.create_orders(1)[0].external_id.clone();
        assert!(matches!(
            sim.update_order(&id, Change::Pay),
            Err(SimError::InvalidChange { .. })
        ));
        assert!(matches!(
            sim.update_order("nope", Change::Cancel),
            Err(SimError::UnknownOrder(_))
        ));
        let first = sim.update_order(&id, Change::AddressChange).unwrap();
        let second = sim.update_order(&id, Change::Refund).unwrap();
        assert!(second > first, "every change moves the updated time forward");
        assert_eq!(sim.order(&id).unwrap()["status"], "refunded");
        assert!(
            Platform::ALL
                .iter()
                .all(|p| p.code().parse::<Platform>().unwrap() == *p)
        );
        let wrong = SimConfig {
            credentials: ordo_sim::Credentials::default_for(Platform::Amazon),
            ..SimConfig::new(Platform::Shopify)
        };
        assert!(matches!(
            ordo_sim::Simulator::start(wrong).await,
            Err(SimError::InvalidConfig(_))
        ));
    })
    .await;
}
