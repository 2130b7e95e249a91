//! The generic warehouse contract: what a submit and a cancel send, and how every kind of
//! answer (created, duplicate, failing, slow, refused) comes back.

use std::time::Duration;

use ordo_connect::wms::{FulfilmentLine, FulfilmentRequest, ShipTo, WmsClient, WmsConfig, WmsError, WmsKind};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REQUEST_ID: &str = "0191a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b";

fn request() -> FulfilmentRequest {
    FulfilmentRequest {
        request_id: REQUEST_ID.into(),
        order_id: "ord-42".into(),
        order_ids: vec![],
        consolidation_id: None,
        channel: "shopify-eu".into(),
        external_order_id: "#1042".into(),
        warehouse: "ams-1".into(),
        ship_to: ShipTo {
            name: "Ada Lovelace".into(),
            phone: Some("+31 20 123 4567".into()),
            email: None,
            country: "NL".into(),
            province: Some("NH".into()),
            city: Some("Amsterdam".into()),
            district: None,
            line1: "Damrak 1".into(),
            line2: None,
            postal_code: Some("1012 LG".into()),
        },
        carrier: Some("PostNL".into()),
        service: None,
        lines: vec![
            FulfilmentLine {
                line_id: Some("l-1".into()),
                order_id: None,
                sku: "MUG-RED".into(),
                quantity: 2,
            },
            FulfilmentLine {
                line_id: None,
                order_id: None,
                sku: "TEE-M".into(),
                quantity: 1,
            },
        ],
        callback_url: Some("https://ordo.example/wms/ams-1".into()),
    }
}

fn client(server: &MockServer) -> WmsClient {
    let mut config = WmsConfig::new("ams-1", WmsKind::Generic, server.uri());
    config.token = Some("wms-token".into());
    config.timeout_ms = 500;
    WmsClient::new(config, reqwest::Client::new()).unwrap()
}

async fn answer_submit(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/fulfilments"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_submit_posts_the_request_as_it_is_with_token_and_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fulfilments"))
        .and(header("authorization", "Bearer wms-token"))
        .and(header("idempotency-key", REQUEST_ID))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "request_id": REQUEST_ID,
            "order_id": "ord-42",
            "channel": "shopify-eu",
            "external_order_id": "#1042",
            "warehouse": "ams-1",
            "ship_to": {
                "name": "Ada Lovelace", "phone": "+31 20 123 4567", "email": null, "country": "NL",
                "province": "NH", "city": "Amsterdam", "district": null, "line1": "Damrak 1",
                "line2": null, "postal_code": "1012 LG"
            },
            "carrier": "PostNL",
            "service": null,
            "lines": [
                {"line_id": "l-1", "sku": "MUG-RED", "quantity": 2},
                {"line_id": null, "sku": "TEE-M", "quantity": 1}
            ],
            "callback_url": "https://ordo.example/wms/ams-1"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"fulfilment_id": "F-1001"})))
        .expect(1)
        .mount(&server)
        .await;

    let submitted = client(&server).submit(&request()).await.unwrap();

    assert_eq!(submitted.remote_id, "F-1001");
}

#[tokio::test]
async fn a_resubmitted_request_answers_the_fulfilment_already_created() {
    let server = MockServer::start().await;
    answer_submit(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"fulfilment_id": "F-1001"})),
    )
    .await;

    assert_eq!(client(&server).submit(&request()).await.unwrap().remote_id, "F-1001");
}

#[tokio::test]
async fn a_conflict_on_the_request_id_is_the_existing_fulfilment() {
    let server = MockServer::start().await;
    answer_submit(
        &server,
        ResponseTemplate::new(409).set_body_json(json!({"fulfilment_id": 1001})),
    )
    .await;

    assert_eq!(client(&server).submit(&request()).await.unwrap().remote_id, "1001");
}

