//! ShipBob API 2026-01: the order a fulfilment becomes, ShipBob's duplicate `reference_id`
//! answer turned into the existing order, failures by status, and cancellation results.

use std::time::Duration;

use ordo_connect::wms::{FulfilmentLine, FulfilmentRequest, ShipTo, WmsClient, WmsConfig, WmsError, WmsKind};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REQUEST_ID: &str = "0191a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b";

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// ShipBob's published order with an id, as create and list answers carry it.
fn order(id: u64, reference_id: &str) -> Value {
    let mut order = fixture("shipbob_2026-01_order_get.json");
    order["id"] = json!(id);
    order["reference_id"] = json!(reference_id);
    order
}

fn request() -> FulfilmentRequest {
    FulfilmentRequest {
        request_id: REQUEST_ID.into(),
        order_id: "ord-42".into(),
        order_ids: vec![],
        consolidation_id: None,
        channel: "shopify-us".into(),
        external_order_id: "#1042".into(),
        warehouse: "shipbob".into(),
        ship_to: ShipTo {
            name: "John Doe".into(),
            phone: Some("555-555-5555".into()),
            email: Some("john@example.com".into()),
            country: "US".into(),
            province: Some("NJ".into()),
            city: Some("Gotham City".into()),
            district: None,
            line1: "100 Nowhere Blvd".into(),
            line2: Some("Suite 100".into()),
            postal_code: Some("07093".into()),
        },
        carrier: Some("USPS".into()),
        service: None,
        lines: vec![FulfilmentLine {
            line_id: Some("l-1".into()),
            order_id: None,
            sku: "TShirtBlueM".into(),
            quantity: 2,
        }],
        callback_url: None,
    }
}

fn config(server: &MockServer) -> WmsConfig {
    let mut config = WmsConfig::new("shipbob", WmsKind::Shipbob, format!("{}/", server.uri()));
    config.token = Some("pat-token".into());
    config.channel_id = Some("122233".into());
    config.timeout_ms = 500;
    config
}

fn client(server: &MockServer) -> WmsClient {
    WmsClient::new(config(server), reqwest::Client::new()).unwrap()
}

