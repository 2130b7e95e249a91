//! WeChat Channels shop connector: the access token bought once and renewed once when the
//! API calls it expired, `next_key` paging, rate-limit answers, the shipment body, and a
//! poll of the simulator whose documents all map to their stated totals.

mod common;

use common::mapped::canonical;
use common::{MemorySink, config, query, requests_to};
use ordo_connect::{Connector, Platform, WriteBack};
use ordo_sim::{Change, SimConfig, Simulator};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture_order(id: &str) -> Value {
    let mut body: Value = serde_json::from_str(include_str!(
        "../../ordo-mapping/tests/fixtures/wechat_channels_order_get.json"
    ))
    .unwrap();
    body["order"]["order_id"] = json!(id);
    body
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn mount_token(server: &MockServer, tokens: &[&str]) {
    for (n, token) in tokens.iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .and(path("/cgi-bin/token"))
            .and(query_param("grant_type", "client_credential"))
            .and(query_param("appid", "app-key"))
            .and(query_param("secret", common::APP_SECRET))
            .respond_with(ok(json!({"access_token": token, "expires_in": 7200})));
        // Each token is sold once, in order; the last one from then on.
        if n + 1 < tokens.len() {
            mock.up_to_n_times(1).mount(server).await;
        } else {
            mock.mount(server).await;
        }
    }
}

#[tokio::test]
async fn orders_are_listed_by_next_key_and_fetched_one_by_one_with_one_token() {
    let server = MockServer::start().await;
    mount_token(&server, &["T1"]).await;
    let list = "/channels/ec/order/list/get";
    Mock::given(path(list))
        .and(body_partial_json(json!({"next_key": "", "page_size": 2})))
        .respond_with(ok(
            json!({"errcode": 0, "order_id_list": ["101", "102"], "next_key": "k1", "has_more": true}),
        ))
        .mount(&server)
        .await;
    Mock::given(path(list))
        .and(body_partial_json(json!({"next_key": "k1"})))
        .respond_with(ok(
            json!({"errcode": 0, "order_id_list": ["103"], "next_key": "k2", "has_more": false}),
        ))
        .mount(&server)
        .await;
    for id in ["101", "102", "103"] {
        Mock::given(path("/channels/ec/order/get"))
            .and(query_param("access_token", "T1"))
            .and(body_partial_json(json!({"order_id": id})))
            .respond_with(ok(fixture_order(id)))
            .mount(&server)
            .await;
    }
    let sink = MemorySink::new();
    let mut config = config("wx", Platform::Wechat, &server.uri());
    config.page_size = Some(2);
    Connector::new(config, sink.clone()).unwrap().poll_once().await.unwrap();

    assert_eq!(sink.ids("order_id"), ["101", "102", "103"]);
    assert!(sink.ingested().iter().all(|i| i.mapping == "wechat.order"));
    assert_eq!(
        requests_to(&server, "/cgi-bin/token").await.len(),
        1,
        "the token is kept"
    );
    let first: Value = serde_json::from_slice(&requests_to(&server, list).await[0].body).unwrap();
    let range = &first["update_time_range"];
    assert!(range["start_time"].as_i64().unwrap() < range["end_time"].as_i64().unwrap());
}

#[tokio::test]
async fn an_expired_token_is_bought_again_once_and_the_call_repeated() {
    let server = MockServer::start().await;
    mount_token(&server, &["OLD", "NEW"]).await;
    Mock::given(path("/channels/ec/order/list/get"))
        .and(query_param("access_token", "OLD"))
        .respond_with(ok(json!({"errcode": 42001, "errmsg": "access_token expired"})))
        .mount(&server)
        .await;
    Mock::given(path("/channels/ec/order/list/get"))
        .and(query_param("access_token", "NEW"))
        .respond_with(ok(
            json!({"errcode": 0, "order_id_list": [], "next_key": "", "has_more": false}),
        ))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    Connector::new(config("wx", Platform::Wechat, &server.uri()), sink)
        .unwrap()
        .poll_once()
        .await
        .unwrap();
    let tokens: Vec<String> = requests_to(&server, "/channels/ec/order/list/get")
        .await
        .iter()
        .map(|r| query(r)["access_token"].clone())
        .collect();
    assert_eq!(tokens, ["OLD", "NEW"]);

    // A token refused right after it was bought is not bought a third time.
    let refused = MockServer::start().await;
    mount_token(&refused, &["A", "B"]).await;
    Mock::given(path("/channels/ec/order/list/get"))
        .respond_with(ok(json!({"errcode": 40001, "errmsg": "invalid credential"})))
        .mount(&refused)
        .await;
    let error = Connector::new(config("wx", Platform::Wechat, &refused.uri()), MemorySink::new())
        .unwrap()
        .poll_once()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("authentication"), "{error}");
    assert_eq!(requests_to(&refused, "/cgi-bin/token").await.len(), 2);
}

