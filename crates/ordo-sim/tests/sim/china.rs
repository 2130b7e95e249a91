//! The five Chinese router platforms as a connector sees them: signed calls, windows,
//! page numbers, envelopes, HTTP-200 errors and the "send" write-backs.

use chrono::{DateTime, Utc};
use ordo_sim::{Change, Platform, RateLimits, SimConfig, WriteBackKind, sign_router};
use serde_json::{Value, json};

use crate::common::{SMALL_LIMIT_RECOVERY, assert_exactly_once, bounded, client, small_limit, start, unlimited};
use crate::router::{ROUTERS, call, error_code, list_method, list_params, read_page, ship, signed};

#[tokio::test]
async fn wrong_signatures_and_app_keys_are_refused_in_each_platform_shape() {
    bounded(async {
        for platform in ROUTERS {
            let sim = start(unlimited(platform)).await;
            let now = Utc::now();
            let params = list_params(platform, now, now, 1, 10);
            let bad_sign = call(
                &sim,
                list_method(platform),
                params.clone(),
                "wrong-secret",
                "sim-app-key",
            )
            .await;
            let expected = match platform {
                Platform::Taobao => "25",
                Platform::Jd => "22",
                Platform::Douyin => "30005",
                Platform::Pinduoduo => "10017",
                _ => "1002",
            };
            assert_eq!(error_code(platform, &bad_sign), expected, "{platform}: {bad_sign}");
            let bad_key = call(&sim, list_method(platform), params, "sim-app-secret", "someone-else").await;
            let expected = match platform {
                Platform::Taobao => "29",
                Platform::Jd => "19",
                Platform::Douyin => "30001",
                Platform::Pinduoduo => "10016",
                _ => "1001",
            };
            assert_eq!(error_code(platform, &bad_key), expected, "{platform}: {bad_key}");
        }
    })
    .await;
}

#[tokio::test]
async fn each_window_listing_returns_every_order_once_while_orders_arrive() {
    bounded(async {
        for platform in ROUTERS {
            let sim = start(unlimited(platform)).await;
            let mut expected: Vec<String> = sim.create_orders(5).into_iter().map(|o| o.external_id).collect();
            let (start_t, end_t) = (
                Utc::now() - chrono::Duration::minutes(10),
                Utc::now() + chrono::Duration::minutes(10),
            );
            let size = 2;
            let mut seen = Vec::new();
            let mut page = 1;
            loop {
                let body = signed(
                    &sim,
                    list_method(platform),
                    list_params(platform, start_t, end_t, page, size),
                )
                .await;
                let (ids, more) = read_page(platform, &body, page, size);
                seen.extend(ids);
                if page == 1 {
                    expected.extend(sim.create_orders(2).into_iter().map(|o| o.external_id));
                }
                if !more {
                    break;
                }
                page += 1;
            }
            assert_exactly_once(&seen, &expected);
        }
    })
    .await;
}

#[tokio::test]
async fn window_bounds_are_inclusive_at_the_platform_precision() {
    bounded(async {
        for platform in ROUTERS {
            let sim = start(unlimited(platform)).await;
            let id = sim.create_orders(1)[0].external_id.clone();
            let doc = sim.order(&id).unwrap();
            let updated = match platform {
                Platform::Taobao | Platform::Jd | Platform::Pinduoduo => {
                    let field = if platform == Platform::Pinduoduo {
                        "updated_at"
                    } else {
                        "modified"
                    };
                    let text = doc[field].as_str().unwrap();
                    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                        .unwrap()
                        .and_utc()
                        - chrono::Duration::hours(8)
                }
                Platform::Douyin => DateTime::from_timestamp(doc["update_time"].as_i64().unwrap(), 0).unwrap(),
                _ => DateTime::from_timestamp_millis(doc["updateTime"].as_i64().unwrap()).unwrap(),
            };
            let body = signed(
                &sim,
                list_method(platform),
                list_params(platform, updated, updated, 1, 10),
            )
            .await;
            let (ids, _) = read_page(platform, &body, 1, 10);
            assert_eq!(ids, vec![id], "{platform}: [t, t] holds the order updated at t");
        }
    })
    .await;
}