#[tokio::test]
async fn a_conflict_without_an_id_is_permanent() {
    let server = MockServer::start().await;
    answer_submit(
        &server,
        ResponseTemplate::new(409).set_body_json(json!({"error": "sku blocked"})),
    )
    .await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(
        matches!(error, WmsError::Permanent { status: Some(409), .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retryable() {
    let server = MockServer::start().await;
    answer_submit(&server, ResponseTemplate::new(500).set_body_string("database down")).await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(error.is_retryable());
    assert!(
        matches!(&error, WmsError::Retryable { status: Some(500), message, retry_after: None }
        if message.contains("database down"))
    );
}

#[tokio::test]
async fn rate_limits_are_retryable_after_the_delay_asked() {
    let server = MockServer::start().await;
    answer_submit(&server, ResponseTemplate::new(429).insert_header("retry-after", "7")).await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert_eq!(
        error,
        WmsError::Retryable {
            status: Some(429),
            message: "HTTP 429: ".into(),
            retry_after: Some(Duration::from_secs(7)),
        }
    );
}

#[tokio::test]
async fn bad_requests_are_permanent() {
    let server = MockServer::start().await;
    answer_submit(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({"error": "unknown sku TEE-M"})),
    )
    .await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(!error.is_retryable());
    assert!(matches!(&error, WmsError::Permanent { status: Some(400), message } if message.contains("TEE-M")));
}

#[tokio::test]
async fn a_slow_warehouse_times_out_as_retryable() {
    let server = MockServer::start().await;
    answer_submit(
        &server,
        ResponseTemplate::new(201)
            .set_body_json(json!({"fulfilment_id": "late"}))
            .set_delay(Duration::from_secs(3)),
    )
    .await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(matches!(&error, WmsError::Retryable { status: None, message, .. } if message.starts_with("timeout")));
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = WmsConfig::new("ams-1", WmsKind::Generic, format!("http://{address}"));
    let client = WmsClient::new(config, reqwest::Client::new()).unwrap();

    let error = client.submit(&request()).await.unwrap_err();

    assert!(matches!(&error, WmsError::Retryable { status: None, .. }), "{error:?}");
}

#[tokio::test]
async fn an_answer_without_a_fulfilment_id_is_permanent() {
    let server = MockServer::start().await;
    answer_submit(&server, ResponseTemplate::new(201).set_body_json(json!({"id": "F-1"}))).await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(matches!(&error, WmsError::Permanent { status: Some(201), message } if message.contains("fulfilment_id")));
}

#[tokio::test]
async fn requests_no_warehouse_would_take_are_refused_before_sending() {
    let server = MockServer::start().await;
    answer_submit(
        &server,
        ResponseTemplate::new(201).set_body_json(json!({"fulfilment_id": "F"})),
    )
    .await;
    let client = client(&server);
    let mut zero = request();
    zero.lines[1].quantity = 0;
    let mut country = request();
    country.ship_to.country = "Netherlands".into();
    let mut empty = request();
    empty.lines.clear();

    for (bad, field) in [
        (zero, "lines[1].quantity"),
        (country, "ship_to.country"),
        (empty, "lines"),
    ] {
        let error = client.submit(&bad).await.unwrap_err();
        assert!(matches!(&error, WmsError::Permanent { status: None, message } if message.starts_with(field)));
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cancel_posts_to_the_fulfilments_cancel_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fulfilments/F-1001/cancel"))
        .and(header("authorization", "Bearer wms-token"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).cancel("F-1001").await.unwrap();
}

#[tokio::test]
async fn a_cancel_is_retryable_or_permanent_by_status() {
    let server = MockServer::start().await;
    Mock::given(path("/fulfilments/gone/cancel"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(path("/fulfilments/busy/cancel"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "2"))
        .mount(&server)
        .await;
    let client = client(&server);

    assert!(matches!(
        client.cancel("gone").await,
        Err(WmsError::Permanent { status: Some(404), .. })
    ));
    assert!(matches!(
        client.cancel("busy").await,
        Err(WmsError::Retryable { status: Some(503), retry_after: Some(d), .. }) if d == Duration::from_secs(2)
    ));
    assert!(matches!(
        client.cancel("a/b").await,
        Err(WmsError::Permanent { status: None, .. })
    ));
}

#[test]
fn configuration_has_defaults_refuses_unknown_fields_and_hides_secrets() {
    let config: WmsConfig = toml::from_str(
        r#"
        code = "sb-1"
        kind = "shipbob"
        base_url = "https://api.shipbob.com"
        token = "pat-secret-value"
        secret = "whsec_c2VjcmV0"
        channel_id = "122233"
        "#,
    )
    .unwrap();
    assert_eq!(
        (config.timeout_ms, config.shipping_method.as_str()),
        (5_000, "Standard")
    );
    let shown = format!("{config:?}");
    assert!(
        !shown.contains("pat-secret-value") && !shown.contains("whsec_"),
        "{shown}"
    );

    let unknown = toml::from_str::<WmsConfig>("code = \"x\"\nkind = \"generic\"\nbase_url = \"http://x\"\ntimeout = 1");
    assert!(unknown.unwrap_err().to_string().contains("unknown field `timeout`"));

    let mut no_channel = config.clone();
    no_channel.channel_id = None;
    let error = WmsClient::new(no_channel, reqwest::Client::new()).unwrap_err();
    assert!(error.to_string().contains("channel_id"), "{error}");
}