async fn answer_create(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/2026-01/order"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_submit_creates_a_shipbob_order_keyed_by_the_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2026-01/order"))
        .and(header("authorization", "Bearer pat-token"))
        .and(header("shipbob_channel_id", "122233"))
        .and(body_json(json!({
            "reference_id": REQUEST_ID,
            "order_number": "#1042",
            "type": "DTC",
            "shipping_method": "Standard",
            "recipient": {
                "name": "John Doe",
                "email": "john@example.com",
                "phone_number": "555-555-5555",
                "address": {
                    "address1": "100 Nowhere Blvd", "address2": "Suite 100", "city": "Gotham City",
                    "state": "NJ", "country": "US", "zip_code": "07093"
                }
            },
            "products": [{"reference_id": "TShirtBlueM", "quantity": 2}],
            "tags": [{"name": "ordo_order_id", "value": "ord-42"}, {"name": "ordo_channel", "value": "shopify-us"}]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(order(123_456, REQUEST_ID)))
        .expect(1)
        .mount(&server)
        .await;

    let submitted = client(&server).submit(&request()).await.unwrap();

    assert_eq!(submitted.remote_id, "123456");
}

#[test]
fn the_service_names_the_ship_option_and_the_district_joins_the_second_line() {
    let mut request = request();
    request.service = Some("Free 2-day Shipping".into());
    request.ship_to.line2 = None;
    request.ship_to.district = Some("Chaoyang".into());
    request.ship_to.email = None;
    request.ship_to.postal_code = Some(" ".into());
    let config = WmsConfig::new("shipbob", WmsKind::Shipbob, "https://api.shipbob.com");

    let body = ordo_connect::wms::shipbob::order_body(&config, &request).unwrap();

    assert_eq!(body["shipping_method"], "Free 2-day Shipping");
    assert_eq!(body["recipient"]["address"]["address2"], "Chaoyang");
    assert!(body["recipient"].get("email").is_none());
    assert!(body["recipient"]["address"].get("zip_code").is_none());
}

#[test]
fn a_consolidated_shipment_sends_one_product_per_sku() {
    let mut request = request();
    request.order_ids = vec!["ord-42".into(), "ord-43".into()];
    request.lines.push(FulfilmentLine {
        line_id: None,
        order_id: Some("ord-43".into()),
        sku: "TShirtBlueM".into(),
        quantity: 3,
    });
    request.lines.push(FulfilmentLine {
        line_id: None,
        order_id: Some("ord-43".into()),
        sku: "Mug".into(),
        quantity: 1,
    });
    let config = WmsConfig::new("shipbob", WmsKind::Shipbob, "https://api.shipbob.com");

    let body = ordo_connect::wms::shipbob::order_body(&config, &request).unwrap();

    assert_eq!(
        body["products"],
        json!([{ "reference_id": "TShirtBlueM", "quantity": 5 }, { "reference_id": "Mug", "quantity": 1 }])
    );
}

#[tokio::test]
async fn an_address_without_a_city_is_refused_before_sending() {
    let server = MockServer::start().await;
    let mut request = request();
    request.ship_to.city = None;

    let error = client(&server).submit(&request).await.unwrap_err();

    assert!(matches!(&error, WmsError::Permanent { status: None, message } if message.starts_with("ship_to.city")));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_duplicate_reference_id_answers_the_existing_order() {
    let server = MockServer::start().await;
    answer_create(
        &server,
        ResponseTemplate::new(422).set_body_json(json!({"": ["Cannot insert order with existing ReferenceId"]})),
    )
    .await;
    let list = vec![order(9, "someone-else"), order(777, REQUEST_ID)];
    Mock::given(method("GET"))
        .and(path("/2026-01/order"))
        .and(query_param("ReferenceIds", REQUEST_ID))
        .and(header("shipbob_channel_id", "122233"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(list)))
        .expect(1)
        .mount(&server)
        .await;

    assert_eq!(client(&server).submit(&request()).await.unwrap().remote_id, "777");
}

#[tokio::test]
async fn a_conflict_is_looked_up_the_same_way() {
    let server = MockServer::start().await;
    answer_create(&server, ResponseTemplate::new(409)).await;
    // ShipBob's published list example, as the one order with this reference id.
    let mut list = fixture("shipbob_2026-01_orders_list.json");
    list[0]["reference_id"] = json!(REQUEST_ID);
    Mock::given(method("GET"))
        .and(path("/2026-01/order"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list))
        .mount(&server)
        .await;

    assert_eq!(client(&server).submit(&request()).await.unwrap().remote_id, "0");
}

#[tokio::test]
async fn a_duplicate_that_cannot_be_found_is_permanent() {
    let server = MockServer::start().await;
    answer_create(&server, ResponseTemplate::new(409).set_body_string("conflict")).await;
    Mock::given(method("GET"))
        .and(path("/2026-01/order"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(
        matches!(error, WmsError::Permanent { status: Some(409), .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn other_validation_errors_are_permanent_without_a_lookup() {
    let server = MockServer::start().await;
    answer_create(
        &server,
        ResponseTemplate::new(422).set_body_json(json!({"errors": ["Shipping method is not valid"]})),
    )
    .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&server)
        .await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(
        matches!(&error, WmsError::Permanent { status: Some(422), message } if message.contains("Shipping method"))
    );
}

#[tokio::test]
async fn failures_are_sorted_by_status() {
    for (status, retry_after, retryable) in [
        (500, None, true),
        (429, Some("30"), true),
        (400, None, false),
        (401, None, false),
    ] {
        let server = MockServer::start().await;
        let mut response = ResponseTemplate::new(status);
        if let Some(after) = retry_after {
            response = response.insert_header("retry-after", after);
        }
        answer_create(&server, response).await;

        let error = client(&server).submit(&request()).await.unwrap_err();

        assert_eq!(error.is_retryable(), retryable, "{status}: {error:?}");
        if let WmsError::Retryable { retry_after, .. } = &error {
            assert_eq!(*retry_after, (status == 429).then(|| Duration::from_secs(30)));
        }
    }
}

#[tokio::test]
async fn a_slow_shipbob_times_out_as_retryable() {
    let server = MockServer::start().await;
    answer_create(
        &server,
        ResponseTemplate::new(201)
            .set_body_json(order(1, REQUEST_ID))
            .set_delay(Duration::from_secs(3)),
    )
    .await;

    let error = client(&server).submit(&request()).await.unwrap_err();

    assert!(matches!(&error, WmsError::Retryable { status: None, message, .. } if message.starts_with("timeout")));
}

#[tokio::test]
async fn a_cancel_posts_to_the_order_cancel_action() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2026-01/order/123456:cancel"))
        .and(header("authorization", "Bearer pat-token"))
        .and(header("shipbob_channel_id", "122233"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("shipbob_2026-01_order_cancel.json")))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).cancel("123456").await.unwrap();
}

#[tokio::test]
async fn a_cancel_shipbob_could_not_complete_is_permanent_with_its_reasons() {
    let server = MockServer::start().await;
    let mut answer = fixture("shipbob_2026-01_order_cancel.json");
    answer["status"] = json!("PartialSuccess");
    answer["canceled_shipment_results"][0]["is_success"] = json!(false);
    answer["canceled_shipment_results"][0]["reason"] = json!("Shipment already shipped");
    Mock::given(path("/2026-01/order/5:cancel"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    Mock::given(path("/2026-01/order/6:cancel"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"Order": ["not cancellable"]})))
        .mount(&server)
        .await;
    let client = client(&server);

    let partial = client.cancel("5").await.unwrap_err();
    assert!(matches!(&partial, WmsError::Permanent { status: Some(200), message }
        if message == "cancellation PartialSuccess: Shipment already shipped"));
    assert!(matches!(
        client.cancel("6").await,
        Err(WmsError::Permanent { status: Some(422), .. })
    ));
}