#[tokio::test]
async fn each_rate_limit_is_an_http_200_error_that_clears() {
    bounded(async {
        for platform in ROUTERS {
            let config = SimConfig {
                rate_limits: RateLimits {
                    api: small_limit(2),
                    order_items: None,
                },
                ..SimConfig::new(platform)
            };
            let sim = start(config).await;
            let now = Utc::now();
            let params = list_params(platform, now, now, 1, 10);
            for _ in 0..2 {
                let body = signed(&sim, list_method(platform), params.clone()).await;
                read_page(platform, &body, 1, 10);
            }
            let limited = signed(&sim, list_method(platform), params.clone()).await;
            let expected = match platform {
                Platform::Taobao => "7",
                Platform::Jd => "67",
                Platform::Douyin => "50002",
                Platform::Pinduoduo => "70031",
                _ => "1009",
            };
            assert_eq!(error_code(platform, &limited), expected, "{platform}: {limited}");
            tokio::time::sleep(SMALL_LIMIT_RECOVERY).await;
            let body = signed(&sim, list_method(platform), params).await;
            read_page(platform, &body, 1, 10);
            assert_eq!(sim.stats().rate_limited, 1);
        }
    })
    .await;
}

#[tokio::test]
async fn tracking_writebacks_are_validated_then_recorded_and_shown() {
    bounded(async {
        for platform in ROUTERS {
            let sim = start(unlimited(platform)).await;
            let id = sim.create_orders(1)[0].external_id.clone();
            let (method, biz) = ship(platform, &id, None);
            let refused = signed(&sim, method, biz).await;
            assert!(!error_code(platform, &refused).is_empty(), "{platform}: {refused}");
            assert!(sim.writebacks().is_empty());
            let (method, biz) = ship(platform, &id, Some("SF1234"));
            let accepted = signed(&sim, method, biz).await;
            let ok = match platform {
                Platform::Taobao => accepted["logistics_offline_send_response"]["shipping"]["is_success"] == true,
                Platform::Jd => {
                    accepted["jingdong_pop_order_shipment_responce"]["sopjosshipment_result"]["success"] == true
                }
                Platform::Douyin => accepted["code"] == 10000,
                Platform::Pinduoduo => accepted["logistics_online_send_response"]["is_success"] == true,
                _ => accepted["success"] == true,
            };
            assert!(ok, "{platform}: {accepted}");
            let writebacks = sim.writebacks();
            assert_eq!(writebacks.len(), 1);
            assert_eq!(
                (writebacks[0].kind, writebacks[0].external_id_or_sku.as_str()),
                (WriteBackKind::Tracking, id.as_str())
            );
            assert!(writebacks[0].body.to_string().contains("SF1234"));
            assert!(writebacks[0].body.get("sign").is_none());
            let doc = sim.order(&id).unwrap();
            let shipped = match platform {
                Platform::Taobao => doc["status"] == "WAIT_BUYER_CONFIRM_GOODS",
                Platform::Jd => doc["orderState"] == "WAIT_GOODS_RECEIVE_CONFIRM",
                Platform::Douyin => doc["order_status"] == 3,
                Platform::Pinduoduo => doc["order_status"] == 2,
                _ => doc["orderStatus"] == 6,
            };
            assert!(shipped, "{platform}: {doc}");
        }
    })
    .await;
}

