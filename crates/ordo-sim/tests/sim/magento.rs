//! Magento 2 / Adobe Commerce REST `V1` as a connector sees it.

use ordo_sim::{Change, Platform, RateLimits, Sim, SimConfig, WriteBackKind};
use serde_json::{Value, json};

use crate::common::{SMALL_LIMIT_RECOVERY, assert_exactly_once, bounded, client, small_limit, start, unlimited};

const FILTER: &str = "searchCriteria[filter_groups][0][filters][0]";

fn url(sim: &Sim, path: &str) -> String {
    format!("{}/rest/V1/{path}", sim.base_url())
}

fn authed(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.bearer_auth("sim-magento-token")
}

async fn search(sim: &Sim, query: &[(String, String)]) -> reqwest::Response {
    authed(client().get(url(sim, "orders")))
        .query(query)
        .send()
        .await
        .unwrap()
}

fn updated_since(since: &str, size: usize, page: usize) -> Vec<(String, String)> {
    vec![
        (format!("{FILTER}[field]"), "updated_at".into()),
        (format!("{FILTER}[value]"), since.into()),
        (format!("{FILTER}[condition_type]"), "gteq".into()),
        ("searchCriteria[sortOrders][0][field]".into(), "updated_at".into()),
        ("searchCriteria[sortOrders][0][direction]".into(), "ASC".into()),
        ("searchCriteria[pageSize]".into(), size.to_string()),
        ("searchCriteria[currentPage]".into(), page.to_string()),
    ]
}

#[tokio::test]
async fn a_wrong_token_is_refused_in_magentos_shape() {
    bounded(async {
        let sim = start(unlimited(Platform::Magento)).await;
        let refused = client()
            .get(url(&sim, "orders"))
            .bearer_auth("nope")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let body: Value = refused.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("isn't authorized"));
    })
    .await;
}

#[tokio::test]
async fn the_search_pages_by_total_count_and_a_page_past_the_end_repeats_the_last() {
    bounded(async {
        let sim = start(unlimited(Platform::Magento)).await;
        let expected: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
        assert_eq!(expected[0], "000000001", "increment ids keep their zeros");
        let since = (chrono::Utc::now() - chrono::Duration::hours(1))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let mut seen = Vec::new();
        for page in 1..=3 {
            let body: Value = search(&sim, &updated_since(&since, 2, page))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(body["total_count"], 5);
            assert_eq!(body["search_criteria"]["current_page"], page);
            seen.extend(
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["increment_id"].as_str().unwrap().to_owned()),
            );
        }
        assert_exactly_once(&seen, &expected);
        let past: Value = search(&sim, &updated_since(&since, 2, 9)).await.json().await.unwrap();
        assert_eq!(past["items"][0]["increment_id"], expected[4]);

        let order = sim.order(&expected[0]).unwrap();
        assert_eq!(order["entity_id"], 1);
        let by_entity: Value = authed(client().get(url(&sim, "orders/1")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(by_entity, order);
        let by_increment = vec![
            (format!("{FILTER}[field]"), "increment_id".to_owned()),
            (format!("{FILTER}[value]"), expected[2].clone()),
            (format!("{FILTER}[condition_type]"), "eq".to_owned()),
        ];
        let found: Value = search(&sim, &by_increment).await.json().await.unwrap();
        assert_eq!(found["total_count"], 1);
        assert_eq!(found["items"][0]["increment_id"], expected[2]);
        let bad = vec![(format!("{FILTER}[field]"), "colour".to_owned())];
        assert_eq!(search(&sim, &bad).await.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn a_configured_limit_answers_429_with_retry_after() {
    bounded(async {
        let config = SimConfig {
            rate_limits: RateLimits {
                api: small_limit(1),
                order_items: None,
            },
            ..SimConfig::new(Platform::Magento)
        };
        let sim = start(config).await;
        assert_eq!(search(&sim, &[]).await.status(), 200);
        let refused = search(&sim, &[]).await;
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "1");
        tokio::time::sleep(SMALL_LIMIT_RECOVERY).await;
        assert_eq!(search(&sim, &[]).await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn ship_cancel_and_stock_items_are_validated_then_recorded() {
    bounded(async {
        let sim = start(unlimited(Platform::Magento)).await;
        let orders = sim.create_orders(3);
        let (shipped, cancelled, refunded) = (&orders[0].external_id, &orders[1].external_id, &orders[2].external_id);
        sim.update_order(refunded, Change::Refund).unwrap();
        let order = sim.order(shipped).unwrap();
        let item = order["items"][0].clone();
        let ship = |body: Value| authed(client().post(url(&sim, "order/1/ship"))).json(&body).send();
        let track = json!([{"track_number": "1Z5", "title": "UPS", "carrier_code": "ups"}]);
        let too_many = json!({"items": [{"order_item_id": item["item_id"], "qty": 99}], "tracks": track});
        assert_eq!(ship(too_many).await.unwrap().status(), 400);
        let no_carrier = json!({"tracks": [{"track_number": "1Z5", "title": "UPS"}]});
        assert_eq!(ship(no_carrier).await.unwrap().status(), 400);
        let shipment = ship(json!({"notify": true, "tracks": track})).await.unwrap();
        assert_eq!(shipment.status(), 200);
        assert!(shipment.json::<Value>().await.unwrap().is_u64());
        assert_eq!(ship(json!({"tracks": track})).await.unwrap().status(), 400);
        let after = sim.order(shipped).unwrap();
        assert_eq!(after["state"], "complete");
        assert_eq!(after["items"][0]["qty_shipped"], after["items"][0]["qty_ordered"]);

        let cancel = |entity: u64| authed(client().post(url(&sim, &format!("orders/{entity}/cancel")))).send();
        assert_eq!(cancel(2).await.unwrap().json::<Value>().await.unwrap(), json!(true));
        assert_eq!(cancel(3).await.unwrap().json::<Value>().await.unwrap(), json!(false));
        assert_eq!(sim.order(cancelled).unwrap()["state"], "canceled");

        let sku = sim.config().skus[1].clone();
        let stock: Value = authed(client().get(url(&sim, &format!("stockItems/{sku}"))))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stock["qty"], 100);
        let put = |item_id: &Value, body: Value| {
            authed(client().put(url(&sim, &format!("products/{sku}/stockItems/{item_id}"))))
                .json(&body)
                .send()
        };
        assert_eq!(
            put(&json!(999), json!({"stockItem": {"qty": 1}}))
                .await
                .unwrap()
                .status(),
            400
        );
        assert_eq!(
            put(&stock["item_id"], json!({"stockItem": {"qty": "lots"}}))
                .await
                .unwrap()
                .status(),
            400
        );
        let ok = put(&stock["item_id"], json!({"stockItem": {"qty": 3, "is_in_stock": true}}))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let missing = authed(client().get(url(&sim, "stockItems/NOPE"))).send().await.unwrap();
        assert_eq!(missing.status(), 404);

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
        assert_eq!(sim.stats().writebacks_rejected, 5);
    })
    .await;
}
