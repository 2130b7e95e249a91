//! BigCommerce Orders v2 and inventory v3 as a connector sees them.

use ordo_sim::{BIGCOMMERCE_STORE_HASH, Platform, RateLimits, Sim, SimConfig, WriteBackKind};
use serde_json::{Value, json};

use crate::common::{SMALL_LIMIT_RECOVERY, assert_exactly_once, bounded, client, small_limit, start, unlimited};

fn url(sim: &Sim, path: &str) -> String {
    format!("{}/stores/{BIGCOMMERCE_STORE_HASH}/{path}", sim.base_url())
}

fn authed(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request
        .header("x-auth-token", "sim-bigcommerce-token")
        .header("accept", "application/json")
}

async fn get(sim: &Sim, path: &str) -> reqwest::Response {
    authed(client().get(url(sim, path))).send().await.unwrap()
}

#[tokio::test]
async fn a_wrong_token_or_store_is_refused() {
    bounded(async {
        let sim = start(unlimited(Platform::BigCommerce)).await;
        let wrong = client()
            .get(url(&sim, "v2/orders"))
            .header("x-auth-token", "nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        let other_store = authed(client().get(format!("{}/stores/other/v2/orders", sim.base_url())))
            .send()
            .await
            .unwrap();
        assert_eq!(other_store.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn orders_page_by_modification_with_204_past_the_end_and_sub_resources_apart() {
    bounded(async {
        let sim = start(unlimited(Platform::BigCommerce)).await;
        let expected: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
        let since = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc2822();
        let mut seen = Vec::new();
        for page in 1.. {
            let response = authed(client().get(url(&sim, "v2/orders")))
                .query(&[
                    ("min_date_modified", since.as_str()),
                    ("sort", "date_modified:asc"),
                    ("limit", "2"),
                    ("page", &page.to_string()),
                ])
                .send()
                .await
                .unwrap();
            if page == 4 {
                assert_eq!(response.status(), 204);
                assert!(response.bytes().await.unwrap().is_empty());
                break;
            }
            let orders: Vec<Value> = response.json().await.unwrap();
            for order in &orders {
                assert_eq!(
                    order["products"]["resource"],
                    format!("/orders/{}/products", order["id"])
                );
                assert!(chrono::DateTime::parse_from_rfc2822(order["date_modified"].as_str().unwrap()).is_ok());
                seen.push(order["id"].to_string());
            }
        }
        assert_exactly_once(&seen, &expected);

        let id = &expected[0];
        let products: Vec<Value> = get(&sim, &format!("v2/orders/{id}/products"))
            .await
            .json()
            .await
            .unwrap();
        let document = sim.order(id).unwrap();
        assert_eq!(Value::Array(products.clone()), document["products"]);
        assert!(products[0]["price_ex_tax"].as_str().unwrap().ends_with("00"));
        let addresses: Vec<Value> = get(&sim, &format!("v2/orders/{id}/shipping_addresses"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(addresses.len(), 1);
        assert_eq!(products[0]["order_address_id"], addresses[0]["id"]);
        let past = get(&sim, &format!("v2/orders/{id}/products?page=2&limit=250")).await;
        assert_eq!(past.status(), 204);
    })
    .await;
}

#[tokio::test]
async fn the_store_quota_answers_429_with_the_reset_in_milliseconds() {
    bounded(async {
        let config = SimConfig {
            rate_limits: RateLimits {
                api: small_limit(2),
                order_items: None,
            },
            ..SimConfig::new(Platform::BigCommerce)
        };
        let sim = start(config).await;
        let first = get(&sim, "v2/orders").await;
        assert_eq!(first.headers()["x-rate-limit-requests-left"], "1");
        get(&sim, "v2/orders").await;
        let refused = get(&sim, "v2/orders").await;
        assert_eq!(refused.status(), 429);
        let reset_ms: u64 = refused.headers()["x-rate-limit-time-reset-ms"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=600).contains(&reset_ms), "{reset_ms}");
        assert_eq!(refused.headers()["x-rate-limit-requests-quota"], "2");
        tokio::time::sleep(SMALL_LIMIT_RECOVERY).await;
        assert_eq!(get(&sim, "v2/orders").await.status(), 204);
        assert_eq!(sim.stats().rate_limited, 1);
    })
    .await;
}

#[tokio::test]
async fn shipments_cancellation_and_stock_are_validated_then_recorded() {
    bounded(async {
        let sim = start(unlimited(Platform::BigCommerce)).await;
        let orders = sim.create_orders(2);
        let (shipped, cancelled) = (&orders[0].external_id, &orders[1].external_id);
        let document = sim.order(shipped).unwrap();
        let address = document["shipping_addresses"][0]["id"].clone();
        let items: Vec<Value> = document["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"order_product_id": p["id"], "quantity": p["quantity"]}))
            .collect();
        let post = |body: Value| {
            authed(client().post(url(&sim, &format!("v2/orders/{shipped}/shipments"))))
                .json(&body)
                .send()
        };
        let body = json!({"order_address_id": address, "tracking_number": "1Z9", "shipping_provider": "",
                          "tracking_carrier": "ups", "items": items});
        let mut wrong_address = body.clone();
        wrong_address["order_address_id"] = json!(1);
        assert_eq!(post(wrong_address).await.unwrap().status(), 400);
        let mut too_many = body.clone();
        too_many["items"][0]["quantity"] = json!(99);
        assert_eq!(post(too_many).await.unwrap().status(), 400);
        let created = post(body.clone()).await.unwrap();
        assert_eq!(created.status(), 201);
        assert_eq!(created.json::<Value>().await.unwrap()["tracking_number"], "1Z9");
        // Everything has shipped: the same shipment again is refused.
        assert_eq!(post(body).await.unwrap().status(), 400);
        let after = sim.order(shipped).unwrap();
        assert_eq!(after["status_id"], 2);
        assert_eq!(
            after["products"][0]["quantity_shipped"],
            after["products"][0]["quantity"]
        );

        let cancel = |id: &str, body: Value| {
            authed(client().put(url(&sim, &format!("v2/orders/{id}"))))
                .json(&body)
                .send()
        };
        assert_eq!(cancel(cancelled, json!({"status_id": 10})).await.unwrap().status(), 400);
        let done: Value = cancel(cancelled, json!({"status_id": 5}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(done["status_id"], 5);

        let sku = sim.config().skus[0].clone();
        let adjust = |items: Value| {
            authed(client().put(url(&sim, "v3/inventory/adjustments/absolute")))
                .json(&json!({"reason": "count", "items": items}))
                .send()
        };
        let elsewhere = adjust(json!([{"location_id": 2, "sku": sku, "quantity": 1}]))
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), 422);
        let unknown = adjust(json!([{"location_id": 1, "sku": "NOPE", "quantity": 1}]))
            .await
            .unwrap();
        assert_eq!(unknown.status(), 422);
        let ok = adjust(json!([{"location_id": 1, "sku": sku, "quantity": 7}]))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert!(ok.json::<Value>().await.unwrap()["transaction_id"].is_string());

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
                (WriteBackKind::Stock, sku),
            ]
        );
        assert_eq!(sim.stats().writebacks_rejected, 6);
    })
    .await;
}