#[tokio::test]
async fn xiaohongshu_detail_and_receiver_are_separate_calls_and_take_renames() {
    bounded(async {
        let sim = start(unlimited(Platform::Xiaohongshu)).await;
        let id = sim.create_orders(1)[0].external_id.clone();
        sim.rename_field("receiver.receiverName", "receiver.name").unwrap();
        let detail = signed(&sim, "order.getOrderDetail", json!({"orderId": id})).await;
        assert!(detail["data"]["skuList"][0]["erpcode"].as_str().unwrap().starts_with("SKU-"));
        assert!(detail["data"].get("receiver").is_none());
        let receiver = signed(&sim, "order.getOrderReceiverInfo", json!({"orderId": id})).await;
        assert!(receiver["data"]["name"].is_string());
        assert!(receiver["data"].get("receiverName").is_none());
        let missing = signed(&sim, "order.getOrderDetail", json!({"orderId": "P0"})).await;
        assert_eq!(error_code(Platform::Xiaohongshu, &missing), "2001");

        // A JSON body is signed over its values as text, like a form.
        let mut params = json!({"appId": "sim-app-key", "method": "order.getOrderDetail", "timestamp": Utc::now().timestamp(), "orderId": id});
        let text: Vec<(String, String)> = params.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect();
        params["sign"] = json!(sign_router("sim-app-secret", text));
        let response: Value = client().post(format!("{}/api/sns/v3/", sim.base_url())).json(&params).send().await.unwrap().json().await.unwrap();
        assert_eq!(response["success"], true, "{response}");
    })
    .await;
}

#[tokio::test]
async fn jd_and_pinduoduo_list_orders_only_once_paid() {
    bounded(async {
        for platform in [Platform::Jd, Platform::Pinduoduo] {
            let sim = start(unlimited(platform)).await;
            let id = sim.create_unpaid_orders(1)[0].external_id.clone();
            let window = || {
                list_params(
                    platform,
                    Utc::now() - chrono::Duration::minutes(5),
                    Utc::now() + chrono::Duration::minutes(5),
                    1,
                    10,
                )
            };
            let body = signed(&sim, list_method(platform), window()).await;
            assert!(read_page(platform, &body, 1, 10).0.is_empty());
            sim.update_order(&id, Change::Pay).unwrap();
            let body = signed(&sim, list_method(platform), window()).await;
            assert_eq!(read_page(platform, &body, 1, 10).0, vec![id]);
        }
    })
    .await;
}

#[tokio::test]
async fn pinduoduo_refuses_windows_over_thirty_minutes() {
    bounded(async {
        let sim = start(unlimited(Platform::Pinduoduo)).await;
        let now = Utc::now();
        let body = signed(
            &sim,
            list_method(Platform::Pinduoduo),
            list_params(Platform::Pinduoduo, now - chrono::Duration::minutes(31), now, 1, 10),
        )
        .await;
        assert_eq!(error_code(Platform::Pinduoduo, &body), "10000");
    })
    .await;
}

#[tokio::test]
async fn douyin_also_takes_param_json_as_the_raw_json_body() {
    bounded(async {
        let sim = start(unlimited(Platform::Douyin)).await;
        let ids: Vec<String> = sim.create_orders(2).into_iter().map(|o| o.external_id).collect();
        let now = Utc::now();
        let body = json!({"update_time_start": now.timestamp() - 600, "update_time_end": now.timestamp() + 600, "page": 0, "size": 10}).to_string();
        let mut query = vec![
            ("app_key".to_owned(), "sim-app-key".to_owned()),
            ("method".to_owned(), "order.searchList".to_owned()),
            ("timestamp".to_owned(), now.timestamp().to_string()),
            ("v".to_owned(), "2".to_owned()),
            ("sign_method".to_owned(), "hmac-sha256".to_owned()),
        ];
        let mut signed_set = query.clone();
        signed_set.push(("param_json".to_owned(), body.clone()));
        query.push(("sign".to_owned(), sign_router("sim-app-secret", signed_set)));
        let response: Value = client()
            .post(format!("{}/order/searchList", sim.base_url()))
            .query(&query)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (seen, more) = read_page(Platform::Douyin, &response, 1, 10);
        assert!(!more);
        assert_exactly_once(&seen, &ids);
    })
    .await;
}
