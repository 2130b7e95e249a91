//! The warehouse simulator's return reports, read by Ordo's callback parser: what the
//! simulator sends for goods that came back is a `Returned` event with the lines and
//! dispositions it was given, for the generic contract and for ShipBob.

use std::time::Duration;

use ordo_connect::wms::{CallbackHeaders, ReturnDisposition as D, ReturnLine, WmsEventKind, WmsKind, parse_callback};
use ordo_sim::{WmsSimConfig, WmsSimulator};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "whsec_dGVzdC1zZWNyZXQ=";

async fn returned_request(server: &MockServer, is_return: impl Fn(&Request) -> bool) -> Request {
    for _ in 0..200 {
        let requests = server.received_requests().await.unwrap_or_default();
        if let Some(found) = requests.into_iter().find(|r| is_return(r)) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no return report arrived");
}

fn lines() -> Vec<(String, u32, String)> {
    vec![
        ("TEE-RED-M".to_owned(), 1, "restock".to_owned()),
        ("TEE-RED-M".to_owned(), 1, "write_off".to_owned()),
    ]
}

fn expected() -> Vec<ReturnLine> {
    let line = |disposition| ReturnLine {
        sku: "TEE-RED-M".into(),
        quantity: 1,
        disposition,
    };
    vec![line(D::Restock), line(D::WriteOff)]
}

#[tokio::test]
async fn the_generic_simulators_return_report_is_a_returned_event() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let sim = WmsSimulator::start(WmsSimConfig {
        secret: SECRET.into(),
        callback_url: Some(server.uri()),
        ..WmsSimConfig::new(ordo_sim::WmsKind::Generic)
    })
    .await
    .unwrap();
    let created = reqwest::Client::new()
        .post(format!("{}/fulfilments", sim.url()))
        .bearer_auth(&sim.config().token)
        .json(&json!({
            "request_id": "req-1", "order_id": "0190f5a2-0000-7000-8000-000000000001", "warehouse": "HZ-01",
            "ship_to": {"name": "Li Lei", "country": "CN", "line1": "1 Keyuan Road"},
            "lines": [{"sku": "TEE-RED-M", "quantity": 2}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    sim.ship_now("F-00000001").unwrap();
    sim.send_return("F-00000001", &lines(), Some("0190f5a2-0000-7000-8000-0000000000c1"))
        .unwrap();

    let request = returned_request(&server, |r| r.body.windows(10).any(|w| w == b"\"returned\"")).await;
    let signature = request.headers.get("x-ordo-signature").and_then(|v| v.to_str().ok());
    let headers = CallbackHeaders {
        signature,
        ..CallbackHeaders::default()
    };
    let event = parse_callback(WmsKind::Generic, &headers, Some(SECRET), &request.body).unwrap();
    assert_eq!(event.order_ref.as_deref(), Some("0190f5a2-0000-7000-8000-000000000001"));
    assert_eq!(
        event.kind,
        WmsEventKind::Returned {
            event_id: "R-00000001".into(),
            warehouse: Some("HZ-01".into()),
            case_ref: Some("0190f5a2-0000-7000-8000-0000000000c1".into()),
            lines: expected(),
        }
    );
}

#[tokio::test]
async fn the_shipbob_simulators_completed_return_is_a_returned_event() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let sim = WmsSimulator::start(WmsSimConfig {
        secret: SECRET.into(),
        callback_url: Some(server.uri()),
        ..WmsSimConfig::new(ordo_sim::WmsKind::ShipBob)
    })
    .await
    .unwrap();
    let created = reqwest::Client::new()
        .post(format!("{}/2026-01/order", sim.url()))
        .bearer_auth(&sim.config().token)
        .header("shipbob_channel_id", "4242")
        .json(&json!({
            "reference_id": "req-1", "order_number": "1001",
            "recipient": {"name": "John Doe", "address": {"address1": "1 Main St", "city": "Gotham", "country": "US"}},
            "products": [{"reference_id": "TEE-RED-M", "quantity": 2}],
            "shipping_method": "Standard",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<serde_json::Value>().await.unwrap()["id"].to_string();
    sim.ship_now(&id).unwrap();
    sim.send_return(&id, &lines(), None).unwrap();

    let request = returned_request(&server, |r| r.body.windows(16).any(|w| w == b"return.completed")).await;
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let headers = CallbackHeaders {
        signature: header("webhook-signature"),
        webhook_id: header("webhook-id"),
        webhook_timestamp: header("webhook-timestamp"),
        topic: header("x-webhook-topic"),
        received_at_unix_s: Some(chrono::Utc::now().timestamp()),
    };
    let event = parse_callback(WmsKind::Shipbob, &headers, Some(SECRET), &request.body).unwrap();
    // ShipBob knows the order by its order_number, the channel's order id.
    assert_eq!(event.order_ref.as_deref(), Some("1001"));
    assert_eq!(
        event.kind,
        WmsEventKind::Returned {
            event_id: "return:5000001".into(),
            warehouse: None,
            case_ref: Some("RMA-5000001".into()),
            lines: expected(),
        }
    );
}
