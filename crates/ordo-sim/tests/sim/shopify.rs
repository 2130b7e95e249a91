//! Shopify Admin REST 2024-10 as a connector sees it.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ordo_sim::{Change, Platform, RateLimits, SHOPIFY_LOCATION_ID, Sim, SimConfig, WriteBackKind};
use serde_json::{Value, json};

use crate::common::{
    Receiver, SMALL_LIMIT_PER_SECOND, assert_exactly_once, bounded, client, signature_verifies, small_limit, start,
    unlimited,
};

const TOKEN: &str = "shpat_sim_token";

fn url(sim: &Sim, path: &str) -> String {
    format!("{}/admin/api/2024-10/{path}", sim.base_url())
}

async fn get(sim: &Sim, path_and_query: &str) -> reqwest::Response {
    client()
        .get(url(sim, path_and_query))
        .header("X-Shopify-Access-Token", TOKEN)
        .send()
        .await
        .unwrap()
}

async fn post(sim: &Sim, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(url(sim, path))
        .header("X-Shopify-Access-Token", TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The URL of the `rel="next"` link, if any.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let (url, rel) = link.split_once(">; ")?;
    (rel == "rel=\"next\"").then(|| url.trim_start_matches('<').to_owned())
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_refused_with_401() {
    bounded(async {
        let sim = start(unlimited(Platform::Shopify)).await;
        for token in [None, Some("wrong")] {
            let mut request = client().get(url(&sim, "orders.json?status=any"));
            if let Some(token) = token {
                request = request.header("X-Shopify-Access-Token", token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401);
            let body: Value = response.json().await.unwrap();
            assert!(
                body["errors"]
                    .as_str()
                    .unwrap()
                    .contains("Invalid API key or access token")
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_listing_pages_every_order_exactly_once_while_orders_arrive() {
    bounded(async {
        let sim = start(unlimited(Platform::Shopify)).await;
        let mut expected: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
        let since = (Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
        let first = get(
            &sim,
            &format!("orders.json?status=any&updated_at_min={since}&order=updated_at+asc&limit=2"),
        )
        .await;
        assert_eq!(first.status(), 200);
        let mut next = next_link(&first);
        let body: Value = first.json().await.unwrap();
        let mut seen: Vec<String> = body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].to_string())
            .collect();
        // Orders created between page requests must still be served, on a later page.
        expected.extend(sim.create_orders(3).into_iter().map(|o| o.external_id));
        let mut previous_updated = String::new();
        while let Some(link) = next {
            assert!(
                !link.contains("status="),
                "a page_info link carries only limit and page_info"
            );
            let response = client()
                .get(&link)
                .header("X-Shopify-Access-Token", TOKEN)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            next = next_link(&response);
            let body: Value = response.json().await.unwrap();
            for order in body["orders"].as_array().unwrap() {
                let updated = order["updated_at"].as_str().unwrap().to_owned();
                let updated_t = DateTime::parse_from_rfc3339(&updated).unwrap();
                if !previous_updated.is_empty() {
                    assert!(updated_t >= DateTime::parse_from_rfc3339(&previous_updated).unwrap());
                }
                previous_updated = updated;
                seen.push(order["id"].to_string());
            }
        }
        assert_exactly_once(&seen, &expected);
    })
    .await;
}

#[tokio::test]
async fn updated_at_min_is_inclusive_and_page_info_refuses_other_filters() {
    bounded(async {
        let sim = start(unlimited(Platform::Shopify)).await;
        let created = sim.create_orders(3);
        let last = sim.order(&created[2].external_id).unwrap();
        let bound = last["updated_at"].as_str().unwrap().replace('+', "%2B");
        let body: Value = get(&sim, &format!("orders.json?status=any&updated_at_min={bound}"))
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<String> = body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].to_string())
            .collect();
        assert!(ids.contains(&created[2].external_id), "the bound itself is included");

        let response = get(&sim, "orders.json?status=any&limit=1").await;
        let link = next_link(&response).expect("a next page");
        let with_filter = format!("{link}&status=any");
        let response = client()
            .get(with_filter)
            .header("X-Shopify-Access-Token", TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);

        // The default status is "open": a cancelled order needs status=any.
        sim.update_order(&created[0].external_id, Change::Cancel).unwrap();
        let open: Value = get(&sim, "orders.json").await.json().await.unwrap();
        assert_eq!(open["orders"].as_array().unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn the_bucket_answers_429_with_retry_after_and_recovers() {
    bounded(async {
        let config = SimConfig {
            rate_limits: RateLimits {
                api: small_limit(3),
                order_items: None,
            },
            ..SimConfig::new(Platform::Shopify)
        };
        let sim = start(config).await;
        for used in 1..=3 {
            let response = get(&sim, "orders.json?status=any").await;
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()["x-shopify-shop-api-call-limit"],
                format!("{used}/3").as_str()
            );
        }
        let refused = get(&sim, "orders.json?status=any").await;
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["x-shopify-shop-api-call-limit"], "3/3");
        let wait: f64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(
            wait > 0.0 && wait <= 1.0 / SMALL_LIMIT_PER_SECOND + 0.001,
            "Retry-After {wait}"
        );
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        assert_eq!(get(&sim, "orders.json?status=any").await.status(), 200);
        assert_eq!(sim.stats().rate_limited, 1);
    })
    .await;
}

#[tokio::test]
async fn webhooks_are_signed_and_follow_every_change() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(SimConfig {
            webhook: receiver.target(),
            ..unlimited(Platform::Shopify)
        })
        .await;
        let orders = sim.create_orders(3);
        sim.update_order(&orders[0].external_id, Change::Cancel).unwrap();
        sim.update_order(&orders[1].external_id, Change::Refund).unwrap();
        sim.update_order(&orders[2].external_id, Change::AddressChange).unwrap();
        let received = receiver.wait_for(6).await;
        let mut topics: HashMap<String, Vec<Value>> = HashMap::new();
        for hook in &received {
            assert!(signature_verifies(&hook.body, &hook.header("x-shopify-hmac-sha256")));
            assert_eq!(hook.header("x-shopify-shop-domain"), "ordo-sim.myshopify.com");
            assert!(!hook.header("x-shopify-webhook-id").is_empty());
            assert!(DateTime::parse_from_rfc3339(&hook.header("x-shopify-triggered-at")).is_ok());
            topics
                .entry(hook.header("x-shopify-topic"))
                .or_default()
                .push(hook.json());
        }
        assert_eq!(topics["orders/create"].len(), 3);
        assert_eq!(topics["orders/cancelled"][0]["id"].to_string(), orders[0].external_id);
        assert!(topics["orders/cancelled"][0]["cancelled_at"].is_string());
        let refund = &topics["refunds/create"][0];
        assert_eq!(refund["order_id"].to_string(), orders[1].external_id);
        assert!(!refund["refund_line_items"].as_array().unwrap().is_empty());
        assert_eq!(topics["orders/updated"][0]["id"].to_string(), orders[2].external_id);
        // The refund is followed by a fetch of the order, which now shows it refunded.
        let order: Value = get(&sim, &format!("orders/{}.json", orders[1].external_id))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(order["order"]["financial_status"], "refunded");
        for _ in 0..100 {
            if sim.stats().webhooks_sent == 6 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(sim.stats().webhooks_sent, 6);
        assert!(sim.webhook_deliveries().iter().all(|d| d.delivered && d.attempts == 1));
    })
    .await;
}

#[tokio::test]
async fn a_rename_reaches_served_and_pushed_orders() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(SimConfig {
            webhook: receiver.target(),
            ..unlimited(Platform::Shopify)
        })
        .await;
        sim.rename_field("line_items[].sku", "line_items[].seller_sku").unwrap();
        let id = sim.create_orders(1)[0].external_id.clone();
        let served: Value = get(&sim, &format!("orders/{id}.json")).await.json().await.unwrap();
        let pushed = receiver.wait_for(1).await[0].json();
        for order in [&served["order"], &pushed] {
            for line in order["line_items"].as_array().unwrap() {
                assert!(line.get("sku").is_none());
                assert!(line["seller_sku"].as_str().unwrap().starts_with("SKU-"));
            }
        }
        sim.clear_renames();
        let served: Value = get(&sim, &format!("orders/{id}.json")).await.json().await.unwrap();
        assert!(served["order"]["line_items"][0]["sku"].is_string());
    })
    .await;
}

#[tokio::test]
async fn writebacks_are_validated_then_recorded() {
    bounded(async {
        let sim = start(unlimited(Platform::Shopify)).await;
        let orders = sim.create_orders(2);
        let (shipped, cancelled) = (&orders[0].external_id, &orders[1].external_id);

        let fos: Value = get(&sim, &format!("orders/{shipped}/fulfillment_orders.json"))
            .await
            .json()
            .await
            .unwrap();
        let fo = &fos["fulfillment_orders"][0];
        assert_eq!(fo["status"], "open");
        assert!(fo["line_items"][0]["fulfillable_quantity"].as_u64().unwrap() >= 1);
        let bad = post(
            &sim,
            "fulfillments.json",
            json!({"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}}),
        )
        .await;
        assert_eq!(bad.status(), 400);
        assert!(sim.writebacks().is_empty());
        let fulfillment = json!({"fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}],
            "tracking_info": {"number": "1Z999", "company": "UPS", "url": "https://ups.example/1Z999"},
            "notify_customer": true,
        }});
        let good = post(&sim, "fulfillments.json", fulfillment.clone()).await;
        assert_eq!(good.status(), 201);
        let body: Value = good.json().await.unwrap();
        assert_eq!(body["fulfillment"]["tracking_number"], "1Z999");
        assert_eq!(
            post(&sim, "fulfillments.json", fulfillment).await.status(),
            422,
            "a closed fulfillment order cannot be fulfilled again"
        );
        assert_eq!(sim.order(shipped).unwrap()["fulfillment_status"], "fulfilled");

        assert_eq!(
            post(
                &sim,
                &format!("orders/{cancelled}/cancel.json"),
                json!({"reason": "bored"})
            )
            .await
            .status(),
            422
        );
        let response = post(
            &sim,
            &format!("orders/{cancelled}/cancel.json"),
            json!({"reason": "other"}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert!(body["order"]["cancelled_at"].is_string());

        let products: Value = get(&sim, "products.json?fields=id,variants&limit=250")
            .await
            .json()
            .await
            .unwrap();
        let variant = &products["products"][0]["variants"][0];
        assert!(
            products["products"][0].get("title").is_none(),
            "fields= keeps only the fields asked for"
        );
        let item = variant["inventory_item_id"].clone();
        let level = json!({"location_id": SHOPIFY_LOCATION_ID, "inventory_item_id": item, "available": 7});
        assert_eq!(post(&sim, "inventory_levels/set.json", level).await.status(), 200);
        let unknown = json!({"location_id": SHOPIFY_LOCATION_ID, "inventory_item_id": 1, "available": 7});
        assert_eq!(post(&sim, "inventory_levels/set.json", unknown).await.status(), 422);

        let kinds: Vec<(WriteBackKind, String)> = sim
            .writebacks()
            .into_iter()
            .map(|w| (w.kind, w.external_id_or_sku))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (WriteBackKind::Tracking, shipped.clone()),
                (WriteBackKind::Cancel, cancelled.clone()),
                (WriteBackKind::Stock, variant["sku"].as_str().unwrap().to_owned()),
            ]
        );
        assert_eq!(sim.stats().writebacks_rejected, 4);
    })
    .await;
}
