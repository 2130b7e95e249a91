//! Amazon SP-API (Login with Amazon, Orders v0 and 2026-01-01, write-backs) as a
//! connector sees it.

use chrono::Utc;
use ordo_sim::{AmazonSettings, Platform, RateLimits, Sim, SimConfig, WriteBackKind};
use serde_json::{Value, json};

use crate::common::{SMALL_LIMIT_RECOVERY, assert_exactly_once, bounded, client, small_limit, start, unlimited};

const MARKETPLACE: &str = "ATVPDKIKX0DER";

async fn access_token(sim: &Sim) -> String {
    let response = client()
        .post(format!("{}/auth/o2/token", sim.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "Atzr|sim-refresh"),
            ("client_id", "amzn1.application-oa2-client.sim"),
            ("client_secret", "sim-client-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get(sim: &Sim, token: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .header("x-amz-access-token", token)
        .send()
        .await
        .unwrap()
}

fn since() -> String {
    (Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn bad_credentials_and_tokens_are_refused_in_amazon_shapes() {
    bounded(async {
        let sim = start(unlimited(Platform::Amazon)).await;
        let wrong_secret = client()
            .post(format!("{}/auth/o2/token", sim.base_url()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "Atzr|sim-refresh"),
                ("client_id", "amzn1.application-oa2-client.sim"),
                ("client_secret", "nope"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_secret.status(), 401);
        assert_eq!(wrong_secret.json::<Value>().await.unwrap()["error"], "invalid_client");

        let path = format!(
            "/orders/v0/orders?MarketplaceIds={MARKETPLACE}&LastUpdatedAfter={}",
            since()
        );
        let refused = get(&sim, "Atza|forged", &path).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(
            refused.json::<Value>().await.unwrap()["errors"][0]["code"],
            "Unauthorized"
        );

        let token = access_token(&sim).await;
        assert_eq!(get(&sim, &token, &path).await.status(), 200);
        sim.expire_tokens();
        let expired = get(&sim, &token, &path).await;
        assert_eq!(expired.status(), 403);
        let body: Value = expired.json().await.unwrap();
        assert!(body["errors"][0]["details"].as_str().unwrap().contains("expired"));
    })
    .await;
}

#[tokio::test]
async fn v0_next_token_pages_cover_every_order_once_and_items_page_too() {
    bounded(async {
        let config = SimConfig {
            amazon: AmazonSettings {
                order_items_page_size: 1,
                ..AmazonSettings::default()
            },
            ..unlimited(Platform::Amazon)
        };
        let sim = start(config).await;
        let token = access_token(&sim).await;
        let mut expected: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
        let mut path = format!(
            "/orders/v0/orders?MarketplaceIds={MARKETPLACE}&LastUpdatedAfter={}&MaxResultsPerPage=2",
            since()
        );
        let mut seen = Vec::new();
        let mut first = true;
        loop {
            let body: Value = get(&sim, &token, &path).await.json().await.unwrap();
            let payload = &body["payload"];
            assert!(payload["LastUpdatedBefore"].is_string());
            for order in payload["Orders"].as_array().unwrap() {
                assert_eq!(order["OrderStatus"], "Unshipped");
                seen.push(order["AmazonOrderId"].as_str().unwrap().to_owned());
            }
            if first {
                expected.extend(sim.create_orders(2).into_iter().map(|o| o.external_id));
                first = false;
            }
            match payload["NextToken"].as_str() {
                Some(next) => path = format!("/orders/v0/orders?MarketplaceIds={MARKETPLACE}&NextToken={next}"),
                None => break,
            }
        }
        assert_exactly_once(&seen, &expected);

        // Items come one per page here, so the connector must follow NextToken.
        let id = &expected[0];
        let document = sim.order(id).unwrap();
        let mut items = Vec::new();
        let mut path = format!("/orders/v0/orders/{id}/orderItems");
        loop {
            let body: Value = get(&sim, &token, &path).await.json().await.unwrap();
            assert_eq!(body["payload"]["AmazonOrderId"], id.as_str());
            items.extend(body["payload"]["OrderItems"].as_array().unwrap().iter().cloned());
            match body["payload"]["NextToken"].as_str() {
                Some(next) => path = format!("/orders/v0/orders/{id}/orderItems?NextToken={next}"),
                None => break,
            }
        }
        assert_eq!(Value::Array(items), document["OrderItems"]);
    })
    .await;
}

#[tokio::test]
async fn search_orders_2026_pages_with_pagination_token_and_carries_items() {
    bounded(async {
        let sim = start(unlimited(Platform::Amazon)).await;
        let token = access_token(&sim).await;
        let mut expected: Vec<String> = sim.create_orders(3).into_iter().map(|o| o.external_id).collect();
        let base = format!(
            "/orders/2026-01-01/orders?marketplaceIds={MARKETPLACE}&lastUpdatedAfter={}&maxResultsPerPage=2",
            since()
        );
        let mut path = base.clone();
        let mut seen = Vec::new();
        loop {
            let body: Value = get(&sim, &token, &path).await.json().await.unwrap();
            assert!(body["lastUpdatedBefore"].is_string());
            for order in body["orders"].as_array().unwrap() {
                assert!(!order["orderItems"].as_array().unwrap().is_empty());
                assert!(order["orderItems"][0]["product"]["sellerSku"].is_string());
                seen.push(order["orderId"].as_str().unwrap().to_owned());
            }
            if seen.len() == 2 {
                expected.extend(sim.create_orders(1).into_iter().map(|o| o.external_id));
            }
            match body["pagination"]["nextToken"].as_str() {
                Some(next) => {
                    path = format!("/orders/2026-01-01/orders?marketplaceIds={MARKETPLACE}&paginationToken={next}")
                }
                None => break,
            }
        }
        assert_exactly_once(&seen, &expected);
        let missing = get(
            &sim,
            &token,
            &format!("/orders/2026-01-01/orders?marketplaceIds={MARKETPLACE}"),
        )
        .await;
        assert_eq!(missing.status(), 400);
        assert_eq!(
            missing.json::<Value>().await.unwrap()["errors"][0]["code"],
            "InvalidInput"
        );
    })
    .await;
}

#[tokio::test]
async fn quota_exceeded_has_no_retry_after_and_each_operation_has_its_own_bucket() {
    bounded(async {
        let config = SimConfig {
            rate_limits: RateLimits {
                api: small_limit(2),
                order_items: small_limit(5),
            },
            ..SimConfig::new(Platform::Amazon)
        };
        let sim = start(config).await;
        let token = access_token(&sim).await;
        let id = sim.create_orders(1)[0].external_id.clone();
        let path = format!(
            "/orders/v0/orders?MarketplaceIds={MARKETPLACE}&LastUpdatedAfter={}",
            since()
        );
        assert_eq!(get(&sim, &token, &path).await.status(), 200);
        assert_eq!(get(&sim, &token, &path).await.status(), 200);
        let refused = get(&sim, &token, &path).await;
        assert_eq!(refused.status(), 429);
        assert!(refused.headers().get("retry-after").is_none());
        assert_eq!(refused.headers()["x-amzn-ratelimit-limit"], "2");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "QuotaExceeded");
        // getOrderItems has its own budget.
        assert_eq!(
            get(&sim, &token, &format!("/orders/v0/orders/{id}/orderItems"))
                .await
                .status(),
            200
        );
        tokio::time::sleep(SMALL_LIMIT_RECOVERY).await;
        assert_eq!(get(&sim, &token, &path).await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn confirm_shipment_and_listings_patch_are_validated_then_recorded() {
    bounded(async {
        let sim = start(unlimited(Platform::Amazon)).await;
        let token = access_token(&sim).await;
        let id = sim.create_orders(1)[0].external_id.clone();
        let document = sim.order(&id).unwrap();
        let item = &document["OrderItems"][0];
        let confirm = |body: Value| {
            client()
                .post(format!("{}/orders/v0/orders/{id}/shipmentConfirmation", sim.base_url()))
                .header("x-amz-access-token", &token)
                .json(&body)
                .send()
        };
        let mut body = json!({"marketplaceId": MARKETPLACE, "packageDetail": {
            "packageReferenceId": "1", "carrierCode": "UPS", "shipDate": "2026-04-01T10:00:00Z",
            "orderItems": [{"orderItemId": item["OrderItemId"], "quantity": item["QuantityOrdered"]}],
        }});
        let refused = confirm(body.clone()).await.unwrap();
        assert_eq!(refused.status(), 400);
        assert_eq!(refused.json::<Value>().await.unwrap()["errors"][0]["code"], "InvalidInput");
        body["packageDetail"]["trackingNumber"] = json!("1Z42");
        assert_eq!(confirm(body).await.unwrap().status(), 204);
        assert_eq!(sim.order(&id).unwrap()["OrderStatus"], "Shipped");

        let sku = sim.config().skus[1].clone();
        let patch = |quantity: Value| {
            client()
                .patch(format!("{}/listings/2021-08-01/items/A2SIMSELLER0001/{sku}?marketplaceIds={MARKETPLACE}", sim.base_url()))
                .header("x-amz-access-token", &token)
                .json(&json!({"productType": "PRODUCT", "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}]}]}))
                .send()
        };
        assert_eq!(patch(json!("lots")).await.unwrap().status(), 400);
        let accepted: Value = patch(json!(9)).await.unwrap().json().await.unwrap();
        assert_eq!(accepted["status"], "ACCEPTED");
        assert_eq!(accepted["sku"], sku.as_str());

        let kinds: Vec<(WriteBackKind, String)> = sim.writebacks().into_iter().map(|w| (w.kind, w.external_id_or_sku)).collect();
        assert_eq!(kinds, vec![(WriteBackKind::Tracking, id.clone()), (WriteBackKind::Stock, sku)]);
        assert_eq!(sim.stats().writebacks_rejected, 2);
    })
    .await;
}

#[tokio::test]
async fn a_rename_inside_order_items_reaches_get_order_items() {
    bounded(async {
        let sim = start(unlimited(Platform::Amazon)).await;
        let token = access_token(&sim).await;
        let id = sim.create_orders(1)[0].external_id.clone();
        sim.rename_field("OrderItems[].SellerSKU", "OrderItems[].Sku").unwrap();
        let body: Value = get(&sim, &token, &format!("/orders/v0/orders/{id}/orderItems"))
            .await
            .json()
            .await
            .unwrap();
        let item = &body["payload"]["OrderItems"][0];
        assert!(item.get("SellerSKU").is_none());
        assert!(item["Sku"].as_str().unwrap().starts_with("SKU-"));
    })
    .await;
}

#[tokio::test]
async fn the_address_is_restricted_data_served_only_with_a_token_for_that_order() {
    bounded(async {
        let sim = start(unlimited(Platform::Amazon)).await;
        let token = access_token(&sim).await;
        let ids: Vec<String> = sim.create_orders(2).into_iter().map(|o| o.external_id).collect();
        let order: Value = get(&sim, &token, &format!("/orders/v0/orders/{}", ids[0]))
            .await
            .json()
            .await
            .unwrap();
        let region = &order["payload"]["ShippingAddress"];
        assert!(
            region["CountryCode"].is_string() && region["City"].is_string(),
            "{region}"
        );
        assert!(
            region.get("AddressLine1").is_none() && region.get("Name").is_none(),
            "{region}"
        );

        let address = |id: &str| format!("/orders/v0/orders/{id}/address");
        assert_eq!(
            get(&sim, &token, &address(&ids[0])).await.status(),
            403,
            "the access token is not enough"
        );
        let rdt: Value = client()
            .post(format!("{}/tokens/2021-03-01/restrictedDataToken", sim.base_url()))
            .header("x-amz-access-token", &token)
            .json(&json!({"restrictedResources": [{"method": "GET", "path": address(&ids[0])}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rdt = rdt["restrictedDataToken"].as_str().unwrap();
        assert!(rdt.starts_with("Atz.sprdt|"));
        let full: Value = get(&sim, rdt, &address(&ids[0])).await.json().await.unwrap();
        assert_eq!(full["payload"]["AmazonOrderId"], ids[0].as_str());
        assert!(full["payload"]["ShippingAddress"]["AddressLine1"].is_string(), "{full}");
        assert_eq!(full["payload"]["ShippingAddress"]["City"], region["City"]);
        assert_eq!(
            get(&sim, rdt, &address(&ids[1])).await.status(),
            403,
            "one order's token opens only it"
        );
    })
    .await;
}
