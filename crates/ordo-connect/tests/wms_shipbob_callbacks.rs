//! ShipBob's webhooks (Standard Webhooks signatures, order and shipment bodies) and polling
//! payloads (orders, shipments, timelines) read as warehouse events.

use ordo_connect::wms::shipbob::{event_from_order, event_from_shipment, events_from_timeline};
use ordo_connect::wms::{
    CallbackError, CallbackHeaders, ShipmentInfo, WmsEvent, WmsEventKind, WmsKind, parse_callback,
    sign_standard_webhook,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

/// A ShipBob subscription secret: `whsec_` and 24 random bytes in base64.
const SHIPBOB_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SENT_AT: i64 = 1_767_225_600;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn field_error<T: std::fmt::Debug>(result: Result<T, CallbackError>) -> String {
    match result {
        Err(CallbackError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

/// A ShipBob delivery of `body` under `topic`, signed, arriving `late_s` after it was sent.
fn shipbob(topic: &str, body: &Value, late_s: i64) -> Result<WmsEvent, CallbackError> {
    let body = serde_json::to_vec(body).unwrap();
    let timestamp = SENT_AT.to_string();
    let signature = sign_standard_webhook(SHIPBOB_SECRET, "msg_1", &timestamp, &body).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_static("msg_1"));
    headers.insert("webhook-timestamp", HeaderValue::from_str(&timestamp).unwrap());
    headers.insert("webhook-signature", HeaderValue::from_str(&signature).unwrap());
    headers.insert("x-webhook-topic", HeaderValue::from_str(topic).unwrap());
    let meta = CallbackHeaders::from_header_map(WmsKind::Shipbob, &headers, Some(SENT_AT + late_s));
    parse_callback(WmsKind::Shipbob, &meta, Some(SHIPBOB_SECRET), &body)
}

/// The parcel of ShipBob's published shipment.
fn published_parcel(lines: Vec<(String, u32)>) -> ShipmentInfo {
    ShipmentInfo {
        carrier: "USPS".into(),
        tracking_number: "860C8CDC8F0B4FC7AB69AC86C20539EC".into(),
        tracking_url: Some("https://www.example.com/tracking?id=860C8CDC8F0B4FC7AB69AC86C20539EC".into()),
        lines,
        shipped_at: Some("2019-08-24T14:15:22Z".into()),
    }
}

#[test]
fn shipbob_signs_as_standard_webhooks_do() {
    // The example of the Standard Webhooks specification, which ShipBob's scheme follows.
    let signature = sign_standard_webhook(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        br#"{"test": 2432232314}"#,
    )
    .unwrap();
    assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

#[test]
fn shipbob_order_shipped_is_a_shipment_with_its_tracking() {
    let event = shipbob("order.shipped", &fixture("shipbob_2026-01_order_get.json"), 3).unwrap();

    assert_eq!(
        event,
        WmsEvent {
            request_id: Some("string".into()),
            remote_id: Some("0".into()),
            order_ref: Some("string".into()),
            // The published quantities are all zero, so no line is claimed shipped.
            kind: WmsEventKind::Shipped {
                shipments: vec![published_parcel(vec![])]
            },
            at: Some("2019-08-24T14:15:22Z".into()),
        }
    );
}

#[test]
fn shipbob_shipment_webhooks_become_shipped_cancelled_or_ignored() {
    let mut shipment = fixture("shipbob_2026-01_shipment_get.json");
    shipment["products"][0]["inventory_items"][0]["quantity"] = json!(2);
    let delivered = shipbob("order.shipment.delivered", &shipment, 0).unwrap();
    assert_eq!(
        delivered.kind,
        WmsEventKind::Shipped {
            shipments: vec![published_parcel(vec![("TShirtBlueM".into(), 2)])]
        }
    );
    assert_eq!(
        (delivered.remote_id.as_deref(), delivered.request_id.as_deref()),
        (Some("0"), Some("string"))
    );

    shipment["status"] = json!("Cancelled");
    shipment["status_details"][0]["description"] = json!("Cancelled by merchant");
    let cancelled = shipbob("shipment_cancelled", &shipment, 0).unwrap();
    assert_eq!(
        cancelled.kind,
        WmsEventKind::Cancelled {
            reason: Some("Cancelled by merchant".into())
        }
    );

    shipment["status"] = json!("OnHold");
    shipment["tracking"] = Value::Null;
    let on_hold = shipbob("order.shipment.on_hold", &shipment, 0).unwrap_err();
    assert!(on_hold.is_ignorable(), "{on_hold}");

    assert!(
        shipbob("return.created", &json!({"id": 1}), 0)
            .unwrap_err()
            .is_ignorable()
    );
}

#[test]
fn shipbob_callbacks_are_refused_when_not_signed_fresh_by_the_secret() {
    let body = fixture("shipbob_2026-01_shipment_get.json");
    assert_eq!(
        shipbob("order.shipment.delivered", &body, 301),
        Err(CallbackError::Stale { age_s: 301 })
    );
    assert_eq!(
        shipbob("order.shipment.delivered", &body, -301),
        Err(CallbackError::Stale { age_s: -301 })
    );

    let bytes = serde_json::to_vec(&body).unwrap();
    let good = sign_standard_webhook(SHIPBOB_SECRET, "msg_1", "1767225600", &bytes).unwrap();
    let other = sign_standard_webhook(
        "whsec_c2VjcmV0LW9mLWFub3RoZXItc3Vic2NyaXB0aW9u",
        "msg_1",
        "1767225600",
        &bytes,
    )
    .unwrap();
    let check = |id: Option<&str>, signature: &str, secret: &str| {
        let headers = CallbackHeaders {
            signature: Some(signature),
            webhook_id: id,
            webhook_timestamp: Some("1767225600"),
            topic: None,
            received_at_unix_s: None,
        };
        parse_callback(WmsKind::Shipbob, &headers, Some(secret), &bytes)
    };
    // During a secret rotation ShipBob sends one signature per secret.
    assert!(check(Some("msg_1"), &format!("{other} {good}"), SHIPBOB_SECRET).is_ok());
    assert_eq!(
        check(Some("msg_1"), &other, SHIPBOB_SECRET).unwrap_err().code(),
        "bad_signature"
    );
    assert_eq!(
        check(Some("msg_2"), &good, SHIPBOB_SECRET).unwrap_err().code(),
        "bad_signature"
    );
    assert_eq!(check(None, &good, SHIPBOB_SECRET).unwrap_err().code(), "bad_signature");
    assert_eq!(
        check(Some("msg_1"), &good, "whsec_not base64!").unwrap_err().code(),
        "bad_signature"
    );
}

#[test]
fn polled_shipbob_orders_read_like_their_webhooks() {
    let mut order = fixture("shipbob_2026-01_order_get.json");
    order["tags"] = json!([{"name": "ordo_order_id", "value": "ord-42"}]);
    assert_eq!(event_from_order(&order).unwrap().order_ref.as_deref(), Some("ord-42"));

    order["shipments"][0]["tracking"]["tracking_number"] = Value::Null;
    let accepted = event_from_order(&order).unwrap();
    assert_eq!(
        (accepted.kind, accepted.at.as_deref()),
        (WmsEventKind::Accepted, Some("2019-08-24T14:15:22Z"))
    );

    order["status"] = json!("Cancelled");
    assert_eq!(
        event_from_order(&order).unwrap().kind,
        WmsEventKind::Cancelled { reason: None }
    );

    order["status"] = json!("Exception");
    assert!(event_from_order(&order).unwrap_err().is_ignorable());

    order["status"] = json!("Teleported");
    assert_eq!(field_error(event_from_order(&order)), "status");
    order["shipments"][0]["tracking"] = json!({"tracking_number": "1Z"});
    order["status"] = json!("Processing");
    assert_eq!(field_error(event_from_order(&order)), "shipments[0].tracking.carrier");

    let shipment = fixture("shipbob_2026-01_shipment_get.json");
    assert_eq!(
        event_from_shipment(&shipment).unwrap().kind,
        WmsEventKind::Shipped {
            shipments: vec![published_parcel(vec![])]
        }
    );
}

#[test]
fn a_shipbob_timeline_gives_picked_packed_and_cancelled() {
    // The published example names no real step, so it reads as nothing.
    let published = events_from_timeline(Some("0"), &fixture("shipbob_2026-01_shipment_timeline.json")).unwrap();
    assert!(published.is_empty(), "{published:?}");

    let entry = |name: &str, at: &str| {
        let mut entry = fixture("shipbob_2026-01_shipment_timeline.json")[0].clone();
        entry["log_type_name"] = json!(name);
        entry["timestamp"] = json!(at);
        entry
    };
    let timeline = json!([
        entry("Packed", "2026-03-01T11:00:00Z"),
        entry("Picked", "2026-03-01T10:00:00Z"),
        entry("Label Printed", "2026-03-01T12:00:00Z"),
    ]);
    let events = events_from_timeline(Some("123"), &timeline).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| (e.kind.clone(), e.at.clone().unwrap())).collect();
    assert_eq!(
        kinds,
        [
            (WmsEventKind::Picked, "2026-03-01T10:00:00Z".to_owned()),
            (WmsEventKind::Packed, "2026-03-01T11:00:00Z".to_owned()),
        ]
    );
    assert!(events.iter().all(|e| e.remote_id.as_deref() == Some("123")));
    assert_eq!(
        field_error(events_from_timeline(None, &json!([entry("Picked", "soon")]))),
        "[0].timestamp"
    );
}
