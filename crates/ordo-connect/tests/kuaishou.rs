//! Kuaishou shop connector: signed calls, cursor paging, shipment write-back, and a poll
//! of the simulator whose documents all map to their stated totals.

mod common;

use std::collections::BTreeMap;

use common::mapped::canonical;
use common::{MemorySink, config, form, requests_to};
use ordo_connect::{Connector, Platform, WriteBack, sign_kuaishou};
use ordo_sim::{Change, SimConfig, Simulator};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn listed(oid: u64) -> Value {
    let mut order = serde_json::from_str::<Value>(include_str!(
        "../../ordo-mapping/tests/fixtures/kuaishou_order_detail.json"
    ))
    .unwrap()["data"]
        .clone();
    order["orderBaseInfo"]["oid"] = json!(oid);
    order
}

fn page(cursor: &str, orders: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"result": 1, "error_msg": "", "data": {"cursor": cursor, "orderList": orders}}))
}

#[tokio::test]
async fn the_list_is_signed_and_read_along_its_cursor_until_nomore() {
    let server = MockServer::start().await;
    let list = "/open/order/cursor/list";
    Mock::given(method("POST"))
        .and(path(list))
        .and(|r: &wiremock::Request| form(r)["param"].contains("\"cursor\":\"\""))
        .respond_with(page("c1", vec![listed(11), listed(12)]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(list))
        .and(|r: &wiremock::Request| form(r)["param"].contains("\"cursor\":\"c1\""))
        .respond_with(page("nomore", vec![listed(13)]))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let mut config = config("ks", Platform::Kuaishou, &server.uri());
    config.page_size = Some(2);
    Connector::new(config, sink.clone()).unwrap().poll_once().await.unwrap();

    let ids: Vec<String> = sink
        .payloads()
        .iter()
        .map(|p| p["orderBaseInfo"]["oid"].to_string())
        .collect();
    assert_eq!(ids, ["11", "12", "13"]);
    assert!(sink.ingested().iter().all(|i| i.mapping == "kuaishou.order"));
    let requests = requests_to(&server, list).await;
    assert_eq!(requests.len(), 2);
    let sent = form(&requests[0]);
    for (key, value) in [
        ("appkey", "app-key"),
        ("access_token", "session-token"),
        ("method", "open.order.cursor.list"),
        ("version", "1"),
        ("signMethod", "HMAC_SHA256"),
    ] {
        assert_eq!(sent[key], value, "{key}");
    }
    let param: Value = serde_json::from_str(&sent["param"]).unwrap();
    assert_eq!(param["queryType"], 2, "selected by update time");
    assert_eq!(param["pageSize"], 2);
    assert!(param["beginTime"].as_i64().unwrap() < param["endTime"].as_i64().unwrap());
    let signed: BTreeMap<String, String> = sent.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(sent["sign"], sign_kuaishou(common::APP_SECRET, &signed));
}

#[tokio::test]
async fn a_rate_limit_answer_is_waited_out_and_a_bad_token_is_an_auth_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/open/order/cursor/list"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"result": 2001, "error_msg": "调用过于频繁，触发限流"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/open/order/cursor/list"))
        .respond_with(page("nomore", vec![]))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let report = Connector::new(config("ks", Platform::Kuaishou, &server.uri()), sink.clone())
        .unwrap()
        .poll_once()
        .await
        .unwrap();
    assert_eq!(report.rate_limited, 1);

    let refused = MockServer::start().await;
    Mock::given(path("/open/order/cursor/list"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"result": 24, "error_msg": "access_token 无效或已过期"})),
        )
        .mount(&refused)
        .await;
    let error = Connector::new(config("ks", Platform::Kuaishou, &refused.uri()), sink)
        .unwrap()
        .poll_once()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("authentication"), "{error}");
}

#[tokio::test]
async fn shipment_is_sent_with_order_id_express_number_and_carrier_code() {
    let server = MockServer::start().await;
    Mock::given(path("/open/seller/order/goods/deliver"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": 1, "data": {}})))
        .mount(&server)
        .await;
    let connector = Connector::new(config("ks", Platform::Kuaishou, &server.uri()), MemorySink::new()).unwrap();
    connector
        .push(&WriteBack::Tracking {
            external_order_id: "2417300128845612".into(),
            carrier: "SF".into(),
            tracking_number: "SF1234567890".into(),
            tracking_url: None,
            shipped_at: chrono::Utc::now(),
            lines: vec![],
        })
        .await
        .unwrap();
    let sent = form(&requests_to(&server, "/open/seller/order/goods/deliver").await[0]);
    let param: Value = serde_json::from_str(&sent["param"]).unwrap();
    assert_eq!(
        param,
        json!({"orderId": 2417300128845612u64, "expressNo": "SF1234567890", "expressCode": "SF"})
    );
}

#[tokio::test]
async fn polling_the_simulator_stores_every_order_once_and_each_maps_to_its_stated_total() {
    let sim = Simulator::start(SimConfig::new(ordo_sim::Platform::Kuaishou))
        .await
        .unwrap();
    let mut expected: Vec<String> = sim.create_orders(7).into_iter().map(|o| o.external_id).collect();
    expected.extend(sim.create_unpaid_orders(2).into_iter().map(|o| o.external_id));
    sim.update_order(&expected[0], Change::Cancel).unwrap();
    // A change is stamped one second after the order's last time, which may be ahead of
    // the clock: the window the connector reads ends now.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut config = config("ks", Platform::Kuaishou, &sim.base_url());
    config.app_key = Some("sim-app-key".into());
    config.app_secret = Some("sim-app-secret".into());
    config.session = Some("sim-kuaishou-token".into());
    config.page_size = Some(3);
    // The simulator commits at once: no lag is needed for its orders to be listed.
    config.safety_lag_seconds = 0;
    let sink = MemorySink::new();
    let connector = Connector::new(config, sink.clone()).unwrap();
    connector.poll_once().await.unwrap();

    let mut ids: Vec<String> = sink
        .payloads()
        .iter()
        .map(|p| p["orderBaseInfo"]["oid"].to_string())
        .collect();
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected, "every order exactly once");
    for payload in sink.payloads() {
        let order = canonical("kuaishou.order", &payload);
        assert_eq!(order.stated_total, payload["orderBaseInfo"]["totalFee"].as_i64());
        assert_eq!(order.total_mismatch(), None, "{payload}");
    }
    let paid = sink
        .payloads()
        .into_iter()
        .find(|p| p["orderBaseInfo"]["status"] == 30)
        .unwrap();
    let id = paid["orderBaseInfo"]["oid"].to_string();
    let tracking = WriteBack::Tracking {
        external_order_id: id.clone(),
        carrier: "SF".into(),
        tracking_number: "SF0001".into(),
        tracking_url: None,
        shipped_at: chrono::Utc::now(),
        lines: vec![],
    };
    connector.push(&tracking).await.unwrap();
    // Delivered twice (at least once): the second finds the order shipped.
    connector.push(&tracking).await.unwrap();
    let writebacks = sim.writebacks();
    assert_eq!(writebacks.len(), 1);
    assert_eq!(writebacks[0].external_id_or_sku, id);
    assert_eq!(sim.order(&id).unwrap()["orderBaseInfo"]["status"], 40);
}
