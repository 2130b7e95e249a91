//! WeChat Channels and Kuaishou: tokens and signatures checked, quota answers in each
//! platform's shape, and write-backs validated before they are recorded.

use base64::Engine;
use hmac::{Hmac, Mac};
use ordo_sim::{Platform, RateLimits, SimConfig};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::{bounded, client, small_limit, start, unlimited};

async fn wechat_token(base: &str) -> String {
    let url = format!("{base}/cgi-bin/token?grant_type=client_credential&appid=sim-app-key&secret=sim-app-secret");
    let body: Value = client().get(url).send().await.unwrap().json().await.unwrap();
    body["access_token"].as_str().expect("a token").to_owned()
}

async fn wechat_post(base: &str, path: &str, token: &str, body: Value) -> Value {
    let url = format!("{base}{path}?access_token={token}");
    client()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn wechat_sells_tokens_for_the_secret_and_refuses_calls_without_one() {
    bounded(async {
        let sim = start(unlimited(Platform::Wechat)).await;
        let base = sim.base_url();
        let wrong: Value = client()
            .get(format!(
                "{base}/cgi-bin/token?grant_type=client_credential&appid=sim-app-key&secret=x"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(wrong["errcode"], 40125);
        let refused = wechat_post(&base, "/channels/ec/order/get", "nope", json!({"order_id": "1"})).await;
        assert_eq!(refused["errcode"], 40001);
        let id = sim.create_orders(1)[0].external_id.clone();
        let token = wechat_token(&base).await;
        let got = wechat_post(&base, "/channels/ec/order/get", &token, json!({"order_id": id})).await;
        assert_eq!(got["errcode"], 0);
        assert_eq!(got["order"]["order_id"], json!(id), "ids are text");
    })
    .await;
}

#[tokio::test]
async fn wechat_pages_ids_by_next_key_and_answers_45009_over_quota() {
    bounded(async {
        let sim = start(unlimited(Platform::Wechat)).await;
        let base = sim.base_url();
        let ids: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
        let token = wechat_token(&base).await;
        let now = chrono::Utc::now().timestamp();
        let range = json!({"start_time": now - 60, "end_time": now + 60});
        let (mut seen, mut key) = (Vec::new(), String::new());
        loop {
            let page = wechat_post(
                &base,
                "/channels/ec/order/list/get",
                &token,
                json!({"update_time_range": range, "page_size": 2, "next_key": key}),
            )
            .await;
            seen.extend(
                page["order_id_list"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned()),
            );
            if page["has_more"] != true {
                break;
            }
            key = page["next_key"].as_str().unwrap().to_owned();
        }
        assert_eq!(seen, ids);

        let limited = start(SimConfig {
            rate_limits: RateLimits {
                api: small_limit(1),
                order_items: None,
            },
            ..SimConfig::new(Platform::Wechat)
        })
        .await;
        let token = wechat_token(&limited.base_url()).await;
        let body = json!({"update_time_range": range});
        wechat_post(&limited.base_url(), "/channels/ec/order/list/get", &token, body.clone()).await;
        let over = wechat_post(&limited.base_url(), "/channels/ec/order/list/get", &token, body).await;
        assert_eq!(over["errcode"], 45009);
    })
    .await;
}

#[tokio::test]
async fn wechat_refuses_a_shipment_without_the_orders_products_and_records_a_good_one() {
    bounded(async {
        let sim = start(unlimited(Platform::Wechat)).await;
        let base = sim.base_url();
        let id = sim.create_orders(1)[0].external_id.clone();
        let token = wechat_token(&base).await;
        let order = sim.order(&id).unwrap();
        let products: Vec<Value> = order["order_detail"]["product_infos"].as_array().unwrap().iter()
            .map(|p| json!({"product_id": p["product_id"], "sku_id": p["sku_id"], "product_cnt": p["sku_cnt"]}))
            .collect();
        let path = "/channels/ec/order/delivery/send";
        let bad = wechat_post(&base, path, &token,
            json!({"order_id": id, "delivery_list": [{"delivery_id": "SF", "waybill_id": "W1", "product_infos": []}]})).await;
        assert_ne!(bad["errcode"], 0);
        let good = wechat_post(&base, path, &token,
            json!({"order_id": id, "delivery_list": [{"delivery_id": "SF", "waybill_id": "W1", "deliver_type": 1, "product_infos": products}]})).await;
        assert_eq!(good["errcode"], 0, "{good}");
        assert_eq!(sim.writebacks().len(), 1);
        assert_eq!(sim.stats().writebacks_rejected, 1);
        assert_eq!(sim.order(&id).unwrap()["status"], 30);
        let stock = wechat_post(&base, "/channels/ec/product/stock/update", &token,
            json!({"product_id": products[0]["product_id"], "sku_id": products[0]["sku_id"], "diff_type": 3, "num": 7})).await;
        assert_eq!(stock["errcode"], 0, "{stock}");
    })
    .await;
}

/// A signed Kuaishou call's form.
fn kuaishou_form(method: &str, param: &Value, token: &str) -> Vec<(String, String)> {
    let param = param.to_string();
    let timestamp = chrono::Utc::now().timestamp_millis().to_string();
    let text = format!(
        "access_token={token}&appkey=sim-app-key&method={method}&param={param}&signMethod=HMAC_SHA256&timestamp={timestamp}&version=1&signSecret=sim-app-secret"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(b"sim-app-secret").unwrap();
    mac.update(text.as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    [
        ("appkey", "sim-app-key"),
        ("method", method),
        ("param", &param),
        ("signMethod", "HMAC_SHA256"),
        ("timestamp", &timestamp),
        ("version", "1"),
        ("access_token", token),
        ("sign", &sign),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

async fn kuaishou(base: &str, method: &str, param: Value, token: &str) -> Value {
    let url = format!("{base}/{}", method.replace('.', "/"));
    let form = kuaishou_form(method, &param, token);
    client()
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn kuaishou_checks_the_signature_and_token_and_pages_by_cursor() {
    bounded(async {
        let sim = start(unlimited(Platform::Kuaishou)).await;
        let base = sim.base_url();
        let ids: Vec<String> = sim.create_orders(3).into_iter().map(|o| o.external_id).collect();
        let now = chrono::Utc::now().timestamp_millis();
        let mut param =
            json!({"beginTime": now - 60_000, "endTime": now + 60_000, "queryType": 2, "pageSize": 2, "cursor": ""});
        let refused = kuaishou(&base, "open.order.cursor.list", param.clone(), "wrong").await;
        assert_eq!(refused["result"], 24);
        let mut seen = Vec::new();
        loop {
            let page = kuaishou(&base, "open.order.cursor.list", param.clone(), "sim-kuaishou-token").await;
            assert_eq!(page["result"], 1, "{page}");
            for order in page["data"]["orderList"].as_array().unwrap() {
                seen.push(order["orderBaseInfo"]["oid"].to_string());
                assert!(order["orderItemInfo"].is_object(), "one SKU per order");
            }
            let cursor = page["data"]["cursor"].as_str().unwrap().to_owned();
            if cursor == "nomore" {
                break;
            }
            param["cursor"] = json!(cursor);
        }
        assert_eq!(seen, ids);
        let form = {
            let mut form = kuaishou_form("open.order.detail", &json!({"oid": 1}), "sim-kuaishou-token");
            form.last_mut().unwrap().1.push('x');
            form
        };
        let forged: Value = client()
            .post(format!("{base}/open/order/detail"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(forged["result"], 25);
        let shipped = kuaishou(
            &base,
            "open.seller.order.goods.deliver",
            json!({"orderId": ids[0].parse::<u64>().unwrap(), "expressNo": "SF1", "expressCode": "SF"}),
            "sim-kuaishou-token",
        )
        .await;
        assert_eq!(shipped["result"], 1, "{shipped}");
        let again = kuaishou(
            &base,
            "open.seller.order.goods.deliver",
            json!({"orderId": ids[0].parse::<u64>().unwrap(), "expressNo": "SF1", "expressCode": "SF"}),
            "sim-kuaishou-token",
        )
        .await;
        assert!(again["error_msg"].as_str().unwrap().contains("已发货"));
        assert_eq!(sim.writebacks().len(), 1);
    })
    .await;
}
