//! The Chinese routers: signed requests with each platform's common parameters, windows
//! (Pinduoduo's 30-minute limit), windows cut when a page is not enough, paging where
//! they cannot be cut, Xiaohongshu's detail + receiver document, error envelopes, and
//! tracking write-back. Stock and cancellation write-backs are in `china/stock.rs`.

mod common;
#[path = "china/stock.rs"]
mod stock;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use common::router::{Responder, Router, list_path};
use common::{APP_SECRET, MemorySink, config, requests_to, text};
use hmac::Mac;
use ordo_connect::{Connector, Platform, PushError, WriteBack, sign_router};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

const ALL: [Platform; 5] = [
    Platform::Taobao,
    Platform::Jd,
    Platform::Douyin,
    Platform::Pinduoduo,
    Platform::Xiaohongshu,
];

async fn serve(platform: Platform) -> (MockServer, Arc<Router>) {
    let server = MockServer::start().await;
    let router = Router::new(platform);
    Mock::given(method("POST"))
        .respond_with(Responder(Arc::clone(&router)))
        .mount(&server)
        .await;
    (server, router)
}

fn whole_second(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).unwrap()
}

fn id(platform: Platform, n: u32) -> String {
    match platform {
        Platform::Taobao => format!("40123456789{n:08}"),
        Platform::Jd => format!("2987{n:08}"),
        Platform::Douyin => format!("692{n:016}"),
        Platform::Pinduoduo => format!("260618-{n:015}"),
        _ => format!("P7{n:017}"),
    }
}

fn id_key(platform: Platform) -> &'static str {
    match platform {
        Platform::Taobao => "tid_str",
        Platform::Jd | Platform::Xiaohongshu => "orderId",
        Platform::Douyin => "order_id",
        _ => "order_sn",
    }
}

fn connector(platform: Platform, server: &MockServer, sink: &Arc<MemorySink>, page_size: Option<u32>) -> Connector {
    let mut config = config(platform.as_str(), platform, &server.uri());
    config.page_size = page_size;
    Connector::new(config, sink.clone()).unwrap()
}