#[tokio::test]
async fn quota_answers_45009_and_minus_1_are_waited_out() {
    let server = MockServer::start().await;
    mount_token(&server, &["T"]).await;
    for code in [45009, -1] {
        Mock::given(path("/channels/ec/order/list/get"))
            .and(body_partial_json(json!({"page_size": 100})))
            .respond_with(ok(json!({"errcode": code, "errmsg": "busy"})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    Mock::given(path("/channels/ec/order/list/get"))
        .respond_with(ok(json!({"errcode": 0, "order_id_list": [], "has_more": false})))
        .mount(&server)
        .await;
    let report = Connector::new(config("wx", Platform::Wechat, &server.uri()), MemorySink::new())
        .unwrap()
        .poll_once()
        .await
        .unwrap();
    assert_eq!(report.rate_limited, 2);
}

#[tokio::test]
async fn a_shipment_names_the_carrier_the_waybill_and_every_product_of_the_order() {
    let server = MockServer::start().await;
    mount_token(&server, &["T"]).await;
    Mock::given(path("/channels/ec/order/get"))
        .respond_with(ok(fixture_order("3724917285610843392")))
        .mount(&server)
        .await;
    Mock::given(path("/channels/ec/order/delivery/send"))
        .respond_with(ok(json!({"errcode": 0, "errmsg": "ok"})))
        .mount(&server)
        .await;
    let connector = Connector::new(config("wx", Platform::Wechat, &server.uri()), MemorySink::new()).unwrap();
    connector.push(&tracking("3724917285610843392")).await.unwrap();
    let sent: Value =
        serde_json::from_slice(&requests_to(&server, "/channels/ec/order/delivery/send").await[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"order_id": "3724917285610843392", "delivery_list": [{
            "delivery_id": "SF", "waybill_id": "SF1234", "deliver_type": 1,
            "product_infos": [
                {"product_id": "10000123456789", "sku_id": "1987654321001", "product_cnt": 1},
                {"product_id": "10000123456790", "sku_id": "1987654321002", "product_cnt": 2},
            ],
        }]})
    );
}

fn tracking(id: &str) -> WriteBack {
    WriteBack::Tracking {
        external_order_id: id.into(),
        carrier: "SF".into(),
        tracking_number: "SF1234".into(),
        tracking_url: None,
        shipped_at: chrono::Utc::now(),
        lines: vec![],
    }
}

#[tokio::test]
async fn polling_the_simulator_stores_every_order_once_and_each_maps_to_its_stated_total() {
    let sim = Simulator::start(SimConfig::new(ordo_sim::Platform::Wechat))
        .await
        .unwrap();
    let mut expected: Vec<String> = sim.create_orders(7).into_iter().map(|o| o.external_id).collect();
    expected.extend(sim.create_unpaid_orders(2).into_iter().map(|o| o.external_id));
    sim.update_order(&expected[0], Change::Cancel).unwrap();
    // A change is stamped one second after the order's last time, which may be ahead of
    // the clock: the window the connector reads ends now.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut config = config("wx", Platform::Wechat, &sim.base_url());
    config.app_key = Some("sim-app-key".into());
    config.app_secret = Some("sim-app-secret".into());
    config.page_size = Some(3);
    config.safety_lag_seconds = 0;
    let sink = MemorySink::new();
    let connector = Connector::new(config, sink.clone()).unwrap();
    connector.poll_once().await.unwrap();

    let mut ids = sink.ids("order_id");
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected, "every order exactly once");
    for payload in sink.payloads() {
        let order = canonical("wechat.order", &payload);
        assert_eq!(
            order.stated_total,
            payload["order_detail"]["price_info"]["order_price"].as_i64()
        );
        assert_eq!(order.total_mismatch(), None, "{payload}");
        assert_eq!(
            order.lines.len(),
            payload["order_detail"]["product_infos"].as_array().unwrap().len()
        );
    }
    let paid = sink.payloads().into_iter().find(|p| p["status"] == 20).unwrap();
    let id = common::text(&paid["order_id"]);
    connector.push(&tracking(&id)).await.unwrap();
    assert_eq!(sim.order(&id).unwrap()["status"], 30);
    let writebacks = sim.writebacks();
    assert_eq!(writebacks.len(), 1);
    assert_eq!(writebacks[0].external_id_or_sku, id);
    assert_eq!(sim.stats().writebacks_rejected, 0);
}
