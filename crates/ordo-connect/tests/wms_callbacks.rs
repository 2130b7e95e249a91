//! Generic warehouse callbacks: the signature checked before anything is believed, every
//! event kind, and field errors that name the field.

use ordo_connect::wms::{
    CallbackError, CallbackHeaders, GENERIC_SIGNATURE_HEADER, ShipmentInfo, WmsEvent, WmsEventKind, WmsKind,
    parse_callback, sign_generic,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

const SECRET: &str = "wms-callback-secret";

fn generic(body: &Value) -> Result<WmsEvent, CallbackError> {
    let body = serde_json::to_vec(body).unwrap();
    let signature = sign_generic(SECRET, &body);
    let headers = CallbackHeaders {
        signature: Some(&signature),
        ..CallbackHeaders::default()
    };
    parse_callback(WmsKind::Generic, &headers, Some(SECRET), &body)
}

fn field_error<T: std::fmt::Debug>(result: Result<T, CallbackError>) -> String {
    match result {
        Err(CallbackError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn the_signature_is_read_from_the_x_ordo_signature_header() {
    let body = br#"{"event": "packed", "fulfilment_id": "F-1"}"#;
    let mut headers = HeaderMap::new();
    headers.insert(
        GENERIC_SIGNATURE_HEADER,
        HeaderValue::from_str(&sign_generic(SECRET, body)).unwrap(),
    );
    let meta = CallbackHeaders::from_header_map(WmsKind::Generic, &headers, None);

    let event = parse_callback(WmsKind::Generic, &meta, Some(SECRET), body).unwrap();

    assert_eq!(
        (event.kind, event.remote_id.as_deref()),
        (WmsEventKind::Packed, Some("F-1"))
    );
}

#[test]
fn every_generic_event_kind_is_read() {
    let ids = json!({"request_id": "req-1", "fulfilment_id": "F-1", "order_id": "ord-42"});
    let with = |extra: Value| {
        let mut body = ids.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        generic(&body).unwrap()
    };
    for (name, kind) in [
        ("accepted", WmsEventKind::Accepted),
        ("picked", WmsEventKind::Picked),
        ("packed", WmsEventKind::Packed),
    ] {
        let event = with(json!({"event": name, "at": "2026-03-01T10:00:00+01:00"}));
        assert_eq!(event.kind, kind);
        assert_eq!(event.at.as_deref(), Some("2026-03-01T09:00:00Z"));
        assert_eq!(
            (
                event.request_id.as_deref(),
                event.remote_id.as_deref(),
                event.order_ref.as_deref()
            ),
            (Some("req-1"), Some("F-1"), Some("ord-42"))
        );
    }
    let parcel = json!({"carrier": "PostNL", "tracking_number": "3SABC123", "tracking_url": null,
        "lines": [{"sku": "MUG-RED", "quantity": 2}], "shipped_at": "2026-03-02T08:00:00Z"});
    let expected_parcel = ShipmentInfo {
        carrier: "PostNL".into(),
        tracking_number: "3SABC123".into(),
        tracking_url: None,
        lines: vec![("MUG-RED".into(), 2)],
        shipped_at: Some("2026-03-02T08:00:00Z".into()),
    };
    assert_eq!(
        with(json!({"event": "shipped", "shipments": [parcel]})).kind,
        WmsEventKind::Shipped {
            shipments: vec![expected_parcel.clone()]
        }
    );
    assert_eq!(
        with(json!({"event": "cancelled", "reason": "customer asked"})).kind,
        WmsEventKind::Cancelled {
            reason: Some("customer asked".into())
        }
    );
    assert_eq!(
        with(
            json!({"event": "short_shipped", "shipments": [parcel], "short": [{"sku": "TEE-M", "quantity": 1}],
            "reason": "damaged"})
        )
        .kind,
        WmsEventKind::ShortShipped {
            shipped: vec![expected_parcel],
            short: vec![("TEE-M".into(), 1)],
            reason: Some("damaged".into()),
        }
    );
}

#[test]
fn a_generic_callback_needs_a_good_signature_and_a_secret() {
    let body = br#"{"event": "accepted", "request_id": "req-1"}"#;
    let good = sign_generic(SECRET, body);
    let check = |signature: Option<&str>, secret: Option<&str>, body: &[u8]| {
        let headers = CallbackHeaders {
            signature,
            ..CallbackHeaders::default()
        };
        parse_callback(WmsKind::Generic, &headers, secret, body)
    };

    assert_eq!(
        check(Some(&good), Some(SECRET), body).unwrap().kind,
        WmsEventKind::Accepted
    );
    assert_eq!(
        check(
            Some(&good.to_uppercase().replace("SHA256=", "sha256=")),
            Some(SECRET),
            body
        )
        .unwrap()
        .kind,
        WmsEventKind::Accepted
    );
    assert_eq!(check(Some(&good), None, body), Err(CallbackError::NoSecret));
    assert_eq!(check(Some(&good), Some(" "), body), Err(CallbackError::NoSecret));
    for (signature, secret, body) in [
        (Some(good.as_str()), Some("another-secret"), &body[..]),
        (
            Some(good.as_str()),
            Some(SECRET),
            &br#"{"event": "cancelled", "request_id": "req-1"}"#[..],
        ),
        (Some(&good[7..]), Some(SECRET), &body[..]),
        (Some("sha256=zz"), Some(SECRET), &body[..]),
        (None, Some(SECRET), &body[..]),
    ] {
        let error = check(signature, secret, body).unwrap_err();
        assert_eq!(error.code(), "bad_signature", "{error}");
    }
}

#[test]
fn a_wrong_generic_field_is_named() {
    let shipped = |shipment: Value| json!({"event": "shipped", "request_id": "r", "shipments": [shipment]});
    assert_eq!(field_error(generic(&json!({"request_id": "r"}))), "event");
    assert_eq!(
        field_error(generic(&json!({"event": "delivered", "request_id": "r"}))),
        "event"
    );
    assert_eq!(field_error(generic(&json!({"event": "accepted"}))), "request_id");
    assert_eq!(
        field_error(generic(&json!({"event": "shipped", "request_id": "r"}))),
        "shipments"
    );
    assert_eq!(
        field_error(generic(&shipped(json!({"carrier": "UPS"})))),
        "shipments[0].tracking_number"
    );
    assert_eq!(
        field_error(generic(&shipped(
            json!({"carrier": "UPS", "tracking_number": "1Z", "lines": [{"sku": "A", "quantity": -1}]})
        ))),
        "shipments[0].lines[0].quantity"
    );
    assert_eq!(
        field_error(generic(
            &json!({"event": "short_shipped", "request_id": "r", "short": [{"sku": "A", "quantity": 0}]})
        )),
        "short[0].quantity"
    );
    assert_eq!(
        field_error(generic(&json!({"event": "short_shipped", "request_id": "r"}))),
        "short"
    );
    assert_eq!(
        field_error(generic(&json!({"event": "picked", "request_id": "r", "at": "monday"}))),
        "at"
    );
    assert_eq!(field_error(generic(&json!(["accepted"]))), "body");
    let body = b"not json";
    let headers = CallbackHeaders {
        signature: Some(&sign_generic(SECRET, body)),
        ..CallbackHeaders::default()
    };
    assert_eq!(
        parse_callback(WmsKind::Generic, &headers, Some(SECRET), body)
            .unwrap_err()
            .code(),
        "bad_json"
    );
}

#[test]
fn events_serialise_with_a_type_tag() {
    let event = WmsEvent {
        request_id: Some("r".into()),
        remote_id: None,
        order_ref: None,
        kind: WmsEventKind::Cancelled { reason: None },
        at: None,
    };
    let stored = serde_json::to_value(&event).unwrap();
    assert_eq!(stored["kind"], json!({"type": "cancelled", "reason": null}));
    assert_eq!(serde_json::from_value::<WmsEvent>(stored).unwrap(), event);
}