#[tokio::test]
async fn every_router_request_is_signed_and_carries_the_platforms_common_parameters() {
    for platform in ALL {
        let (server, router) = serve(platform).await;
        let mut order = router.add(&id(platform, 1), whole_second(Utc::now() - TimeDelta::minutes(10)));
        if platform == Platform::Xiaohongshu {
            // The receiver as order.getOrderReceiverInfo answers it, with its order id.
            order["receiver"]["orderId"] = order["orderId"].clone();
        }
        let sink = MemorySink::new();

        let report = connector(platform, &server, &sink, None).poll_once().await.unwrap();

        assert_eq!(report.orders, 1, "{platform}");
        assert_eq!(*router.bad_signatures.lock().unwrap(), 0, "{platform}");
        // Xiaohongshu's document is the detail with the receiver joined in.
        assert_eq!(sink.payloads(), [order], "{platform}");
        assert_eq!(sink.ingested()[0].mapping, format!("{platform}.order"));
        assert!(
            !requests_to(&server, list_path(platform)).await.is_empty(),
            "{platform}"
        );

        let params = &router.calls()[0].params;
        let (method_key, app_key, session_key, fixed): (_, _, _, &[(&str, &str)]) = match platform {
            Platform::Taobao => ("method", "app_key", "session", &[("format", "json"), ("v", "2.0")]),
            Platform::Jd => ("method", "app_key", "access_token", &[("format", "json"), ("v", "2.0")]),
            Platform::Douyin => ("method", "app_key", "access_token", &[("v", "2")]),
            Platform::Pinduoduo => (
                "type",
                "client_id",
                "access_token",
                &[("data_type", "JSON"), ("version", "V1")],
            ),
            _ => ("method", "appId", "accessToken", &[("version", "2.0")]),
        };
        assert_eq!(params[method_key], common::router::list_method(platform));
        assert_eq!(params[app_key], "app-key");
        assert_eq!(params[session_key], "session-token");
        assert_eq!(params["sign_method"], "hmac-sha256");
        for (key, value) in fixed {
            assert_eq!(params[*key], *value, "{platform} {key}");
        }
        let timestamp = &params["timestamp"];
        match platform {
            Platform::Pinduoduo | Platform::Xiaohongshu => {
                assert!((timestamp.parse::<i64>().unwrap() - Utc::now().timestamp()).abs() < 60)
            }
            _ => {
                let local = chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%d %H:%M:%S").unwrap();
                let off = local.and_utc() - TimeDelta::hours(8) - Utc::now();
                assert!(off.num_seconds().abs() < 60, "{timestamp} is Beijing time");
            }
        }
        // The cursor is the end of the window read, a minute (the safety lag) ago.
        let cursor: DateTime<Utc> = sink.cursor(platform.as_str()).unwrap()["updated_after"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let lag = Utc::now() - cursor;
        assert!(
            lag >= TimeDelta::seconds(60) && lag < TimeDelta::seconds(70),
            "{platform}: {lag}"
        );
    }
}

#[test]
fn the_signature_is_upper_hex_hmac_sha256_over_sorted_key_value_pairs() {
    let params: BTreeMap<String, String> = [
        ("timestamp", "2024-05-01 10:00:00"),
        ("app_key", "12345678"),
        ("method", "taobao.trades.sold.increment.get"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"app-secret").unwrap();
    mac.update(b"app_key12345678methodtaobao.trades.sold.increment.gettimestamp2024-05-01 10:00:00");
    assert_eq!(
        sign_router(APP_SECRET, &params),
        hex::encode_upper(mac.finalize().into_bytes())
    );
}

#[tokio::test]
async fn pinduoduo_windows_are_at_most_thirty_minutes_and_each_moves_the_cursor() {
    let (server, router) = serve(Platform::Pinduoduo).await;
    let now = Utc::now();
    for (n, minutes_ago) in [(1, 111), (2, 51), (3, 7)] {
        router.add(
            &id(Platform::Pinduoduo, n),
            whole_second(now - TimeDelta::minutes(minutes_ago)),
        );
    }
    let sink = MemorySink::new();
    let cursor = now - TimeDelta::hours(2);
    sink.set_cursor("pinduoduo", json!({"updated_after": cursor.to_rfc3339()}));

    let report = connector(Platform::Pinduoduo, &server, &sink, None)
        .poll_once()
        .await
        .unwrap();

    assert_eq!(report.orders, 3);
    let windows = router.windows();
    assert_eq!(
        windows.len(),
        5,
        "2 h + 5 min overlap - 1 min lag in 30-minute windows: {windows:?}"
    );
    assert_eq!(windows[0].0, whole_second(cursor - TimeDelta::minutes(5)));
    for pair in windows.windows(2) {
        assert_eq!(pair[0].1, pair[1].0, "windows touch");
    }
    assert!(windows.iter().all(|(from, to)| *to - *from <= TimeDelta::minutes(30)));
    // The cursor is saved after each window, at its end.
    let saves = sink.saves();
    assert_eq!(saves.len(), windows.len());
    for ((_, saved), (_, end)) in saves.iter().zip(&windows) {
        let saved: DateTime<Utc> = saved["updated_after"].as_str().unwrap().parse().unwrap();
        assert_eq!(whole_second(saved), *end);
    }
}

#[tokio::test]
async fn a_window_that_needs_more_than_one_page_is_cut_until_each_piece_fits_one() {
    let (server, router) = serve(Platform::Taobao).await;
    let now = Utc::now();
    let mut ids = BTreeSet::new();
    for (n, minutes_ago) in [55, 45, 35, 25, 15, 10, 5].into_iter().enumerate() {
        let id = id(Platform::Taobao, n as u32);
        router.add(&id, whole_second(now - TimeDelta::minutes(minutes_ago)));
        ids.insert(id);
    }
    let sink = MemorySink::new();

    connector(Platform::Taobao, &server, &sink, Some(2))
        .poll_once()
        .await
        .unwrap();

    assert_eq!(sink.ids("tid_str").into_iter().collect::<BTreeSet<_>>(), ids);
    let calls = router.calls();
    assert!(calls.len() > 4);
    assert!(
        calls.iter().all(|c| text(&c.business["page_no"]) == "1"),
        "every piece fit one page"
    );
}

#[tokio::test]
async fn a_second_too_busy_to_cut_is_paged_through_by_total() {
    for platform in [Platform::Jd, Platform::Douyin, Platform::Xiaohongshu] {
        let (server, router) = serve(platform).await;
        let at = whole_second(Utc::now() - TimeDelta::minutes(10));
        let ids: BTreeSet<String> = (0..5).map(|n| id(platform, n)).collect();
        for id in &ids {
            router.add(id, at);
        }
        let sink = MemorySink::new();

        connector(platform, &server, &sink, Some(2)).poll_once().await.unwrap();

        let got: BTreeSet<String> = sink.ids(id_key(platform)).into_iter().collect();
        assert_eq!(got, ids, "{platform}");
        let page_key = match platform {
            Platform::Xiaohongshu => "pageNo",
            _ => "page",
        };
        let last_page = if platform == Platform::Douyin { "2" } else { "3" };
        assert!(
            router
                .calls()
                .iter()
                .any(|c| c.business.get(page_key).map(text).as_deref() == Some(last_page)),
            "{platform}"
        );
    }
}

#[tokio::test]
async fn rate_limit_envelopes_wait_and_refusals_are_permanent() {
    let limited = [
        (
            Platform::Taobao,
            json!({"error_response": {"code": 7, "msg": "App Call Limited", "sub_code": "accesscontrol.limited-by-app-access-count"}}),
        ),
        (Platform::Douyin, json!({"code": 50002, "msg": "请求太频繁"})),
        (
            Platform::Pinduoduo,
            json!({"error_response": {"error_code": 70031, "error_msg": "调用过于频繁"}}),
        ),
    ];
    for (platform, answer) in limited {
        let (server, router) = serve(platform).await;
        router.script(answer);
        let report = connector(platform, &server, &MemorySink::new(), None)
            .poll_once()
            .await
            .unwrap();
        assert_eq!((report.rate_limited, report.retries), (1, 1), "{platform}");
    }
    let refused = [
        (
            Platform::Jd,
            json!({"error_response": {"code": "62", "zh_desc": "参数错误", "en_desc": "invalid parameter"}}),
            "jd_62",
        ),
        (
            Platform::Xiaohongshu,
            json!({"success": false, "error_code": -100, "msg": "参数错误"}),
            "xiaohongshu_-100",
        ),
    ];
    for (platform, answer, code) in refused {
        let (server, router) = serve(platform).await;
        router.script(answer);
        let connector = connector(platform, &server, &MemorySink::new(), None);
        let error = connector.poll_once().await.unwrap_err();
        assert_eq!(error.code(), "rejected", "{platform}");
        assert!(error.to_string().contains(code), "{error}");
        assert_eq!(router.calls().len(), 1, "no retries of a refusal");
        assert_eq!(connector.status().last_error.unwrap().code, "rejected");
    }
}

#[tokio::test]
async fn tracking_goes_through_each_router_and_cancellation_only_through_taobao() {
    for platform in ALL {
        let (server, router) = serve(platform).await;
        let connector = connector(platform, &server, &MemorySink::new(), None);
        let order = id(platform, 9);
        let tracking = WriteBack::Tracking {
            external_order_id: order.clone(),
            carrier: "ZTO".into(),
            tracking_number: "73100000001".into(),
            tracking_url: None,
            shipped_at: Utc::now(),
            lines: vec![],
        };
        connector.push(&tracking).await.unwrap();

        let call = router.calls().pop().unwrap();
        let (method, keys) = match platform {
            Platform::Taobao => ("taobao.logistics.offline.send", ["tid", "out_sid", "company_code"]),
            Platform::Jd => ("jingdong.pop.order.shipment", ["order_id", "logi_no", "logi_coprId"]),
            Platform::Douyin => ("order.logisticsAdd", ["order_id", "logistics_code", "company"]),
            Platform::Pinduoduo => (
                "pdd.logistics.online.send",
                ["order_sn", "tracking_number", "logistics_id"],
            ),
            _ => ("order.orderDeliver", ["orderId", "expressNo", "expressCompanyCode"]),
        };
        assert_eq!(call.method, method);
        let sent: Vec<String> = keys.iter().map(|k| text(&call.business[*k])).collect();
        assert_eq!(sent, [order.as_str(), "73100000001", "ZTO"], "{platform}");
        if platform == Platform::Douyin {
            assert_eq!(requests_to(&server, "/order/logisticsAdd").await.len(), 1);
        }

        let cancel = WriteBack::Cancel {
            external_order_id: order,
            reason: None,
        };
        // Only Taobao has a seller cancellation (`taobao.trade.close`, tested below).
        if platform != Platform::Taobao {
            assert!(matches!(
                connector.push(&cancel).await,
                Err(PushError::Unsupported { message }) if message.contains("no seller cancellation")
                    || message.contains("only review")
            ));
        }
        // Douyin's push names orders to fetch one by one (`order.orderDetail`); the other
        // router platforms are only polled.
        if platform != Platform::Douyin {
            assert!(matches!(connector.fetch_order("1").await, Err(e) if e.code() == "unsupported"));
        }
    }
}
